"""Budget scenarios (issue 13 item 4): change plan lines of a year and see the expected
Eintritte, participants, Eingliederungen and the effect on the K2 target (Integrationen), from each
instrument's observed rates over twelve months. Pure arithmetic over the engine's records; no
steering import (the shells hand in the changes and the targets).

>>> basis = scenario_basis(view, 2020, "03504")           # plan lines + observed rates + K2 Nenner
>>> r = evaluate(basis, "EGL -10 %", parse_changes(["title=egl:-10%"]))
>>> r.as_json()                                           # the CLI's and the API's JSON

The model, per instrument i with observed payments Z, participants T, Eintritte N, Austritte A,
Austritte within the data horizon H and of those in sv employment six months later E (all over the
twelve months t−11..t of the basis month, :func:`amip.engine.budget.outcomes`), for a plan amount B:

- cost per participant c = Z / T; participants = B / c;
- Eintritte = B × N / Z; Austritte = B × A / Z; Eingliederungen = Austritte × E / H;
- Integrationen (K2): for an instrument that is itself a counted employment funding (the rule
  version's ``integration_fundings``: egz, esg, 16e, esf_lza) its Eintritte, otherwise its
  Eingliederungen;
- Δ K2 (points) = Δ Integrationen ÷ the K2 denominator (the average ELB stock of the twelve
  Vormonate of the basis month) × 100.

Linear and descriptive: the observed rates stand in for the future; nothing here is causal.
An instrument without observed payments or participants has null figures with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from amip.catalogue import load
from amip.engine import budget
from amip.engine.calendar import format_month, month_end, month_index
from amip.engine.scenario_changes import SCENARIO_TITLES, Change
from amip.errors import DataError

ZERO = Decimal(0)
BASE = "Basisplan"


# -- what a scenario reads from the store ---------------------------------------------------------

@dataclass(frozen=True)
class Rates:
    """The observed figures of one instrument over the twelve months (item 43, 58)."""
    instrument: str
    payments: Decimal
    participants: int
    eintritte: int
    austritte: int
    in_horizon: int
    eingliederungen: int


@dataclass(frozen=True)
class ScenarioBasis:
    """Everything a scenario's result depends on besides its changes (picklable)."""
    jobcenter_id: str
    year: int
    basis_month: int  # month index t of the twelve months t−11..t
    plan: dict[tuple[str, str], Decimal]  # (title, instrument) -> plan incl. Umschichtungen
    rates: dict[str, Rates]
    entry_instruments: frozenset[str]  # whose Eintritte are Integrationen
    k2_denominator: float | None
    k2_reason: str | None = None
    targets: dict[str, float | None] = field(default_factory=dict)  # K2, integrations


def default_basis_month(db, year: int) -> int:
    """December of the year before, or the last whole month the measure spells reach."""
    dec = month_index(dt.date(year - 1, 12, 1))
    last = budget._datenstand(db, "measure_spells")
    if last is None:
        return dec
    m = month_index(last)
    if last != month_end(m):
        m -= 1
    return min(dec, m)


def scenario_basis(db, year: int, jobcenter_id: str, basis_month: int | None = None,
                   targets: dict[str, float | None] | None = None) -> ScenarioBasis:
    """The plan lines of ``year`` (``budget.status``: budget_plan + Umschichtungen), the observed
    rates per instrument of the twelve months to ``basis_month`` (``budget.outcomes``) and the K2
    denominator of that month. ``targets``: the Jobcenter's K2 and integrations targets."""
    from amip.engine.indicators import compute

    t = default_basis_month(db, year) if basis_month is None else basis_month
    plan = {(r.title, r.instrument): r.plan for r in budget.status(db, year, None, jobcenter_id)
            if r.instrument is not None and r.title in SCENARIO_TITLES}
    rates = {}
    for o in budget.outcomes(db, [t], jobcenter_id):
        if o.jobcenter_id == jobcenter_id:
            rates[o.instrument] = Rates(o.instrument, o.payments, o.participants, o.eintritte,
                                        o.austritte, o.in_horizon, o.eingliederungen)
    cat = load()
    version = cat.rules_for(month_end(t))
    k2 = [r for r in compute(db, [t], jobcenter_id, codes=["K2"]) if r.sex == "all"]
    denominator = k2[0].denominator if k2 else None
    reason = None
    if not k2 or denominator is None:
        reason = (k2[0].reason if k2 and k2[0].reason else "kein K2-Nenner im Basismonat")
        denominator = None
    elif not denominator:
        reason, denominator = "ELB-Bestand der zwölf Vormonate ist 0", None
    return ScenarioBasis(jobcenter_id, year, t, plan, rates,
                         frozenset(version.integration_fundings), float(denominator)
                         if denominator is not None else None, reason, dict(targets or {}))


