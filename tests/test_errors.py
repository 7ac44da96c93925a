"""One root error type: amip's errors derive from AmipError, the shells catch it (never a bare
``Exception``) and show its German message."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from amip.catalogue import CatalogueError
from amip.engine.indicators import UnknownUnit
from amip.errors import AmipError, NotFound, StoreError
from amip.extract.csvfile import CsvProblem
from amip.extract.errors import ExtractInvalid
from amip.extract.files import FileProblem
from amip.extract.writer import OutputNotEmpty
from amip.store.postgres import PublishRefused
from amip.store.store import StoreLocked
from amip.store.swap import ImportRunning
from amip.web.users import LockedOut, UserError

AMIP = Path(__file__).resolve().parents[1] / "amip"


@pytest.mark.parametrize("cls, old_base", [
    (ExtractInvalid, Exception), (FileProblem, Exception), (CsvProblem, Exception),
    (OutputNotEmpty, FileExistsError), (StoreLocked, RuntimeError), (ImportRunning, RuntimeError),
    (PublishRefused, RuntimeError), (UnknownUnit, ValueError), (CatalogueError, ValueError),
    (UserError, ValueError), (LockedOut, Exception),
])
def test_every_error_derives_from_the_root_and_keeps_its_old_base(cls, old_base):
    assert issubclass(cls, AmipError) and issubclass(cls, old_base)


def _broad_handlers(source: str) -> list[int]:
    """Lines of ``except Exception``/``BaseException``/bare ``except`` that do not re-raise."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ExceptHandler):
            continue
        names = [n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)] if node.type else []
        broad = node.type is None or {"Exception", "BaseException"} & set(names)
        reraises = any(isinstance(n, ast.Raise) and n.exc is None for n in ast.walk(node))
        if broad and not reraises:
            found.append(node.lineno)
    return found


def test_the_shells_never_catch_a_bare_exception():
    files = sorted((AMIP / "cli").rglob("*.py")) + sorted((AMIP / "web").rglob("*.py"))
    assert files
    assert {f"{f.relative_to(AMIP.parent)}:{line}" for f in files
            for line in _broad_handlers(f.read_text(encoding="utf-8"))} == set()


def test_the_check_finds_a_broad_handler():
    """The check above can fail; a handler that re-raises (a rollback) passes."""
    assert _broad_handlers("try:\n    pass\nexcept (OSError, Exception):\n    pass\n") == [3]
    assert _broad_handlers("try:\n    pass\nexcept:\n    pass\n") == [3]
    assert _broad_handlers("try:\n    pass\nexcept BaseException:\n    undo()\n    raise\n") == []


def test_the_cli_prints_the_german_message_and_exits_non_zero(monkeypatch, capsys):
    from amip.cli import main as cli_main

    @click.command("fail-for-test")
    def fail():
        raise StoreError("Datenbestand x.duckdb ist nicht lesbar")

    cli_main.cli.add_command(fail)
    monkeypatch.setattr("sys.argv", ["amip", "fail-for-test"])
    try:
        with pytest.raises(SystemExit) as exit_:
            cli_main.main()
    finally:
        cli_main.cli.commands.pop("fail-for-test")
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip() == "Fehler: Datenbestand x.duckdb ist nicht lesbar"


def test_the_web_answers_with_the_status_and_message_of_the_error():
    from amip.web import problems

    app = FastAPI()
    problems.install(app)

    @app.get("/api/v1/thing")
    def thing():
        raise NotFound("Einheit 'u9' gibt es nicht")

    r = TestClient(app).get("/api/v1/thing")
    assert r.status_code == 404
    assert r.json()["detail"] == "Einheit 'u9' gibt es nicht"
