"""The data-quality monitor: the declared rules of ``amip/catalogue/quality.toml``, one small
Ibis query per rule kind (backend-neutral).

Every rule yields its flagged rows in one shape (:data:`ROW_COLUMNS`): ``rule_id``, a stable
``row_key`` (the source table and its key columns, e.g. ``elb_spells:P1|BG1|03504|elb|head|
2020-01-01``; a follow-up list keys on rule id + row key), the pseudonymous ``person_id``, the
``jobcenter_id`` and the month ``m`` the row belongs to (its trend month; the team is the
caseload's at ST(m)). Flagged rows are person-level: they are returned, never logged.

:func:`run_quality` counts them for a period of months (per rule: total, trend by month, per
team; for the case-file checks also the error rate against the target); :func:`quality_summary`
is the fast form for the import summary; :func:`flagged_rows` lists the rows of one rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from amip import i18n
from amip.catalogue.monitors import QualityRule, quality_rules
from amip.engine.aggregate import team_assignment
from amip.engine.calendar import calendar, days, end_days, format_month, month_index
from amip.engine.overview import latest_month
from amip.errors import NotFound
from amip.extract.schema import TABLES

ROW_COLUMNS = ("rule_id", "row_key", "person_id", "jobcenter_id", "m")
DEFAULT_MONTHS = 12


class UnknownRule(NotFound, ValueError):
    pass


class _Cached:
    """A store view whose corrected ``elb_spells`` (read by most rules) and the persons'
    Jobcenter are computed once (the backend adapter caches them) while the rules run."""

    def __init__(self, db) -> None:
        self.db, self._tables = db, {}

    def __getattr__(self, name):
        return getattr(self.db, name)

    def _cache(self, key: str, expr) -> ir.Table:
        if key not in self._tables:
            self._tables[key] = self.db.adapter.cache(expr)
        return self._tables[key]

    def table(self, name: str, key_filter=None) -> ir.Table:
        if name == "elb_spells" and key_filter is None:
            return self._cache(name, self.db.table(name))
        return self.db.table(name, key_filter)

    def person_jobcenter(self) -> ir.Table:
        return self._cache("_pj", _person_jobcenter(self))

    def close(self) -> None:
        for t in self._tables.values():
            self.db.adapter.release(t)
        self._tables.clear()


# -- building blocks ---------------------------------------------------------------------------

def _month_of(d: ir.DateValue) -> ir.IntegerValue:
    """The month index (year × 12 + month − 1) of a date column."""
    return d.year().cast("int64") * 12 + d.month().cast("int64") - 1


def _key(table: str, t: ir.Table, extra: list | None = None) -> ir.StringValue:
    """The stable row key: table name and its key columns (domain reference item 15)."""
    parts = [t[c].cast("string").fill_null("") for c in TABLES[table].key] + list(extra or [])
    out = ibis.literal(f"{table}:")
    for i, p in enumerate(parts):
        out = out.concat(p) if i == 0 else out.concat("|", p)
    return out


def _person_jobcenter(db) -> ir.Table:
    """person_id → the Jobcenter of the person's latest ``elb_spells`` row (any status), for rows
    of tables without a Jobcenter (benefit months, employment, case-file checks)."""
    s = db.table("elb_spells")
    w = ibis.window(group_by=s.person_id, order_by=[ibis.desc(s.valid_from), s.jobcenter_id])
    s = s.mutate(_n=ibis.row_number().over(w))
    return s.filter(s._n == 0).select("person_id", pj="jobcenter_id")


def _with_jobcenter(db, t: ir.Table) -> ir.Table:
    pj = db.person_jobcenter() if isinstance(db, _Cached) else _person_jobcenter(db)
    j = t.left_join(pj, t.person_id == pj.person_id)
    return j.select(*[c for c in t.columns if c != "jobcenter_id"], jobcenter_id=j.pj)


def _rows(rule: QualityRule, t: ir.Table, key: ir.StringValue) -> ir.Table:
    return t.select(rule_id=ibis.literal(rule.id), row_key=key, person_id=t.person_id,
                    jobcenter_id=t.jobcenter_id, m=t.m)


def _month_string(m: ir.IntegerValue) -> ir.StringValue:
    """``YYYY-MM`` of a month index column."""
    mm = m % 12 + 1
    return (m // 12).cast("string").concat("-", ibis.ifelse(mm < 10, "0", ""), mm.cast("string"))


# -- one query per kind ------------------------------------------------------------------------

def _late_start(db, rule: QualityRule, m_lo: int, m_hi: int) -> ir.Table:
    """First recording of a key more than ``months`` after its ``valid_from``."""
    name = rule.params["table"]
    raw = db.recorded(name)
    key = list(TABLES[name].key)
    first = raw.group_by(key).aggregate(first_rec=raw.recorded_on.min())
    late = first.valid_from + ibis.interval(months=rule.params["months"])
    t = first.filter(first.first_rec > late)
    t = t.mutate(m=_month_of(t.valid_from))
    if "jobcenter_id" not in t.columns:
        t = _with_jobcenter(db, t)
    return _rows(rule, t, _key(name, t))


def _late_closure(db, rule: QualityRule, m_lo: int, m_hi: int) -> ir.Table:
    """The current ``valid_to`` of a key first recorded more than ``months`` after that day."""
    name = rule.params["table"]
    key = list(TABLES[name].key)
    raw = db.recorded(name)
    raw = raw.filter(raw.valid_to.notnull())
    first = raw.group_by([*key, "valid_to"]).aggregate(first_rec=raw.recorded_on.min())
    cur = db.table(name)
    cur = cur.filter(cur.valid_to.notnull()).select(*key, "valid_to")
    t = cur.join(first, [*key, "valid_to"])
    t = t.filter(t.first_rec > t.valid_to + ibis.interval(months=rule.params["months"]))
    t = t.mutate(m=_month_of(t.valid_to))
    if "jobcenter_id" not in t.columns:
        t = _with_jobcenter(db, t)
    return _rows(rule, t, _key(name, t))


def _benefits(db, m_lo: int, m_hi: int) -> ir.Table:
    """Benefit months of the period (selected by key before the correction: fast) with their
    month index ``m``."""
    lo, hi = format_month(m_lo), format_month(m_hi)
    b = db.table("benefit_months", key_filter=lambda t: t.month.between(lo, hi))
    return b.mutate(m=b.month.substr(0, 4).cast("int64") * 12
                    + b.month.substr(5, 2).cast("int64") - 1)


def _benefit_without_spell(db, rule: QualityRule, m_lo: int, m_hi: int) -> ir.Table:
    """A benefit month no ``elb``/``nef`` spell of the person overlaps (item 22)."""
    b = _benefits(db, m_lo, m_hi).join(calendar(m_lo, m_hi), "m")
    s = db.table("elb_spells")
    s = s.select(s_person="person_id", vf=days(s.valid_from), vt=end_days(s.valid_to))
    b = b.anti_join(s, [b.person_id == s.s_person, s.vf <= b.last_day, s.vt >= b.first_day])
    b = _with_jobcenter(db, b.select("person_id", "month", "m"))
    return _rows(rule, b, _key("benefit_months", b))


def _elb(db) -> ir.Table:
    s = db.table("elb_spells")
    return s.filter(s.status == "elb")


def _spell_without_benefit(db, rule: QualityRule, m_lo: int, m_hi: int) -> ir.Table | None:
    """An ``elb`` spell covering a whole calendar month with no benefit row for the person in
    it, in months for which benefit months are recorded at all."""
    raw = db.recorded("benefit_months")
    r = raw.aggregate(lo=raw.month.min(), hi=raw.month.max()).to_pyarrow().to_pylist()[0]
    if r["lo"] is None:
        return None
    lo, hi = (int(x[:4]) * 12 + int(x[5:7]) - 1 for x in (r["lo"], r["hi"]))
    lo, hi = max(lo, m_lo), min(hi, m_hi)
    if lo > hi:
        return None
    c = calendar(lo, hi)
    s = _elb(db)
    s = s.mutate(vf=days(s.valid_from), vt=end_days(s.valid_to))
    j = s.join(c, (s.vf <= c.first_day) & (s.vt >= c.last_day))
    b = _benefits(db, lo, hi).select(b_person="person_id", bm="m")
    j = j.anti_join(b, [j.person_id == b.b_person, j.m == b.bm])
    j = j.mutate(month=_month_string(j.m))
    return _rows(rule, j, _key("elb_spells", j, [j.month]))


def _reach(db) -> ir.Table:
    """``elb`` spells (day numbers) with ``reach``: the latest end among the person's spells
    that sort before (by start, end, BG, Jobcenter, role)."""
    s = _elb(db)
    s = s.mutate(vf=days(s.valid_from), vt=end_days(s.valid_to))
    before = ibis.window(group_by=s.person_id,
                         order_by=[s.vf, s.vt, s.bg_id, s.jobcenter_id, s.bg_role],
                         rows=(None, -1))
    return s.mutate(reach=s.vt.max().over(before))


def _spell_overlap(db, rule: QualityRule, m_lo: int, m_hi: int) -> ir.Table:
    """An ``elb`` spell overlapping an earlier-starting ``elb`` spell of the same person."""
    s = _reach(db)
    t = s.filter(s.reach.notnull() & (s.vf <= s.reach))
    t = t.mutate(m=_month_of(t.valid_from))
    return _rows(rule, t, _key("elb_spells", t))


def _spell_gap(db, rule: QualityRule, m_lo: int, m_hi: int) -> ir.Table:
    """An ``elb`` spell starting 2..max_gap_days+1 days after the person's earlier spells end."""
    s = _reach(db)
    gap = s.vf - s.reach - 1
    t = s.filter(s.reach.notnull() & (gap >= 1) & (gap <= rule.params["max_gap_days"]))
    t = t.mutate(m=_month_of(t.valid_from))
    return _rows(rule, t, _key("elb_spells", t))


