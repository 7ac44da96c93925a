"""Login, logout, sessions, CSRF protection and the person-level scope rules.

Sessions: Starlette's signed session cookie holds a random session id (and the CSRF token);
the session itself lives in the users database, so logout and disabling a user end it at once.
Every form POST carries the per-session CSRF token (hidden field ``csrf_token``, or the header
``X-CSRF-Token`` for htmx requests): :func:`verify_csrf`.

Known devices (OWASP "device cookie"): a successful login sets the signed cookie
``amip_device`` (user name and a random device id); a later login of that user in that browser
is limited per device only, so guessing from elsewhere cannot lock the user out
(:meth:`amip.web.users.UserStore.verify`). Client addresses: :class:`ProxyHeaders` takes them from
``X-Forwarded-For`` only when the direct peer is one of ``settings.trusted_proxies``.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from babel.dates import format_timedelta
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware as ProxyHeaders  # noqa: F401

from amip.engine.indicators import UnknownUnit
from amip.i18n import LOCALE
from amip.web.problems import DETAILS_DE, Problem
from amip.web.users import LockedOut, User, UserStore

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).with_name("templates")
LOGIN_TEMPLATE = "login.html.j2"
DEVICE_COOKIE = "amip_device"
DEVICE_MAX_AGE = 180 * 24 * 3600  # seconds a browser stays a known device after a login


# -- helpers ------------------------------------------------------------------------------------

def client_address(request: Request) -> str:
    """The client's address (behind a trusted proxy: from its X-Forwarded-For)."""
    return request.client.host if request.client else ""


def users(request: Request) -> UserStore:
    return request.app.state.users


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use); put it in every form."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def verify_csrf(request: Request) -> None:
    """Dependency for every state-changing form POST: 403 without the session's token."""
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        sent = form.get("csrf_token")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise Problem(403, "CSRF-Token fehlt oder ist ungültig; das Formular neu laden und erneut senden",
                      title="CSRF check failed", page_detail=DETAILS_DE["csrf"])


