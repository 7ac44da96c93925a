"""The default profile reproduces the published figures of Jobcenter Elbe-Elster."""

from __future__ import annotations

import pytest

from amip.synth.profile import load

TARGETS = [t["id"] for t in load("elbe-elster")["targets"]]


def test_every_target_has_source_and_tolerance():
    for t in load("elbe-elster")["targets"]:
        assert t.get("source") and t.get("label")
        assert ("tolerance" in t) != ("tolerance_abs" in t), t["id"]


@pytest.mark.parametrize("target", TARGETS)
def test_target_within_tolerance(calibration_rows, target):
    r = calibration_rows[target]
    assert r.ok, (f"{r.label} ({r.reference}): erzeugt {r.generated:.1f}, Ziel {r.target_value:g}, "
                  f"Abweichung {r.deviation_pct:.1f} %, Toleranz {r.tolerance}")