def _implausible_age(db, rule: QualityRule, m_lo: int, m_hi: int) -> ir.Table:
    """An ``elb`` spell whose person is younger than ``min_age`` or at least ``max_age`` at its
    start (or not yet born)."""
    s = _elb(db)
    p = db.table("persons").select(p_person="person_id", born="birth_date")
    j = s.join(p, s.person_id == p.p_person)
    d, b = j.valid_from, j.born
    before_birthday = (d.month() < b.month()) | ((d.month() == b.month()) & (d.day() < b.day()))
    age = d.year() - b.year() - ibis.ifelse(before_birthday, 1, 0)
    t = j.filter((d < b) | (age < rule.params["min_age"]) | (age >= rule.params["max_age"]))
    t = t.mutate(m=_month_of(t.valid_from))
    return _rows(rule, t, _key("elb_spells", t))


def _caseload_gap(db, rule: QualityRule, m_lo: int, m_hi: int) -> ir.Table:
    """ELB in the stock at ST(m) with no caseload row covering ST(m)."""
    cal = calendar(m_lo, m_hi)
    s = _elb(db)
    s = s.select("person_id", "jobcenter_id", vf=days(s.valid_from), vt=end_days(s.valid_to))
    stock = s.join(cal, (s.vf <= cal.st) & (cal.st <= s.vt))
    stock = stock.select("person_id", "jobcenter_id", "m", "st").distinct()
    c = db.table("caseload")
    c = c.select(c_person="person_id", cvf=days(c.valid_from), cvt=end_days(c.valid_to))
    t = stock.anti_join(c, [stock.person_id == c.c_person, c.cvf <= stock.st, c.cvt >= stock.st])
    key = ibis.literal("caseload:").concat(t.person_id, "|", t.jobcenter_id, "|",
                                           _month_string(t.m))
    return _rows(rule, t, key)


