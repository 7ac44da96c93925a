"""The Intensivbetreuung's declared rules (``care.toml``): the candidate window, the quota and
length of an enrolment, the counselling contacts and the outcome comparison. Loaded once and
checked at load time, naming file and entry.

>>> care_rules().quota, care_rules().max_days_left
(2, 183)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from amip.catalogue import CatalogueError, _read

FILE = "care.toml"
CASELOAD_ROLES = ("ifk", "fm", "u25", "reha", "other")
CONTACT_KINDS = ("beratung", "eingliederungsvereinbarung", "nachbetreuung", "other")
MATCH_KEYS = ("days_left_band", "age_group", "sex", "bg_type")


@dataclass(frozen=True)
class CareRules:
    max_days_left: int
    roles: tuple[str, ...]
    quota: int
    months: int
    every_months: int
    counts: tuple[str, ...]
    kinds: tuple[str, ...]
    followup_kind: str
    after_months: int
    match_on: tuple[str, ...]
    days_left_bands: tuple[int, ...]
    label: str

    def band(self, days_left: int | None) -> str | None:
        """The days-left band of ``days_left`` as ``"lo-hi"`` (hi open for the last)."""
        if days_left is None:
            return None
        lows = self.days_left_bands
        for i, lo in reversed(list(enumerate(lows))):
            if days_left >= lo:
                hi = lows[i + 1] - 1 if i + 1 < len(lows) else self.max_days_left
                return f"{lo}-{hi}"
        return None


def _positive(entry: dict, section: str, key: str) -> int:
    value = entry.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise CatalogueError(f"{FILE} [{section}] {key}: eine ganze Zahl ≥ 1 erwartet, "
                             f"nicht {value!r}")
    return value


def _subset(values, allowed, section: str, key: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not values or any(v not in allowed for v in values):
        raise CatalogueError(f"{FILE} [{section}] {key}: eine Liste aus {', '.join(allowed)} "
                             f"erwartet, nicht {values!r}")
    return tuple(values)


@cache
def care_rules() -> CareRules:
    data = _read(FILE)
    try:
        cand, enr, con, out = (data["candidates"], data["enrolment"], data["contacts"],
                               data["outcomes"])
    except KeyError as e:
        raise CatalogueError(f"{FILE}: Abschnitt [{e.args[0]}] fehlt") from None
    bands = out.get("days_left_bands")
    if not isinstance(bands, list) or not bands or bands[0] != 0 \
            or any(not isinstance(b, int) for b in bands) or bands != sorted(set(bands)):
        raise CatalogueError(f"{FILE} [outcomes] days_left_bands: aufsteigende ganze Zahlen ab 0 "
                             f"erwartet, nicht {bands!r}")
    kinds = _subset(con.get("kinds"), CONTACT_KINDS, "contacts", "kinds")
    followup = con.get("followup_kind")
    if followup not in kinds:
        raise CatalogueError(f"{FILE} [contacts] followup_kind: einer von {', '.join(kinds)}")
    return CareRules(
        max_days_left=_positive(cand, "candidates", "max_days_left"),
        roles=_subset(cand.get("roles"), CASELOAD_ROLES, "candidates", "roles"),
        quota=_positive(enr, "enrolment", "quota"),
        months=_positive(enr, "enrolment", "months"),
        every_months=_positive(con, "contacts", "every_months"),
        counts=_subset(con.get("counts"), kinds, "contacts", "counts"),
        kinds=kinds, followup_kind=followup,
        after_months=_positive(out, "outcomes", "after_months"),
        match_on=_subset(out.get("match_on"), MATCH_KEYS, "outcomes", "match_on"),
        days_left_bands=tuple(bands), label=str(out.get("label", "beschreibend")))
