"""Errors as RFC 9457 problem details (``application/problem+json``) for the API.

Raise :class:`Problem` anywhere in a request; :func:`install` adds handlers that also turn
Starlette's HTTP errors, FastAPI's validation errors and unexpected exceptions (500, without
internals) into problem details. Page requests (not under ``/api/``, asking for HTML) get a
small German HTML page instead.
"""

from __future__ import annotations

import html
import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from amip.errors import AmipError

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("amip.web")


class Problem(Exception):
    def __init__(self, status: int, detail: str, title: str | None = None,
                 type: str = "about:blank", headers: dict[str, str] | None = None,
                 **extra) -> None:
        super().__init__(detail)
        self.status, self.detail, self.type = status, detail, type
        self.title = title or HTTPStatus(status).phrase
        self.headers, self.extra = headers or {}, extra


def problem_response(request: Request, status: int, detail: str, title: str | None = None,
                     type: str = "about:blank", headers: dict[str, str] | None = None,
                     **extra):
    title = title or HTTPStatus(status).phrase
    if not request.url.path.startswith("/api/") and \
            "text/html" in request.headers.get("accept", ""):
        body = (f"<!doctype html><html lang=\"de\"><meta charset=\"utf-8\"><title>{status} "
                f"{html.escape(title)}</title><h1>{status} {html.escape(title)}</h1>"
                f"<p>{html.escape(detail)}</p><p><a href=\"/\">Zur Übersicht</a></p></html>")
        return HTMLResponse(body, status_code=status, headers=headers)
    content = {"type": type, "title": title, "status": status, "detail": detail,
               "instance": request.url.path, **extra}
    return JSONResponse(content, status_code=status, media_type=MEDIA_TYPE, headers=headers)


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "URI of the problem type (about:blank)"},
        "title": {"type": "string", "description": "Kurzbeschreibung / short summary"},
        "status": {"type": "integer", "description": "HTTP status code"},
        "detail": {"type": "string", "description": "Erläuterung / explanation"},
        "instance": {"type": "string", "description": "the request path"},
    },
}


def problem_responses(*codes: int) -> dict:
    """OpenAPI ``responses`` entries for these status codes."""
    return {c: {"description": HTTPStatus(c).phrase,
                "content": {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}}} for c in codes}


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(request, exc.status, exc.detail, exc.title, exc.type,
                                exc.headers, **exc.extra)

    @app.exception_handler(AmipError)
    async def _amip(request: Request, exc: AmipError):  # its message is German and complete
        return problem_response(request, exc.http_status, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no resource at {request.url.path}"
        return problem_response(request, exc.status_code, detail,
                                headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ())]
            where = loc[0] if loc else ""
            name = ".".join(loc[1:]) or where
            errors.append({"in": where, "name": name, "message": e.get("msg", ""),
                           "value": _plain(e.get("input"))})
        detail = "; ".join(f"{e['in']} parameter {e['name']!r}: {e['message']}" for e in errors)
        return problem_response(request, 422, detail or "invalid request", errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return problem_response(request, 500, "an unexpected error occurred; it was logged")


def _plain(x):
    if x is None or isinstance(x, (str, int, float, bool)):
        return x
    return str(x)[:200]
