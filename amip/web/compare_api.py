"""The REST API of the comparison of all Jobcenter under /api/v1 (issue 16 item 5): the same
figures as the page "Vergleich", as the dataclass fields of :mod:`amip.compare` (the JSON of
``amip compare --format json``). Which Jobcenter a role sees by name is roles.toml ``compare``
(:mod:`amip.web.compare`); roles with ``disclosure = true`` get small counts hidden (null, with
the reason). Every read is audited (``compare.read``, with month, measures and the number of
Jobcenter; never a figure)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from amip.engine.calendar import format_month
from amip.engine.horizon import NoFigures
from amip.errors import AmipError
from amip.web import compare as cmp
from amip.web.api import month_param, month_span, services
from amip.web.auth import current_user
from amip.web.problems import Problem, problem_responses
from amip.web.users import User

router = APIRouter(prefix="/api/v1", tags=["api"])
MONTH = Query(None, description="Berichtsmonat YYYY-MM (Standard: der letzte) / reporting "
                                "month (default: the latest)", max_length=7)
MEASURES = Query(None, max_length=200, description="Kennzahlen, durch Komma getrennt (Standard: "
                                                   "alle 15) / measure codes, comma-separated")
JOBCENTER = Path(description="Jobcenter (Regionalschlüssel)", max_length=20,
                 pattern=r"^[A-Za-z0-9_.-]+$")


class FigureRecord(BaseModel):
    month: str
    level: str = Field(description="jobcenter | national | land | vergleichstyp")
    key: str | None = Field(description="Jobcenter, Land oder Vergleichstyp (national: null)")
    jobcenter_id: str | None
    name: str | None
    land: str | None
    kind: str | None = Field(description="ge | zkt")
    vergleichstyp: str | None
    unemployment_rate: float | None
    urbanity: float | None
    foreign_share: float | None
    code: str
    value: float | None = Field(description="Wert in Prozent / value in percent (null: nicht "
                                            "berechenbar oder geheim gehalten, siehe reason)")
    numerator: float | None
    denominator: float | None
    by: str = Field(description="vergleichstyp | land")
    group: str | None
    rank: int | None = Field(description="1 = am besten / best, innerhalb der Gruppe")
    of: int | None = Field(description="gerankte Jobcenter der Gruppe; bei Aggregaten: "
                                       "summierte Jobcenter")
    reason: str | None


class PeerOut(BaseModel):
    jobcenter: dict
    month: str
    measures: list[dict] = Field(description="je Kennzahl: code, figure, rank_vergleichstyp, "
                                             "rank_land, peers, median, q1, q3, expectation")


class BenchmarkOut(BaseModel):
    measure: str
    level: float = Field(description="Niveau des Prognoseintervalls / interval level")
    regressors: list[str]
    labels: dict[str, str]
    fits: list[dict]
    rows: list[dict] = Field(description="je Jobcenter und Monat: actual, expected, lower, "
                                         "upper, residual, log_ratio, verdict, reason")
    stability: list[dict] = Field(description="Übereinstimmung aufeinanderfolgender Monate")


def _month(request: Request, month: str | None) -> int:
    m = month_param("month", month)
    svc = services(request)
    if m is None:
        m = svc.latest_month()
        if m is None:
            raise Problem(404, "Der Datenbestand enthält noch keine Daten")
    try:
        svc.horizon().check_months([m])
    except NoFigures as e:
        raise Problem(404, str(e), title="Not Found") from None
    return m


def _measures(measures: str | None) -> tuple[str, ...] | None:
    if not measures:
        return None
    codes = tuple(c.strip() for c in measures.split(",") if c.strip())
    known = services_catalogue()
    wrong = [c for c in codes if c not in known]
    if wrong:
        raise Problem(400, f"Parameter measures: unbekannte Kennzahl {', '.join(wrong)} "
                           f"(eine von {', '.join(known)})", title="Bad Request")
    return codes


def services_catalogue() -> list[str]:
    from amip.catalogue import load
    return list(load().indicators)


TO = Query(None, description="letzter Monat einer Reihe YYYY-MM / last month of a series",
           max_length=7)
MAX_MONTHS = 36


def _months(request: Request, month: str | None, to: str | None) -> list[int]:
    first, last = month_span(_month(request, month), month, to, MAX_MONTHS)
    try:
        return services(request).horizon().check_months(list(range(first, last + 1)))
    except NoFigures as e:
        raise Problem(404, str(e), title="Not Found") from None


def _span(months: list[int]) -> str:
    return format_month(months[0]) + ("" if len(months) == 1 else f"..{format_month(months[-1])}")


@router.get("/compare", response_model=list[FigureRecord],
            responses=problem_responses(400, 401, 403, 404, 422, 500),
            summary="Vergleich aller Jobcenter: Kennzahlen, Ränge, Aggregate / all Jobcenter "
                    "compared (as `amip compare --format json`)",
            description="Je Jobcenter und Kennzahl der Wert mit Rang in der Gruppe (by), dann "
                        "die Aggregate (Bund und je Gruppe, Σ Zähler / Σ Nenner). Die Rolle "
                        "bestimmt, welche Jobcenter namentlich erscheinen (roles.toml compare); "
                        "Aggregate sehen alle Rollen.")
def compare(request: Request, month: str | None = MONTH, to: str | None = TO,
            measures: str | None = MEASURES,
            by: str = Query("vergleichstyp", description="vergleichstyp | land",
                            pattern="^(vergleichstyp|land)$"),
            user: User = Depends(current_user)):
    months = _months(request, month, to)
    codes = _measures(measures)
    out = []
    for m in months:
        out += cmp.figure_records(cmp.view_of(services(request), user, m, codes), by)
    named = len({r["jobcenter_id"] for r in out if r["level"] == "jobcenter"})
    cmp.audit(request, user, f"figures months={_span(months)} measures="
                             f"{len(codes) if codes else 'alle'} jobcenters={named}", "ok")
    return JSONResponse(out)


@router.get("/compare/expected", response_model=list[BenchmarkOut],
            responses=problem_responses(400, 401, 403, 404, 422, 500),
            summary="Erwartet gegenüber tatsächlich / expected vs actual (as `amip compare "
                    "--expected --format json`)",
            description="Je Monat eine Regression der Kennzahl auf die Rahmenbedingungen "
                        "(compare.toml); Erwartung mit Prognoseintervall, Abweichung, Einordnung "
                        "und Stabilität über die Monate. Beschreibend: die Rahmenbedingungen "
                        "kann das Jobcenter nicht beeinflussen; kein Urteil über Ursachen.")
def compare_expected(request: Request, month: str | None = MONTH, to: str | None = TO,
                     measures: str | None = Query(None, max_length=200, description=
                                                  "Benchmark-Kennzahlen, durch Komma getrennt "
                                                  "(Standard: alle aus compare.toml)"),
                     user: User = Depends(current_user)):
    months = _months(request, month, to)
    codes = _measures(measures) or cmp.benchmarked()
    wrong = [c for c in codes if c not in cmp.benchmarked()]
    if wrong:
        raise Problem(400, f"Parameter measures: {', '.join(wrong)} hat keinen Erwartungswert "
                           f"(eine von {', '.join(cmp.benchmarked())})", title="Bad Request")
    svc = services(request)
    out = [asdict(cmp.benchmark_view(svc, user, tuple(months), code)) for code in codes]
    cmp.audit(request, user, f"expected months={_span(months)} measures={','.join(codes)}", "ok")
    return JSONResponse(out)


@router.get("/compare/{jobcenter_id}", response_model=list[PeerOut],
            responses=problem_responses(400, 401, 403, 404, 422, 500),
            summary="Ein Jobcenter unter seinesgleichen / one Jobcenter among its peers (as "
                    "`amip compare --jobcenter ID --format json`)",
            description="Je Monat und Kennzahl: Wert, Rang im Vergleichstyp und im Land, "
                        "Quartile der Vergleichsgruppe, Erwartung der Benchmark-Kennzahlen.")
def compare_jobcenter(request: Request, jobcenter_id: str = JOBCENTER,
                      month: str | None = MONTH, to: str | None = TO,
                      user: User = Depends(current_user)):
    months = _months(request, month, to)
    svc = services(request)
    if jobcenter_id not in {j["jobcenter_id"] for j in svc.table("jobcenters")}:
        raise Problem(404, f"Unbekanntes Jobcenter {jobcenter_id!r}", title="Not Found")
    try:
        cmp.require_visible(request, svc, user, jobcenter_id)
    except AmipError as e:
        raise Problem(403, str(e), title="Forbidden") from None
    out = [asdict(cmp.peer_view(svc, user, m, jobcenter_id)) for m in months]
    cmp.audit(request, user, f"jobcenter={jobcenter_id} months={_span(months)}", "ok")
    return JSONResponse(out)