# -- applying the changes --------------------------------------------------------------------------

def _title_of(plan: dict, title: str | None, instrument: str, at: str) -> str:
    if title:
        return title
    titles = sorted({t for t, i in plan if i == instrument})
    if len(titles) > 1:
        raise DataError(f"{at}: Instrument {instrument} hat Planansätze in {' und '.join(titles)}; "
                        f"bitte den Titel nennen ({titles[0]}/{instrument})")
    return titles[0] if titles else "egl"


def apply_changes(plan: dict[tuple[str, str], Decimal],
                  changes: list[Change]) -> dict[tuple[str, str], Decimal]:
    """The scenario's plan lines: each change in order; a line may not become negative."""
    out = dict(plan)
    for n, c in enumerate(changes, 1):
        at = f"Änderung {n} ({c.text})"
        if c.kind == "percent" and c.instrument is None:
            keys = [k for k in out if k[0] == c.title]
            if not keys:
                raise DataError(f"{at}: Titel {c.title} hat im Plan keine Instrumente")
            for k in keys:
                out[k] = out[k] * (100 + c.percent) / 100
        elif c.kind in ("percent", "set"):
            k = (_title_of(out, c.title, c.instrument, at), c.instrument)
            if c.kind == "set":
                out[k] = c.amount
            else:
                if k not in out:
                    raise DataError(f"{at}: Instrument {c.instrument} hat keinen Planansatz "
                                    f"im Titel {k[0]}; eine Änderung in % ändert nichts")
                out[k] = out[k] * (100 + c.percent) / 100
        else:
            for t, i, a in c.lines:
                k = (_title_of(out, t, i, at), i)
                out[k] = out.get(k, ZERO) + a
                if out[k] < 0:
                    raise DataError(f"{at}: der Planansatz von {k[0]}/{i} würde negativ "
                                    f"({budget._money(out[k])} €)")
    return {k: v.quantize(budget.CENT) for k, v in out.items()}


# -- the result ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    """The expected figures of one plan amount (None: no observed rate, see the line's reason)."""
    participants: Decimal | None
    eintritte: Decimal | None
    austritte: Decimal | None
    eingliederungen: Decimal | None
    integrationen: Decimal | None


NONE = Figures(None, None, None, None, None)
FIGURE_KEYS = ("participants", "eintritte", "austritte", "eingliederungen", "integrationen")


def _figures(amount: Decimal, r: Rates | None, entry: bool) -> Figures:
    if r is None or r.payments <= 0 or r.participants == 0:
        return NONE
    participants = amount * r.participants / r.payments
    eintritte = amount * r.eintritte / r.payments
    austritte = amount * r.austritte / r.payments
    egl = None if r.in_horizon == 0 else austritte * r.eingliederungen / r.in_horizon
    return Figures(participants, eintritte, austritte, egl, eintritte if entry else egl)


def _reason(r: Rates | None, entry: bool) -> str | None:
    if r is None:
        return "keine Teilnehmenden in den zwölf Monaten: keine beobachteten Kosten"
    if r.payments <= 0:
        return "keine Zahlungen in den zwölf Monaten: keine beobachteten Kosten je Teilnehmenden"
    if r.in_horizon == 0:
        return ("kein Austritt, dessen Tag sechs Monate später im Datenstand liegt: keine "
                "Eingliederungsquote" + ("" if entry else ", keine Integrationen"))
    return None


