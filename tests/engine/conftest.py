"""Every engine case runs on DuckDB and on PostgreSQL: the results must be identical."""

import pytest

from tests.engine.builder import Ex


@pytest.fixture(autouse=True, params=["duckdb", "postgres"])
def backend(request):
    if request.param == "postgres":
        Ex.postgres_url = request.getfixturevalue("pg_url")
    yield request.param
    Ex.postgres_url = None
