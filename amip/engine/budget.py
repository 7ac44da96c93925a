"""Budget: status per title and instrument, year comparison, burn curves and landing, and the
outcomes per instrument (domain reference §12 items 38–43, §12.1 items 52–58).

>>> rows = status(db, 2020, as_of=dt.date(2020, 6, 30))   # [StatusRow, ...] item 40, 52–54
>>> landing(db, 2020, parse_month("2020-06"))              # [LandingRow, ...] item 42
>>> outcomes(db, [parse_month("2020-12")])                 # [OutcomeRow, ...] items 43, 55–58

Euros are exact :class:`~decimal.Decimal` inside; ``as_json`` gives numbers with cents. Declared
numbers (KFA 15,2 %, ± 3 %, profiles, six months) come from ``amip/catalogue/budget.toml``.
The web page, the programme's chapter 4 and the Monatsbericht show these same records
(:func:`distribution` gives the shares of a title's plan over its instruments).
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

import ibis

from amip.catalogue import CatalogueError, _read
from amip.engine.calendar import EPOCH, days, month_end, month_index, month_start, stichtag

CENT = Decimal("0.01")
ZERO = Decimal(0)
#: the key of a title's own row (instrument null) among the per-instrument keys
TITLE = None
#: a plan line or booking without an instrument (e.g. the Verwaltungskosten): only in the title row
NO_INSTRUMENT = ""


# -- the declared numbers --------------------------------------------------------------------------

@dataclass(frozen=True)
class Profile:
    key: str
    label: str
    points: tuple[tuple[int, Decimal], ...]  # (month, cumulative share), month 12 → 1

    def share(self, m: int) -> Decimal:
        """Cumulative share by the end of month ``m`` (1..12), linear between declared months."""
        prev_m, prev_s = 0, ZERO
        for pm, ps in self.points:
            if m <= pm:
                return prev_s + (ps - prev_s) * (m - prev_m) / (pm - prev_m)
            prev_m, prev_s = pm, ps
        return Decimal(1)


@dataclass(frozen=True)
class BudgetCatalogue:
    titles: tuple[str, ...]
    title_labels: dict[str, str]
    gesamtbudget: tuple[str, ...]
    kfa_bund: Decimal
    kfa_kommune: Decimal
    history_years: int
    run_rate_months: int
    tolerance_percent: Decimal
    fallback_profile: str
    profiles: dict[str, Profile]
    window_months: int
    months_after: int
    cost_titles: tuple[str, ...]
    caveat: str


@cache
def budget_catalogue() -> BudgetCatalogue:
    d = _read("budget.toml")
    profiles = {}
    for key, p in d["profiles"].items():
        points = tuple(sorted((int(m), Decimal(v)) for m, v in p["cumulative"].items()))
        if not points or points[-1] != (12, Decimal(1)) or \
                any(b[1] < a[1] for a, b in zip(points, points[1:])):
            raise CatalogueError(f"budget.toml [profiles.{key}]: cumulative shares must rise "
                                 "to 1 in month 12")
        profiles[key] = Profile(key, p["label"], points)
    t, lnd, o = d["titles"], d["landing"], d["outcomes"]
    if lnd["fallback_profile"] not in profiles:
        raise CatalogueError("budget.toml [landing] fallback_profile names no profile")
    return BudgetCatalogue(
        tuple(t["order"]), {k: t[k] for k in t["order"]}, tuple(t["gesamtbudget"]),
        Decimal(d["kfa"]["bund_share"]), Decimal(d["kfa"]["kommune_share"]),
        int(lnd["history_years"]), int(lnd["run_rate_months"]),
        Decimal(lnd["tolerance_percent"]), lnd["fallback_profile"], profiles,
        int(o["window_months"]), int(o["months_after"]), tuple(o["cost_titles"]), o["caveat"])


# -- reading ---------------------------------------------------------------------------------------

def _money(x) -> Decimal:
    return Decimal(x if x is not None else 0).quantize(CENT)


def _memo(db, key: tuple, compute):
    """Per store view (one request): the budget queries of status and landing run once."""
    memo = db.__dict__.setdefault("_budget_memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _plan_lines(db, jc: str | None) -> list[dict]:
    return _memo(db, ("plan", jc), lambda: _query_plan_lines(db, jc))


def _query_plan_lines(db, jc: str | None) -> list[dict]:
    p = db.table("budget_plan")
    if jc:
        p = p.filter(p.jobcenter_id == jc)
    p = p.group_by("jobcenter_id", "year", "title", "instrument").aggregate(a=p.amount_eur.sum())
    return p.to_pyarrow().to_pylist()


def _booking_sums(db, jc: str | None, as_of: dt.date | None) -> list[dict]:
    """Bookings summed per Jobcenter, budget year, title, instrument, kind and booked month
    (item 53: booked_on ≤ as-of)."""
    if as_of is not None and as_of == month_end(month_index(as_of)):  # whole months: no query
        return [r for r in _booking_sums(db, jc, None) if (r["by"], r["bm"]) <= (as_of.year,
                                                                                as_of.month)]
    return _memo(db, ("bookings", jc, as_of), lambda: _query_booking_sums(db, jc, as_of))


def _query_booking_sums(db, jc: str | None, as_of: dt.date | None) -> list[dict]:
    b = db.table("budget_bookings")
    if jc:
        b = b.filter(b.jobcenter_id == jc)
    if as_of is not None:
        b = b.filter(b.booked_on <= ibis.literal(as_of, "date"))
    b = b.mutate(by=b.booked_on.year().cast("int32"), bm=b.booked_on.month().cast("int32"))
    g = b.group_by("jobcenter_id", "budget_year", "title", "instrument", "kind", "by", "bm") \
        .aggregate(a=b.amount_eur.sum())
    return g.to_pyarrow().to_pylist()


def _key(r: dict) -> tuple[str, str]:
    return r["title"], r["instrument"] or NO_INSTRUMENT


def years(db, jobcenter_id: str | None = None) -> list[int]:
    """The budget years with a plan line or a booking, ascending."""
    found = {r["year"] for r in _plan_lines(db, jobcenter_id)}
    found |= {r["budget_year"] for r in _booking_sums(db, jobcenter_id, None)}
    return sorted(found)


# -- status (items 38–41, 52–54) -------------------------------------------------------------------

STATUS_KEYS = ("jobcenter_id", "year", "title", "instrument", "plan", "payments",
               "open_commitments", "vorbindungen", "available", "bindungsquote", "ausgabequote")


@dataclass(frozen=True)
class StatusRow:
    """One line of the budget status; ``instrument`` None is the title's own row (item 54)."""
    jobcenter_id: str
    year: int
    title: str
    instrument: str | None
    plan: Decimal
    payments: Decimal
    open_commitments: Decimal
    vorbindungen: Decimal
    available: Decimal
    bindungsquote: float | None
    ausgabequote: float | None

    def as_json(self) -> dict:
        out = {}
        for k in STATUS_KEYS:
            v = getattr(self, k)
            out[k] = float(v) if isinstance(v, Decimal) else v
        return out


