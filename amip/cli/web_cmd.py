"""`amip serve` (the web app and REST API) and `amip users` (add, disable, enable, unlock,
reset-password, list)."""

from __future__ import annotations

import getpass
import os
import sys

import click

from amip.cli.store_cmds import existing_store
from amip.web.settings import Settings

STORE_HELP = "Datenbestand (DuckDB-Datei; Standard: $AMIP_STORE oder amip.duckdb)."
USERS_DB_HELP = "Benutzerdatenbank (SQLite; Standard: neben dem Datenbestand, *.users.sqlite)."


def _settings(store: str | None, users_db: str | None = None, **kw) -> Settings:
    try:
        return Settings(store=store or os.environ.get("AMIP_STORE", "amip.duckdb"),
                        users_db=users_db or "", **kw)
    except ValueError as e:
        raise click.UsageError(str(e)) from None


@click.command("serve")
@click.option("--store", "store", type=click.Path(dir_okay=False), help=STORE_HELP)
@click.option("--pg", "pg_url", help="Die Kennzahlen aus PostgreSQL lesen (Verbindungs-URL).")
@click.option("--users-db", type=click.Path(dir_okay=False), help=USERS_DB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse, auf der amip lauscht.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port.")
@click.option("--insecure-cookies", is_flag=True,
              help="Sitzungs-Cookie auch über unverschlüsseltes HTTP senden (nur lokal).")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="IP/CIDR",
              help="Ein TLS-Proxy, dessen X-Forwarded-For/-Proto-Kopfzeilen die Client-Adresse "
                   "angeben (wiederholbar; Standard: $AMIP_TRUSTED_PROXIES, sonst keiner).")
@click.option("--query-processes", type=click.IntRange(0, 64),
              default=max(0, (os.cpu_count() or 1) - 1), show_default="Kerne − 1",
              help="Hilfsprozesse für nicht zwischengespeicherte Berechnungen (0: im "
                   "Serverprozess).")
def serve_cmd(store, pg_url, users_db, host, port, insecure_cookies, trusted_proxies,
              query_processes) -> None:
    """Die Web-Anwendung (Dashboard) und die REST-API (/api/v1) starten."""
    import uvicorn

    from amip.web.app import create_app

    settings = _settings(store, users_db, postgres_url=pg_url,
                         secure_cookies=not insecure_cookies, query_processes=query_processes,
                         **({"trusted_proxies": list(trusted_proxies)} if trusted_proxies else {}))
    if not pg_url:
        existing_store(settings.store)
    app = create_app(settings)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    click.echo(f"amip läuft auf http://{shown}:{port}/  (API: http://{shown}:{port}/api/v1/docs)")
    if not insecure_cookies:
        click.echo("Hinweis: Sitzungs-Cookies nur über HTTPS (TLS-Proxy davor); lokal über "
                   "http:// mit --insecure-cookies starten.")
    if settings.trusted_proxies:
        click.echo("Client-Adressen aus X-Forwarded-For von: "
                   + ", ".join(settings.trusted_proxies))
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", proxy_headers=False)
    _quiet_exit_server(uvicorn.Server)(config).run()


def _quiet_exit_server(base):
    """uvicorn's Server, except that SIGTERM or SIGINT end ``amip serve`` normally (exit status
    0) after the graceful shutdown instead of re-raising the signal: Python's exit handlers then
    run, and the query helpers' queues and semaphores are released (no "leaked semaphore")."""
    import contextlib

    class Server(base):
        @contextlib.contextmanager
        def capture_signals(self):
            with super().capture_signals():
                yield
                self._captured_signals.clear()  # handled: shut down, do not die by it

    return Server


@click.group("users")
def users_group() -> None:
    """Benutzer der Web-Anwendung: anlegen, sperren, aktivieren, entsperren, neues Passwort,
    auflisten."""


def _store(store, users_db):
    from amip.web.users import UserStore

    return UserStore(_settings(store, users_db))


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid
        return "cli"


@users_group.command("add")
@click.argument("name")
@click.option("--role", required=True, help="geschaeftsfuehrung, controlling, teamleitung, ifk, "
                                            "lesezugriff, land (roles.toml).")
@click.option("--unit", "unit_id", help="Das Team (Teamleitung; das Team einer IFK): eine "
                                          "Einheit der Ebene team im Datenbestand; für die "
                                          "Rolle land das Land (z. B. BB).")
