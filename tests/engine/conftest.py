"""Every engine case runs on DuckDB and on PostgreSQL: the results must be identical. The spec
cases of the facts also run on a DuckDB store with the tables an import prepares
(:mod:`amip.engine.prepared`; ``duckdb-prepared``), which are read instead of derived.

Property tests (marked ``duckdb_only``) draw many random cases; they check the engine's logic,
which the backend matrix of the spec cases already covers on PostgreSQL.
"""

import pytest

from tests.engine.builder import Ex

#: the modules of the facts' spec cases (LZB days, the month's Jobcenter, entries)
FACT_CASES = ("test_lzb_and_stocks", "test_integrations")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("duckdb_only")
        backends = ["duckdb"] if only else ["duckdb", "postgres"]
        if metafunc.module.__name__.rpartition(".")[2] in FACT_CASES:
            backends.append("duckdb-prepared")
        metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture(autouse=True)
def backend(request):
    if request.param == "postgres":
        Ex.postgres_url = request.getfixturevalue("pg_url")
    Ex.prepared = request.param == "duckdb-prepared"
    yield request.param
    Ex.postgres_url = None
    Ex.prepared = False