def _quota(part: Decimal, plan: Decimal) -> float | None:
    """Part of the plan in percent (two decimals); null when the plan is 0 (item 54)."""
    return None if plan == 0 else float((part * 100 / plan).quantize(CENT))


@dataclass
class _Acc:
    plan: Decimal = ZERO
    commitment: Decimal = ZERO
    payment: Decimal = ZERO
    release: Decimal = ZERO
    vorbindungen: Decimal = ZERO

    @property
    def open(self) -> Decimal:  # item 54: per instrument, never below 0
        return max(ZERO, self.commitment - self.payment - self.release)


def status(db, year: int, as_of: dt.date | None = None,
           jobcenter_id: str | None = None) -> list[StatusRow]:
    """Budget status of ``year`` per Jobcenter, title and instrument, then the title's row.

    Items 40, 52–54: plan = budget_plan + Umschichtungen of the budget year (≤ as-of); payments,
    commitments and releases by ``budget_year`` (a payment in January y+1 for y is one of y);
    open = max(0, commitments − payments − releases) per instrument; Vorbindungen = commitments
    booked in calendar year y with a later budget year. Lines without an instrument (e.g. the
    Verwaltungskosten) count in the title's row only."""
    acc: dict[tuple, _Acc] = defaultdict(_Acc)
    for r in _plan_lines(db, jobcenter_id):
        if r["year"] == year:
            acc[(r["jobcenter_id"], *_key(r))].plan += _money(r["a"])
    for r in _booking_sums(db, jobcenter_id, as_of):
        k, a = (r["jobcenter_id"], *_key(r)), _money(r["a"])
        if r["budget_year"] == year:
            if r["kind"] == "reallocation":
                acc[k].plan += a
            else:
                setattr(acc[k], r["kind"], getattr(acc[k], r["kind"]) + a)
        elif r["kind"] == "commitment" and r["by"] == year and r["budget_year"] > year:
            acc[k].vorbindungen += a
    return _status_rows(acc, year)