def _employment_without_income(db, rule: QualityRule, m_lo: int, m_hi: int) -> ir.Table | None:
    """Dependent employment above ``min_gross_eur`` covering a whole month while the benefit
    claim (LLU + LUH) of that month is not below the month before the start."""
    e = db.table("employment_spells")
    if "gross_monthly_eur" not in e.columns or int(
            e.gross_monthly_eur.notnull().sum().to_pyarrow().as_py() or 0) == 0:
        return None
    e = e.filter((e.kind != "self_employed")
                 & (e.gross_monthly_eur > ibis.literal(Decimal(rule.params["min_gross_eur"]))))
    m0 = _month_of(e.valid_from)
    e = e.mutate(m=m0 + ibis.ifelse(e.valid_from.day() == 1, 0, 1), m_before=m0 - 1,
                 vt=end_days(e.valid_to))
    e = e.filter((e.m >= m_lo) & (e.m <= m_hi))
    e = e.join(calendar(m_lo, m_hi).select("m", "last_day"), "m")
    e = e.filter(e.vt >= e.last_day)
    b = _benefits(db, m_lo - 2, m_hi)
    b = b.select(b_person="person_id", bm="m", total=b.llu_eur + b.luh_eur)
    now, before = b.view(), b.view()
    j = e.join(now, [e.person_id == now.b_person, e.m == now.bm])
    j = j.select(*e.columns, total_now=j.total)
    j = j.join(before, [j.person_id == before.b_person, j.m_before == before.bm])
    j = j.filter(j.total_now >= j.total)
    j = _with_jobcenter(db, j.select(*e.columns))
    return _rows(rule, j, _key("employment_spells", j))


