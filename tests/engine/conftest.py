"""Every engine case runs on DuckDB and on PostgreSQL: the results must be identical.

Property tests (marked ``duckdb_only``) draw many random cases; they check the engine's logic,
which the backend matrix of the spec cases already covers on PostgreSQL.
"""

import pytest

from tests.engine.builder import Ex


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("duckdb_only")
        metafunc.parametrize("backend", ["duckdb"] if only else ["duckdb", "postgres"],
                             indirect=True)


@pytest.fixture(autouse=True)
def backend(request):
    if request.param == "postgres":
        Ex.postgres_url = request.getfixturevalue("pg_url")
    yield request.param
    Ex.postgres_url = None