def _status_rows(acc: dict[tuple, _Acc], year: int) -> list[StatusRow]:
    order = {t: i for i, t in enumerate(budget_catalogue().titles)}
    out = []
    by_title: dict[tuple, list] = defaultdict(list)
    for (jc, title, instr), a in acc.items():
        by_title[(jc, title)].append((instr, a))
    for (jc, title) in sorted(by_title, key=lambda k: (k[0], order.get(k[1], 99))):
        sums = [ZERO] * 4
        for instr, a in sorted(by_title[(jc, title)], key=lambda x: x[0]):
            vals = (a.plan, a.payment, a.open, a.vorbindungen)
            sums = [s + v for s, v in zip(sums, vals)]
            if instr != NO_INSTRUMENT:
                out.append(_row(jc, year, title, instr, *vals))
        out.append(_row(jc, year, title, TITLE, *sums))
    return out


def _row(jc, year, title, instr, plan, paid, open_, vorb) -> StatusRow:
    return StatusRow(jc, year, title, instr, plan, paid, open_, vorb, plan - paid - open_,
                     _quota(paid + open_, plan), _quota(paid, plan))


@dataclass(frozen=True)
class Overview:
    """Item 38, 41: the Gesamtbudget (egl + vk) and the kommunaler Finanzierungsanteil."""
    jobcenter_id: str
    year: int
    titles: dict[str, Decimal]  # title -> plan incl. Umschichtungen
    gesamtbudget: Decimal
    vk_total: Decimal | None  # Bundesanteil ÷ 0,848
    kfa: Decimal | None  # 15,2 % of the total


def overview(rows: list[StatusRow]) -> list[Overview]:
    """The Gesamtbudget and KFA per Jobcenter from the title rows of :func:`status`."""
    cat = budget_catalogue()
    by_jc: dict[tuple, dict] = defaultdict(dict)
    for r in rows:
        if r.instrument is None:
            by_jc[(r.jobcenter_id, r.year)][r.title] = r.plan
    out = []
    for (jc, year), titles in sorted(by_jc.items()):
        vk = titles.get("vk")
        total = None if vk is None else (vk / cat.kfa_bund).quantize(CENT)
        kfa = None if total is None else (total * cat.kfa_kommune).quantize(CENT)
        gesamt = sum((titles.get(t, ZERO) for t in cat.gesamtbudget), ZERO)
        out.append(Overview(jc, year, titles, gesamt, total, kfa))
    return out


@dataclass(frozen=True)
class ComparisonRow:
    """Item 41 (seed table 4): allocation of year a, estimate of year b, delta absolute and %."""
    jobcenter_id: str
    label: str
    key: str  # a title, "gesamtbudget" or "kfa"
    before: Decimal | None
    now: Decimal | None
    delta: Decimal | None
    delta_percent: float | None