def _casefile_error_rate(db, rule: QualityRule, m_lo: int, m_hi: int) -> ir.Table:
    """Case-file checks of the rule's area with at least one error."""
    c = db.table("casefile_checks")
    c = c.filter((c.area == rule.params["area"]) & (c.errors > 0))
    c = _with_jobcenter(db, c.mutate(m=_month_of(c.checked_on)))
    return _rows(rule, c, _key("casefile_checks", c))


KINDS = {
    "late_start": _late_start, "late_closure": _late_closure,
    "benefit_without_spell": _benefit_without_spell,
    "spell_without_benefit": _spell_without_benefit, "spell_overlap": _spell_overlap,
    "spell_gap": _spell_gap, "implausible_age": _implausible_age,
    "caseload_gap": _caseload_gap, "employment_without_income": _employment_without_income,
    "casefile_error_rate": _casefile_error_rate,
}
NOT_CHECKABLE = {
    "spell_without_benefit": "Der Auszug enthält für den Zeitraum keine Leistungsmonate "
                             "(benefit_months): fehlende Leistungen sind nicht prüfbar.",
    "employment_without_income": "Der Auszug enthält keinen Bruttolohn (employment_spells."
                                 "gross_monthly_eur ist leer): die Einkommenswirkung ist nicht "
                                 "prüfbar.",
}


# -- running the rules -------------------------------------------------------------------------

@dataclass
class RuleResult:
    """One rule over a period: ``flagged`` rows in it (None: not checkable, see ``reason``),
    per month (``trend``) and per team (``by_team``, None = no team); for the case-file rules
    the errors and items per month (``rates``) and the target."""
    rule: QualityRule
    flagged: int | None
    reason: str | None = None
    trend: dict[int, int] = field(default_factory=dict)
    by_team: dict[str | None, int] = field(default_factory=dict)
    rates: dict[int, tuple[int, int]] | None = None

    def error_rate(self, m: int | None = None) -> float | None:
        """Errors / items × 100 of month ``m`` (None: the whole period); None without items."""
        if self.rates is None:
            return None
        pairs = [self.rates[m]] if m is not None and m in self.rates else \
            [] if m is not None else list(self.rates.values())
        e, i = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
        return e / i * 100 if i else None


@dataclass
class QualityReport:
    """All rules for the months ``m_lo..m_hi`` of one Jobcenter (None: all)."""
    m_lo: int
    m_hi: int
    jobcenter_id: str | None
    results: list[RuleResult]

    @property
    def total(self) -> int:
        return sum(r.flagged or 0 for r in self.results)


def _select(rule_ids) -> list[QualityRule]:
    rules = quality_rules()
    for r in rule_ids or ():
        if r not in rules:
            raise UnknownRule(f"Unbekannte Prüfregel {r!r} (bekannt: {', '.join(rules)})")
    return [rules[r] for r in (rule_ids or rules)]


