"""The REST API of the budget under /api/v1/budget (also /api/budget) (issue 13 item 5): status, landing, outcomes,
the year comparison and the scenarios — the same JSON as ``amip budget … --format json``;
scenarios entered with the ``budget = "edit"`` right of ``roles.toml``, with the version they are
based on (409 with a German detail when stale), every change audited (``budget.scenario``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from amip.disclosure import DEFAULT_RULE
from amip.engine import budget
from amip.engine.scenario_changes import parse_changes
from amip.errors import AmipError
from amip.web.api import date_param, month_param, services
from amip.web.auth import current_user
from amip.web.problems import Problem, problem_responses
from amip.web.scenarios import basis_of, compare_json, jobcenter_of, may_edit_budget, protect
from amip.web.target_api import _change, _deny
from amip.web.targets import steering_of
from amip.web.users import User

#: mounted under /api/v1 (documented) and /api (the issue's paths), see amip/web/app.py
router = APIRouter(prefix="/budget", tags=["budget"])
YEAR = Query(ge=2000, le=2099, description="Haushaltsjahr / budget year", examples=[2020])
YEAR_PATH = Path(ge=2000, le=2099, description="Haushaltsjahr / budget year", examples=[2020])
JOBCENTER = Query(None, max_length=20, description="nur dieses Jobcenter / only this Jobcenter")
ACTION = "budget.scenario"
READ = problem_responses(400, 401, 404, 422, 500)
WRITE = problem_responses(400, 401, 403, 404, 409, 422, 500)


class ScenarioIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    year: int = Field(ge=2000, le=2099)
    jobcenter_id: str | None = Field(None, max_length=20, description="Standard: das einzige "
                                                                      "mit einem Budgetplan")
    description: str | None = Field(None, max_length=1000)
    changes: list[str] = Field(min_length=1, max_length=100, description=(
        "Änderungen in Textform: instrument=fbw:250000, instrument=16i:+100%, title=egl:-10%, "
        "move=fbw>egz:100000, move=fbw:-100,egz:+100 (docs/budget.md, Szenarien)"))
    reason: str | None = Field(None, max_length=500)


class ScenarioChange(BaseModel):
    description: str | None = Field(None, max_length=1000)
    changes: list[str] = Field(min_length=1, max_length=100)
    reason: str | None = Field(None, max_length=500)
    version: int = Field(ge=1, description="die Version, auf der die Änderung beruht")


class ScenarioWithdrawal(BaseModel):
    reason: str | None = Field(None, max_length=500)
    version: int = Field(ge=1, description="die Version, auf der das Zurückziehen beruht")


def _query(request: Request, fn, *args):
    """An engine function on the request's store view; a German problem on bad input."""
    try:
        return services(request).query(fn, *args)
    except AmipError as e:
        raise Problem(e.http_status if 400 <= e.http_status < 500 else 400, str(e)) from None


def _status(view, year, as_of, jc):
    return [r.as_json() for r in budget.status(view, year, as_of, jc)]


def _landing(view, year, month, jc):
    return [r.as_json() for r in budget.landing(view, year, month, jc)]


def _outcomes(view, month, jc):
    return [r.as_json() for r in budget.outcomes(view, [month], jc)]


def _comparison(view, year_before, year, jc):
    return budget.comparison_json(budget.comparison(view, year_before, year, jc), year_before,
                                  year)


@router.get("/status", responses=READ,
            summary="Budgetstand / budget status (as `amip budget status --format json`)")
def status(request: Request, year: int = YEAR,
           as_of: str | None = Query(None, description="Buchungen bis zu diesem Tag JJJJ-MM-TT"),
           jobcenter_id: str | None = JOBCENTER, user: User = Depends(current_user)):
    return JSONResponse(_query(request, _status, year, date_param("as_of", as_of), jobcenter_id))


@router.get("/landing", responses=READ,
            summary="Jahresabschluss-Prognose / landing (as `amip budget landing`)")
def landing(request: Request, year: int = YEAR,
            month: str = Query(description="Stand: Ende dieses Monats JJJJ-MM"),
            jobcenter_id: str | None = JOBCENTER, user: User = Depends(current_user)):
    m = month_param("month", month)
    if m // 12 != year:
        raise Problem(400, f"Parameter month: {month} liegt nicht im Haushaltsjahr {year}")
    return JSONResponse(_query(request, _landing, year, m, jobcenter_id))


@router.get("/outcomes", responses=READ,
            summary="Ergebnisse je Instrument / outcomes (as `amip budget outcomes`)",
            description="Beschreibend, nicht kausal. Rollen unter Geheimhaltung: kleine "
                        "Austrittszahlen (1–2) und die Quoten daraus sind null.")
def outcomes(request: Request, month: str = Query(description="letzter Monat JJJJ-MM"),
             jobcenter_id: str | None = JOBCENTER, user: User = Depends(current_user)):
    rows = _query(request, _outcomes, month_param("month", month), jobcenter_id)
    if user.rights.disclosure:
        for r in rows:
            if DEFAULT_RULE.hides(r["austritte"]):
                r.update(austritte=None, eingliederungsquote=None, verbleibsquote=None,
                         cost_per_eingliederung=None)
    return JSONResponse(rows)


@router.get("/comparison", responses=READ,
            summary="Jahresvergleich / year comparison (as `amip budget compare`)")
