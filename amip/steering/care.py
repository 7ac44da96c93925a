"""Intensivbetreuung in the steering store (issue 14; the mixin of :class:`amip.steering.Steering`):
enrolments of customers by an Integrationsfachkraft and the counselling contacts recorded for
them, each change a new version with who, when and why. The rules (quota, length, contact kinds)
are the catalogue's (``amip/catalogue/care.toml``); whether a person is ELB and in the
caseworker's caseload the caller reads from the extract (:func:`amip.engine.care.enrolment_facts`)
and passes in. Errors are German and change nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from amip.catalogue.care import care_rules
from amip.engine.calendar import format_month, month_end, month_start, parse_month
from amip.errors import DataError, NotFound
from amip.steering.care_models import CareContactVersion, CareEnrolmentVersion
from amip.steering.versions import LABELS, VersionedStore, _blank, moment

LABELS.update({CareEnrolmentVersion: "Die Intensivbetreuung",
               CareContactVersion: "Der Kontakt"})
STATES = ("enrolled", "ended")
STATE_LABEL = {"enrolled": "eingeschrieben", "ended": "beendet"}


@dataclass(frozen=True)
class EnrolmentRow:
    """One version of an enrolment."""
    jobcenter_id: str
    person_id: str
    caseworker_id: str
    unit_id: str | None
    start_month: str
    start_on: dt.date
    planned_end: dt.date
    state: str
    end_reason: str | None
    ended_on: dt.date | None
    version: int
    recorded_at: dt.datetime
    recorded_by: str
    reason: str | None
    operation: str

    @property
    def key(self) -> str:
        return enrolment_key(self.jobcenter_id, self.person_id, self.start_month)


@dataclass(frozen=True)
class ContactRow:
    """One recorded counselling contact."""
    jobcenter_id: str | None
    person_id: str
    caseworker_id: str
    contact_on: dt.date
    kind: str
    note: str | None
    version: int
    recorded_at: dt.datetime
    recorded_by: str
    reason: str | None


def enrolment_key(jobcenter_id: str, person_id: str, start_month: str) -> str:
    return f"{jobcenter_id}|{person_id}|{start_month}"


def _enrolment(v: CareEnrolmentVersion) -> EnrolmentRow:
    return EnrolmentRow(v.jobcenter_id, v.person_id, v.caseworker_id, v.unit_id, v.start_month,
                        v.start_on, v.planned_end, v.state, v.end_reason, v.ended_on, v.version,
                        v.recorded_at, v.recorded_by, v.reason, v.operation)


def _contact(v: CareContactVersion) -> ContactRow:
    return ContactRow(v.jobcenter_id, v.person_id, v.caseworker_id, v.contact_on, v.kind, v.note,
                      v.version, v.recorded_at, v.recorded_by, v.reason)


def _month(month: int | str) -> int:
    if isinstance(month, int):
        return month
    try:
        return parse_month(str(month))
    except ValueError as e:
        raise DataError(f"Nicht eingeschrieben: {e}.") from None


class Care(VersionedStore):
    """Enrolments and contacts of the Intensivbetreuung (see the module)."""

    def enrolments(self, as_of=None, jobcenter_id: str | None = None,
                   caseworker_id: str | None = None,
                   unit_ids=None, person_id: str | None = None) -> list[EnrolmentRow]:
        """The current version of every enrolment (ended ones included), oldest start first;
        ``unit_ids``: only those of these teams."""
        m = CareEnrolmentVersion
        rows = self._rows(m, _enrolment, as_of, (m.jobcenter_id, jobcenter_id),
                          (m.caseworker_id, caseworker_id), (m.person_id, person_id),
                          (m.unit_id, None if unit_ids is None else set(unit_ids)))
        return sorted(rows, key=lambda r: (r.start_on, r.person_id))

    def _rows(self, model, make, as_of, *filters) -> list:
        """The current versions of ``model`` as records (``make``); ``filters``: (column,
        value) pairs, a value None = any, a set = one of."""
        where = [col.in_(sorted(value)) if isinstance(value, set) else col == value
                 for col, value in filters if value is not None]
        with self._read() as s:
            return [make(v) for v in self._current(model, s, where, moment(as_of))]

    def enrolment_history(self, person_id: str | None = None,
                          jobcenter_id: str | None = None) -> list[EnrolmentRow]:
        """Every version of the enrolments (of a person), oldest first."""
        from sqlalchemy import select

        q = select(CareEnrolmentVersion)
        if person_id is not None:
            q = q.where(CareEnrolmentVersion.person_id == person_id)
        if jobcenter_id is not None:
            q = q.where(CareEnrolmentVersion.jobcenter_id == jobcenter_id)
        with self._read() as s:
            return [_enrolment(v) for v in s.scalars(q.order_by(CareEnrolmentVersion.id))]

    history = enrolment_history

    def enrol(self, jobcenter_id: str, person_id: str, caseworker_id: str, month: int | str,
              actor: str, reason: str | None = None, unit_id: str | None = None,
              facts: dict | None = None) -> EnrolmentRow:
        """Enrol ``person_id`` with ``caseworker_id`` from ``month`` for the declared number of
        months. ``facts`` (:func:`amip.engine.care.enrolment_facts`: is_elb, in_caseload,
        unit_id at the month's Stichtag) are checked when given: refused for a person who is no
        ELB or not in the caseworker's caseload. Refused for a person already enrolled, and
        beyond the caseworker's quota unless a reason is given."""
        rules = care_rules()
        m = _month(month)
        label = format_month(m)
        start, end = month_start(m), month_end(m + rules.months - 1)
        if facts is not None:
            if not facts.get("is_elb"):
                raise DataError(f"Nicht eingeschrieben: Person {person_id} ist am Stichtag "
                                f"{label} keine erwerbsfähige leistungsberechtigte Person "
                                "(ELB).")
            if not facts.get("in_caseload"):
                raise DataError(f"Nicht eingeschrieben: Person {person_id} ist am Stichtag "
                                f"{label} nicht im Bestand der Fachkraft {caseworker_id}.")
            unit_id = unit_id or facts.get("unit_id")
        reason = _blank(reason)

        def work(s):
            current = [_enrolment(v) for v in self._current(CareEnrolmentVersion, s)]
            mine = [e for e in current if e.person_id == person_id and e.state == "enrolled"
                    and e.planned_end >= start]
            if mine:
                e = mine[0]
                raise DataError(f"Nicht eingeschrieben: Person {person_id} ist schon seit "
                                f"{e.start_on:%d.%m.%Y} bei {e.caseworker_id} in "
                                "Intensivbetreuung.")
            load = [e for e in current if e.caseworker_id == caseworker_id
                    and e.state == "enrolled" and e.start_on <= end and e.planned_end >= start]
            if len(load) >= rules.quota and reason is None:
                raise DataError(f"Nicht eingeschrieben: Fachkraft {caseworker_id} betreut "
                                f"schon {len(load)} Personen intensiv (Kontingent "
                                f"{rules.quota}); eine weitere nur mit Begründung.")
            key = enrolment_key(jobcenter_id, person_id, label)
            v = self._append(CareEnrolmentVersion, s, key,
                             self._latest(CareEnrolmentVersion, s, key), actor, reason,
                             operation="create", jobcenter_id=jobcenter_id,
                             person_id=person_id, caseworker_id=caseworker_id, unit_id=unit_id,
                             start_month=label, start_on=start, planned_end=end,
                             state="enrolled", end_reason=None, ended_on=None)
            return _enrolment(v)
        return self._write(work, "Die Intensivbetreuung")

    def end_enrolment(self, person_id: str, actor: str, reason: str,
                      ended_on: dt.date | None = None,
                      expected_version: int | None = None) -> EnrolmentRow:
        """End the person's running enrolment on ``ended_on`` (default today) with a reason."""
        reason = _blank(reason)
        if reason is None:
            raise DataError(f"Nicht beendet: für das Ende der Intensivbetreuung von {person_id} "
                            "fehlt der Grund.")
        day = ended_on or dt.date.today()

        def work(s):
            running = [e for e in (_enrolment(v) for v in self._current(
                CareEnrolmentVersion, s, (CareEnrolmentVersion.person_id == person_id,)))
                if e.state == "enrolled"]
            if not running:
                raise NotFound(f"Nicht beendet: Person {person_id} ist nicht in "
                               "Intensivbetreuung.")
            e = max(running, key=lambda r: r.start_on)
            current = self._latest(CareEnrolmentVersion, s, e.key)
            if expected_version is not None:
                self._check_version(CareEnrolmentVersion, current, expected_version)
            if day < e.start_on:
                raise DataError(f"Nicht beendet: das Ende {day:%d.%m.%Y} liegt vor dem Beginn "
                                f"{e.start_on:%d.%m.%Y}.")
            v = self._append(CareEnrolmentVersion, s, e.key, current, actor, reason,
                             operation="change", jobcenter_id=e.jobcenter_id,
                             person_id=e.person_id, caseworker_id=e.caseworker_id,
                             unit_id=e.unit_id, start_month=e.start_month,
                             start_on=e.start_on, planned_end=e.planned_end, state="ended",
                             end_reason=reason, ended_on=min(day, e.planned_end))
            return _enrolment(v)
        return self._write(work, "Die Intensivbetreuung")

    def record_contact(self, person_id: str, caseworker_id: str, contact_on: dt.date | str,
                       kind: str, actor: str, note: str | None = None,
                       jobcenter_id: str | None = None) -> ContactRow:
        """Record a counselling contact of a person in Intensivbetreuung."""
        kinds = care_rules().kinds
        if kind not in kinds:
            raise DataError(f"Kontakt nicht erfasst: Art {kind!r} unbekannt (erlaubt: "
                            f"{', '.join(kinds)}).")
        if isinstance(contact_on, str):
            try:
                contact_on = dt.date.fromisoformat(contact_on)
            except ValueError:
                raise DataError(f"Kontakt nicht erfasst: Datum {contact_on!r} ungültig "
                                "(erwartet JJJJ-MM-TT).") from None
        if contact_on > dt.date.today():
            raise DataError(f"Kontakt nicht erfasst: das Datum {contact_on:%d.%m.%Y} liegt in "
                            "der Zukunft.")

        def work(s):
            runs = [_enrolment(v) for v in self._current(
                CareEnrolmentVersion, s, (CareEnrolmentVersion.person_id == person_id,))]
            if not any(e.start_on <= contact_on <= (e.ended_on or e.planned_end)
                       for e in runs):
                raise DataError(f"Kontakt nicht erfasst: Person {person_id} war am "
                                f"{contact_on:%d.%m.%Y} nicht in Intensivbetreuung.")
            key = f"{person_id}|{caseworker_id}|{contact_on.isoformat()}|{kind}"
            current = self._latest(CareContactVersion, s, key)
            if current is not None:
                raise DataError(f"Kontakt nicht erfasst: ein Kontakt ({kind}) mit {person_id} "
                                f"am {contact_on:%d.%m.%Y} ist schon erfasst.")
            jc = jobcenter_id or next((e.jobcenter_id for e in runs), None)
            v = self._append(CareContactVersion, s, key, None, actor, None,
                             jobcenter_id=jc, person_id=person_id, caseworker_id=caseworker_id,
                             contact_on=contact_on, kind=kind, note=_blank(note))
            return _contact(v)
        return self._write(work, "Der Kontakt")

    def contacts(self, person_id: str | None = None, as_of=None,
                 person_ids=None) -> list[ContactRow]:
        """Recorded contacts (of a person, or of ``person_ids``), oldest first."""
        m = CareContactVersion
        rows = self._rows(m, _contact, as_of, (m.person_id, person_id),
                          (m.person_id, None if person_ids is None else set(person_ids)))
        return sorted(rows, key=lambda r: (r.contact_on, r.person_id))


# -- what the shells call: the store's rows joined with the extract ----------------------------

def enrol_checked(view, st: Care, jobcenter_id: str | None, person_id: str, caseworker_id: str,
                  month: int | str, actor: str, reason: str | None = None) -> EnrolmentRow:
    """:meth:`Care.enrol` with the person's facts read from the extract ``view`` at the
    month's Stichtag (ELB, caseload, team, Jobcenter)."""
    from amip.engine.care import enrolment_facts

    m = _month(month)
    facts = enrolment_facts(view, m, caseworker_id, person_id)
    jc = jobcenter_id or facts["jobcenter_id"]
    if jc is None:  # not ELB anywhere: enrol() says so
        jc = ""
    return st.enrol(jc, person_id, caseworker_id, m, actor, reason, facts=facts)


def status_of(view, st: Care, month: int, jobcenter_id: str | None = None,
              caseworker_id: str | None = None, unit_ids=None) -> list[dict]:
    """:func:`amip.engine.care.care_status` of the stored enrolments (filtered) with the
    extract's and the recorded contacts."""
    from amip.engine.care import care_status

    rows = st.enrolments(jobcenter_id=jobcenter_id, caseworker_id=caseworker_id,
                         unit_ids=unit_ids)
    contacts = st.contacts(person_ids={e.person_id for e in rows})
    return care_status(view, rows, contacts, month)


def outcomes_of(view, st: Care, month: int, jobcenter_id: str | None = None) -> dict:
    """:func:`amip.engine.care.care_outcomes` of every stored enrolment."""
    from amip.engine.care import care_outcomes

    return care_outcomes(view, st.enrolments(jobcenter_id=jobcenter_id), month, jobcenter_id)