def comparison(db, year_before: int, year: int,
               jobcenter_id: str | None = None) -> list[ComparisonRow]:
    """The year comparison of the budget_plan allocations (Umschichtungen are no allocation):
    egl, vk, Gesamtbudget, and the kommunaler Finanzierungsanteil computed from vk."""
    cat = budget_catalogue()
    plans: dict[tuple, Decimal] = Counter()
    jcs = set()
    for r in _plan_lines(db, jobcenter_id):
        if r["year"] in (year_before, year):
            plans[(r["jobcenter_id"], r["year"], r["title"])] += _money(r["a"])
            jcs.add(r["jobcenter_id"])
    out = []
    for jc in sorted(jcs):
        def get(y, t):
            return plans.get((jc, y, t))

        lines = [(t, cat.title_labels[t], get(year_before, t), get(year, t))
                 for t in cat.gesamtbudget]
        total = [sum((x for x in (get(y, t) for t in cat.gesamtbudget) if x is not None), ZERO)
                 for y in (year_before, year)]
        lines.append(("gesamtbudget", "Gesamtbudget", *total))
        kfa = [None if get(y, "vk") is None else
               (get(y, "vk") / cat.kfa_bund * cat.kfa_kommune).quantize(CENT)
               for y in (year_before, year)]
        lines.append(("kfa", "Kommunaler Finanzierungsanteil (15,2 % der Verwaltungskosten)",
                      *kfa))
        for key, label, a, b in lines:
            delta = None if a is None or b is None else b - a
            pct = None if delta is None or not a else float((delta * 100 / a).quantize(CENT))
            out.append(ComparisonRow(jc, label, key, a, b, delta, pct))
    return out


def comparison_json(rows: list[ComparisonRow], year_before: int, year: int) -> list[dict]:
    """``amip budget compare --format json`` (and the API): euros as numbers, null where none."""
    def num(x):
        return None if x is None else float(x)

    return [{"jobcenter_id": r.jobcenter_id, "key": r.key, "year_before": year_before,
             "year": year, "before": num(r.before), "now": num(r.now), "delta": num(r.delta),
             "delta_percent": r.delta_percent} for r in rows]


@dataclass(frozen=True)
class Share:
    """One instrument's part of a title's plan (with Umschichtungen), in euros and percent."""
    instrument: str
    plan: Decimal
    percent: float | None  # null when the title's plan is 0


def distribution(rows: list[StatusRow], title: str = "egl",
                 jobcenter_id: str | None = None) -> list[Share]:
    """The plan of ``title`` over its instruments from :func:`status` rows (one Jobcenter:
    ``jobcenter_id`` or the first one), largest first: the programme's "Verteilung des
    Eingliederungsbudgets"."""
    mine = [r for r in rows if r.title == title and
            r.jobcenter_id == (jobcenter_id or rows[0].jobcenter_id)]
    total = next((r.plan for r in mine if r.instrument is None), ZERO)
    parts = sorted((r for r in mine if r.instrument is not None and r.plan),
                   key=lambda r: (-r.plan, r.instrument))
    return [Share(r.instrument, r.plan, _quota(r.plan, total)) for r in parts]


# -- burn curve and landing (item 42) --------------------------------------------------------------

@dataclass(frozen=True)
class LandingRow:
    """The burn curve of one title/instrument (instrument None: the title) up to month m,
    the plan path, and the landing forecast with its interval."""
    jobcenter_id: str
    year: int
    month: int  # 1..12
    title: str
    instrument: str | None
    plan: Decimal
    profile: str  # "history" (previous years' shares) or a declared profile key
    curve: tuple[Decimal, ...]  # cumulative payments by the end of months 1..m
    path: tuple[Decimal, ...]  # plan × s(k), k = 1..12
    payments: Decimal
    open_commitments: Decimal
    landing: Decimal
    landing_low: Decimal
    landing_high: Decimal
    deviation_percent: float | None  # (landing / plan − 1) × 100
    warning: str | None  # "unter" | "ueber" | None

    def as_json(self) -> dict:
        return {
            "jobcenter_id": self.jobcenter_id, "year": self.year,
            "month": f"{self.year:04d}-{self.month:02d}", "title": self.title,
            "instrument": self.instrument, "plan": float(self.plan), "profile": self.profile,
            "payments": float(self.payments), "open_commitments": float(self.open_commitments),
            "path": float(self.path[self.month - 1]), "landing": float(self.landing),
            "landing_low": float(self.landing_low), "landing_high": float(self.landing_high),
            "deviation_percent": self.deviation_percent, "warning": self.warning,
            "curve": [{"month": f"{self.year:04d}-{k + 1:02d}",
                       "payments": float(self.curve[k]) if k < len(self.curve) else None,
                       "path": float(self.path[k])} for k in range(12)],
        }