def comparison(request: Request, year: int = YEAR,
               year_before: int | None = Query(None, ge=2000, le=2099,
                                               description="Standard: das Vorjahr"),
               jobcenter_id: str | None = JOBCENTER, user: User = Depends(current_user)):
    before = year - 1 if year_before is None else year_before
    return JSONResponse(_query(request, _comparison, before, year, jobcenter_id))


@router.get("/scenarios", responses=READ,
            summary="Szenarien eines Jahres / the scenarios of a year "
                    "(as `amip budget scenario list`)")
def scenarios(request: Request, year: int = YEAR, jobcenter_id: str | None = JOBCENTER,
              user: User = Depends(current_user)):
    rows = steering_of(request).scenarios(year, jobcenter_id=jobcenter_id)
    return JSONResponse([r.as_json() for r in rows])


@router.get("/scenarios/{year}", responses=READ,
            summary="Szenarien neben dem Basisplan / side by side with the base "
                    "(as `amip budget scenario compare`)")
def compare(request: Request, year: int = YEAR_PATH,
            name: list[str] | None = Query(None, description="nur diese Szenarien"),
            jobcenter_id: str | None = JOBCENTER, user: User = Depends(current_user)):
    try:
        out = compare_json(services(request), steering_of(request), year, name, jobcenter_id,
                           user.rights.disclosure)
    except AmipError as e:
        raise Problem(e.http_status if 400 <= e.http_status < 500 else 400, str(e)) from None
    return JSONResponse(out)


@router.get("/scenarios/{year}/{name}", responses=READ,
            summary="Ergebnis eines Szenarios / a scenario's result "
                    "(as `amip budget scenario show --format json`)")
def result(request: Request, year: int = YEAR_PATH, name: str = Path(max_length=100),
           basis: str | None = Query(None, description="letzter Monat der beobachteten zwölf "
                                                       "Monate JJJJ-MM (Standard: Dez. Vorjahr)"),
           jobcenter_id: str | None = JOBCENTER, user: User = Depends(current_user)):
    from amip.engine.budget_scenario import result_of

    svc, steering = services(request), steering_of(request)
    try:
        b = basis_of(svc, steering, year, jobcenter_id, month_param("basis", basis))
    except AmipError as e:
        raise Problem(e.http_status if 400 <= e.http_status < 500 else 400, str(e)) from None
    row = steering.scenario(name, year, b.jobcenter_id)
    if row is None or row.withdrawn:
        raise Problem(404, f"Szenario {name!r} {year} gibt es nicht.", title="Not Found")
    return JSONResponse(protect(result_of(b, row).as_json(), user.rights.disclosure))


def _write(request: Request, user: User, scope: str, verb: str, work, status: int = 200):
    """A scenario change: only with ``budget = "edit"`` (else 403, audited), then
    :func:`_change` (409 when stale, audited)."""
    if not may_edit_budget(user):
        _deny(request, user, ACTION, scope, f"Die Rolle {user.rights.label} darf keine "
                                            f"Szenarien {verb}.")
    return JSONResponse(_change(request, user, ACTION, scope, work).as_json(),
                        status_code=status)


@router.post("/scenarios", status_code=201, responses=WRITE,
             summary="Szenario speichern / save a scenario (Rolle mit budget = edit)",
             description="Ein neues Szenario; gibt es den Namen schon: 409 (dann PUT mit "
                         "version).")
def post_scenario(request: Request, body: ScenarioIn, user: User = Depends(current_user)):
    def work():
        changes = parse_changes(body.changes)
        jc = jobcenter_of(services(request), body.year, body.jobcenter_id)
        return steering_of(request).save_scenario(jc, body.year, body.name, body.description,
                                                  changes, user.name, body.reason, 0)
    return _write(request, user, f"{body.jobcenter_id or '-'}/{body.year}/{body.name}",
                  "speichern", work, 201)


@router.put("/scenarios/{year}/{name}", responses=WRITE,
            summary="Szenario ändern / change a scenario (with the version it is based on)",
            description="Stimmt `version` nicht mit der aktuellen Version überein: 409.")
def put_scenario(request: Request, body: ScenarioChange, year: int = YEAR_PATH,
                 name: str = Path(max_length=100), jobcenter_id: str | None = JOBCENTER,
                 user: User = Depends(current_user)):
    def work():
        changes = parse_changes(body.changes)
        steering = steering_of(request)
        jc = jobcenter_of(services(request), year, jobcenter_id)
        current = steering.scenario(name, year, jc)
        if current is None or current.withdrawn:
            raise Problem(404, f"Szenario {name!r} {year} gibt es nicht (POST /budget/scenarios "
                               "zum Speichern).", title="Not Found")
        return steering.save_scenario(jc, year, name, body.description, changes, user.name,
                                      body.reason, body.version)
    return _write(request, user, f"{jobcenter_id or '-'}/{year}/{name}", "ändern", work)


@router.post("/scenarios/{year}/{name}/withdraw", responses=WRITE,
             summary="Szenario zurückziehen / withdraw a scenario (a new version)")
def withdraw_scenario(request: Request, body: ScenarioWithdrawal, year: int = YEAR_PATH,
                      name: str = Path(max_length=100), jobcenter_id: str | None = JOBCENTER,
                      user: User = Depends(current_user)):
    def work():
        jc = jobcenter_of(services(request), year, jobcenter_id)
        return steering_of(request).withdraw_scenario(name, year, jc, user.name, body.reason,
                                                      body.version)
    return _write(request, user, f"{jobcenter_id or '-'}/{year}/{name}", "zurückziehen", work)


__all__ = ["router"]