def _period(db, month: int | None, months: int) -> tuple[int, int]:
    if month is None:
        last = latest_month(db)
        if last is None:
            raise NotFound("Der Datenbestand enthält noch keine Leistungszeiträume (elb_spells).")
        month = month_index(last)
    return month - months + 1, month


def rule_rows(db, rule: QualityRule, m_lo: int, m_hi: int,
              jobcenter_id: str | None = None) -> ir.Table | None:
    """The flagged rows (:data:`ROW_COLUMNS`) of one rule in months ``m_lo..m_hi``; None when
    the rule cannot be checked on this extract."""
    if rule.kind not in KINDS:
        return None
    t = KINDS[rule.kind](db, rule, m_lo, m_hi)
    if t is None:
        return None
    t = t.filter((t.m >= m_lo) & (t.m <= m_hi))
    if jobcenter_id is not None:
        t = t.filter(t.jobcenter_id == jobcenter_id)
    return t.distinct()


def _reason(rule: QualityRule) -> str:
    return rule.params.get("reason") or NOT_CHECKABLE.get(rule.kind) or \
        "Mit diesem Auszug nicht prüfbar."


def run_quality(db, month: int | None = None, jobcenter_id: str | None = None,
                months: int = DEFAULT_MONTHS, rule_ids: list[str] | None = None,
                by_team: bool = True) -> QualityReport:
    """Run the declared rules for the ``months`` months ending with ``month`` (default: the
    latest Berichtsmonat of the data): one query per rule (plus one for an error rate)."""
    m_lo, m_hi = _period(db, month, months)
    results = []
    selected = _select(rule_ids)
    db = _Cached(db)
    try:
        teams = db._cache("_teams", team_assignment(db.db, m_lo, m_hi)) if by_team else None
        _run(db, selected, m_lo, m_hi, jobcenter_id, teams, results)
    finally:
        db.close()
    return QualityReport(m_lo, m_hi, jobcenter_id, results)


def _run(db, selected, m_lo, m_hi, jobcenter_id, teams, results) -> None:
    by_team = teams is not None
    for rule in selected:
        rows = rule_rows(db, rule, m_lo, m_hi, jobcenter_id)
        if rows is None:
            results.append(RuleResult(rule, None, _reason(rule)))
            continue
        if teams is not None:
            j = rows.left_join(teams, [rows.person_id == teams.person_id, rows.m == teams.rel_m])
            rows = j.select("m", unit_id=j.unit_id)
        else:
            rows = rows.select("m", unit_id=ibis.null("string"))
        counts = rows.group_by("m", "unit_id").aggregate(n=rows.count()).to_pyarrow().to_pylist()
        res = RuleResult(rule, sum(int(r["n"]) for r in counts))
        for r in counts:
            res.trend[r["m"]] = res.trend.get(r["m"], 0) + int(r["n"])
            if by_team:
                res.by_team[r["unit_id"]] = res.by_team.get(r["unit_id"], 0) + int(r["n"])
        res.trend = {m: res.trend.get(m, 0) for m in range(m_lo, m_hi + 1)}
        if rule.kind == "casefile_error_rate":
            res.rates = _rates(db, rule, m_lo, m_hi, jobcenter_id)
        results.append(res)


def _rates(db, rule: QualityRule, m_lo: int, m_hi: int, jobcenter_id: str | None
           ) -> dict[int, tuple[int, int]]:
    c = db.table("casefile_checks")
    c = c.filter(c.area == rule.params["area"]).mutate(m=_month_of(c.checked_on))
    c = c.filter((c.m >= m_lo) & (c.m <= m_hi))
    if jobcenter_id is not None:
        c = _with_jobcenter(db, c)
        c = c.filter(c.jobcenter_id == jobcenter_id)
    rows = c.group_by("m").aggregate(e=c.errors.sum(), i=c["items"].sum()).to_pyarrow().to_pylist()
    return {r["m"]: (int(r["e"] or 0), int(r["i"] or 0)) for r in rows}


