"""A synthetic national store shared by the compare tests (80 Jobcenter, scale 0,02, 2019–2020:
about 30 s to generate and import)."""

from __future__ import annotations

import datetime as dt

import pytest

from amip.store import Store
from amip.synth import generate

N_JOBCENTERS, SCALE = 80, 0.02


@pytest.fixture(scope="session")
def national_store(tmp_path_factory):
    """The path of a DuckDB store holding the first 80 national Jobcenter (seed 7)."""
    tables = generate(jobcenters=N_JOBCENTERS, scale=SCALE, profile="national", seed=7,
                      start=dt.date(2019, 1, 1), end=dt.date(2020, 12, 31),
                      today=dt.date(2026, 1, 1))
    path = tmp_path_factory.mktemp("national") / "amip.duckdb"
    with Store.open(path) as store:
        store.import_tables(tables, source="national synth")
    return path


@pytest.fixture
def national_view(national_store):
    store = Store.open(national_store, read_only=True)
    yield store.view()
    store.close()