WARNINGS = {"unter": "Unterausschöpfung (unter Plan − 3 %)",
            "ueber": "Überschreitung (über Plan + 3 %)"}


def _paid_month(budget_year: int, booked_year: int, booked_month: int) -> int:
    """The month (1..12) of the budget year a payment counts in: booked before the year → 1,
    after it (January y+1 for y, item 52) → 12."""
    if booked_year < budget_year:
        return 1
    return 12 if booked_year > budget_year else booked_month


def history_shares(monthly: dict[int, dict[int, Decimal]], year: int,
                   years: int) -> list[Decimal] | None:
    """Item 42 (like item 33): the mean over the previous ``years`` budget years with payments
    of the cumulative month shares C(Jan..k)/C(Jan..Dec); None when no such year exists."""
    shares = []
    for z in range(year - years, year):
        by_month = monthly.get(z, {})
        total = sum(by_month.values(), ZERO)
        if total > 0:
            run, cum = ZERO, []
            for k in range(1, 13):
                run += by_month.get(k, ZERO)
                cum.append(run / total)
            shares.append(cum)
    if not shares:
        return None
    return [sum((s[k] for s in shares), ZERO) / len(shares) for k in range(12)]


def landing(db, year: int, month: int, jobcenter_id: str | None = None,
            profile: str | None = None) -> list[LandingRow]:
    """Item 42 for budget ``year`` as of the end of month index ``month`` (which must lie in
    the year): per title and instrument with a plan or payments, and per title.

    Plan path s(k): the mean month shares of the previous three years' payments, or the declared
    ``profile`` (budget.toml) when given or when no previous year has payments. Landing =
    payments so far + the larger of the open commitments of the year and the forecast of the
    remaining payments: the run rate of the last three months seasonally adjusted by the path,
    L = Σ payments(k) / Σ (s(k) − s(k−1)), times 1 − s(m); the interval uses the smallest and the
    largest of the three months' own L. Warning outside plan ± 3 %."""
    cat = budget_catalogue()
    m = month % 12 + 1
    if month // 12 != year:
        raise ValueError(f"month {month} is not in year {year}")
    if profile is not None and profile not in cat.profiles:
        raise KeyError(profile)
    as_of = month_end(month)
    status_rows = status(db, year, as_of, jobcenter_id)
    # payments per (jc, title, instrument|TITLE) -> budget year -> month of that year
    monthly: dict[tuple, dict[int, dict[int, Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: ZERO)))
    for r in _booking_sums(db, jobcenter_id, as_of):
        if r["kind"] != "payment" or not year - cat.history_years <= r["budget_year"] <= year:
            continue
        k = _paid_month(r["budget_year"], r["by"], r["bm"])
        a = _money(r["a"])
        title, instr = _key(r)
        for key in ((r["jobcenter_id"], title, instr), (r["jobcenter_id"], title, TITLE)):
            monthly[key][r["budget_year"]][k] += a
    out = []
    for s in status_rows:
        key = (s.jobcenter_id, s.title, s.instrument)
        if s.plan == 0 and s.payments == 0:
            continue
        hist = monthly.get(key, {})
        shares = None if profile else history_shares(hist, year, cat.history_years)
        used = "history" if shares else (profile or cat.fallback_profile)
        if shares is None:
            shares = [cat.profiles[used].share(k) for k in range(1, 13)]
        this = hist.get(year, {})
        curve, run = [], ZERO
        for k in range(1, m + 1):
            run += this.get(k, ZERO)
            curve.append(run)
        path = tuple((s.plan * x).quantize(CENT) for x in shares)
        levels = []
        first = max(1, m - cat.run_rate_months + 1)
        for k in range(first, m + 1):
            step = shares[k - 1] - (shares[k - 2] if k > 1 else ZERO)
            if step > 0:
                levels.append((this.get(k, ZERO), step))
        rest = 1 - shares[m - 1]
        if levels:
            level = sum((p for p, _ in levels), ZERO) / sum((st for _, st in levels), ZERO)
            each = [p / st for p, st in levels]
            lo, hi = min(each), max(each)
        else:  # the path expects nothing in these months: no level to read; the plan stands
            level = lo = hi = s.plan
        paid = s.payments

        def land(lv: Decimal) -> Decimal:
            return (paid + max(s.open_commitments, lv * rest)).quantize(CENT)

        mid, low, high = land(level), land(lo), land(hi)
        dev = None if s.plan == 0 else float(((mid / s.plan - 1) * 100).quantize(CENT))
        tol = cat.tolerance_percent / 100
        warn = None
        if mid < s.plan * (1 - tol):
            warn = "unter"
        elif mid > s.plan * (1 + tol):
            warn = "ueber"
        out.append(LandingRow(s.jobcenter_id, year, m, s.title, s.instrument, s.plan, used,
                              tuple(curve), path, paid, s.open_commitments, mid,
                              min(low, mid), max(high, mid), dev, warn))
    return out