def quality_summary(db, month: int | None = None) -> dict[str, int | None]:
    """rule id → flagged rows in the 12 months ending with ``month`` (default: the latest),
    all Jobcenter, no team split: the import summary's figures."""
    report = run_quality(db, month, by_team=False)
    return {r.rule.id: r.flagged for r in report.results}


def flagged_rows(db, rule_id: str | None = None, month: int | None = None,
                 jobcenter_id: str | None = None, months: int = DEFAULT_MONTHS,
                 unit_ids: set[str] | None = None) -> list[dict]:
    """The flagged rows of one rule (None: of every checkable rule; person-level: only for
    roles that may see persons; never log them), each with its team ``unit_id`` at ST(m),
    ordered by rule, month and row key."""
    rules = _select([rule_id] if rule_id is not None else None)
    m_lo, m_hi = _period(db, month, months)
    out = []
    cached = _Cached(db)
    try:
        teams = cached._cache("_teams", team_assignment(db, m_lo, m_hi))
        for rule in rules:
            rows = rule_rows(cached, rule, m_lo, m_hi, jobcenter_id)
            if rows is None:
                continue
            j = rows.left_join(teams, [rows.person_id == teams.person_id, rows.m == teams.rel_m])
            j = j.select(*ROW_COLUMNS, unit_id=j.unit_id).order_by("m", "row_key")
            out += j.to_pyarrow().to_pylist()
    finally:
        cached.close()
    if unit_ids is not None:
        out = [r for r in out if r["unit_id"] in unit_ids]
    return out


# -- lights, trend, JSON shapes ----------------------------------------------------------------

LIGHTS = ("green", "yellow", "red", "grey")


def rule_light(r: RuleResult) -> tuple[str, str]:
    """(light, German reason) of a rule over its period. A case-file rule: its error rate of
    the period against the target (green below, red at or above; grey without checked items).
    Any other rule: green with no flagged row in the latest month, yellow with flagged rows
    but not more than the average of the months before, red above that average; grey when
    the rule is not checkable."""
    if r.flagged is None:
        return "grey", r.reason or "nicht prüfbar"
    if r.rates is not None:
        rate, target = r.error_rate(), r.rule.params["target_pct"]
        if rate is None:
            return "grey", "keine Fallprüfungen im Zeitraum"
        ok = rate < target
        return ("green" if ok else "red"), \
            f"Fehlerquote {i18n.pct(rate)} {'unter' if ok else 'nicht unter'} {target} %"
    months = sorted(r.trend)
    if not months:
        return "grey", "kein Monat im Zeitraum"
    last, before = r.trend[months[-1]], [r.trend[m] for m in months[:-1]]
    if last == 0:
        return "green", "keine Auffälligkeit im letzten Monat"
    avg = sum(before) / len(before) if before else 0
    if last <= avg:
        return "yellow", (f"{i18n.num(last)} im letzten Monat, nicht mehr als der Durchschnitt "
                          f"der Vormonate ({i18n.num(avg, 1)})")
    return "red", (f"{i18n.num(last)} im letzten Monat, mehr als der Durchschnitt der "
                   f"Vormonate ({i18n.num(avg, 1)})")


def rule_json(r: RuleResult) -> dict:
    """One rule's result as the CLI, the API and the reports hand it out (numbers unrounded,
    null where none)."""
    light, why = rule_light(r)
    d = {**r.rule.as_json(), "flagged": r.flagged, "reason": r.reason, "light": light,
         "light_reason": why,
         "trend": [{"month": format_month(m), "flagged": n} for m, n in r.trend.items()],
         "by_team": [{"unit_id": u, "flagged": n} for u, n in
                     sorted(r.by_team.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))]}
    if r.rates is not None:
        d["error_rate"] = r.error_rate()
        d["target_pct"] = r.rule.params.get("target_pct")
        d["error_rates"] = [{"month": format_month(m), "errors": e, "items": i,
                             "rate": r.error_rate(m)} for m, (e, i) in sorted(r.rates.items())]
    return d


def report_json(report: QualityReport) -> dict:
    return {"from": format_month(report.m_lo), "to": format_month(report.m_hi),
            "jobcenter_id": report.jobcenter_id, "total": report.total,
            "rules": [rule_json(r) for r in report.results]}


