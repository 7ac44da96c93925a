"""Issue 11 item 3, the rest: what a person reads from the engine, the store and the CLI is
German (unknown units and Jobcenter, months, publish refusals), and ``amip imports`` shows the
moment of each import in German local time (Europe/Berlin), not the UTC the store keeps."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from amip import i18n
from amip.cli.main import cli
from amip.engine.calendar import parse_month
from amip.engine.forecast import monthly_facts
from amip.engine.indicators import UnknownUnit, compute
from amip.store import Store


def test_imports_shows_local_time(store_file):
    with Store.open(store_file, read_only=True) as store:
        at = store.imports()[0]["imported_at"]  # naive UTC
    r = CliRunner().invoke(cli, ["imports", "--store", str(store_file)], terminal_width=200)
    assert r.exit_code == 0, r.output
    # Berlin is UTC+1 in winter, UTC+2 in summer: never the UTC clock time itself
    local = i18n.local_time(at)
    assert local in r.output
    offset = dt.datetime.strptime(local, "%d.%m.%Y, %H:%M:%S") - at
    assert offset in (dt.timedelta(hours=1), dt.timedelta(hours=2))
    assert at.strftime("%d.%m.%Y %H:%M:%S") not in r.output


def test_the_store_writes_utc(store_file):
    """imported_at is UTC whatever the machine's zone: a fresh import lies within a minute of
    the UTC clock."""
    from amip.store.store import utc_now

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert abs(utc_now() - now) < dt.timedelta(seconds=5)


@pytest.mark.parametrize("call, message", [
    (lambda v: compute(v, [parse_month("2020-06")], unit_id="nope"),
     "Einheit 'nope' gibt es im Datenbestand nicht"),
    (lambda v: compute(v, [parse_month("2020-06")], jobcenter_id="00000"),
     "Jobcenter '00000' gibt es im Datenbestand nicht."),
    (lambda v: compute(v, [parse_month("2020-06")], jobcenter_id="00000",
                       unit_id="03504-fi-markt"),
     "Einheit '03504-fi-markt' gehört zum Jobcenter 03504, nicht zu 00000."),
    (lambda v: monthly_facts(v, "00000", "2020-01", "2020-06", ["elb"],
                             unit_id="03504-fi-markt"),
     "Einheit '03504-fi-markt' gehört zum Jobcenter 03504, nicht zu 00000."),
])
def test_unknown_units_are_named_in_german(default_store, call, message):
    with pytest.raises(UnknownUnit) as e:
        call(default_store.view())
    assert message in str(e.value)


def test_a_wrong_month_is_german():
    with pytest.raises(ValueError, match=r"kein Monat: '2020-13' \(erwartet JJJJ-MM\)"):
        parse_month("2020-13")
    r = CliRunner().invoke(cli, ["indicators", "--month", "13/2020", "--store", "x.duckdb"])
    assert r.exit_code == 2 and "kein Monat: '13/2020'" in r.output

