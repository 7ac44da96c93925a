"""The hand-made cases run on DuckDB and on PostgreSQL (as tests/engine)."""

from tests.engine.conftest import backend, pytest_generate_tests  # noqa: F401
