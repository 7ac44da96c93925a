"""Targets and plans in the web (issue 12 item 6): the steering store's inputs, Zielnachhaltung
(:func:`amip.attainment.status.target_status`) and the planning round
(:func:`amip.attainment.status.plan_status`) through the Services cache, and the rights of
``roles.toml`` (``targets``, ``plans``, ``agree_plans``) — shared by the pages
(:mod:`amip.web.target_pages`), the overview's lights and the API (:mod:`amip.web.target_api`).

The steering store changes without an import, so each cached computation is keyed by a
fingerprint of what it reads from the steering store (the versions of targets, plans, measure
values and measures) besides the data state.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from fastapi import Request

from amip import i18n
from amip.attainment.records import PlanRecord, StatusRecord
from amip.catalogue.targets import MeasureDef
from amip.errors import AmipError
from amip.steering import Steering, known_jobcenters, known_units
from amip.steering.inputs import status_inputs

LIGHT_CLASS = {"green": "good", "yellow": "warn", "red": "bad", "grey": "none"}
LIGHT_LABEL = {"green": "grün", "yellow": "gelb", "red": "rot", "grey": "grau"}
PLAN_KEYS = ("elb", "marktnah", "equal")
KEY_LABEL = {"elb": "ELB-Bestand", "marktnah": "marktnahe ELB", "equal": "gleiche Anteile",
             "manual": "manuell"}
STATUS_LABEL = {"vereinbart": "vereinbart", "in_abstimmung": "in Abstimmung"}
OPERATION_LABEL = {"create": "angelegt", "change": "geändert", "withdraw": "zurückgezogen"}
SEX_LABEL = {"all": "Insgesamt", "m": "Männer", "w": "Frauen"}


# -- the steering store --------------------------------------------------------------------------

def steering_of(request: Request) -> Steering:
    """The app's steering store (opened once per app, :func:`amip.web.app.create_app`)."""
    return request.app.state.steering


def fingerprint(*parts) -> str:
    """A short digest of what a computation read from the steering store (cache key part)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def inputs_fingerprint(inputs) -> str:
    """The cache key part of a year's status inputs: every version they hold."""
    return fingerprint([(t.key, t.version) for t in inputs.targets],
                       [(p.unit_id, p.measure, p.version) for p in inputs.plans],
                       sorted((m, sorted(v.items(), key=repr))
                              for m, v in inputs.measure_values.items()),
                       sorted(inputs.measures.items()))