def safe_next(target: str | None) -> str:
    """Only local paths (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


async def login_required_handler(request: Request, exc: LoginRequired):
    return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)


def _session_user(request: Request) -> User | None:
    if hasattr(request.state, "user"):
        return request.state.user
    sid = request.session.get("sid")
    user = users(request).session_user(sid) if isinstance(sid, str) else None
    request.state.user = user
    return user


def current_user(request: Request) -> User:
    """Dependency for the API: the logged-in user, else 401 problem details (403 for a path
    outside the role's ``pages``)."""
    user = _session_user(request)
    if user is None:
        raise Problem(401, "Nicht angemeldet: zuerst mit Benutzername und Passwort anmelden (POST /login)",
                      title="Unauthorized")
    return _may_open(request, user)


def _may_open(request: Request, user: User) -> User:
    """``user`` if the role may open the request's path (roles.toml ``pages``), else 403."""
    rights = user.rights
    if not rights.may_open(request.url.path):
        users(request).audit.record(user.name, "access", f"path={request.url.path[:200]}",
                                    "denied", client_address(request))
        raise Problem(403, f"Die Rolle {rights.label} darf {request.url.path} nicht öffnen; "
                           f"sie sieht nur {', '.join(rights.pages)}", title="Forbidden")
    return user


def page_user(request: Request) -> User:
    """Dependency for pages: the logged-in user, else a redirect to the login page."""
    user = _session_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return _may_open(request, user)


def optional_user(request: Request) -> User | None:
    return _session_user(request)


# -- scope rules --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonScope:
    """Which persons a request may read: those of ``jobcenter_id`` assigned (caseload) to one of
    ``units`` (None: the whole Jobcenter), and only of ``caseworker_id`` when set."""
    unit_id: str
    jobcenter_id: str
    units: frozenset[str] | None
    caseworker_id: str | None = None


def require_persons(request: Request, user: User, unit_id: str,
                    action: str = "persons.read") -> PersonScope:
    """The scope of person-level data ``user`` may read for ``unit_id``, or 403 problem
    details (audited with outcome ``denied``). 404 for an unknown unit."""
    services = request.app.state.services
    try:
        jc, scope = services.unit_scope(unit_id)
    except UnknownUnit as e:
        raise Problem(404, str(e), title="Unknown unit") from None
    rights = user.rights
    allowed, caseworker = False, None
    if rights.persons == "all":
        allowed = True
    elif rights.persons in ("team", "caseload") and user.unit_id:
        try:
            own_jc, own = services.unit_scope(user.unit_id)
        except UnknownUnit:
            own_jc, own = None, set()
        # a unit above the teams (stored before units were checked) gives no persons
        allowed = own_jc == jc and own is not None and scope is not None and scope <= own
    elif rights.persons == "caseload":
        allowed = True  # no unit given: the caseload filter alone decides
    if rights.persons == "caseload":
        caseworker = user.caseworker_id
        allowed = allowed and bool(caseworker)
    if not allowed:
        users(request).audit.record(user.name, action, f"unit={unit_id}", "denied",
                                    client_address(request))
        raise Problem(403, f"Die Rolle {rights.label} darf keine personenbezogenen Daten der "
                           f"Einheit {unit_id} lesen", title="Forbidden")
    return PersonScope(unit_id, jc, None if scope is None else frozenset(scope), caseworker)


def require_audit(request: Request, user: User = Depends(current_user)) -> User:
    if not user.rights.audit:
        users(request).audit.record(user.name, "audit.read", "", "denied",
                                    client_address(request))
        raise Problem(403, f"Die Rolle {user.rights.label} darf das Protokoll nicht lesen",
                      title="Forbidden")
    return user


# -- login page ---------------------------------------------------------------------------------

def _render_login(request: Request, error: str | None, next_url: str, status: int = 200,
                  headers: dict | None = None) -> Response:
    context = dict(request=request, error=error, next=next_url, csrf_token=csrf_token(request))
    if (TEMPLATES / LOGIN_TEMPLATE).exists():
        templates = _templates()
        return templates.TemplateResponse(request, LOGIN_TEMPLATE, context,
                                          status_code=status, headers=headers)
    err = f"<p class=\"error\" role=\"alert\">{html.escape(error)}</p>" if error else ""
    body = f"""<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Anmelden – amip</title></head>
<body><main><h1>amip – Anmelden</h1>{err}
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{html.escape(context['csrf_token'])}">
<input type="hidden" name="next" value="{html.escape(next_url)}">
<label>Benutzername <input name="username" autocomplete="username" required></label>
<label>Passwort <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Anmelden</button></form></main></body></html>"""
    return HTMLResponse(body, status_code=status, headers=headers)


def _templates():
    try:  # the pages' environment (filters, globals), when it exists
        from amip.web.templating import templates

        return templates
    except ImportError:
        pass
    from fastapi.templating import Jinja2Templates

    return Jinja2Templates(directory=str(TEMPLATES))


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    return _render_login(request, None, safe_next(next))


def _devices(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.secret_key, salt="amip-device")


def known_device(request: Request, name: str) -> str | None:
    """The device id in the browser's device cookie if a login of ``name`` set it."""
    try:
        data = _devices(request).loads(request.cookies.get(DEVICE_COOKIE, ""),
                                       max_age=DEVICE_MAX_AGE)
    except BadData:
        return None
    return data.get("d") if isinstance(data, dict) and data.get("u") == name else None


def wait_text(seconds: int) -> str:
    """``30`` → ``30 Sekunden``, ``90`` → ``2 Minuten`` (minutes rounded up)."""
    shown = seconds if seconds < 60 else math.ceil(seconds / 60) * 60
    return format_timedelta(dt.timedelta(seconds=shown), threshold=1, locale=LOCALE)


@router.post("/login", dependencies=[Depends(verify_csrf)])
async def login(request: Request):
    form = await request.form()
    name = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    next_url = safe_next(str(form.get("next") or "/"))
    address = client_address(request)
    store = users(request)
    try:  # argon2 takes tens of milliseconds: off the event loop
        user = await run_in_threadpool(store.verify, name, password, address,
                                       known_device(request, name))
    except LockedOut as e:
        return _render_login(request, "Zu viele Anmeldeversuche. Bitte in "
                             f"{wait_text(e.retry_after)} erneut versuchen.", next_url, 429,
                             {"Retry-After": str(e.retry_after)})
    if user is None:
        return _render_login(request, "Benutzername oder Passwort falsch.", next_url, 401)
    request.session.clear()  # a fresh session (no fixation) with a fresh CSRF token
    request.session["sid"] = store.open_session(user.name)
    csrf_token(request)
    store.audit.record(user.name, "login", f"role={user.role}", "ok", address)
    if next_url == "/" and user.rights.landing:  # the role's own start page (roles.toml)
        next_url = safe_next(user.rights.landing)
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(DEVICE_COOKIE, _devices(request).dumps(
        {"u": user.name, "d": secrets.token_urlsafe(16)}), max_age=DEVICE_MAX_AGE,
        path="/login", secure=request.app.state.settings.secure_cookies, httponly=True,
        samesite="strict")
    return response


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request):
    user = _session_user(request)
    sid = request.session.get("sid")
    if isinstance(sid, str):
        users(request).close_session(sid)
    if user is not None:
        users(request).audit.record(user.name, "logout", "", "ok", client_address(request))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
