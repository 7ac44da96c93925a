"""Caseworkers' decisions on early-warning scores: versioned, a reason to deviate, stale refused."""

import pytest

from amip.errors import DataError
from amip.steering import StaleChange, Steering


@pytest.fixture
def st(tmp_path):
    with Steering.open(tmp_path / "amip.duckdb") as s:
        yield s


def test_decisions_are_versions(st):
    first = st.decide("P1", "2020-11", "folgen", "anna", score=0.8)
    assert (first.version, first.caseworker, str(first.score)) == (1, "anna", "0.8")
    with pytest.raises(DataError, match="Grund"):
        st.decide("P1", "2020-11", "abweichen", "anna", expected_version=1)
    with pytest.raises(StaleChange, match="anna"):
        st.decide("P1", "2020-11", "abweichen", "bert", reason="x", expected_version=0)
    second = st.decide("P1", "2020-11", "abweichen", "bert", reason="Zusage liegt vor",
                       caseworker="cw-1", expected_version=1)
    assert second.version == 2 and second.caseworker == "cw-1"
    assert [d.decision for d in st.decisions()] == ["abweichen"]
    assert [d.decision for d in st.decision_history("P1")] == ["folgen", "abweichen"]
    with pytest.raises(DataError, match="unbekannt"):
        st.decide("P2", "2020-11", "ignorieren", "anna")