def statuses(services, steering: Steering, month: int, unit_id: str | None = None,
             expectation: bool = True) -> list[StatusRecord]:
    """``target_status`` of the month (and unit), exactly the CLI's records; cached per data
    state and steering fingerprint."""
    from amip.attainment.status import target_status

    inputs = status_inputs(steering, month // 12)
    measures, targets, values, plans = (inputs.measures, inputs.targets, inputs.measure_values,
                                        inputs.plans)
    if not targets:
        return []
    key = inputs_fingerprint(inputs)
    return services.memoized(
        "target_status", lambda *_: services.query(
            target_status, targets, month, unit_id, values, plans,
            with_expectation=expectation, measures=measures),
        month, unit_id, expectation, key)


def plan_records(services, steering: Steering, year: int, measure: str, key: str,
                 jobcenter_id: str) -> list[PlanRecord]:
    """``plan_status`` of the round (as ``amip plan status``), cached per data state and
    steering fingerprint."""
    from amip.attainment.status import plan_status

    plans = [p for p in steering.plans(year, measure) if p.jobcenter_id == jobcenter_id]
    target = jobcenter_target(steering, jobcenter_id, year, measure)
    fp = fingerprint([(p.unit_id, p.version) for p in plans],
                     None if target is None else (target.key, target.version))
    return services.memoized(
        "plan_status", lambda *_: services.query(plan_status, plans, target, year, measure, key,
                                                 jobcenter_id=jobcenter_id),
        year, measure, key, jobcenter_id, fp)


def jobcenter_target(steering: Steering, jobcenter_id: str, year: int, measure: str):
    """The Jobcenter's own target (all persons) of a measure and year, or None."""
    return next((t for t in steering.targets(year=year, jobcenter_id=jobcenter_id)
                 if t.measure == measure and t.unit_id is None and t.sex == "all"), None)


def org(services) -> tuple[dict, set]:
    """(known_units, known_jobcenters) of the store, for the steering store's checks."""
    return services.memoized("steering_org", lambda: services.query(_org))


def _org(view):
    return known_units(view), known_jobcenters(view)


def the_jobcenter(services, jobcenter_id: str | None = None) -> str:
    """The Jobcenter a page or request is about (the store's only one unless named)."""
    jcs = [j["jobcenter_id"] for j in services.table("jobcenters")]
    if jobcenter_id:
        if jobcenter_id not in jcs:
            raise NotFoundJobcenter(f"Jobcenter {jobcenter_id!r} gibt es nicht im Datenbestand.")
        return jobcenter_id
    if not jcs:
        raise NotFoundJobcenter("Es sind noch keine Daten importiert.")
    return sorted(jcs)[0]


class NotFoundJobcenter(AmipError):
    http_status = 404


# -- rights (roles.toml) ---------------------------------------------------------------------

def may_edit_targets(user) -> bool:
    return user.rights.targets == "edit"


def may_plan(user, unit_id: str) -> bool:
    """Whether ``user`` may enter the plan of team ``unit_id``."""
    plans = user.rights.plans
    return plans == "all" or (plans == "team" and bool(user.unit_id)
                              and user.unit_id == unit_id)


def may_agree(user) -> bool:
    return bool(user.rights.agree_plans)


# -- numbers ----------------------------------------------------------------------------------

def value_kind(md: MeasureDef | None) -> str:
    """The display kind of Ist, Zielpfad and gap of a measure (i18n.by_kind)."""
    if md is None:
        return "number"
    return {"percent": "pct", "eur": "eur"}.get(md.unit, "number")


def counts_persons(md: MeasureDef | None) -> bool:
    """Whether the Ist of a measure counts persons: disclosure control hides small ones."""
    return md is not None and md.unit == "persons"


def target_kind(md: MeasureDef | None) -> str:
    """The display kind of a target value: a stock's target is a change in %."""
    if md is not None and md.kind == "stock":
        return "change_pct"
    return value_kind(md)


def fmt(value, kind: str) -> str:
    return i18n.by_kind(value, kind)


def light_title(r: StatusRecord, md: MeasureDef | None) -> str:
    """The German title of a light: Ist, Zielpfad, Abstand (or why it is grey)."""
    vk = value_kind(md)
    if r.light == "grey":
        return "grau: " + (r.reason or "kein Ziel oder kein Ist")
    gap_pct = i18n.signed_pct(r.gap_percent)
    return (f"{LIGHT_LABEL[r.light]}: Ist {fmt(r.actual, vk)}, Zielpfad {fmt(r.path, vk)}, "
            f"Abstand {fmt(r.gap, vk)} ({gap_pct})")


def parse_value(text: str | None, what: str = "Zielwert") -> Decimal | None:
    """A number as typed in a form (German ``23,4`` / ``1.141`` or plain ``23.4``); empty →
    None; else a DataError naming the field and value."""
    from amip.errors import DataError
    from amip.steering.csvin import parse_number

    t = (text or "").strip()
    if not t:
        return None
    german = "," in t or t.count(".") > 1 or (t.count(".") == 1 and len(t.split(".")[1]) == 3
                                               and "-" not in t.split(".")[1])
    try:
        return parse_number(t, german)
    except ValueError as e:
        raise DataError(f"{what}: {e}") from None


def input_value(value) -> str:
    """A number for a form field, German without thousands separators (``23,4``)."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    return text.replace(".", ",")


def protected(records: list[StatusRecord], measures: dict, hide: bool) -> list[StatusRecord]:
    """The records as a role under disclosure control (``hide``) sees them: a small count of
    persons hidden with what is derived from it (:func:`amip.disclosure.protect_status`), as on
    the Ziele page; other roles get them as they are."""
    if not hide:
        return records
    from amip.disclosure import protect_status

    return [protect_status(r, counts_persons(measures.get(r.measure))) for r in records]


def overview_lights(services, steering: Steering | None, month: int,
                    hide: bool = False) -> dict[str, dict]:
    """The overview's Ziel column: code → {cls, label, title} of the Jobcenter's target (all
    persons) of that measure in the month; a code without a target is grey with its reason.
    ``hide``: the role is under disclosure control (:func:`protected`)."""
    if steering is None:
        return {}
    try:
        records = statuses(services, steering, month, expectation=False)
    except AmipError as e:  # e.g. a month the data do not reach: grey with the reason
        return {"*": {"cls": "none", "label": "grau", "title": f"grau: {e}"}}
    measures = steering.measures()
    records = protected(records, measures, hide)
    out = {}
    for r in records:
        if r.unit_id is None and r.sex == "all":
            out[r.measure] = {"cls": LIGHT_CLASS[r.light], "label": LIGHT_LABEL[r.light],
                              "title": light_title(r, measures.get(r.measure))}
    return out


def unit_light(services, steering: Steering | None, month: int, measure: str,
               unit_id: str | None, sex: str, hide: bool = False) -> dict | None:
    """The light of one measure, unit and sex in the month (the Kennzahl page's "Ziel"), or
    None without a target. ``hide``: the role is under disclosure control (:func:`protected`)."""
    if steering is None:
        return None
    try:
        records = statuses(services, steering, month, unit_id, expectation=False)
    except AmipError:
        return None
    measures = steering.measures()
    md = measures.get(measure)
    r = next((r for r in records if r.unit_id == unit_id and r.measure == measure
              and r.sex == sex), None)
    if r is None:
        return None
    r = protected([r], measures, hide)[0]
    return {"cls": LIGHT_CLASS[r.light], "label": LIGHT_LABEL[r.light],
            "title": light_title(r, md)}
