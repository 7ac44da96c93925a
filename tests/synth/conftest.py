"""The default synthetic Jobcenter, generated once per test session."""

from __future__ import annotations

import datetime as dt

import pytest

from amip.synth import generate


@pytest.fixture(scope="session")
def small():
    """A small, quick variant for properties that do not need the full default run."""
    def make(**kw):
        args = dict(scale=0.25, start=dt.date(2018, 1, 1), end=dt.date(2019, 12, 31))
        args.update(kw)
        return generate(**args)
    return make
