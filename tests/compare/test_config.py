"""compare.toml is checked on load: a broken entry names the file and the key."""

from __future__ import annotations

import copy

import pytest

import amip.compare.config as cfgmod
from amip.catalogue import CatalogueError


def test_the_declared_file_loads():
    c = cfgmod.config()
    assert c.regressors == ("unemployment_rate", "urbanity", "foreign_share")
    assert "K2" in c.measures and 0 < c.level < 1
    assert "mean_rate" not in c.aggregate_forms


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["regressors"].append({"name": "kreisgroesse", "label": "x"}),
     "'kreisgroesse' ist keine Spalte der Tabelle jobcenters"),
    (lambda d: d["benchmark"].update(measures=["K2", "K1E3"]), "K1E3 hat die Form mean_rate"),
    (lambda d: d["benchmark"].update(measures=["K9"]), "unbekannte Kennzahl 'K9'"),
    (lambda d: d["benchmark"].update(level=1.5), "level: 1.5"),
    (lambda d: d["aggregate"].update(forms=["mean_rate"]), r"\[aggregate\] forms"),
])
def test_a_broken_entry_is_named(monkeypatch, edit, message):
    raw = copy.deepcopy(cfgmod._read("compare.toml"))
    edit(raw)
    monkeypatch.setattr(cfgmod, "_read", lambda name: raw)
    cfgmod.config.cache_clear()
    try:
        with pytest.raises(CatalogueError, match=message) as e:
            cfgmod.config()
        assert "compare.toml" in str(e.value)
    finally:
        monkeypatch.undo()
        cfgmod.config.cache_clear()
