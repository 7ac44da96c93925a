"""Session fixtures of the report tests: the seed's 2020 targets (examples/targets.csv) for the
default synthetic Jobcenter, read once through the steering store."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLE_TARGETS = Path(__file__).resolve().parents[2] / "examples" / "targets.csv"


@pytest.fixture(scope="session")
def example_targets(default_store, tmp_path_factory):
    """The StatusInputs of 2020 after ``amip targets import examples/targets.csv``."""
    from amip.steering import Steering, known_jobcenters, known_units
    from amip.steering.inputs import status_inputs

    view = default_store.view()
    store = tmp_path_factory.mktemp("steering") / "amip.duckdb"  # the SQLite file beside it
    with Steering.open(store) as steering:
        steering.import_targets(EXAMPLE_TARGETS, "test", None, known_units(view),
                                known_jobcenters(view))
        return status_inputs(steering, 2020)
