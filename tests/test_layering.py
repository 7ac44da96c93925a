"""Arrows point down: the shells (cli, web, reports) use the core, never the other way round, and
the shells do not reach into each other or past the core (docs/architecture, "The next layout").

Read from the source with :mod:`ast` (every ``import`` and ``from … import``, also inside
functions), not from what importing a module happens to load."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "amip"
CORE = ("engine", "catalogue", "store", "extract", "backends", "steering")
#: a module's package (below amip) → packages it must not import; the web's report-download
#: module is the one place the web may use the reports package
FORBIDDEN = {
    "web": {"cli", "reports"},
    "reports": {"store", "cli", "web", "backends"},
    "cli": {"web.pages", "web.api"},
    **{core: {"cli", "web", "reports", "attainment"} for core in CORE},
    # attainment: pure arithmetic over engine records and duck-typed steering rows
    "attainment": {"cli", "web", "reports", "steering", "store", "backends"},
    # risk: the early warning reads the store and the engine; shells call it
    "risk": {"cli", "web", "reports", "attainment", "steering"},
    # compare: all Jobcenter compared; reads the engine, shells call it
    "compare": {"cli", "web", "reports", "attainment", "steering"},
}
ALLOWED = {("web/report_pages.py", "reports")}


def imported(path: Path, root: Path = ROOT) -> set[str]:
    """Every ``amip.…`` module the file imports (relative imports resolved)."""
    package = path.relative_to(root.parent).with_suffix("").parts[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + (base,)).strip(".")
            out.add(base)
            if base == "amip":  # from amip import cli
                out.update(f"amip.{a.name}" for a in node.names)
    return {m for m in out if m == "amip" or m.startswith("amip.")}


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        top = rel.split("/")[0].removesuffix(".py")
        for target in sorted(imported(path, root)):
            for banned in FORBIDDEN.get(top, ()):
                name = f"amip.{banned}"
                if (target == name or target.startswith(name + ".")) \
                        and (rel, banned) not in ALLOWED:
                    found.append(f"{rel} imports {target}")
    return found


def test_arrows_point_down():
    assert violations() == []


def test_core_modules_are_not_shells():
    """The shared core modules at the top of the package import no shell either."""
    for name in ("disclosure.py", "errors.py", "charts.py"):
        path = ROOT / name
        if path.exists():
            shells = {m for m in imported(path)
                      if m.split(".")[1:2] and m.split(".")[1] in ("cli", "web", "reports")}
            assert not shells, f"{name} imports {shells}"


def test_the_attainment_arithmetic_imports_only_the_catalogue():
    """Zielpfad, gap, light, proposal and records are pure: only amip.catalogue (and each
    other); status.py alone joins them with the engine."""
    for name in ("arithmetic.py", "planning.py", "records.py", "__init__.py"):
        found = {m for m in imported(ROOT / "attainment" / name)
                 if not m.startswith(("amip.catalogue", "amip.attainment"))}
        assert not found, f"attainment/{name} imports {found}"


@pytest.mark.parametrize("where, source, expected", [
    ("web/x.py", "from amip.cli.main import cli", "web/x.py imports amip.cli.main"),
    ("web/x.py", "def f():\n    import amip.reports.monthly\n",
     "web/x.py imports amip.reports.monthly"),
    ("web/x.py", "from amip import reports", "web/x.py imports amip.reports"),
    ("web/x.py", "from ..reports import figures", "web/x.py imports amip.reports"),
    ("web/x.py", "from .. import cli", "web/x.py imports amip.cli"),
    ("reports/x.py", "from amip.store import Store", "reports/x.py imports amip.store"),
    ("engine/x.py", "from amip.web.services import Services",
     "engine/x.py imports amip.web.services"),
    ("engine/x.py", "from amip.attainment import light", "engine/x.py imports amip.attainment"),
    ("attainment/x.py", "import amip.steering", "attainment/x.py imports amip.steering"),
])
def test_a_wrong_import_is_found(tmp_path, where, source, expected):
    """The check can fail: a planted import in each forbidden direction is reported."""
    path = tmp_path / "amip" / where
    path.parent.mkdir(parents=True)
    path.write_text(source, encoding="utf-8")
    assert expected in violations(tmp_path / "amip")


def test_the_report_download_module_may_use_the_reports(tmp_path):
    path = tmp_path / "amip" / "web" / "report_pages.py"
    path.parent.mkdir(parents=True)
    path.write_text("from amip.reports.export import write_xlsx\n", encoding="utf-8")
    assert violations(tmp_path / "amip") == []
