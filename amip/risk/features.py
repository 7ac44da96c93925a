"""Targets and features of the early warning, as of a scoring date.

A *scoring month* M has the scoring date D = the last day of M. The features describe each
person's situation at the Stichtag ST(M) and use only rows recorded by D: every table with
``recorded_on`` is read as the store view ``db.at(D)`` would read it (rows recorded after D hidden,
the latest correction by D wins, §10.1 items 15–16); tables without it are cut by their own date
(prognoses by ``assessed_on``, contacts by ``contact_on``). The population: ELB in the stock of
the Jobcenter at ST(M), not LZB at ST(M) (§10 items 2, 8), each as known on D.

Targets (declared in amip/catalogue/risk.toml): ``lzb_h`` — LZB at the Stichtag of one of the
months M+1..M+h (current data: what actually happened; in the ELB stock of any Jobcenter, since
LZB days count across Jobcenter); ``lza_12`` — for ELB registered unemployed at ST(M) who are not
yet langzeitarbeitslos: arbeitslos for at least 364 days at one of the next 12 Stichtage
(§ 18 SGB III, statistical reading of the domain reference §4.2, as :mod:`amip.engine.population`).

For speed the stored rows of a Jobcenter's persons are read once (:class:`History`) and each
scoring date's as-of view is taken in memory (:func:`as_of_rows`, the rule of
:func:`amip.store.views.current_rows`; tests check both give the same rows and the same LZB as the
engine). Day arithmetic is on epoch days, as in the engine.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import ibis
import numpy as np
import pandas as pd

from amip.catalogue import CatalogueError
from amip.catalogue import load as load_catalogue
from amip.engine.calendar import OPEN_END, epoch_day, month_end, stichtag
from amip.engine.population import AGE_GROUPS, LZA_MIN_DAYS
from amip.extract.schema import TABLES

CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue" / "risk.toml"
DAYS_PER_MONTH = 30.4
SPELLS = ("elb_spells", "bg_spells", "employment_spells", "measure_spells",
          "unemployment_spells", "person_flags")
EMPLOYED = ("sv", "apprenticeship", "self_employed")


@dataclass(frozen=True)
class Feature:
    id: str
    kind: str  # count | flag
    reason: str
    source: str
    protected: bool = False


@dataclass(frozen=True)
class Target:
    id: str
    name: str
    short: str
    horizon: int
    kind: str  # lzb | lza
    source: str


@dataclass(frozen=True)
class RiskCatalogue:
    features: dict[str, Feature]
    targets: dict[str, Target]
    audit: dict[str, dict]  # attribute -> {"name": ..., "values": {code: label}}

    def inputs(self, with_protected: bool = False) -> list[str]:
        """The model inputs: every declared feature, protected ones only when asked for."""
        return [f.id for f in self.features.values() if with_protected or not f.protected]


@cache
def risk_catalogue() -> RiskCatalogue:
    try:
        raw = tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))
        features = {k: Feature(id=k, **v) for k, v in raw["features"].items()}
        targets = {k: Target(id=k, **v) for k, v in raw["targets"].items()}
    except (tomllib.TOMLDecodeError, TypeError, KeyError) as e:
        raise CatalogueError(f"{CATALOGUE}: {e}") from e
    for f in features.values():
        if f.kind not in ("count", "flag") or (f.kind == "count") != ("{n}" in f.reason):
            raise CatalogueError(f"{CATALOGUE} [features.{f.id}]: kind {f.kind!r} and reason "
                                 "do not fit ({n} only and always in a count)")
    return RiskCatalogue(features, targets, raw["audit"])


# -- the stored rows, once ----------------------------------------------------------------------

def _frame(t: ibis.Table) -> pd.DataFrame:
    """An Ibis table as pandas with every date column as epoch days (open end = OPEN_END)."""
    df = t.to_pyarrow().to_pandas()
    for c in ("valid_from", "valid_to", "recorded_on", "assessed_on", "contact_on", "birth_date"):
        if c in df.columns:
            d = pd.to_datetime(df[c])
            days = (d - pd.Timestamp("1970-01-01")).dt.days
            df[c] = days.fillna(OPEN_END).astype("int64") if c == "valid_to" else days
    return df


def as_of_rows(raw: pd.DataFrame, name: str, as_of: int | None) -> pd.DataFrame:
    """The rows of a stored table as known on epoch day ``as_of``: rows recorded later hidden, per
    key the latest ``recorded_on`` (then the latest import) wins — the rule of
    :func:`amip.store.views.current_rows`, on rows already in memory."""
    spec = TABLES[name]
    if as_of is not None and spec.has_recorded_on:
        raw = raw[raw.recorded_on <= as_of]
    if "_key" in raw.columns:  # prepared by History: sorted once, the key as one integer
        return raw.drop_duplicates("_key", keep="last")
    order = (["recorded_on"] if spec.has_recorded_on else []) + ["_import_id"]
    raw = raw.sort_values(order, kind="stable")
    return raw.drop_duplicates(list(spec.key), keep="last")


def _prepare(raw: pd.DataFrame, name: str, codes: pd.Index) -> pd.DataFrame:
    """Sorted for :func:`as_of_rows`, the key as one integer ``_key``, person_id as an integer
    code into ``codes`` (grouping on integers is what makes a scoring date fast)."""
    spec = TABLES[name]
    order = (["recorded_on"] if spec.has_recorded_on else []) + ["_import_id"]
    raw = raw.sort_values(order, kind="stable").reset_index(drop=True)
    if "person_id" in raw.columns:
        raw["person_id"] = codes.get_indexer(raw.person_id)
    raw["_key"] = raw.groupby(list(spec.key), sort=False).ngroup()
    return raw


class History:
    """The stored rows of the persons who ever were ELB of one Jobcenter (all their rows, of any
    Jobcenter), read once from a store view; ``rows(name, as_of)`` gives a table as known then."""

    def __init__(self, db, jobcenter_id: str, month: int | None = None) -> None:
        """``month``: only what scoring that month needs (the persons with a stored ``elb`` row
        of the Jobcenter covering its Stichtag — every version, so a superset of the stock as
        known on any day — and their last 6 benefit months): reads far less."""
        self.jobcenter_id = jobcenter_id
        e = db.recorded("elb_spells")
        e = e.filter(e.jobcenter_id == jobcenter_id)
        if month is not None:
            st = ibis.literal(stichtag(month), "date")
            e = e.filter((e.valid_from <= st) & (e.valid_to.isnull() | (e.valid_to >= st)))
        ids = e.select("person_id").distinct()
        self.raw: dict[str, pd.DataFrame] = {}
        self.codes = pd.Index(sorted(ids.to_pyarrow().column(0).to_pylist()), name="person_id")
        for name in SPELLS + ("benefit_months",):
            t = db.recorded(name)
            if name == "bg_spells":
                t = t.filter(t.jobcenter_id == jobcenter_id)
            else:
                t = t.semi_join(ids, "person_id")
            if name == "benefit_months" and month is not None:  # the key: exact before correction
                lo = (stichtag(month - 6)).strftime("%Y-%m")
                t = t.filter(t.month > lo)
            if name == "benefit_months":  # money as float: features are means, not sums to show
                m = t.month.substr(0, 4).cast("int64") * 12 + t.month.substr(5, 2).cast("int64") - 1
                t = t.select("person_id", "month", "recorded_on", "_import_id", m=m,
                             llu_eur=t.llu_eur.cast("float64"))
            self.raw[name] = _prepare(_frame(t), name, self.codes)
        c = db.table("contacts")
        c = c.filter(c.kind == "beratung").select("person_id", "contact_on")
        for name, t in (("persons", db.table("persons")), ("prognoses", db.table("prognoses")), ("contacts", c)):
            df = _frame(t.semi_join(ids, "person_id"))
            df["person_id"] = self.codes.get_indexer(df.person_id)
            self.raw[name] = df
        self._latest = db.latest_recorded_on(("elb_spells",))
        self._frames: dict[int, pd.DataFrame] = {}

    @property
    def last_label_month(self) -> int | None:
        """The latest month whose Stichtag the data reach (labels need ST(M+h) ≤ it)."""
        return _month_reached(self._latest)

    def frame(self, month: int) -> pd.DataFrame:
        """:func:`frame_at` of ``month``, computed once (the targets share it)."""
        if month not in self._frames:
            self._frames[month] = frame_at(self, month)
        return self._frames[month]

    def rows(self, name: str, as_of: int | None) -> pd.DataFrame:
        return as_of_rows(self.raw[name], name, as_of)


def _month_reached(day: dt.date | None) -> int | None:
    if day is None:
        return None
    m = day.year * 12 + day.month - 1
    return m if stichtag(m) <= day else m - 1


def latest_month(db) -> int | None:
    """The latest month whose Stichtag the benefit spells reach: the default scoring month."""
    return _month_reached(db.latest_recorded_on(("elb_spells",)))


# -- LZB, LZA and benefit islands --------------------------------------------------------------

def islands(spells: pd.DataFrame) -> pd.DataFrame:
    """A person's ``elb`` periods merged into islands of consecutive days (overlaps once, across
    BGs and Jobcenter; §10 item 8): person_id, a, b (epoch days, both inclusive)."""
    s = spells[["person_id", "valid_from", "valid_to"]].sort_values(
        ["person_id", "valid_from", "valid_to"])
    reach = s.groupby("person_id").valid_to.cummax().groupby(s.person_id).shift()
    new = reach.isna() | (s.valid_from > reach + 1)
    s = s.assign(island=new.astype("int64").groupby(s.person_id).cumsum())
    return s.groupby(["person_id", "island"], as_index=False).agg(
        a=("valid_from", "min"), b=("valid_to", "max"))


def net_days(isl: pd.DataFrame, st: int, window: int) -> pd.Series:
    """person_id → net ELB days in the ``window`` days ending with ``st`` (inclusive)."""
    lo = np.maximum(isl.a.to_numpy(), st - (window - 1))
    hi = np.minimum(isl.b.to_numpy(), st)
    d = np.clip(hi - lo + 1, 0, None)
    return pd.Series(d, index=isl.person_id.to_numpy()).groupby(level=0).sum()


def covering(t: pd.DataFrame, day: int) -> pd.DataFrame:
    """Rows whose period (both ends inclusive) covers the epoch day ``day``."""
    return t[(t.valid_from <= day) & (t.valid_to >= day)]


def lzb_at(elb: pd.DataFrame, isl: pd.DataFrame, st: int,
           jobcenter_id: str | None = None) -> pd.DataFrame:
    """ELB in stock at the Stichtag ``st`` (of a Jobcenter, or any) with ``is_lzb`` (§10 item 8,
    the engine's reading: :attr:`amip.engine.facts.Facts.lzb`)."""
    p = load_catalogue().parameters
    c = covering(elb, st)
    if jobcenter_id is not None:
        c = c[c.jobcenter_id == jobcenter_id]
    ids = pd.Index(c.person_id.unique())
    net = net_days(isl[isl.person_id.isin(ids)], st, p.lzb_window_days)
    return pd.DataFrame({"person_id": ids,
                         "is_lzb": net.reindex(ids).fillna(0).to_numpy() >= p.lzb_threshold_days})


def unemployed_since(unemp: pd.DataFrame, day: int) -> pd.Series:
    """person_id → start of the registered unemployment covering ``day`` (the earliest start of
    the covering spells, as :func:`amip.engine.stocks.unemployed`)."""
    return covering(unemp, day).groupby("person_id").valid_from.min()


# -- features ----------------------------------------------------------------------------------

def _months(days) -> np.ndarray:
    return np.floor(np.asarray(days, dtype=float) / DAYS_PER_MONTH)


def _overlap_days(t: pd.DataFrame, lo: int, hi: int, ids: pd.Index) -> pd.Series:
    """person_id → days of ``t``'s periods inside [lo, hi]; overlapping periods of one person
    are not merged (rare within one table), the sum is capped at the window's length."""
    a = np.maximum(t.valid_from.to_numpy(), lo)
    b = np.minimum(t.valid_to.to_numpy(), hi)
    d = pd.Series(np.clip(b - a + 1, 0, None), index=t.person_id.to_numpy())
    return d.groupby(level=0).sum().clip(upper=hi - lo + 1).reindex(ids).fillna(0)


def _has(t: pd.DataFrame, ids: pd.Index) -> np.ndarray:
    return ids.isin(t.person_id.unique()).astype("int64")


def _age_group(age: np.ndarray) -> list[str | None]:
    out: list[str | None] = []
    for x in age:
        out.append(next((label for lo, hi, label in AGE_GROUPS if lo <= x < hi), None))
    return out


def frame_at(h: History, month: int) -> pd.DataFrame:
    """One row per person of the population at scoring month ``month`` (ELB of the Jobcenter at
    ST(month), not LZB), features as known at the month's end; plus the audit attributes
    (sex, citizenship, severely_disabled, age_group) and ``month``. Ordered by person_id."""
    st, d = epoch_day(stichtag(month)), epoch_day(month_end(month))
    elb = h.rows("elb_spells", d)
    elb = elb[(elb.status == "elb") & (elb.valid_from <= st)]
    isl = islands(elb)
    stock = lzb_at(elb, isl, st, h.jobcenter_id)
    ids = pd.Index(stock.person_id[~stock.is_lzb].sort_values().to_numpy(), name="person_id")
    p = load_catalogue().parameters
    out = pd.DataFrame(index=ids)
    out["month"] = month
    mine = isl[isl.person_id.isin(ids)]
    out["elb_days_730"] = _months(net_days(mine, st, p.lzb_window_days).reindex(ids).fillna(0))
    cur = mine[(mine.a <= st) & (mine.b >= st)].groupby("person_id").a.min()
    out["elb_current_months"] = _months(st - cur.reindex(ids).to_numpy() + 1)
    recent = mine[(mine.a > st - 5 * 365) & (mine.a <= st)]
    out["elb_episodes_5y"] = recent.groupby("person_id").size().reindex(ids).fillna(0)
    bm = h.raw["benefit_months"]
    bm = as_of_rows(bm[(bm.m > month - 6) & (bm.m <= month)], "benefit_months", d)
    out["llu_mean_6m"] = bm.groupby("person_id").llu_eur.mean().astype(float).reindex(ids).fillna(0)
    emp = h.rows("employment_spells", d)
    emp = emp[emp.valid_from <= st]
    now = covering(emp, st)
    out["employed_now"] = _has(now[now.kind.isin(EMPLOYED)], ids)
    out["marginal_now"] = _has(now[now.kind == "marginal"], ids)
    out["employment_months_24"] = _months(_overlap_days(emp, st - 729, st, ids))
    un = h.rows("unemployment_spells", d)
    un = un[un.valid_from <= st]
    since = unemployed_since(un, st).reindex(ids)
    out["unemployed_months"] = np.nan_to_num(_months(st - since.to_numpy() + 1))
    out["unemployed_months_24"] = _months(_overlap_days(un, st - 729, st, ids))
    ms = h.rows("measure_spells", d)
    ms = ms[ms.valid_from <= st]
    out["measure_now"] = _has(covering(ms, st), ids)
    out["measures_24"] = ms[ms.valid_from > st - 730].groupby("person_id").size() \
        .reindex(ids).fillna(0)
    spell = covering(elb[elb.jobcenter_id == h.jobcenter_id], st) \
        .sort_values("valid_from").drop_duplicates("person_id", keep="last").set_index("person_id")
    bg = covering(h.rows("bg_spells", d), st).drop_duplicates("bg_id", keep="last")
    btype = spell.bg_id.map(bg.set_index("bg_id").bg_type).reindex(ids)
    role = spell.bg_role.reindex(ids)
    out["bg_single_parent"] = ((btype == "single_parent") & (role == "head")).astype("int64")
    out["bg_couple_children"] = (btype == "couple_children").astype("int64")
    out["bg_partner"] = (role == "partner").astype("int64")
    pr = h.raw["prognoses"]
    pr = pr[pr.assessed_on <= st].sort_values("assessed_on").drop_duplicates("person_id",
                                                                           keep="last")
    prog = pr.set_index("person_id").prognosis.reindex(ids)
    out["prognosis_not_close"] = (prog == "nicht_marktnah").astype("int64")
    out["prognosis_missing"] = prog.isna().astype("int64")
    c = h.raw["contacts"]
    c = c[(c.contact_on <= st) & (c.contact_on > st - 183)]
    out["contacts_6m"] = c.groupby("person_id").size().reindex(ids).fillna(0)
    persons = h.raw["persons"].drop_duplicates("person_id", keep="last").set_index("person_id")
    persons = persons.reindex(ids)
    out["no_vocational_training"] = (persons.education == "none").astype("int64")
    age = _age_years(persons.birth_date.to_numpy(), stichtag(month))
    groups = _age_group(age)
    out["age_group"] = groups
    out["age_u25"] = np.array([g == "15-24" for g in groups], dtype="int64")
    out["age_55plus"] = np.array([g == "55+" for g in groups], dtype="int64")
    out["sex"] = persons.sex.to_numpy()
    out["citizenship"] = persons.citizenship.to_numpy()
    flags = covering(h.rows("person_flags", d), st)
    sb = _has(flags[flags.flag == "severely_disabled"], ids)
    out["severely_disabled"] = np.where(sb == 1, "ja", "nein")
    for f in risk_catalogue().features:
        out[f] = out[f].astype(float)
    out.index = pd.Index(h.codes[ids.to_numpy()], name="person_id")
    return out


def _age_years(birth_days: np.ndarray, day: dt.date) -> np.ndarray:
    """Completed years at ``day`` (as :func:`amip.engine.population.with_age`)."""
    out = np.full(len(birth_days), np.nan)
    for i, b in enumerate(birth_days):
        if b == b:  # not NaN
            born = dt.date(1970, 1, 1) + dt.timedelta(days=int(b))
            out[i] = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return out


# -- labels --------------------------------------------------------------------------------------

def lzb_months(h: History, months: range) -> dict[int, set[str]]:
    """month → persons LZB at its Stichtag (current data, in the stock of any Jobcenter)."""
    elb = h.rows("elb_spells", None)
    elb = elb[elb.status == "elb"]
    isl = islands(elb)
    out = {}
    for m in months:
        s = lzb_at(elb, isl, epoch_day(stichtag(m)))
        out[m] = set(s.person_id[s.is_lzb])
    return out


def lza_months(h: History, months: range) -> dict[int, set[str]]:
    """month → ELB (any Jobcenter) arbeitslos for ≥ 364 days at its Stichtag (current data)."""
    elb = h.rows("elb_spells", None)
    elb = elb[elb.status == "elb"]
    un = h.rows("unemployment_spells", None)
    out = {}
    for m in months:
        st = epoch_day(stichtag(m))
        since = unemployed_since(un, st)
        stock = set(covering(elb, st).person_id)
        out[m] = {p for p, s in since.items() if st - s >= LZA_MIN_DAYS and p in stock}
    return out


def lza_population(h: History, f: pd.DataFrame, month: int) -> pd.DataFrame:
    """The rows of ``f`` (:func:`frame_at` of ``month``) registered unemployed at ST(month) and
    not yet langzeitarbeitslos (< 364 days), as known at the month's end: the population of the
    ``lza`` targets."""
    st = epoch_day(stichtag(month))
    since = unemployed_since(h.rows("unemployment_spells", epoch_day(month_end(month))), st)
    return f[(st - since.reindex(h.codes.get_indexer(f.index)).to_numpy()) < LZA_MIN_DAYS]


def dataset(h: History, months: list[int], target: str,
            states: dict[int, set[str]] | None = None) -> pd.DataFrame:
    """The population of each scoring month with its features and the label ``y`` of ``target``
    (1: reached within the horizon; months whose horizon the data do not reach are left out)."""
    t = risk_catalogue().targets[target]
    last = h.last_label_month
    months = [m for m in months if last is not None and m + t.horizon <= last]
    if not months:
        return pd.DataFrame()
    if states is None:
        rng = range(min(months) + 1, max(months) + t.horizon + 1)
        states = (lzb_months if t.kind == "lzb" else lza_months)(h, rng)
    parts = []
    for m in months:
        f = h.frame(m)
        if t.kind == "lza":
            f = lza_population(h, f, m)
        reached = set().union(*(states.get(k, set()) for k in range(m + 1, m + t.horizon + 1)))
        f = f.assign(y=f.index.isin(h.codes[sorted(reached)]).astype("int64"))
        parts.append(f)
    return pd.concat(parts)