# -- outcomes per instrument (items 43, 55–58) -----------------------------------------------------

OUTCOME_KEYS = ("jobcenter_id", "month", "instrument", "austritte", "eingliederungsquote",
                "verbleibsquote", "cost_per_participant", "cost_per_eingliederung")


@dataclass(frozen=True)
class OutcomeRow:
    """Outcomes of one instrument over the 12 months t−11..t. Descriptive, never causal."""
    jobcenter_id: str
    month: str  # YYYY-MM
    instrument: str
    austritte: int
    in_horizon: int  # Austritte whose six-month day lies within the data horizon (item 56)
    eingliederungen: int  # of those, in sv employment on that day
    verbleib: int  # of those, not arbeitslos (or in sv) on that day
    participants: int
    payments: Decimal | None  # None by group (no payment names a person)
    eingliederungsquote: float | None
    verbleibsquote: float | None
    cost_per_participant: float | None
    cost_per_eingliederung: float | None
    reason: str | None = None  # why the quotas are null
    eintritte: int = 0  # spells of the instrument starting in the window (for the scenarios)
    group: str | None = None  # a declared customer group (``by_group``); None: everyone
    cost_reason: str | None = None  # why the costs are null

    def as_json(self) -> dict:
        out = {k: getattr(self, k) for k in OUTCOME_KEYS}
        if self.group is not None:
            out["group"] = self.group
        return out


#: why outcomes by customer group carry no costs
NO_GROUP_COSTS = "Zahlungen sind keiner Person und damit keiner Kundengruppe zugeordnet"


def six_months_later(day: dt.date, months: int | None = None) -> dt.date:
    """Item 57: the same day ``months`` calendar months later; a missing day → the month's last."""
    n = budget_catalogue().months_after if months is None else months
    y, mo = divmod(day.month - 1 + n, 12)
    y += day.year
    return dt.date(y, mo + 1, min(day.day, _cal.monthrange(y, mo + 1)[1]))


@dataclass
class _Spells:
    """Rows of a person's spells as (start, end or None) lists, for day look-ups."""
    by_person: dict[str, list[tuple[dt.date, dt.date | None]]] = field(
        default_factory=lambda: defaultdict(list))

    def covers(self, pid: str, day: dt.date) -> bool:
        return any(a <= day and (b is None or day <= b) for a, b in self.by_person.get(pid, ()))


