"""The page "Intensivbetreuung" (``/intensivbetreuung``, issue 14 item 4) with its forms.

An Integrationsfachkraft sees the own candidate list (ELB near the LZB threshold, days left) and
enrolments, enrols up to the quota (beyond it only with a reason), records contacts and ends an
enrolment; it is that role's landing page (``landing`` in roles.toml). The Teamleitung sees the
own team, Controlling the whole Jobcenter with the outcomes, Lesezugriff only counts. Who sees
and changes what is read from roles.toml (``care``, ``care_edit``) and checked here on the
server (:mod:`amip.web.care`); every person-level view is audited (``care.read``), every change
(and every refused one) too (``care.enrol``, ``care.contact``, ``care.end``). Where the early
warning scored a candidate, the IFK or Teamleitung records whether they follow it (``folgen``)
or not (``abweichen``, with a reason), audited as ``risk.decide``; enrolling is a separate act.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from amip.catalogue.care import care_rules
from amip.engine.calendar import format_month, month_end
from amip.errors import AmipError
from amip.web import care
from amip.web.auth import page_user, verify_csrf
from amip.web.pages import _discloses, _month_arg, _render, _services, month_choices
from amip.web.target_pages import _audit
from amip.web.targets import steering_of

router = APIRouter(include_in_schema=False)
KIND_LABEL = {"beratung": "Beratung", "eingliederungsvereinbarung": "Eingliederungsvereinbarung",
              "nachbetreuung": "Nachbetreuung", "other": "Sonstiges"}
PHASE_LABEL = {"laufend": "laufend", "abgelaufen": "abgelaufen", "beendet": "beendet"}
OUTCOME_LABEL = {"during": "während", "after": "danach", "none": "keine", None: "offen"}


@router.get("/intensivbetreuung", response_class=HTMLResponse)
def care_page(request: Request, monat: str | None = None, user=Depends(page_user)):
    return _response(request, user, monat)


def _response(request: Request, user, monat, status: int = 200, **extra):
    services, steering = _services(request), steering_of(request)
    context = care_view(services, steering, user, monat)
    if context["scope"].persons:
        _audit(request, user, "care.read", f"month={format_month(context['month'])} "
                                           f"{context['scope'].text()}", "ok")
    response = _render(request, "intensivbetreuung.html.j2", user, active="intensivbetreuung",
                       **context, **extra)
    response.status_code = status
    return response


def care_view(services, steering, user, monat: str | None) -> dict:
    """What the page shows for ``user``: the scope's candidates and enrolments (person rows
    only where the role may see them), or counts; the outcomes for the whole Jobcenter."""
    m = _month_arg(services, monat)
    scope = care.care_scope(services, user)
    rules = care_rules()
    context = dict(month=m, ym=format_month(m), month_choices=month_choices(services),
                   scope=scope, rules=rules, kinds=rules.kinds, kind_label=KIND_LABEL,
                   phase_label=PHASE_LABEL, outcome_label=OUTCOME_LABEL,
                   candidates=[], n_candidates=0, rows=[], counts=None, outcomes=None,
                   quota_used=None, enrolled=set(), history=[], decisions={})
    if not scope.persons:
        context["counts"] = care.counts(services, steering, scope, m, _discloses(user))
        return context
    cands = care.candidates(services, scope, m)
    rows = care.status(services, steering, scope, m)
    running = {r["person_id"] for r in rows if r["phase"] == "laufend"}
    today = dt.date.today()
    for r in rows:  # the contact form's default day: today, within the enrolment and month
        r["default_day"] = max(r["start_on"], min(today, r["planned_end"], month_end(m)))
    shown = {r["person_id"] for r in rows}
    history = [h for h in steering.enrolment_history(jobcenter_id=scope.jobcenter_id)
               if h.person_id in shown]
    context.update(candidates=cands[:care.PAGE_ROWS], n_candidates=len(cands), rows=rows,
                   enrolled=running, history=history[::-1], decisions=care.decisions(steering, m))
    if scope.caseworker_id:
        context["quota_used"] = care.quota_used(steering, scope.caseworker_id, m)
    if scope.units is None and scope.caseworker_id is None:
        context["outcomes"] = care.outcomes(services, steering, scope.jobcenter_id, m)
    return context


def _change(request: Request, user, action: str, what: str, monat: str, work,
            anchor: str = "betreuung"):
    """Run a change, audit it, and go back to the page (or show it with the German error)."""
    services = _services(request)
    try:
        scope = care.care_scope(services, user)
        work(services, steering_of(request), scope)
    except care.CareDenied as e:
        _audit(request, user, action, what, "denied")
        raise HTTPException(403, str(e)) from None
    except AmipError as e:
        _audit(request, user, action, what, "failed")
        return _response(request, user, monat or None,
                         status=e.http_status if e.http_status < 500 else 400, error=str(e))
    _audit(request, user, action, what, "ok")
    query = urlencode({"monat": monat}) if monat else ""
    return RedirectResponse("/intensivbetreuung" + (f"?{query}" if query else "") + f"#{anchor}",
                            status_code=303)


@router.post("/intensivbetreuung/aufnehmen", response_class=HTMLResponse,
             dependencies=[Depends(verify_csrf)])
def post_enrol(request: Request, user=Depends(page_user), person_id: str = Form(...),
               caseworker_id: str = Form(""), monat: str = Form(""), reason: str = Form("")):
    m = _month_arg(_services(request), monat or None)
    return _change(request, user, "care.enrol", f"person={person_id} month={format_month(m)}",
                   monat, lambda svc, st, scope: care.enrol(
                       svc, st, scope, user, person_id, caseworker_id or None, m,
                       reason.strip() or None))


@router.post("/intensivbetreuung/kontakt", response_class=HTMLResponse,
             dependencies=[Depends(verify_csrf)])
def post_contact(request: Request, user=Depends(page_user), person_id: str = Form(...),
                 contact_on: str = Form(...), kind: str = Form(...), note: str = Form(""),
                 monat: str = Form("")):
    def work(svc, st, scope):
        try:
            day = dt.date.fromisoformat(contact_on)
        except ValueError:
            from amip.errors import DataError
            raise DataError(f"Kontakt nicht erfasst: Datum {contact_on!r} ungültig.") from None
        return care.record_contact(st, scope, user, person_id, day, kind, note.strip() or None)
    return _change(request, user, "care.contact", f"person={person_id} kind={kind}", monat,
                   work)


@router.post("/intensivbetreuung/beenden", response_class=HTMLResponse,
             dependencies=[Depends(verify_csrf)])
def post_end(request: Request, user=Depends(page_user), person_id: str = Form(...),
             reason: str = Form(""), monat: str = Form("")):
    return _change(request, user, "care.end", f"person={person_id}", monat,
                   lambda svc, st, scope: care.end(st, scope, user, person_id, reason))


@router.post("/intensivbetreuung/entscheiden", response_class=HTMLResponse,
             dependencies=[Depends(verify_csrf)])
def post_decide(request: Request, user=Depends(page_user), person_id: str = Form(...),
                decision: str = Form(...), reason: str = Form(""), monat: str = Form("")):
    """The caseworker's decision on a scored candidate: folgen / abweichen (with a reason)."""
    m = _month_arg(_services(request), monat or None)
    return _change(request, user, "risk.decide",
                   f"person={person_id} month={format_month(m)} decision={decision}", monat,
                   lambda svc, st, scope: care.decide(svc, st, scope, user, person_id, m,
                                                      decision, reason.strip() or None),
                   anchor="kandidaten")


__all__ = ["router", "care_view"]
