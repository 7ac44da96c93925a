"""The follow-up of data-quality findings (issue 14 item 3): per flagged row (rule id + row key
of :mod:`amip.engine.quality_rules`) the state a team records — ``offen``, ``in Klärung``,
``erledigt`` (declared in ``amip/catalogue/quality.toml`` ``[followup]``) — versioned with who,
when and why like every steering entry.

A flagged row without a recorded state counts as the default state (``offen``); a row with a
state that the rules no longer flag shows as ``behoben`` (derived in :func:`followup_list`,
never stored). The store keeps no person data beyond the row key (which holds the pseudonymous
person id): read it only for roles that may see persons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from amip.catalogue.monitors import followup_states, quality_rules
from amip.errors import DataError
from amip.steering.models import Base, Versioned
from amip.steering.versions import LABELS, VersionedStore, _blank, moment


class QualityFollowupVersion(Versioned, Base):
    """One version of the follow-up state of one flagged row (entity key ``rule_id|row_key``)."""
    __tablename__ = "quality_followup_versions"
    jobcenter_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    rule_id: Mapped[str] = mapped_column(String(60))
    row_key: Mapped[str] = mapped_column(String(300))
    unit_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    state: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


LABELS[QualityFollowupVersion] = "Die Nachverfolgung"


@dataclass(frozen=True)
class FollowupRow:
    """One version of a finding's follow-up state."""
    rule_id: str
    row_key: str
    jobcenter_id: str | None
    unit_id: str | None
    state: str
    note: str | None
    version: int
    recorded_at: dt.datetime
    recorded_by: str
    reason: str | None
    operation: str = "create"

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule_id, self.row_key)


def followup_key(rule_id: str, row_key: str) -> str:
    return f"{rule_id}|{row_key}"


def _row(v: QualityFollowupVersion) -> FollowupRow:
    return FollowupRow(v.rule_id, v.row_key, v.jobcenter_id, v.unit_id, v.state, v.note,
                       v.version, v.recorded_at, v.recorded_by, v.reason, v.operation)


class QualityFollowups(VersionedStore):
    """The follow-up part of :class:`amip.steering.Steering`."""

    def followups(self, as_of=None, unit_id: str | None = None,
                  rule_id: str | None = None) -> list[FollowupRow]:
        """The current follow-up state of every row that has one (as of a date or moment),
        optionally of one team and one rule; ordered by rule and row key."""
        where = []
        if unit_id is not None:
            where.append(QualityFollowupVersion.unit_id == unit_id)
        if rule_id is not None:
            where.append(QualityFollowupVersion.rule_id == rule_id)
        with self._read() as s:
            rows = [_row(v) for v in self._current(QualityFollowupVersion, s, where,
                                                    moment(as_of))]
        return sorted(rows, key=lambda r: r.key)

    def followup(self, rule_id: str, row_key: str, as_of=None) -> FollowupRow | None:
        """The current version of one row's follow-up, None if none was recorded."""
        with self._read() as s:
            v = self._latest(QualityFollowupVersion, s, followup_key(rule_id, row_key),
                             moment(as_of))
            return _row(v) if v is not None else None

    def followup_history(self, rule_id: str | None = None,
                         row_key: str | None = None) -> list[FollowupRow]:
        """Every version, oldest first."""
        q = select(QualityFollowupVersion)
        if rule_id is not None:
            q = q.where(QualityFollowupVersion.rule_id == rule_id)
        if row_key is not None:
            q = q.where(QualityFollowupVersion.row_key == row_key)
        with self._read() as s:
            return [_row(v) for v in s.scalars(q.order_by(QualityFollowupVersion.recorded_at,
                                                          QualityFollowupVersion.id))]

    def set_followup_state(self, rule_id: str, row_key: str, state: str, actor: str,
                           reason: str | None, expected_version: int | None,
                           jobcenter_id: str | None = None, unit_id: str | None = None,
                           note: str | None = None) -> FollowupRow:
        """Record the follow-up state of a flagged row (``state``: an id or German label of
        ``[followup.states]``). ``expected_version``: the version the change is based on (None
        or 0 when none was recorded); another current version raises StaleChange. An unknown
        rule or state raises DataError and changes nothing; the same state and note again
        writes no version. ``jobcenter_id`` and ``unit_id`` (the row's team) are kept with it
        for the team's list; omitted, the last version's are kept."""
        states = followup_states()
        sid = states.parse(state)
        errors = []
        if rule_id not in quality_rules():
            errors.append(f"Prüfregel {rule_id!r} unbekannt (amip quality)")
        if sid is None:
            errors.append(f"Status {state!r} gibt es nicht (erlaubt: "
                          f"{', '.join(states.states.values())})")
        if not (row_key or "").strip():
            errors.append("Zeilenschlüssel fehlt")
        elif len(followup_key(rule_id, row_key)) > 200:
            errors.append(f"Zeilenschlüssel {row_key[:40]!r}… ist zu lang (höchstens "
                          f"{199 - len(rule_id)} Zeichen)")
        if errors:
            raise DataError("Nachverfolgung nicht gespeichert: " + "; ".join(errors) + ".")
        note = _blank(note)

        def work(s):
            key = followup_key(rule_id, row_key)
            current = self._latest(QualityFollowupVersion, s, key)
            self._check_version(QualityFollowupVersion, current, expected_version)
            if current is not None and current.state == sid and current.note == note:
                return _row(current)
            return _row(self._append(
                QualityFollowupVersion, s, key, current, actor, reason, rule_id=rule_id,
                row_key=row_key, state=sid, note=note,
                jobcenter_id=jobcenter_id or (current.jobcenter_id if current else None),
                unit_id=unit_id or (current.unit_id if current else None)))
        return self._write(work, LABELS[QualityFollowupVersion])