@click.option("--caseworker", "caseworker_id",
              help="Die Fallmanager-Kennung (Integrationsfachkraft), wie im Datenbestand.")
@click.option("--password-stdin", is_flag=True, help="Das Passwort von stdin lesen, statt eines "
                                                    "zu erzeugen.")
@click.option("--store", "store", type=click.Path(dir_okay=False), help=STORE_HELP)
@click.option("--users-db", type=click.Path(dir_okay=False), help=USERS_DB_HELP)
def users_add(name, role, unit_id, caseworker_id, password_stdin, store, users_db) -> None:
    """Einen Benutzer anlegen; zeigt das erzeugte Passwort einmal an."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    password = _with_users(store, users_db, lambda users: users.add_user(
        name, role, unit_id, caseworker_id, password, actor=_actor()))
    click.echo(f"Benutzer {name} ({role}) angelegt.")
    if not password_stdin:
        click.echo(f"Passwort (wird nur jetzt angezeigt): {password}")


def _with_users(store, users_db, change):
    """Run ``change(users)`` on the users database; a refused change is a usage error."""
    from amip.web.users import UserError

    users = _store(store, users_db)
    try:
        return change(users)
    except UserError as e:
        raise click.UsageError(str(e)) from None
    finally:
        users.close()


@users_group.command("disable")
@click.argument("name")
@click.option("--store", "store", type=click.Path(dir_okay=False), help=STORE_HELP)
@click.option("--users-db", type=click.Path(dir_okay=False), help=USERS_DB_HELP)
def users_disable(name, store, users_db) -> None:
    """Einen Benutzer sperren (beendet seine Sitzungen; wieder aktivieren mit enable)."""
    _with_users(store, users_db, lambda users: users.disable_user(name, actor=_actor()))
    click.echo(f"Benutzer {name} deaktiviert.")


@users_group.command("enable")
@click.argument("name")
@click.option("--store", "store", type=click.Path(dir_okay=False), help=STORE_HELP)
@click.option("--users-db", type=click.Path(dir_okay=False), help=USERS_DB_HELP)
def users_enable(name, store, users_db) -> None:
    """Einen gesperrten Benutzer wieder aktivieren (das Passwort bleibt)."""
    _with_users(store, users_db, lambda users: users.enable_user(name, actor=_actor()))
    click.echo(f"Benutzer {name} aktiviert.")


@users_group.command("reset-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Das neue Passwort von stdin lesen, statt "
                                                    "eines zu erzeugen.")
@click.option("--store", "store", type=click.Path(dir_okay=False), help=STORE_HELP)
@click.option("--users-db", type=click.Path(dir_okay=False), help=USERS_DB_HELP)
def users_reset_password(name, password_stdin, store, users_db) -> None:
    """Einem Benutzer ein neues Passwort geben (beendet seine Sitzungen); zeigt es einmal an."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    password = _with_users(store, users_db, lambda users: users.reset_password(
        name, actor=_actor(), password=password))
    click.echo(f"Neues Passwort für {name} gesetzt.")
    if not password_stdin:
        click.echo(f"Passwort (wird nur jetzt angezeigt): {password}")


@users_group.command("unlock")
@click.argument("name")
@click.option("--store", "store", type=click.Path(dir_okay=False), help=STORE_HELP)
@click.option("--users-db", type=click.Path(dir_okay=False), help=USERS_DB_HELP)
def users_unlock(name, store, users_db) -> None:
    """Die Anmeldesperre eines Benutzers aufheben (vergibt die gezählten Fehlversuche)."""
    n = _with_users(store, users_db, lambda users: users.unlock(name, actor=_actor()))
    click.echo(f"Anmeldesperre von {name} aufgehoben (gezählte Fehlversuche: {n}).")


@users_group.command("list")
@click.option("--store", "store", type=click.Path(dir_okay=False), help=STORE_HELP)
@click.option("--users-db", type=click.Path(dir_okay=False), help=USERS_DB_HELP)
def users_list(store, users_db) -> None:
    """Die Benutzer auflisten."""
    users = _store(store, users_db)
    try:
        rows = users.list_users()
    finally:
        users.close()
    for u in rows:
        click.echo(f"{u.name}\t{u.role}\t{u.unit_id or '-'}\t{u.caseworker_id or '-'}\t"
                   f"{'aktiv' if u.active else 'deaktiviert'}")
