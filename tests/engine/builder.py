"""A tiny builder for hand-made extracts: a few spells, written as tables, imported, computed.

Defaults keep the cases short: Jobcenter ``03504``, rows recorded on 2000-01-01 (so that as-of
plays no part unless a case sets ``recorded_on``), persons created on first mention (sex ``m``),
and an ``extract.toml`` declaring the Datenstand 31.12.2030 (so that the data horizon plays no
part unless a case declares its own with :meth:`Ex.declare`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pyarrow as pa

from amip.engine.calendar import parse_month
from amip.engine.indicators import Record, compute
from amip.engine.prepare import keep
from amip.extract.schema import TABLES
from amip.store import Store

JC = "03504"
EARLY = "2000-01-01"
DECLARED = "2030-12-31"


class Ex:
    #: set by tests/engine/conftest.py: None for DuckDB, or a PostgreSQL URL to publish to
    postgres_url: str | None = None
    #: set by tests/engine/conftest.py: keep the prepared tables as `amip import` does
    prepared = False
    _schemas = iter(range(1, 1_000_000))

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.sexes: dict[str, str] = {}
        self.jobcenters = {JC}
        self.description: str | None = f"data_as_of = {DECLARED}\n"

    def declare(self, text: str | None) -> "Ex":
        """The extract's ``extract.toml`` (None: the extract has none)."""
        self.description = text
        return self

    def person(self, pid: str, sex: str = "m") -> "Ex":
        self.sexes[pid] = sex
        return self

    def _p(self, pid: str) -> None:
        self.sexes.setdefault(pid, "m")

    def elb(self, pid: str, start: str, end: str | None = None, *, jc: str = JC, bg: str | None = None,
            role: str = "head", status: str = "elb", recorded_on: str = EARLY) -> "Ex":
        self._p(pid)
        self.jobcenters.add(jc)
        self.rows["elb_spells"].append(dict(
            person_id=pid, bg_id=bg or f"bg-{pid}", jobcenter_id=jc, status=status, bg_role=role,
            valid_from=start, valid_to=end, recorded_on=recorded_on))
        return self

    def bg(self, bg: str, bg_type: str, start: str, end: str | None = None, jc: str = JC) -> "Ex":
        self.rows["bg_spells"].append(dict(bg_id=bg, jobcenter_id=jc, bg_type=bg_type,
                                           valid_from=start, valid_to=end, recorded_on=EARLY))
        return self

    def job(self, pid: str, start: str, end: str | None = None, kind: str = "sv",
            funding: str = "none", recorded_on: str = EARLY) -> "Ex":
        self._p(pid)
        self.rows["employment_spells"].append(dict(
            person_id=pid, kind=kind, funding=funding, valid_from=start, valid_to=end,
            recorded_on=recorded_on, gross_monthly_eur=None))
        return self

    def measure(self, pid: str, instrument: str, start: str, end: str | None = None) -> "Ex":
        self._p(pid)
        self.rows["measure_spells"].append(dict(
            person_id=pid, instrument=instrument, valid_from=start, valid_to=end, cost_eur=None,
            provider=None, recorded_on=EARLY))
        return self

    def benefit(self, pid: str, month: str, llu: str, luh: str = "0.00",
                recorded_on: str = EARLY) -> "Ex":
        self._p(pid)
        self.rows["benefit_months"].append(dict(person_id=pid, month=month, llu_eur=llu,
                                                luh_eur=luh, recorded_on=recorded_on))
        return self

    def unit(self, unit_id: str, parent: str | None, level: str, jc: str = JC) -> "Ex":
        self.rows["units"].append(dict(unit_id=unit_id, jobcenter_id=jc, parent_unit_id=parent,
                                       name=unit_id, level=level))
        return self

    def caseload(self, pid: str, unit_id: str, start: str, end: str | None = None,
                 role: str = "ifk") -> "Ex":
        self._p(pid)
        self.rows["caseload"].append(dict(person_id=pid, unit_id=unit_id, caseworker_id="cw1",
                                          role=role, valid_from=start, valid_to=end))
        return self

    def prognosis(self, pid: str, assessed_on: str, prognosis: str) -> "Ex":
        self._p(pid)
        self.rows["prognoses"].append(dict(person_id=pid, assessed_on=assessed_on,
                                           prognosis=prognosis))
        return self

    def check(self, pid: str, area: str, checked_on: str, errors: int, items: int) -> "Ex":
        self._p(pid)
        n = len(self.rows["casefile_checks"]) + 1
        self.rows["casefile_checks"].append(dict(check_id=f"c{n}", person_id=pid, area=area,
                                                 checked_on=checked_on, errors=str(errors),
                                                 items=str(items)))
        return self

    def unemployed(self, pid: str, start: str, end: str | None = None) -> "Ex":
        self._p(pid)
        self.rows["unemployment_spells"].append(dict(person_id=pid, valid_from=start,
                                                     valid_to=end, recorded_on=EARLY))
        return self

    def plan(self, year: int, title: str, instrument: str | None, amount: str,
             jc: str = JC) -> "Ex":
        """A budget_plan line (domain reference §12)."""
        self.jobcenters.add(jc)
        self.rows["budget_plan"].append(dict(jobcenter_id=jc, year=str(year), title=title,
                                             instrument=instrument, amount_eur=amount))
        return self

    def book(self, kind: str, booked_on: str, title: str, instrument: str | None, amount: str,
             budget_year: int | None = None, jc: str = JC, booking_id: str | None = None) -> "Ex":
        """A budget_bookings row; the budget year defaults to the year of ``booked_on``."""
        self.jobcenters.add(jc)
        rows = self.rows["budget_bookings"]
        rows.append(dict(booking_id=booking_id or f"B{len(rows) + 1:04d}", jobcenter_id=jc,
                         booked_on=booked_on, title=title, instrument=instrument, kind=kind,
                         amount_eur=amount, budget_year=str(budget_year or booked_on[:4])))
        return self

    # -- running --------------------------------------------------------------------------------

    def tables(self) -> dict[str, pa.Table]:
        out = {"jobcenters": _table("jobcenters", [
            dict(jobcenter_id=j, name=f"Jobcenter {j}", kind="ge", land="BB", vergleichstyp=None)
            for j in sorted(self.jobcenters)])}
        out["persons"] = _table("persons", [
            dict(person_id=p, sex=s, birth_date="1980-01-01", citizenship="de", education="none")
            for p, s in self.sexes.items()])
        declared = {r["bg_id"] for r in self.rows.get("bg_spells", [])}
        for r in self.rows.get("elb_spells", []):  # every BG needs a bg_spells row once any is given
            if declared and r["bg_id"] not in declared:
                declared.add(r["bg_id"])
                self.bg(r["bg_id"], "single", "2000-01-01", jc=r["jobcenter_id"])
        for name, rows in self.rows.items():
            out[name] = _table(name, rows)
        return out

    def store(self) -> Store:
        s = Store.memory()
        s.import_tables(self.tables(), source="test case", description=self.description)
        if self.prepared:
            keep(s)
        return s

    def view(self, as_of: str | None = None):
        """The case as a store view, on DuckDB or (when set) on the test PostgreSQL."""
        store = self.store()
        day = dt.date.fromisoformat(as_of) if as_of else None
        if self.postgres_url is None:
            return store.view(day)
        from amip.store.postgres import postgres_view, publish_to_postgres

        schema = f"case{next(Ex._schemas)}"
        publish_to_postgres(store, self.postgres_url, schema)
        return postgres_view(self.postgres_url, schema, day)

    def compute(self, month: str, to: str | None = None, as_of: str | None = None,
                **kw) -> list[Record]:
        months = list(range(parse_month(month), parse_month(to or month) + 1))
        return compute(self.view(as_of), months, **kw)

    def figures(self, month: str, sex: str = "all", **kw) -> dict[str, Record]:
        """code -> record for one month, Jobcenter 03504 and one sex."""
        return {r.code: r for r in self.compute(month, **kw)
                if r.sex == sex and r.jobcenter_id == kw.get("jobcenter_id", JC)}


def _table(name: str, rows: list[dict]) -> pa.Table:
    cols = TABLES[name].column_names
    return pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in cols})
