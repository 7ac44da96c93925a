import datetime as dt

import pytest


@pytest.fixture(scope="session")
def small_tables():
    """A small synthetic Jobcenter (a tenth of Elbe-Elster, 2012–2020): enough scoring dates
    for the time split, quick to train."""
    from amip.synth import generate

    return generate(scale=0.1, start=dt.date(2012, 1, 1))


@pytest.fixture(scope="session")
def small_store(small_tables):
    from amip.store import Store

    store = Store.memory()
    store.import_tables(small_tables, source="synth small")
    return store


@pytest.fixture(scope="session")
def small_store_file(tmp_path_factory, small_tables):
    from amip.store import Store

    path = tmp_path_factory.mktemp("risk") / "amip.duckdb"
    store = Store.open(path)
    store.import_tables(small_tables, source="synth small")
    store.close()
    return path