# -- the list a team works with -----------------------------------------------------------------

def followup_list(flagged: list[dict], followups: list[FollowupRow],
                  state: str | None = None, unit_ids: set[str] | None = None,
                  still_flagged: Callable[[str, set[str]], set[str]] | None = None
                  ) -> list[dict]:
    """The follow-up list: every flagged row (:func:`amip.engine.quality_rules.flagged_rows`
    dicts: rule_id, row_key, person_id, jobcenter_id, m, unit_id) with its recorded state
    (none: the default ``offen``, version 0), and every row with a recorded state that is no
    longer flagged as ``behoben``. ``still_flagged(rule_id, row_keys)`` (optional) names those
    of a rule's remaining keys still flagged outside the list's period: they are left out, not
    "behoben". ``unit_ids`` keeps the rows and states of these teams only; ``state`` filters
    (an id, a label or ``behoben``). Pure apart from ``still_flagged``."""
    states = followup_states()
    if unit_ids is not None:
        flagged = [r for r in flagged if r.get("unit_id") in unit_ids]
        followups = [f for f in followups if f.unit_id in unit_ids]
    by_key = {f.key: f for f in followups}
    out = []
    for r in flagged:
        f = by_key.pop((r["rule_id"], r["row_key"]), None)
        out.append(_item(r["rule_id"], r["row_key"], r.get("person_id"), r.get("jobcenter_id"),
                         r.get("unit_id"), r.get("m"), True,
                         f.state if f else states.default, f))
    if still_flagged is not None:
        for rule_id in sorted({f.rule_id for f in by_key.values()}):
            keys = {f.row_key for f in by_key.values() if f.rule_id == rule_id}
            for key in still_flagged(rule_id, keys):
                by_key.pop((rule_id, key), None)
    for f in by_key.values():
        out.append(_item(f.rule_id, f.row_key, None, f.jobcenter_id, f.unit_id, None, False,
                         "behoben", f))
    out = sorted(out, key=lambda i: (i["rule_id"], -1 if i["m"] is None else i["m"],
                                     i["row_key"]))
    return with_state(out, state)


def with_state(items: list[dict], state: str | None) -> list[dict]:
    """The list entries in ``state`` (an id, a German label or ``behoben``; None: all);
    DataError for a state that does not exist."""
    if state is None:
        return items
    states = followup_states()
    want = "behoben" if state.strip().lower() == states.resolved else states.parse(state)
    if want is None:
        raise DataError(f"Status {state!r} gibt es nicht (erlaubt: "
                        f"{', '.join([*states.states.values(), states.resolved])}).")
    return [i for i in items if i["state"] == want]


def _item(rule_id, row_key, person_id, jobcenter_id, unit_id, m, flagged, state, f) -> dict:
    states = followup_states()
    return {"rule_id": rule_id, "row_key": row_key, "person_id": person_id,
            "jobcenter_id": jobcenter_id, "unit_id": unit_id, "m": m, "flagged": flagged,
            "state": state,
            "state_label": states.resolved if state == "behoben" else states.states[state],
            "recorded_state": f.state if f else None,
            "version": f.version if f else 0,
            "recorded_at": f.recorded_at if f else None,
            "recorded_by": f.recorded_by if f else None,
            "reason": f.reason if f else None, "note": f.note if f else None}


def followup_counts(items: list[dict]) -> dict[str, dict[str, int]]:
    """rule id → state → count (the Lesezugriff's view of the list: numbers, no rows)."""
    out: dict[str, dict[str, int]] = {}
    for i in items:
        d = out.setdefault(i["rule_id"], {})
        d[i["state"]] = d.get(i["state"], 0) + 1
    return out


__all__ = ["FollowupRow", "QualityFollowups", "QualityFollowupVersion", "followup_counts",
           "followup_key", "followup_list", "with_state"]
