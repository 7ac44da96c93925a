"""Person-level queries: the ELB of a Jobcenter at a Stichtag with what a caseworker needs
(team, age group, LZB, latest Integrationsprognose, unemployed), and the caseloads. Shells check
the scope and write the audit trail; these only read."""

from __future__ import annotations

import ibis

from amip.engine.aggregate import team_assignment
from amip.engine.calendar import stichtag
from amip.engine.population import age_group, elb_stock, latest_prognosis, lzb, unemployed, with_age
from amip.engine.stocks import covering


def caseloads(db, month: int) -> dict[str, frozenset[str]]:
    """Caseworker → the persons in their caseload at the Stichtag of ``month``."""
    c = covering(db.table("caseload"), stichtag(month)).select("caseworker_id", "person_id")
    mine: dict[str, set[str]] = {}
    for row in c.distinct().to_pyarrow().to_pylist():
        mine.setdefault(row["caseworker_id"], set()).add(row["person_id"])
    return {cw: frozenset(ids) for cw, ids in mine.items()}


def person_rows(db, month: int, jobcenter_id: str) -> list[dict]:
    """Every ELB in stock at the Stichtag of ``month`` in ``jobcenter_id``, ordered by
    person_id: pseudonymous person_id, sex, age group, team (unit_id), LZB flag, latest
    Integrationsprognose, unemployed flag."""
    day = stichtag(month)
    stock = elb_stock(db, day, jobcenter_id).select("person_id")
    teams = team_assignment(db, month, month).select("person_id", "unit_id")
    t = stock.left_join(teams, "person_id").select(stock.person_id, teams.unit_id)
    t = age_group(with_age(db, t, day))
    long = lzb(db, day).select("person_id", is_lzb="is_lzb")
    prog = latest_prognosis(db, day).select("person_id", "prognosis")
    unemp = unemployed(db, day).select("person_id", flag=ibis.literal(True))
    t = t.left_join(long, "person_id").select(*[t[c] for c in t.columns], long.is_lzb)
    t = t.left_join(prog, "person_id").select(*[t[c] for c in t.columns], prog.prognosis)
    t = t.left_join(unemp, "person_id").select(*[t[c] for c in t.columns],
                                               unemployed=unemp.flag.fill_null(False))
    t = t.select("person_id", "sex", "age_group", "unit_id",
                 is_lzb=t.is_lzb.fill_null(False), prognosis=t.prognosis,
                 unemployed=t.unemployed).order_by("person_id")
    return t.to_pyarrow().to_pylist()
