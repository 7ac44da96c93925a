"""A local Spark session for the tests: ``spark`` (session fixture).

The tests start Spark themselves (local mode, :func:`amip.backends.spark_session.get_session`,
one JVM for the whole test session, stopped at its end); they are skipped, saying why, only
when Java or pyspark is missing.

Use in a test module: ``from tests.spark_fixture import spark  # noqa: F401``.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def spark():
    from amip.backends import spark_session

    reason = spark_session.available()
    if reason:
        pytest.skip(f"Spark kann hier nicht laufen: {reason}")
    session = spark_session.get_session()
    yield session
    spark_session.stop()