@dataclass(frozen=True)
class Line:
    """One instrument (``instrument`` None: the total over the instruments with figures)."""
    title: str | None
    instrument: str | None
    plan: Decimal
    scenario: Decimal
    base: Figures
    expected: Figures
    reason: str | None

    def as_json(self) -> dict:
        out = {"title": self.title, "instrument": self.instrument, "plan": float(self.plan),
               "scenario": float(self.scenario), "delta": float(self.scenario - self.plan)}
        for k in FIGURE_KEYS:
            b, e = getattr(self.base, k), getattr(self.expected, k)
            out[f"{k}_plan"] = _f(b)
            out[f"{k}_scenario"] = _f(e)
            out[f"{k}_delta"] = None if b is None or e is None else float(e - b)
        out["reason"] = self.reason
        return out


def _f(x: Decimal | None) -> float | None:
    return None if x is None else float(x)


@dataclass(frozen=True)
class ScenarioResult:
    jobcenter_id: str
    year: int
    name: str
    description: str | None
    changes: tuple[Change, ...]
    basis_month: int
    lines: tuple[Line, ...]
    total: Line
    integrations_delta: Decimal | None
    k2_denominator: float | None
    k2_points_delta: float | None
    k2_reason: str | None
    targets: dict[str, float | None]
    assumptions: tuple[dict, ...]
    version: int | None = None

    def as_json(self) -> dict:
        lo = format_month(self.basis_month - 11)
        return {
            "jobcenter_id": self.jobcenter_id, "year": self.year, "name": self.name,
            "description": self.description, "version": self.version,
            "changes": [c.text for c in self.changes],
            "basis": {"from": lo, "to": format_month(self.basis_month)},
            "lines": [ln.as_json() for ln in self.lines], "total": self.total.as_json(),
            "k2": {"integrations_delta": _f(self.integrations_delta),
                   "denominator": self.k2_denominator, "points_delta": self.k2_points_delta,
                   "target": self.targets.get("K2"),
                   "integrations_target": self.targets.get("integrations"),
                   "reason": self.k2_reason},
            "assumptions": list(self.assumptions),
            "caveat": budget.budget_catalogue().caveat,
        }


def evaluate(basis: ScenarioBasis, name: str, changes: list[Change],
             description: str | None = None, version: int | None = None) -> ScenarioResult:
    """The scenario's result: per instrument plan and scenario with the expected figures, the
    total, the K2 effect and every assumption used. Same basis and changes → same result."""
    scen = apply_changes(basis.plan, changes)
    lines, assumptions = [], []
    sums: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    incomplete = []
    for title, instr in sorted(set(basis.plan) | set(scen)):
        r = basis.rates.get(instr)
        entry = instr in basis.entry_instruments
        b_amount, s_amount = basis.plan.get((title, instr), ZERO), scen.get((title, instr), ZERO)
        base, exp = _figures(b_amount, r, entry), _figures(s_amount, r, entry)
        reason = _reason(r, entry)
        lines.append(Line(title, instr, b_amount, s_amount, base, exp, reason))
        assumptions.append(_assumption(basis, title, instr, r, entry, reason))
        for k in FIGURE_KEYS:
            if getattr(base, k) is not None:
                sums[k][0] += getattr(base, k)
                sums[k][1] += getattr(exp, k)
            elif s_amount != b_amount or b_amount:
                incomplete.append(instr)
    plan_total = sum((ln.plan for ln in lines), ZERO)
    scen_total = sum((ln.scenario for ln in lines), ZERO)
    total = Line(None, None, plan_total, scen_total,
                 Figures(*(sums[k][0] if k in sums else None for k in FIGURE_KEYS)),
                 Figures(*(sums[k][1] if k in sums else None for k in FIGURE_KEYS)),
                 None if not incomplete else "ohne " + ", ".join(sorted(set(incomplete)))
                 + " (keine beobachteten Raten)")
    d_int = None if "integrationen" not in sums else sums["integrationen"][1] - \
        sums["integrationen"][0]
    points = None
    if d_int is not None and basis.k2_denominator:
        points = float(d_int * 100 / Decimal(str(basis.k2_denominator)))
    assumptions.append({
        "instrument": None, "title": None, "rate": "k2_denominator",
        "value": basis.k2_denominator,
        "period_from": format_month(basis.basis_month - 12),
        "period_to": format_month(basis.basis_month - 1),
        "source": "K2-Nenner: durchschnittlicher ELB-Bestand der zwölf Vormonate des "
                  f"Basismonats {format_month(basis.basis_month)} (§ 48a, VO § 5 Abs. 1)",
        "reason": basis.k2_reason})
    return ScenarioResult(basis.jobcenter_id, basis.year, name, description, tuple(changes),
                          basis.basis_month, tuple(lines), total, d_int, basis.k2_denominator,
                          points, basis.k2_reason, basis.targets, tuple(assumptions), version)


