"""Budget scenarios in the web (issue 13 items 4–5): the scenario basis through the Services
cache, the ``budget`` right of ``roles.toml`` and disclosure of the small counts behind the rates
— shared by the page (:mod:`amip.web.scenario_pages`) and the API (:mod:`amip.web.budget_api`).
The figures are :mod:`amip.engine.budget_scenario`'s, exactly the CLI's JSON."""

from __future__ import annotations

from amip.disclosure import DEFAULT_RULE
from amip.engine import budget_scenario as engine

#: counts of the assumptions and the rates that would reveal them (disclosure control)
ASSUMPTION_COUNTS = ("participants", "eintritte", "austritte", "in_horizon", "eingliederungen")
ASSUMPTION_RATES = ("cost_per_participant", "eintritte_per_participant",
                    "austritte_per_participant", "eingliederungsquote")


def may_edit_budget(user) -> bool:
    return user.rights.budget == "edit"


def jobcenter_of(services, year: int, jobcenter_id: str | None = None) -> str:
    """The Jobcenter with a budget plan for ``year`` (the named or the only one)."""
    return services.memoized("scenario_jobcenter", lambda *_: services.query(
        engine.plan_jobcenter, year, jobcenter_id), year, jobcenter_id)


def basis_of(services, steering, year: int, jobcenter_id: str | None = None,
             basis_month: int | None = None) -> engine.ScenarioBasis:
    """The scenario basis (plan lines, observed rates, K2 denominator, the Jobcenter's K2 and
    integrations targets), cached per data state and targets."""
    jc = jobcenter_of(services, year, jobcenter_id)
    targets = tuple(sorted(steering.scenario_targets(jc, year).items()))
    return services.memoized("scenario_basis", lambda *_: services.query(
        _basis, year, jc, basis_month, targets), year, jc, basis_month, targets)


def _basis(view, year, jc, basis_month, targets):
    return engine.scenario_basis(view, year, jc, basis_month, dict(targets))


def protect(result: dict, hide: bool) -> dict:
    """A result as a role under disclosure control sees it: each small count of an assumption
    (1–2, :data:`amip.disclosure.DEFAULT_RULE`) is null, with the rates derived from it."""
    if not hide:
        return result
    out = dict(result)
    protected = []
    for a in result["assumptions"]:
        a = dict(a)
        if any(isinstance(a.get(k), int) and DEFAULT_RULE.hides(a[k])
               for k in ASSUMPTION_COUNTS):
            for k in ASSUMPTION_COUNTS + ASSUMPTION_RATES:
                if k in a:
                    a[k] = None
            a["reason"] = (a.get("reason") or "") + (" – " if a.get("reason") else "") + \
                "kleine Fallzahlen: Angaben geschützt"
        protected.append(a)
    out["assumptions"] = protected
    return out


def compare_json(services, steering, year: int, names: list[str] | None = None,
                 jobcenter_id: str | None = None, hide: bool = False) -> dict:
    """The base plan and the year's scenarios (or those named) side by side."""
    basis = basis_of(services, steering, year, jobcenter_id)
    rows = steering.scenarios(year, jobcenter_id=basis.jobcenter_id)
    if names:
        rows = [r for r in rows if r.name in names]
    out = engine.compare_rows(basis, rows)
    return {"base": protect(out["base"], hide),
            "scenarios": [protect(s, hide) for s in out["scenarios"]]}
