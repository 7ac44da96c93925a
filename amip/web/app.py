"""``create_app(settings)``: the FastAPI application (pages, REST API, login) over the core."""

from __future__ import annotations

import html
import importlib.util
import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.middleware.sessions import SessionMiddleware

from amip import __version__
from amip.errors import AmipError
from amip.steering import Steering
from amip.web import (api, auth, budget_api, care_api, compare_api, group_api, problems,
                      quality_api, risk_api, target_api)
from amip.web.services import OneGeneration, Services
from amip.web.settings import Settings
from amip.web.users import SESSION_MAX_AGE, UserStore

HERE = Path(__file__).parent
log = logging.getLogger("amip.web")

SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; "
                                 b"frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
                                 b"object-src 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


#: responses that may hold personal data or a new password are never stored by a browser or
#: proxy; only the vendored static files may be cached
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """Pure ASGI middleware (cheap): security headers on every HTTP response, and
    ``Cache-Control: no-store`` on every one but the static files'."""

    def __init__(self, app, hsts: bool) -> None:
        self.app = app
        self.headers = SECURITY_HEADERS + (
            [(b"strict-transport-security", b"max-age=31536000")] if hsts else [])

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        extra = self.headers if scope["path"].startswith("/static/") \
            else self.headers + [NO_STORE]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (k, v) for k, v in extra if k not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    services = Services(settings)
    users = UserStore(settings)
    steering = Steering.open(settings.store, settings.steering_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        anyio.to_thread.current_default_thread_limiter().total_tokens = services.LIMITS.running
        warm = threading.Thread(target=_warm, args=(services,), name="amip-warm", daemon=True)
        warm.start()  # the latest month's measures, so the first page view is quick
        yield
        warm.join(timeout=30)
        if app.state.close_on_shutdown:  # tests that enter the lifespan often keep them open
            services.close()
            users.close()
            steering.close()

    app = FastAPI(title="amip", version=__version__, lifespan=lifespan,
                  description="Steuerung und Controlling für Jobcenter (SGB II): Kennzahlen nach "
                              "§ 48a SGB II, Katalog, Organisationseinheiten, Datenstand. "
                              "Anmeldung über POST /login (Sitzungs-Cookie).",
                  openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None)
    app.state.settings, app.state.services, app.state.users = settings, services, users
    app.state.steering = steering
    app.state.close_on_shutdown = True
    problems.install(app)
    app.add_exception_handler(auth.LoginRequired, auth.login_required_handler)
    app.include_router(auth.router)
    app.include_router(api.router)
    app.include_router(target_api.router)
    app.include_router(quality_api.router)
    app.include_router(care_api.router)
    app.include_router(risk_api.router)
    app.include_router(group_api.router)
    app.include_router(compare_api.router)
    app.include_router(budget_api.router, prefix="/api/v1")
    app.include_router(budget_api.router, prefix="/api", include_in_schema=False)
    app.add_api_route("/api/v1/docs", _docs, include_in_schema=False,
                      response_class=HTMLResponse)
    if importlib.util.find_spec("amip.web.pages") is not None:
        from amip.web import (budget_pages, care_pages, pages, quality_pages, report_pages,
                              risk_pages, scenario_pages, target_pages, user_pages)

        app.include_router(pages.router)
        app.include_router(report_pages.router)
        app.include_router(user_pages.router)
        app.include_router(target_pages.router)
        app.include_router(budget_pages.router)
        app.include_router(scenario_pages.router)
        app.include_router(care_pages.router)
        app.include_router(quality_pages.router)
        app.include_router(risk_pages.router)
        from amip.web import compare_pages

        app.include_router(compare_pages.router)
    if (HERE / "static").is_dir():
        from fastapi.staticfiles import StaticFiles

        app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    # outermost last: the security headers wrap everything, the session wraps the routes,
    # which each read one generation of the store
    app.add_middleware(OneGeneration, services=services)
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key,
                       session_cookie="amip_session", max_age=SESSION_MAX_AGE,
                       same_site="lax", https_only=settings.secure_cookies)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    app.add_middleware(auth.ProxyHeaders, trusted_hosts=settings.trusted_proxies)
    return app


def _warm(services: Services) -> None:
    try:
        services.warm()
    except AmipError:  # a warm-up failure must not stop the server (any other is a bug: the
        log.exception("warming the indicator cache failed")  # thread's excepthook shows it)


def _docs(request: Request) -> HTMLResponse:
    """API documentation rendered on the server from the OpenAPI schema (no JavaScript, nothing
    loaded from the internet)."""
    spec = request.app.openapi()
    e = html.escape
    parts = [f"<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\"><title>amip API "
             f"{e(spec['info']['version'])}</title></head><body><main>"
             f"<h1>amip REST API {e(spec['info']['version'])}</h1>"
             f"<p>{e(spec['info'].get('description', ''))}</p>"
             f"<p>OpenAPI: <a href=\"{e(request.app.openapi_url)}\">"
             f"{e(request.app.openapi_url)}</a>. Fehler als RFC 9457 problem details.</p>"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            parts.append(f"<section><h2><code>{e(method.upper())} {e(path)}</code></h2>"
                         f"<p>{e(op.get('summary', ''))}</p><p>{e(op.get('description', ''))}</p>")
            params = op.get("parameters", [])
            if params:
                parts.append("<table><tr><th>Parameter</th><th>in</th><th>Pflicht</th>"
                             "<th>Beschreibung</th></tr>")
                for p in params:
                    parts.append(f"<tr><td><code>{e(p['name'])}</code></td><td>{e(p['in'])}</td>"
                                 f"<td>{'ja' if p.get('required') else 'nein'}</td>"
                                 f"<td>{e(p.get('description', ''))}</td></tr>")
                parts.append("</table>")
            codes = ", ".join(op.get("responses", {}))
            parts.append(f"<p>Antworten: {e(codes)}</p></section>")
    parts.append("</main></body></html>")
    return HTMLResponse("".join(parts))
