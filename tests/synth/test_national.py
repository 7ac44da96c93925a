"""The national profile: 404 Jobcenter, their framework conditions and the built-in effect."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pyarrow.parquet as pq
import pytest

from amip.engine.calendar import parse_month
from amip.engine.indicators import compute
from amip.extract.schema import FRAMEWORK_CONDITIONS
from amip.extract.writer import write_extract
from amip.store import Store
from amip.synth import generate, national
from amip.synth.profile import jobcenter_list, load

ARGS = dict(profile="national", seed=7, start=dt.date(2018, 1, 1), end=dt.date(2020, 12, 31),
            today=dt.date(2026, 1, 1))


@pytest.fixture(scope="module")
def prof():
    return load("national")


@pytest.fixture(scope="module")
def tiny():
    return generate(jobcenters=6, scale=0.01, **ARGS)


def test_the_list_matches_the_profile(prof):
    jcs = jobcenter_list(prof)
    assert len(jcs) == 404 and len({j["id"] for j in jcs}) == 404
    assert Counter(j["kind"] for j in jcs) == {"ge": 300, "zkt": 104}
    laender = prof["national"]["laender"]
    assert Counter(j["land"] for j in jcs) == {lnd["code"]: lnd["jobcenters"] for lnd in laender}
    assert Counter(j["land"] for j in jcs if j["kind"] == "zkt") == \
        {lnd["code"]: lnd["zkt"] for lnd in laender if lnd["zkt"]}
    types = prof["national"]["vergleichstypen"]
    assert len(types) == 15
    assert Counter(j["vergleichstyp"] for j in jcs) == {t["label"]: t["jobcenters"] for t in types}
    # sized like Germany: the sizes add up to the national stock
    assert sum(j["size"] for j in jcs) == pytest.approx(prof["national"]["size_units"])
    # the first 16 are one per Land, the first N are a prefix of the list
    assert len({j["land"] for j in jcs[:16]}) == 16
    assert [j["id"] for j in jobcenter_list(prof, 6)] == [j["id"] for j in jcs[:6]]
    # a type is a labour-market band: every Jobcenter of band 1 has a lower rate than band 5
    band = {t["label"]: t["band"] for t in types}
    rate = lambda b: [j["unemployment_rate"] for j in jcs if band[j["vergleichstyp"]] == b]  # noqa
    assert max(rate(1)) <= min(rate(5))


def test_the_effect_is_the_declared_one(prof):
    """exit_factor = exp(Σ effect × (x − mean) + performance), worked for one Jobcenter."""
    jcs = jobcenter_list(prof)
    eff = prof["national"]["effects"]
    mean = {c: np.mean([j[c] for j in jcs]) for c in national.CONDITIONS}
    j = jcs[3]
    expected = sum(eff[c] * (j[c] - mean[c]) for c in national.CONDITIONS)
    assert j["expected"] == pytest.approx(expected)
    assert j["exit_factor"] == pytest.approx(np.exp(expected + j["performance"]))
    perf = [x["performance"] for x in jcs]
    assert np.std(perf) == pytest.approx(prof["national"]["performance_sd"], rel=0.15)
    # the truth is the same for any seed of the population: drawn from [national] seed only
    assert national.truth(prof, 3) == national.truth(load("national"), 3)


def test_tiny_extract_is_deterministic_with_the_columns(tiny):
    again = generate(jobcenters=6, scale=0.01, **ARGS)
    for name, table in tiny.items():
        assert table.equals(again[name]), name
    jc = tiny["jobcenters"].to_pylist()
    assert [r["land"] for r in jc] == ["SH", "HH", "NI", "HB", "NW", "HE"]
    assert all(r["vergleichstyp"] and r["kind"] in ("ge", "zkt") for r in jc)
    assert all(r[c] is not None for r in jc for c in FRAMEWORK_CONDITIONS)
    assert set(tiny["elb_spells"]["jobcenter_id"].to_pylist()) == {r["jobcenter_id"] for r in jc}


def test_partitioned_parquet_imports_and_k2_for_every_jobcenter(tiny, tmp_path):
    write_extract(tiny, tmp_path / "x", "parquet", partition=True)
    ids = tiny["jobcenters"]["jobcenter_id"].to_pylist()
    assert (tmp_path / "x" / "jobcenters.parquet").is_file()
    assert {p.stem for p in (tmp_path / "x" / "elb_spells").iterdir()} == set(ids)
    store = Store.memory()
    store.import_extract(tmp_path / "x")
    n = store.con.execute("SELECT count(*) FROM persons").fetchone()[0]
    assert n == tiny["persons"].num_rows  # every part read
    recs = compute(store.view(None), [parse_month("2019-12")], codes=["K2"])
    k2 = {r.jobcenter_id: r.value for r in recs if r.sex == "all"}
    assert set(k2) == set(ids) and all(v is not None and 0 < v < 100 for v in k2.values())


def test_an_extract_without_framework_conditions_still_imports(tiny, tmp_path):
    out = tmp_path / "x"
    write_extract(tiny, out, "parquet")
    jc = pq.read_table(out / "jobcenters.parquet").drop_columns(list(FRAMEWORK_CONDITIONS))
    pq.write_table(jc, out / "jobcenters.parquet")
    store = Store.memory()
    store.import_extract(out)
    rows = store.con.execute("SELECT count(*), count(urbanity) FROM jobcenters").fetchone()
    assert rows == (6, 0)


def test_built_in_effect_shows_in_k2(tmp_path):
    """Across 30 Jobcenter, K2 rises with the declared exit factor (known truth)."""
    n = 30
    tables = generate(jobcenters=n, scale=0.02, **ARGS)
    store = Store.memory()
    write_extract(tables, tmp_path / "x", "parquet")
    store.import_extract(tmp_path / "x")
    recs = compute(store.view(None), [parse_month("2019-12")], codes=["K2"])
    k2 = {r.jobcenter_id: r.value for r in recs if r.sex == "all"}
    truth = national.truth(load("national"), n)
    x = np.log([t["exit_factor"] for t in truth])
    y = np.log([k2[t["id"]] for t in truth])
    assert np.corrcoef(x, y)[0, 1] > 0.3
    assert np.polyfit(x, y, 1)[0] > 0.2


def test_from_keeps_the_history_lzb_needs(tmp_path):
    """--from 2018 keeps spells ending up to 730 days before 1.1.2018 and the households are
    simulated from 2005 either way: the LZB stock of January 2018 (24 months back) is the
    same as with --from 2016, Jobcenter by Jobcenter."""
    from amip.engine.population import lzb

    counts = {}
    for year in (2016, 2018):
        tables = generate(jobcenters=4, scale=0.005, **{**ARGS, "start": dt.date(year, 1, 1)})
        store = Store.memory()
        write_extract(tables, tmp_path / str(year), "parquet", partition=True)
        store.import_extract(tmp_path / str(year))
        t = lzb(store.view(None), dt.date(2018, 1, 15)).to_pyarrow().to_pylist()
        counts[year] = Counter((r["jobcenter_id"], r["is_lzb"]) for r in t)
    assert counts[2018] == counts[2016]
    assert sum(n for (_, is_lzb), n in counts[2018].items() if is_lzb) > 100


def test_cli_writes_one_file_per_jobcenter(tmp_path):
    from click.testing import CliRunner

    from amip.cli.main import cli

    out = tmp_path / "x"
    res = CliRunner().invoke(cli, ["synth", "--profile", "national", "--jobcenters", "3",
                                   "--scale", "0.002", "--from", "2019", "--format", "parquet",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.stem for p in (out / "bg_spells").iterdir()) == ["01014", "02001", "03036"]
    res = CliRunner().invoke(cli, ["synth", "--profile", "national", "--partition",
                                   "--out", str(tmp_path / "y")])
    assert res.exit_code == 2 and "nur mit --format parquet" in res.output
    res = CliRunner().invoke(cli, ["synth", "--profile", "national", "--jobcenters", "405",
                                   "--out", str(tmp_path / "z")])
    assert res.exit_code == 2 and "das Profil national hat 404 Jobcenter" in res.output
    assert not (tmp_path / "z").exists()
