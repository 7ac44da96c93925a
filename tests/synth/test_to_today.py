"""Rules in force through today: a synthetic extract runs to 2026 and computes; the catalogue
names the benefit valid on a date (ALG II, Bürgergeld, Grundsicherungsgeld)."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from amip.catalogue import load
from amip.cli.main import cli
from amip.cli.synth_cmd import _last_day


@pytest.mark.parametrize("day, name", [("2019-06-15", "Arbeitslosengeld II"),
                                       ("2022-12-31", "Arbeitslosengeld II"),
                                       ("2023-01-01", "Bürgergeld"),
                                       ("2026-06-30", "Bürgergeld"),
                                       ("2026-07-01", "Grundsicherungsgeld"),
                                       ("2026-12-15", "Grundsicherungsgeld")])
def test_benefit_name_in_force(day, name):
    benefit = load().benefit_for(dt.date.fromisoformat(day))
    assert benefit.name == name and benefit.source


def test_the_vo_2019_is_in_force_through_today_and_redefines_k2e3_only():
    cat = load()
    assert cat.rules_for(dt.date(2026, 11, 15)).key == "vo2019"
    assert cat.rule_break("K2E3", "vo2010", "vo2019").key == "vo2019"
    assert [c for c in cat.indicators if cat.rule_break(c, "vo2010", "vo2019")] == ["K2E3"]
    assert "15.03.2019" in cat.rules["vo2019"].title  # the newest amendment (see rules.toml)


def test_to_accepts_a_year_or_a_month():
    assert _last_day("2026") == dt.date(2026, 12, 31)
    assert _last_day("2026-06") == dt.date(2026, 6, 30)
    assert _last_day("2024-02") == dt.date(2024, 2, 29)


def test_generate_never_records_after_today():
    from amip.synth import generate

    tables = generate(scale=0.05, start=dt.date(2025, 1, 1), end=dt.date(2026, 12, 31),
                      today=dt.date(2026, 9, 10))
    for name, t in tables.items():
        if "recorded_on" in t.column_names:
            assert pc.max(t["recorded_on"]).as_py() <= dt.date(2026, 9, 10), name


def test_synth_to_2026_imports_and_computes(tmp_path):
    """The smallest run (--scale 0.05) from 2018 to 2026-12: imported, June 2026 has values
    (K2E3 needs ST(Dec 2026), which the data do not reach before then)."""
    runner = CliRunner()
    out, store = tmp_path / "x", tmp_path / "amip.duckdb"
    r = runner.invoke(cli, ["synth", "--out", str(out), "--scale", "0.05", "--from", "2018",
                            "--to", "2026-12"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["import", str(out), "--store", str(store)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["indicators", "--store", str(store), "--month", "2026-06",
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    records = {(x["code"], x["sex"]): x for x in json.loads(r.output)}
    for code in ("K1", "K1E2", "K2", "K3"):
        assert isinstance(records[(code, "all")]["value"], float), code
    assert records[("K1", "all")]["numerator"] > 0
