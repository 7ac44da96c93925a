"""Shared test helpers: tiny hand-built extracts written as CSV text."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.pg_fixture import pg_url  # noqa: F401  (a private PostgreSQL for the session)

#: A small valid extract. Line numbers in tests refer to these texts (header = line 1).
BASE_EXTRACT: dict[str, str] = {
    "jobcenters": """
        jobcenter_id,name,kind,land,vergleichstyp
        03504,Jobcenter Elbe-Elster,ge,BB,
    """,
    "units": """
        unit_id,jobcenter_id,parent_unit_id,name,level
        u0,03504,,Jobcenter Elbe-Elster,jobcenter
        u1,03504,u0,Geschäftsstelle Finsterwalde,standort
        u11,03504,u1,Team Markt,team
    """,
    "persons": """
        person_id,sex,birth_date,citizenship,education
        p1,m,1980-01-01,de,vocational
        p2,w,1990-05-05,eu,none
        p3,d,2001-07-31,non_eu,unknown
    """,
    "bg_spells": """
        bg_id,jobcenter_id,bg_type,valid_from,valid_to,recorded_on
        b1,03504,single,2019-01-01,,2019-01-03
        b2,03504,single_parent,2019-02-01,,2019-02-03
    """,
    "elb_spells": """
        person_id,bg_id,jobcenter_id,status,bg_role,valid_from,valid_to,recorded_on
        p1,b1,03504,elb,head,2019-01-01,,2019-01-03
        p2,b2,03504,elb,head,2019-02-01,2019-12-31,2019-02-03
        p3,b2,03504,elb,child,2019-02-01,,2019-02-03
    """,
    "benefit_months": """
        person_id,month,llu_eur,luh_eur,recorded_on
        p1,2019-01,424.00,310.50,2019-02-01
        p2,2019-02,424,150.25,2019-03-01
    """,
    "casefile_checks": """
        check_id,person_id,area,checked_on,errors,items
        c1,p1,kdu,2019-03-01,1,20
    """,
}


def write_extract(directory: Path, changes: dict[str, str | None] | None = None,
                  base: dict[str, str] | None = None) -> Path:
    """Write BASE_EXTRACT (with ``changes``: table -> new text, or None to leave it out)."""
    files = dict(base or BASE_EXTRACT)
    files.update(changes or {})
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        if text is not None:
            (directory / f"{name}.csv").write_text(textwrap.dedent(text).strip() + "\n",
                                                   encoding="utf-8")
    return directory


def edit(table: str, old: str, new: str) -> dict[str, str]:
    """``changes`` for write_extract: one line of a base table replaced (must exist once)."""
    text = textwrap.dedent(BASE_EXTRACT[table])
    assert text.count(old) == 1, f"{old!r} must occur once in {table}"
    return {table: text.replace(old, new)}


@pytest.fixture(scope="session")
def default_tables():
    """The default synthetic Jobcenter (Elbe-Elster, 2009–2020), generated once per session."""
    from amip.synth import generate

    return generate()


def synth_description() -> str:
    """The ``extract.toml`` that ``amip synth`` writes for the default Jobcenter (2009–2020)."""
    import datetime as dt

    from amip.synth.recording import description

    return description(dt.date(2009, 1, 1), dt.date(2020, 12, 31))


@pytest.fixture(scope="session")
def default_store(default_tables):
    """The default synthetic Jobcenter imported (validated) into an in-memory store."""
    from amip.store import Store

    store = Store.memory()
    store.import_tables(default_tables, source="synth default", description=synth_description())
    return store


@pytest.fixture(scope="session")
def calibration_rows(default_store):
    """``amip synth --check``'s comparison of the default Jobcenter, by target."""
    from amip.synth.calibration import check

    return {r.target: r for r in check(default_store)}


@pytest.fixture(scope="session")
def store_file(tmp_path_factory, default_tables):
    """The default synthetic Jobcenter imported into a store file (for commands and the web)."""
    from amip.store import Store

    path = tmp_path_factory.mktemp("store") / "amip.duckdb"
    store = Store.open(path)
    store.import_tables(default_tables, source="synth default", description=synth_description())
    store.close()
    return path


@pytest.fixture
def extract(tmp_path):
    """Factory: extract(changes) -> path of a written extract folder."""
    counter = iter(range(1000))

    def make(changes=None, base=None):
        return write_extract(tmp_path / f"extract{next(counter)}", changes, base)

    return make
