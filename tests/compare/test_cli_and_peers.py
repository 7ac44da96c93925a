"""`amip compare` on the national test store, and one Jobcenter among its peers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from amip.compare.records import EXPECTED_KEYS, FIGURE_KEYS
from amip.cli.main import cli
from amip.compare import figures, peers, rankings


def run(store, *args):
    return CliRunner().invoke(cli, ["compare", "--store", str(store), *args])


def test_figures_as_json_records(national_store):
    res = run(national_store, "--month", "2020-12", "--measure", "K2", "--measure", "K3E3",
              "--by", "land", "--format", "json")
    assert res.exit_code == 0, res.output
    recs = json.loads(res.output)
    assert all(tuple(r) == FIGURE_KEYS for r in recs)
    jcs = [r for r in recs if r["level"] == "jobcenter"]
    assert len(jcs) == 2 * 80 and {r["code"] for r in jcs} == {"K2", "K3E3"}
    nat = [r for r in recs if r["level"] == "national"]
    k2 = next(r for r in nat if r["code"] == "K2")
    # the national K2 is the pooled one: Σ Z / Σ N of the 80 Jobcenter
    z = sum(r["numerator"] for r in jcs if r["code"] == "K2")
    n = sum(r["denominator"] for r in jcs if r["code"] == "K2")
    assert k2["value"] == pytest.approx(z / n * 100) and k2["of"] == 80
    assert next(r for r in nat if r["code"] == "K3E3")["value"] is None
    assert {r["level"] for r in recs} == {"jobcenter", "national", "land"}
    top = [r for r in jcs if r["code"] == "K2" and r["rank"] == 1]
    assert top and all(r["by"] == "land" for r in top)


def test_figures_as_german_table_and_csv(national_store):
    res = run(national_store, "--month", "2020-12", "--measure", "K2")
    assert res.exit_code == 0, res.output
    assert "K2 Integrationsquote – Dezember 2020 – Rang im Vergleichstyp" in res.output
    assert "Bund" in res.output and " von " in res.output and "zusammen" in res.output
    res = run(national_store, "--month", "2020-12", "--measure", "K2", "--format", "csv")
    assert res.exit_code == 0
    assert res.output.lstrip("\ufeff").splitlines()[0] == ";".join(FIGURE_KEYS)


def test_expected_as_json_and_table(national_store):
    res = run(national_store, "--month", "2020-11", "--to", "2020-12", "--measure", "K2",
              "--expected", "--format", "json")
    assert res.exit_code == 0, res.output
    (b,) = json.loads(res.output)
    assert b["measure"] == "K2" and [f["month"] for f in b["fits"]] == ["2020-11", "2020-12"]
    assert set(b["rows"][0]) == set(EXPECTED_KEYS[1:])
    assert b["stability"][0]["previous"] == "2020-11"
    res = run(national_store, "--month", "2020-12", "--measure", "K2", "--expected")
    assert res.exit_code == 0, res.output
    assert "Einfluss der Rahmenbedingungen" in res.output and "Arbeitslosenquote" in res.output
    assert "erwartet gegen tatsächlich" in res.output


def test_bad_input_is_named(national_store):
    res = run(national_store, "--month", "2020-12", "--measure", "K9")
    assert res.exit_code == 2 and "unbekannte Kennzahl K9" in res.output
    res = run(national_store, "--month", "2020-12", "--measure", "K1E3", "--expected")
    assert res.exit_code == 2 and "kein Vergleichsmaß" in res.output
    res = run(national_store, "--month", "2020-12", "--jobcenter", "99999", "--measure", "K2")
    assert res.exit_code == 2 and "99999" in res.output
    res = run(national_store, "--month", "2031-01", "--measure", "K2")
    assert res.exit_code == 2 and "keine Kennzahlen" in res.output


def test_peers_of_one_jobcenter(national_view):
    """The position repeats the ranking and the Vergleichstyp's quartiles of the same month."""
    comp = figures(national_view, "2020-12", ["K2", "K2E1"])
    jc = comp.rows[5]
    p = peers(national_view, "2020-12", jc.jobcenter_id, ["K2", "K2E1"])
    assert p.jobcenter.jobcenter_id == jc.jobcenter_id and p.month == "2020-12"
    k2 = next(m for m in p.measures if m.code == "K2")
    rank = next(r for r in rankings(comp, "vergleichstyp")
                if r.code == "K2" and r.jobcenter_id == jc.jobcenter_id)
    assert k2.rank_vergleichstyp == rank
    vals = [r.figures["K2"].value for r in comp.rows if r.vergleichstyp == jc.vergleichstyp]
    assert (k2.q1, k2.median, k2.q3) == pytest.approx(tuple(np.percentile(vals, [25, 50, 75])))
    assert k2.peers == len(vals)
    assert k2.expectation is not None and k2.expectation.jobcenter_id == jc.jobcenter_id
    assert next(m for m in p.measures if m.code == "K2E1").expectation is None
