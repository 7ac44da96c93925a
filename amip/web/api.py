"""The REST API under /api/v1 (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Indicators are exactly the CLI's JSON records (``amip indicators --format json``), from the same
engine function through :class:`amip.web.services.Services`. Person-level data are scoped by the
role (see :func:`amip.web.auth.require_persons`) and every read is audited. Roles with
``disclosure = true`` get aggregates with small counts (1–2) hidden (null, ``suppressed``), and
whatever would reveal them across the organisation tree and the sexes (Services.disclosed).
Errors are RFC 9457 problem details.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from amip import __version__
from amip.engine.horizon import NoFigures
from amip.engine.indicators import JSON_KEYS
from amip.engine.calendar import format_month, parse_month, stichtag
from amip.engine.indicators import UnknownUnit
from amip.engine.drilldown import unassigned_units
from amip.web.auth import client_address, current_user, require_audit, require_persons
from amip.web.problems import Problem, problem_responses
from amip.web.users import User

router = APIRouter(prefix="/api/v1", tags=["api"])
MAX_MONTHS = 240  # a series of at most 20 years per request
YEARS = (1990, 2100)  # plausible Berichtsmonate
COMMON = problem_responses(400, 401, 404, 422, 500)


# -- models (OpenAPI) ---------------------------------------------------------------------------

class IndicatorRecord(BaseModel):
    code: str = Field(description="Kennzahl / measure code (K1 … K3E4)")
    month: str = Field(description="Berichtsmonat / reporting month YYYY-MM")
    jobcenter_id: str = Field(description="Jobcenter (Regionalschlüssel)")
    sex: str = Field(description="Geschlecht: all (insgesamt), m, w")
    numerator: float | None = Field(description="Zähler / numerator (null: suppressed)")
    denominator: float | None = Field(description="Nenner / denominator (null: suppressed)")
    value: float | None = Field(description="Wert in Prozent, ungerundet / value in percent, "
                                            "unrounded (null: not computable or suppressed)")
    unit_id: str | None = Field(None, description="Einheit (nur bei ?unit=) / unit, with ?unit=")
    suppressed: bool | None = Field(None, description="Geheimhaltung: kleine Fallzahlen "
                                    "ausgeblendet / small counts hidden (disclosure control)")


class CatalogueIndicator(BaseModel):
    code: str
    name: str = Field(description="Bezeichnung / name")
    goal: str = Field(description="Ziel nach § 48b SGB II / goal")
    kind: str = Field(description="Kennzahl | Ergänzungsgröße")
    legal_basis: str = Field(description="Rechtsgrundlage / legal basis")
    form: str = Field(description="Berechnungsform / form of computation")
    numerator: str = Field(description="Zähler / numerator")
    denominator: str = Field(description="Nenner / denominator")
    description: str
    unit: str = Field(description="Einheit der Zählgrößen / unit of the counts")


class RuleVersionOut(BaseModel):
    key: str
    label: str
    title: str
    source: str
    valid_from: dt.date = Field(description="gültig ab / valid from")
    valid_to: dt.date | None = Field(description="gültig bis / valid to")


class CatalogueOut(BaseModel):
    indicators: list[CatalogueIndicator]
    rules: list[RuleVersionOut] = Field(description="Regelversionen / rule versions")
    parameters: dict[str, int]


class UnitOut(BaseModel):
    unit_id: str
    jobcenter_id: str
    parent_unit_id: str | None
    name: str
    level: str = Field(description="jobcenter | standort | team | unassigned (ohne Zuordnung: "
                                   "persons of the parent in none of its child units)")


class ImportFile(BaseModel):
    table: str
    file: str | None
    sha256: str | None
    rows: int | None
    rows_added: int | None


class ImportOut(BaseModel):
    import_id: int
    imported_at: str = Field(description="Zeitpunkt des Imports / time of the import")
    source: str | None
    fingerprint: str | None
    amip_version: str | None
    rows_added: int | None
    files: list[ImportFile]


class PersonOut(BaseModel):
    person_id: str = Field(description="pseudonyme Personen-ID / pseudonymous person id")
    sex: str
    age_group: str | None = Field(description="Altersgruppe 15-24, 25-54, 55+")
    unit_id: str | None = Field(description="Team (Zuständigkeit am Stichtag) / team")
    is_lzb: bool = Field(description="Langzeitleistungsbezieher/in / long-term recipient")
    prognosis: str | None = Field(description="letzte Integrationsprognose / latest prognosis")
    unemployed: bool = Field(description="arbeitslos am Stichtag / unemployed at the Stichtag")


class PersonsOut(BaseModel):
    unit_id: str
    month: str
    stichtag: dt.date
    total: int = Field(description="Anzahl im Bereich / number of persons in scope")
    offset: int
    persons: list[PersonOut]


class AuditEntry(BaseModel):
    audit_id: int
    at: str = Field(description="Zeitpunkt (UTC, ISO 8601)")
    actor: str = Field(description="wer / who")
    action: str = Field(description="was / what")
    scope: str = Field(description="Bereich / scope (unit, count of persons, user)")
    outcome: str = Field(description="ok | denied | failed")
    address: str = Field(description="Client-Adresse / client address")


class Health(BaseModel):
    status: str
    version: str
    data_state: str


# -- parameters ---------------------------------------------------------------------------------

def month_param(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        m = parse_month(value)
    except ValueError:
        raise Problem(400, f"Parameter {name}: kein Monat: {value!r} (erwartet JJJJ-MM)",
                      title="Bad Request") from None
    if not YEARS[0] <= m // 12 <= YEARS[1]:
        raise Problem(400, f"Parameter {name}: Monat {value!r} außerhalb {YEARS[0]}–{YEARS[1]}",
                      title="Bad Request")
    return m


def month_span(first: int, month: str | None, to: str | None,
               limit: int = MAX_MONTHS) -> tuple[int, int]:
    """The months ``first`` … ``to`` (``to`` absent: ``first`` alone), at most ``limit``."""
    last = month_param("to", to)
    last = first if last is None else last
    if last < first:
        raise Problem(400, f"Parameter to: {to!r} liegt vor dem Monat {month!r}")
    if last - first + 1 > limit:
        raise Problem(400, f"Parameter to: höchstens {limit} Monate je Anfrage")
    return first, last


def date_param(name: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
        if len(value) != 10:
            raise ValueError
    except ValueError:
        raise Problem(400, f"Parameter {name}: kein Datum: {value!r} (erwartet JJJJ-MM-TT)",
                      title="Bad Request") from None
    return day


def services(request: Request):
    return request.app.state.services


def audit(request: Request):
    return request.app.state.users.audit


# -- routes -------------------------------------------------------------------------------------

@router.get("/health", response_model=Health, summary="Betriebsbereitschaft / health")
def health(request: Request):
    return JSONResponse({"status": "ok", "version": __version__,
                         "data_state": services(request).data_state()})


@router.get("/indicators", response_model=list[IndicatorRecord],
            responses=problem_responses(400, 401, 404, 422, 500),
            summary="Kennzahlen nach § 48a SGB II / the § 48a measures",
            description="Dieselben JSON-Datensätze wie `amip indicators --format json`. "
                        "The same JSON records as the CLI.")
def indicators(
        request: Request,
        month: str = Query(description="Berichtsmonat YYYY-MM", examples=["2020-06"]),
        to: str | None = Query(None, description="letzter Monat einer Reihe YYYY-MM / last "
                                                 "month of a series"),
        jobcenter: str | None = Query(None, description="nur dieses Jobcenter / only this"),
        unit: str | None = Query(None, description="Standort oder Team / a Standort or team"),
        as_of: str | None = Query(None, description="Datenstand YYYY-MM-DD: später erfasste "
                                                    "Zeilen ignorieren / ignore later rows"),
        published: bool = Query(False, description="Wartezeit von 3 Monaten anwenden / apply "
                                                   "the Wartezeit"),
        rules: str | None = Query(None, description="Regelversion erzwingen / force a rule "
                                                    "version (see /catalogue)"),
        jfw: bool = Query(False, description="Jahresfortschrittswert der Quoten / year to date"),
        user: User = Depends(current_user)):
    from amip.catalogue import load

    first, last = month_span(month_param("month", month), month, to)
    day = date_param("as_of", as_of)
    if day is not None and published:
        raise Problem(400, "Die Parameter as_of und published schließen einander aus")
    if rules is not None and rules not in load().rules:
        raise Problem(400, f"Parameter rules: unbekannte Regelversion {rules!r} "
                           f"(eine von {', '.join(sorted(load().rules))})")
    try:  # the months with any figure, as in the CLI (§10.2 item 30)
        months = services(request).horizon(day).check_months(list(range(first, last + 1)), rules)
        records = services(request).indicators(tuple(months), jobcenter, unit, day, published,
                                               rules, jfw)
    except (UnknownUnit, NoFigures) as e:
        raise Problem(404, str(e), title="Not Found") from None
    keys = JSON_KEYS + (("unit_id",) if unit is not None else ())
    if user.rights.disclosure:
        rows = [{k: r[k] for k in (*keys, "suppressed") if k in r} for r in
                services(request).disclosed(records, day, published, rules, jfw)]
    else:
        rows = [{k: getattr(r, k) for k in keys} for r in records]
    return JSONResponse(rows)


@router.get("/catalogue", response_model=CatalogueOut, responses=problem_responses(401, 500),
            summary="Kennzahlenkatalog / the catalogue of measures")
def catalogue(request: Request, user: User = Depends(current_user)):
    cat = services(request).catalogue()
    ind = [dict(code=i.code, name=i.name, goal=i.goal, kind=i.kind, legal_basis=i.legal_basis,
                form=i.form, numerator=i.numerator, denominator=i.denominator,
                description=i.description, unit=i.unit) for i in cat.indicators.values()]
    rules = [dict(key=v.key, label=v.label, title=v.title, source=v.source,
                  valid_from=v.valid_from.isoformat(),
                  valid_to=v.valid_to.isoformat() if v.valid_to else None)
             for v in cat.rules.values()]
    p = cat.parameters
    params = dict(stichtag_day=p.stichtag_day, lzb_window_days=p.lzb_window_days,
                  lzb_threshold_days=p.lzb_threshold_days, wartezeit_months=p.wartezeit_months,
                  rate_months=p.rate_months)
    return JSONResponse({"indicators": ind, "rules": rules, "parameters": params})


@router.get("/units", response_model=list[UnitOut], responses=problem_responses(401, 500),
            summary="Organisationseinheiten / units (Jobcenter, Standorte, Teams)")
def units(request: Request, user: User = Depends(current_user)):
    rows = services(request).table("units")
    rows = list(rows) + unassigned_units(list(rows))  # ids usable as ?unit= of /indicators
    keys = ("unit_id", "jobcenter_id", "parent_unit_id", "name", "level")
    return JSONResponse([{k: r.get(k) for k in keys} for r in rows])


@router.get("/imports", response_model=list[ImportOut], responses=problem_responses(401, 500),
            summary="Importprotokoll / the import log")
def imports(request: Request, user: User = Depends(current_user)):
    out = []
    for r in services(request).imports():
        r = dict(r)
        at = r.get("imported_at")
        r["imported_at"] = at.isoformat() if hasattr(at, "isoformat") else str(at)
        out.append(r)
    return JSONResponse(out)


@router.get("/persons", response_model=PersonsOut,
            responses=problem_responses(400, 401, 403, 404, 422, 500),
            summary="Personen einer Einheit am Stichtag (pseudonym, protokolliert) / persons "
                    "of a unit at the Stichtag (pseudonymous, audited)",
            description="Teamleitung: nur das eigene Team; Integrationsfachkraft: nur der eigene "
                        "Bestand; Lesezugriff: keine. Jeder Zugriff wird protokolliert.")
def persons(request: Request,
            unit: str = Query(description="Einheit / unit id (see /units)"),
            month: str | None = Query(None, description="Berichtsmonat YYYY-MM (Standard: "
                                                        "letzter Monat / default: latest)"),
            limit: int = Query(1000, ge=1, le=10000, description="höchstens / at most"),
            offset: int = Query(0, ge=0, le=10_000_000),
            user: User = Depends(current_user)):
    m = month_param("month", month)
    scope = require_persons(request, user, unit)
    svc = services(request)
    if m is None:
        m = svc.latest_month()
        if m is None:
            raise Problem(404, "Der Datenbestand enthält noch keine Daten")
    rows = svc.persons(m, scope.jobcenter_id, scope.units, scope.caseworker_id)
    page = rows[offset:offset + limit]
    audit(request).record(
        user.name, "persons.read",
        f"unit={unit} month={format_month(m)} persons={len(page)}"
        + (f" caseworker={scope.caseworker_id}" if scope.caseworker_id else ""),
        "ok", client_address(request))
    return JSONResponse({"unit_id": unit, "month": format_month(m),
                         "stichtag": stichtag(m).isoformat(), "total": len(rows),
                         "offset": offset, "persons": page})


@router.get("/audit", response_model=list[AuditEntry],
            responses=problem_responses(401, 403, 422, 500),
            summary="Protokoll (nur Controlling) / the audit trail (Controlling only)",
            description="Neueste zuerst; das Lesen wird selbst protokolliert (audit.read). "
                        "Newest first; reading it is recorded too.")
def audit_trail(request: Request,
                limit: int = Query(100, ge=1, le=1000),
                offset: int = Query(0, ge=0, le=10_000_000),
                actor: str | None = Query(None, description="wer / who"),
                action: str | None = Query(None, description="z. B. persons.read, login"),
                outcome: str | None = Query(None, description="ok | denied | failed"),
                user: User = Depends(require_audit)):
    rows = audit(request).entries(limit, offset, actor, action, outcome)
    filters = "".join(f" {k}={v[:100]}" for k, v in (("actor", actor), ("action", action),
                                                ("outcome", outcome)) if v is not None)
    audit(request).record(user.name, "audit.read", f"api rows={len(rows)}{filters}", "ok",
                          client_address(request))
    return JSONResponse(rows)