def quality_trend(db, month: int | None = None, jobcenter_id: str | None = None,
                  months: int = DEFAULT_MONTHS) -> QualityReport:
    """Every rule's flagged rows per month over the ``months`` months ending with ``month``
    (one query per rule, plus one per case-file rule for its denominator), no team split."""
    return run_quality(db, month, jobcenter_id, months, by_team=False)


def trend_records(report: QualityReport) -> list[dict]:
    """One record per rule and month: ``flagged``; where the rule has a denominator (the
    case-file checks: checked items) also ``errors``, ``items``, ``rate`` (errors ÷ items ×
    100; null without items) and ``target_pct``. A rule that is not checkable has no record
    (never a 0)."""
    out = []
    for r in report.results:
        if r.flagged is None:
            continue
        for m, n in r.trend.items():
            rec = {"rule_id": r.rule.id, "month": format_month(m), "flagged": n,
                   "errors": None, "items": None, "rate": None, "target_pct": None}
            if r.rates is not None:
                e, i = r.rates.get(m, (0, 0))
                rec.update(errors=e, items=i, rate=r.error_rate(m),
                           target_pct=r.rule.params.get("target_pct"))
            out.append(rec)
    return out


# -- what changed since the previous data state ------------------------------------------------

def quality_keys(db, month: int | None = None, months: int = DEFAULT_MONTHS
                 ) -> tuple[int, int, dict[str, dict[str, int] | None]]:
    """(m_lo, m_hi, rule id → {row key: month} of its flagged rows; None: not checkable) over
    the ``months`` months ending with ``month`` (default: the latest), all Jobcenter: what the
    import keeps to say next time what changed (one query per rule)."""
    m_lo, m_hi = _period(db, month, months)
    out: dict[str, dict[str, int] | None] = {}
    cached = _Cached(db)
    try:
        for rule in _select(None):
            rows = rule_rows(cached, rule, m_lo, m_hi)
            if rows is None:
                out[rule.id] = None
                continue
            t = rows.select("row_key", "m").to_pyarrow()
            out[rule.id] = dict(zip(t["row_key"].to_pylist(), t["m"].to_pylist()))
    finally:
        cached.close()
    return m_lo, m_hi, out


@dataclass(frozen=True)
class RuleChange:
    """What changed in one rule since the previous data state: rows flagged now that were not
    (``new``), rows flagged then, still inside the period, that are not any more
    (``resolved``); ``before`` None: no previous state of this rule."""
    rule_id: str
    now: int | None
    before: int | None
    new: int
    resolved: int


def quality_changes(now: dict[str, dict[str, int] | None],
                    before: dict[str, dict[str, int] | None] | None,
                    m_lo: int) -> list[RuleChange]:
    """Compare two :func:`quality_keys` results (the current one's period starts at ``m_lo``;
    a previous row from before ``m_lo`` left the period and is not counted as resolved)."""
    out = []
    for rule_id, keys in now.items():
        prev = None if before is None else before.get(rule_id)
        if keys is None or prev is None:
            out.append(RuleChange(rule_id, None if keys is None else len(keys),
                                  None if prev is None else len(prev), 0, 0))
            continue
        new = sum(1 for k in keys if k not in prev)
        resolved = sum(1 for k, m in prev.items() if m >= m_lo and k not in keys)
        out.append(RuleChange(rule_id, len(keys), len(prev), new, resolved))
    return out


def still_flagged(db, rule_id: str, row_keys: set[str], month: int | None = None,
                  months: int = 120) -> set[str]:
    """Those of ``row_keys`` the rule flags in any of the ``months`` months ending with
    ``month`` (default: ten years): a follow-up whose row left the list's period is not
    "behoben" while its fault is still in the data."""
    if not row_keys:
        return set()
    rule = _select([rule_id])[0]
    m_lo, m_hi = _period(db, month, months)
    rows = rule_rows(db, rule, m_lo, m_hi)
    if rows is None:
        return set()
    rows = rows.filter(rows.row_key.isin(sorted(row_keys)))
    return set(rows.select("row_key").to_pyarrow()["row_key"].to_pylist())
