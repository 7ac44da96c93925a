"""The page "Benutzer": list, add, disable, re-activate, unlock users and reset passwords in the browser, for roles with
``manage_users`` (roles.toml). The same UserStore as ``amip users``; every view and change goes
into the audit trail. A new (or reset) password is shown once, on the page that created it. The
user a change is for travels in the form (any name, also with ``/``), not in the path."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from amip.web.auth import client_address, page_user, verify_csrf
from amip.web.pages import _render
from amip.web.users import UserError, caseworker_units, load_roles

router = APIRouter(include_in_schema=False)


def _managing(request: Request, user, action: str):
    """The user store, if ``user`` may manage users; else 403 (recorded as denied)."""
    users = request.app.state.users
    if not user.rights.manage_users:
        users.audit.record(user.name, action, "page", "denied", client_address(request))
        raise HTTPException(403, f"Die Rolle {user.rights.label} darf keine Benutzer verwalten.")
    return users


def _units(request: Request) -> list[dict]:
    return request.app.state.services.table("units")


def _caseworkers(request: Request) -> dict[str, frozenset[str]]:
    services = request.app.state.services
    return services.memoized("caseworkers", services.query, caseworker_units)


def _page(request: Request, user, status: int = 200, **context) -> HTMLResponse:
    users = request.app.state.users
    response = _render(request, "benutzer.html.j2", user, active="benutzer",
                       users=users.list_users(), failures=users.login_failures(),
                       roles=load_roles(),
                       teams=[u for u in _units(request) if u["level"] == "team"], **context)
    response.status_code = status
    return response


@router.get("/benutzer", response_class=HTMLResponse)
def users_page(request: Request, user=Depends(page_user)):
    users = _managing(request, user, "users.read")
    users.audit.record(user.name, "users.read", "page", "ok", client_address(request))
    return _page(request, user)


@router.post("/benutzer", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
def add_user(request: Request, user=Depends(page_user), name: str = Form(...),
             role: str = Form(...), unit_id: str = Form(""), caseworker_id: str = Form("")):
    users = _managing(request, user, "user.add")
    try:
        password = users.add_user(name.strip(), role, unit_id.strip() or None,
                                  caseworker_id.strip() or None, actor=user.name,
                                  address=client_address(request),
                                  units={u["unit_id"]: u["level"] for u in _units(request)},
                                  caseworkers=_caseworkers(request))
    except UserError as e:
        return _page(request, user, status=400, error=str(e),
                     form=dict(name=name, role=role, unit_id=unit_id,
                               caseworker_id=caseworker_id))
    return _page(request, user, created=dict(name=name.strip(), password=password))


def _change(request: Request, user, change):
    """Run a change on a user; back to the page Benutzer, or the page with the error (an
    unknown user: 404)."""
    try:
        change()
    except UserError as e:
        return _page(request, user, status=404, error=str(e))
    return RedirectResponse("/benutzer", status_code=303)


@router.post("/benutzer/sperren", dependencies=[Depends(verify_csrf)])
def disable_user(request: Request, name: str = Form(...), user=Depends(page_user)):
    users = _managing(request, user, "user.disable")
    if name == user.name:
        return _page(request, user, status=400,
                     error="Das eigene Konto kann nicht gesperrt werden.")
    return _change(request, user, lambda: users.disable_user(
        name, actor=user.name, address=client_address(request)))


@router.post("/benutzer/entsperren", dependencies=[Depends(verify_csrf)])
def unlock_user(request: Request, name: str = Form(...), user=Depends(page_user)):
    """Lift the login limits of a user (e.g. after a guessing attack)."""
    users = _managing(request, user, "user.unlock")
    return _change(request, user, lambda: users.unlock(
        name, actor=user.name, address=client_address(request)))


@router.post("/benutzer/aktivieren", dependencies=[Depends(verify_csrf)])
def enable_user(request: Request, name: str = Form(...), user=Depends(page_user)):
    """Re-activate a disabled user."""
    users = _managing(request, user, "user.enable")
    return _change(request, user, lambda: users.enable_user(
        name, actor=user.name, address=client_address(request)))


@router.post("/benutzer/passwort", response_class=HTMLResponse,
             dependencies=[Depends(verify_csrf)])
def reset_password(request: Request, name: str = Form(...), user=Depends(page_user)):
    """A new password for a user, shown once on the page that answers."""
    users = _managing(request, user, "user.password_reset")
    try:
        password = users.reset_password(name, actor=user.name, address=client_address(request))
    except UserError as e:
        return _page(request, user, status=404, error=str(e))
    return _page(request, user, reset=dict(name=name, password=password))