def _assumption(basis: ScenarioBasis, title: str, instr: str, r: Rates | None, entry: bool,
                reason: str | None) -> dict:
    def q(a, b):
        return None if not b else float(Decimal(a) / Decimal(b))

    out = {"instrument": instr, "title": title,
           "period_from": format_month(basis.basis_month - 11),
           "period_to": format_month(basis.basis_month),
           "integrationen_from": "eintritte" if entry else "eingliederungen",
           "source": "beobachtet: Zahlungen (egl, kommunal) nach Buchungstag, Teilnahmen, "
                     "Eintritte und Austritte der Maßnahmen in den zwölf Monaten (§12 Nr. 43, "
                     "Nr. 55–58)",
           "reason": reason}
    if r is None:
        return out | dict.fromkeys(("payments", "participants", "eintritte", "austritte",
                                    "in_horizon", "eingliederungen", "cost_per_participant",
                                    "eintritte_per_participant", "austritte_per_participant",
                                    "eingliederungsquote"))
    return out | {
        "payments": float(r.payments), "participants": r.participants,
        "eintritte": r.eintritte, "austritte": r.austritte, "in_horizon": r.in_horizon,
        "eingliederungen": r.eingliederungen,
        "cost_per_participant": q(r.payments, r.participants) if r.payments > 0 else None,
        "eintritte_per_participant": q(r.eintritte, r.participants),
        "austritte_per_participant": q(r.austritte, r.participants),
        "eingliederungsquote": None if not r.in_horizon else
        float(Decimal(100 * r.eingliederungen) / r.in_horizon)}


def compare(basis: ScenarioBasis, scenarios: list[tuple[str, str | None, list[Change],
                                                          int | None]]) -> dict:
    """The base plan and the scenarios side by side (JSON): ``{"base": …, "scenarios": […]}``;
    each scenario as :meth:`ScenarioResult.as_json`."""
    return {"base": evaluate(basis, BASE, []).as_json(),
            "scenarios": [evaluate(basis, n, c, d, v).as_json() for n, d, c, v in scenarios]}


def plan_years(db) -> list[int]:
    """The years with a budget plan (of any Jobcenter)."""
    return sorted({r["year"] for r in budget._plan_lines(db, None)})


def plan_jobcenter(db, year: int, jobcenter_id: str | None = None) -> str:
    """The Jobcenter a scenario of ``year`` is about: the named one, or the only one with a
    budget plan for the year; else a German error."""
    jcs = sorted({r["jobcenter_id"] for r in budget._plan_lines(db, None) if r["year"] == year})
    if jobcenter_id is not None:
        if jobcenter_id not in jcs:
            raise DataError(f"Jobcenter {jobcenter_id!r} hat für {year} keinen Budgetplan.")
        return jobcenter_id
    if not jcs:
        raise DataError(f"Für {year} gibt es keinen Budgetplan: ein Szenario ändert Planansätze.")
    if len(jcs) > 1:
        raise DataError(f"Für {year} haben mehrere Jobcenter einen Budgetplan "
                        f"({', '.join(jcs)}); bitte das Jobcenter nennen.")
    return jcs[0]


def result_of(basis: ScenarioBasis, row) -> ScenarioResult:
    """The result of a stored scenario (a row with name, description, changes, version)."""
    return evaluate(basis, row.name, list(row.changes), row.description, row.version)


def compare_rows(basis: ScenarioBasis, rows) -> dict:
    """:func:`compare` of stored scenarios (rows as :func:`result_of` reads them)."""
    return compare(basis, [(r.name, r.description, list(r.changes), r.version) for r in rows])
