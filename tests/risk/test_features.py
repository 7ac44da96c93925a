"""Features read only what was recorded by the scoring date; the in-memory as-of rows and LZB
agree with the store view and the engine."""

import datetime as dt

import pandas as pd

from amip.engine.calendar import epoch_day, parse_month, stichtag
from amip.engine.population import lzb
from amip.risk.features import History, as_of_rows, frame_at, islands, lzb_at, risk_catalogue
from tests.engine.builder import Ex

MONTH = parse_month("2020-06")  # scoring date 30.6.2020, Stichtag 15.6.2020


def case(later: dict) -> Ex:
    """P1 and P2 in benefit; ``later`` = the rows recorded after 30.6.2020 (they must not count).
    P1's spell was recorded open; a closure, a job and a benefit month arrive later."""
    ex = Ex()
    ex.elb("P1", "2019-01-01", None, recorded_on="2019-01-05")
    ex.elb("P1", "2019-01-01", later["closed"], recorded_on=later["closed_on"])  # correction
    ex.job("P1", later["job_from"], None, kind=later["job_kind"], recorded_on=later["job_on"])
    ex.benefit("P1", "2020-05", "300.00", recorded_on="2020-06-02")
    ex.benefit("P1", "2020-06", later["llu"], recorded_on=later["llu_on"])
    ex.elb("P2", "2020-01-01", None, recorded_on="2020-01-03")
    ex.elb("P3", "2017-01-01", None, recorded_on="2017-01-03")  # LZB: not in the population
    return ex


BASE = dict(closed="2020-03-31", closed_on="2020-07-10", job_from="2020-05-01", job_kind="sv",
            job_on="2020-07-05", llu="500.00", llu_on="2020-07-03")
OTHER = dict(closed="2020-02-28", closed_on="2020-08-01", job_from="2020-04-01",
             job_kind="marginal", job_on="2020-09-01", llu="900.00", llu_on="2020-07-20")


def features(params: dict) -> pd.DataFrame:
    db = case(params).store().view()
    return frame_at(History(db, "03504"), MONTH)


def test_rows_recorded_after_the_scoring_date_change_nothing():
    base, other = features(BASE), features(OTHER)
    pd.testing.assert_frame_equal(base, other)
    assert list(base.index) == ["P1", "P2"]  # P3 is LZB at ST(2020-06): not scored
    p1 = base.loc["P1"]
    # as known on 30.6.: the spell still open -> in benefit since 1.1.2019 (17 full months),
    # no job, the May benefit month only (June's was recorded in July)
    assert p1.elb_current_months == 17 and p1.employed_now == 0
    assert p1.llu_mean_6m == 300


def test_the_same_rows_recorded_in_time_do_count():
    # the control: recorded by 30.6. (the job, the June month), the features change
    early = dict(BASE, job_on="2020-06-20", llu_on="2020-06-30")
    f = features(early).loc["P1"]
    assert f.employed_now == 1 and f.llu_mean_6m == 400  # (300 + 500) / 2


def test_as_of_rows_match_the_store_view():
    store = case(BASE).store()
    day = dt.date(2020, 7, 15)
    view = store.view(day)
    h = History(store.view(), "03504")
    mine = h.rows("elb_spells", epoch_day(day))
    want = view.table("elb_spells").to_pyarrow().to_pandas()
    got = sorted(zip(h.codes[mine.person_id], mine.valid_to))
    assert len(got) == len(want)
    # P1's closure (recorded 10.7.) is known on 15.7.: the corrected spell ends 31.3.2020
    assert got[0] == ("P1", epoch_day(dt.date(2020, 3, 31)))
    # the generic path (no prepared key) gives the same rows
    raw = h.raw["elb_spells"].drop(columns="_key")
    assert len(as_of_rows(raw, "elb_spells", epoch_day(day))) == len(mine)


def test_lzb_matches_the_engine(small_store):
    view = small_store.view()
    h = History(view, "03504")
    elb = h.rows("elb_spells", None)
    elb = elb[elb.status == "elb"]
    for month in ("2016-03", "2019-11"):
        m = parse_month(month)
        mine = lzb_at(elb, islands(elb), epoch_day(stichtag(m)), "03504")
        mine = dict(zip(h.codes[mine.person_id], mine.is_lzb))
        engine = lzb(view, stichtag(m)).to_pyarrow().to_pylist()
        assert mine == {r["person_id"]: r["is_lzb"] for r in engine if r["jobcenter_id"] == "03504"}


def test_every_declared_feature_is_computed(small_store):
    f = frame_at(History(small_store.view(), "03504"), parse_month("2018-06"))
    assert set(risk_catalogue().features) <= set(f.columns)
    assert not f[list(risk_catalogue().features)].isna().any().any()
    # protected attributes are kept for the audit, not inputs by default
    inputs = risk_catalogue().inputs()
    assert "age_u25" not in inputs and "sex" not in inputs and "elb_days_730" in inputs
    assert {"sex", "citizenship", "severely_disabled", "age_group"} <= set(f.columns)
