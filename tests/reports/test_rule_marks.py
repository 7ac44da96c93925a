"""Issue 11 item 2, the rest: a change that would compare values under two definitions of a
measure (K2E3, redefined by the VO of 22 March 2019, first Stichtag April 2019) is not stated; the cell says "Regeländerung"
with a footnote number, and the footnote gives the reason — in the programme's (and the
Monatsbericht's) measure table and in the table of ``amip indicators``."""

from __future__ import annotations

import re

from click.testing import CliRunner

from amip.cli.main import cli
from amip.reports.figures import programme_figures
from amip.reports.programme import build


def test_the_programme_marks_the_rule_change_of_k2e3(default_store):
    # programme 2020: December 2019 (VO 2019) against December 2018 (VO 2010)
    report = build(programme_figures(default_store.view(), 2020))
    table = next(t for t in report.tables() if t.id == "kennzahlen-48a")
    change = [c.label for c in table.columns].index("Veränderung in Prozentpunkten")
    rows = {r.label.split()[0]: r for r in table.rows}
    assert rows["K2E3"].values[change] == "Regeländerung (1)"
    assert "(1) Keine Veränderung ausweisbar: K2E3 ist seit der VO 2019 (22.03.2019) anders " \
           "definiert" in table.note
    # the other measures keep their numeric change: only K2E3 was redefined
    assert all(not isinstance(r.values[change], str) for code, r in rows.items() if code != "K2E3")
    assert isinstance(rows["K2"].values[change], float)


def test_amip_indicators_marks_the_month_after_the_rule_change(store_file):
    r = CliRunner().invoke(cli, ["indicators", "--store", str(store_file), "--month", "2019-03",
                                 "--to", "2019-04"])
    assert r.exit_code == 0, r.output
    march, april = r.output.split("April 2019", 1)
    assert "Regeländerung" not in march  # March stands alone: nothing before it is shown
    k2e3 = next(line for line in april.splitlines() if "K2E3" in line)
    n = re.search(r"K2E3 \((\d)\)", k2e3).group(1)
    assert f"({n}) Regeländerung gegenüber dem Vormonat – Keine Veränderung ausweisbar: K2E3 " \
           f"ist seit der VO 2019" in " ".join(april.split())
    # a single month compares nothing: no mark
    r = CliRunner().invoke(cli, ["indicators", "--store", str(store_file), "--month", "2019-04"])
    assert r.exit_code == 0 and "Regeländerung" not in r.output
