"""Data quality: what a team can act on at a Stichtag (ELB without Integrationsprognose or team,
unemployed without a recent contact). The declared data-quality rules and the case-file error
rates are in :mod:`amip.engine.quality_rules`."""

from __future__ import annotations

import datetime as dt

import ibis

from amip.engine import population as pop
from amip.engine.stocks import covering

def data_quality(db, jc: str, day: dt.date) -> dict[str, int]:
    """Counts a team can act on at ``day``: ELB without an Integrationsprognose, ELB without a
    team (caseload), unemployed without a counselling contact in the last three months."""
    stock = pop.elb_stock(db, day, jc)
    prog = db.table("prognoses")
    prog = prog.filter(prog.assessed_on <= ibis.literal(day, "date"))
    teams = covering(db.table("caseload"), day)
    elb = stock.aggregate(
        elb=stock.count(),
        no_prognosis=(~stock.person_id.isin(prog.person_id)).sum().coalesce(0),
        no_team=(~stock.person_id.isin(teams.person_id)).sum().coalesce(0))
    al = pop.unemployed(db, day, jc)
    c = db.table("contacts")
    c = c.filter((c.contact_on <= ibis.literal(day, "date"))
                 & (c.contact_on > ibis.literal(day - dt.timedelta(days=91), "date")))
    unemployed = al.aggregate(unemployed=al.count(),
                              no_contact=(~al.person_id.isin(c.person_id)).sum().coalesce(0))
    row = elb.cross_join(unemployed).to_pyarrow().to_pylist()[0]  # one query for all five
    return {k: int(v) for k, v in row.items()}