@cache
def _date(n: int | None) -> dt.date | None:
    """An epoch day fetched as a number (Arrow's date conversion is slow) as a date."""
    return None if n is None else EPOCH + dt.timedelta(days=n)


def entry_month(day: dt.date) -> int:
    """The month whose Stichtag is the last one on or before ``day``."""
    m = month_index(day)
    return m if day >= stichtag(m) else m - 1


def outcomes(db, months: list[int], jobcenter_id: str | None = None,
             by_group: bool = False) -> list[OutcomeRow]:
    """Items 43, 55–58 for each month index t of ``months``: per Jobcenter and instrument with
    a participant in t−11..t; ``by_group``: per Jobcenter, instrument and declared customer
    group instead (``groups.toml``; a spell counts in the groups its person belongs to at the
    last Stichtag on or before its first day or, for a spell begun before the window, before
    the window's first day, see :func:`entry_month`: the figures of one window need the
    memberships of its own months only; a person may be in several groups or none; no costs:
    payments name no person).

    The Jobcenter of a spell is that of the person's elb_spells row (elb or nef) covering its
    first day (latest valid_from, then the smallest jobcenter_id);
    EQ/VQ count only Austritte whose six-month day is on or before the earlier Datenstand of
    employment_spells and unemployment_spells; payments are by booked_on under the cost titles."""
    cat = budget_catalogue()
    lo_m, hi_m = min(months) - cat.window_months + 1, max(months)
    lo, hi = month_start(lo_m), month_end(hi_m)
    ms = db.table("measure_spells")
    ms = ms.filter((ms.valid_from <= ibis.literal(hi, "date"))
                   & (ms.valid_to.isnull() | (ms.valid_to >= ibis.literal(lo, "date"))))
    who = ms.select("person_id").distinct()
    # key filters: only the rows of persons with a spell are corrected (views.current_rows)
    e = db.table("elb_spells", key_filter=lambda t: t.status.isin(["elb", "nef"])
                 & t.person_id.isin(who.person_id))
    j = ms.join(e, [ms.person_id == e.person_id, e.valid_from <= ms.valid_from,
                    e.valid_to.isnull() | (e.valid_to >= ms.valid_from)])
    j = j.select(person_id=ms.person_id, instrument=ms.instrument, start=days(ms.valid_from),
                 end=days(ms.valid_to), jc=e.jobcenter_id, jc_from=days(e.valid_from))
    spells: dict[tuple, tuple] = {}
    for r in j.to_pyarrow().to_pylist():
        k = (r["person_id"], r["instrument"], _date(r["start"]), _date(r["end"]))
        rank = (_date(r["jc_from"]), _neg(r["jc"]))
        if k not in spells or rank > spells[k][0]:
            spells[k] = (rank, r["jc"])
    rows = [(jc, *k) for k, (_, jc) in spells.items()
            if jobcenter_id is None or jc == jobcenter_id]
    persons = {r[1] for r in rows}
    lasts = [_datenstand(db, t) for t in ("employment_spells", "unemployment_spells")]
    data_end = min((d for d in lasts if d is not None), default=None)
    sv, unemployed = _Spells(), _Spells()
    if persons:
        left = ms.filter(ms.valid_to.notnull()).select("person_id").distinct()
        emp = db.table("employment_spells", key_filter=lambda t: (t.kind == "sv")
                       & t.person_id.isin(left.person_id))
        une = db.table("unemployment_spells",
                       key_filter=lambda t: t.person_id.isin(left.person_id))
        both = emp.select("person_id", valid_from=days(emp.valid_from),
                          valid_to=days(emp.valid_to), sv=ibis.literal(True)).union(
            une.select("person_id", valid_from=days(une.valid_from),
                       valid_to=days(une.valid_to), sv=ibis.literal(False)))
        for r in both.to_pyarrow().to_pylist():
            (sv if r["sv"] else unemployed).by_person[r["person_id"]].append(
                (_date(r["valid_from"]), _date(r["valid_to"])))
    # payments per (jc, instrument, booked month index), by booked_on (item 58)
    paid: dict[tuple, Decimal] = Counter()
    for r in _booking_sums(db, jobcenter_id, None):
        if r["kind"] == "payment" and r["title"] in cat.cost_titles and r["instrument"]:
            paid[(r["jobcenter_id"], r["instrument"], r["by"] * 12 + r["bm"] - 1)] += \
                _money(r["a"])
    members: dict = {}
    order = {None: 0}
    if by_group and rows:
        from amip.catalogue.monitors import customer_groups
        from amip.engine.group_monitor import group_members

        order = {g: i for i, g in enumerate(customer_groups())}
        members = group_members(db, entry_month(lo), hi_m, jobcenter_id)

    def groups_of(pid: str, start: dt.date, w_lo: dt.date):
        return members.get((pid, entry_month(max(start, w_lo))), ()) if by_group else (None,)

    # six-month facts per exit, once
    facts = {}
    for jc, pid, instr, start, end in rows:
        if end is not None:
            day = six_months_later(end)
            inside = data_end is not None and day <= data_end
            in_sv = inside and sv.covers(pid, day)
            stays = inside and (in_sv or not unemployed.covers(pid, day))
            facts[(pid, instr, start, end)] = (inside, in_sv, stays)
    out = []
    for t in months:
        w_lo, w_hi = month_start(t - cat.window_months + 1), month_end(t)
        acc: dict[tuple, dict] = {}
        for jc, pid, instr, start, end in rows:
            if start > w_hi or (end is not None and end < w_lo):
                continue
            for g in groups_of(pid, start, w_lo):
                a = acc.setdefault((jc, instr, g), dict(p=set(), n=0, h=0, e=0, v=0, s=0))
                a["p"].add(pid)
                a["s"] += w_lo <= start <= w_hi
                if end is not None and w_lo <= end <= w_hi:
                    inside, in_sv, stays = facts[(pid, instr, start, end)]
                    a["n"] += 1
                    a["h"] += inside
                    a["e"] += in_sv
                    a["v"] += stays
        for (jc, instr, g) in sorted(acc, key=lambda k: (k[0], k[1], order[k[2]])):
            a = acc[(jc, instr, g)]
            pay = sum((paid.get((jc, instr, k), ZERO)
                       for k in range(t - cat.window_months + 1, t + 1)), ZERO)
            reason = None
            if a["h"] == 0:
                reason = ("keine Austritte im Zeitraum" if a["n"] == 0 else
                          f"kein Austritt, dessen Tag sechs Monate später im Datenstand "
                          f"({_day(data_end)}) liegt")
            costed = g is None
            out.append(OutcomeRow(
                jc, f"{t // 12:04d}-{t % 12 + 1:02d}", instr, a["n"], a["h"], a["e"], a["v"],
                len(a["p"]), pay if costed else None,
                None if a["h"] == 0 else round(100 * a["e"] / a["h"], 2),
                None if a["h"] == 0 else round(100 * a["v"] / a["h"], 2),
                float((pay / len(a["p"])).quantize(CENT)) if costed else None,
                None if a["e"] == 0 or not costed else float((pay / a["e"]).quantize(CENT)),
                reason, a["s"], g, None if costed else NO_GROUP_COSTS))
    return out


def _datenstand(db, table: str) -> dt.date | None:
    """Item 47/56: the declared Datenstand of ``table`` (extract.toml), else its latest
    recorded_on; at most the view's as-of. (The full :func:`amip.engine.horizon.horizon` reads
    every table; this reads one.)"""
    description = db.description() if hasattr(db, "description") else None
    last = (description.declared(table) if description else None) \
        or db.latest_recorded_on((table,))
    if last is not None and db.as_of is not None and db.as_of < last:
        last = db.as_of
    return last


def _neg(text: str) -> tuple:
    """Sort key that prefers the smaller string when the larger key wins."""
    return tuple(-ord(c) for c in text) + (0,)


def _day(d: dt.date | None) -> str:
    from amip import i18n

    return i18n.day(d) if d else "keiner"
