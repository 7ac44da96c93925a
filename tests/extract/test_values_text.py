"""Ids and texts: no control characters, no space of any kind around them; bad values are
quoted as short excerpts with control characters made visible.

Most cases write one table as Parquet (so that the value reaches validation exactly as written,
whatever a CSV reader makes of line breaks); a few go through CSV as a supplier would send them.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from amip.extract.errors import EXCERPT
from amip.extract.reader import read_extract
from amip.extract.validate import validate
from tests.conftest import edit

CONTROL_ID = "enthält ein Steuerzeichen (z. B. Tabulator oder Nullzeichen)"
CONTROL_TEXT = "enthält ein Steuerzeichen (erlaubt sind nur Tabulator und Zeilenumbruch)"
SPACE = "Leerraum am Anfang oder Ende"


def errors_of(path) -> list[str]:
    return [str(e) for e in validate(read_extract(path))]


def with_parquet(extract, table: str, data: dict) -> list[str]:
    """Errors of the base extract with ``table`` given as this Parquet file instead."""
    path = extract({table: None})
    pq.write_table(pa.table(data), path / f"{table}.parquet")
    return errors_of(path)


def checks_with_id(value: str) -> dict:
    return {"check_id": [value], "person_id": ["p1"], "area": ["kdu"],
            "checked_on": ["2019-03-01"], "errors": ["1"], "items": ["20"]}


def jobcenter_named(name: str) -> dict:
    return {"jobcenter_id": ["03504"], "name": [name], "kind": ["ge"], "land": ["BB"],
            "vergleichstyp": [None]}


@pytest.mark.parametrize("value,message", [
    ("c1\t", CONTROL_ID), ("\tc1", CONTROL_ID), ("c1\x00", CONTROL_ID), ("c1\r", CONTROL_ID),
    ("c\n1", CONTROL_ID), ("c\u200b1", CONTROL_ID),  # zero-width space: a format character
    ("\u00a0c1", SPACE), ("c1\u2003", SPACE), ("c1\u3000", SPACE), (" c1", SPACE),
    ("", "leerer Wert"),
    ("c 1", None), ("c1-ä", None),
])
def test_ids(extract, value, message):
    found = with_parquet(extract, "casefile_checks", checks_with_id(value))
    assert found == ([f"casefile_checks.parquet, Zeile 1, Spalte check_id, Wert {value!r}: "
                      f"{message}"] if message else [])


@pytest.mark.parametrize("value,message", [
    ("Jobcenter\x00", CONTROL_TEXT), ("Jobcenter\rElbe", CONTROL_TEXT),
    ("Jobcenter\x1b[31m", CONTROL_TEXT), ("Jobcenter\u0085", CONTROL_TEXT),
    ("Jobcenter\n", SPACE), ("\u00a0Jobcenter", SPACE), ("Jobcenter\t", SPACE), (" ", SPACE),
    ("Jobcenter\tElbe-Elster", None), ("Jobcenter\nElbe-Elster", None),
])
def test_texts_may_hold_tabs_and_line_breaks_inside_only(extract, value, message):
    found = with_parquet(extract, "jobcenters", jobcenter_named(value))
    assert found == ([f"jobcenters.parquet, Zeile 1, Spalte name, Wert {value!r}: {message}"]
                     if message else [])


@pytest.mark.parametrize("line,value,message", [
    ("c1\t,p1,kdu,2019-03-01,1,20", "c1\t", CONTROL_ID),
    ("\u00a0c1,p1,kdu,2019-03-01,1,20", "\u00a0c1", SPACE),
    ('"c1 ",p1,kdu,2019-03-01,1,20', "c1 ", SPACE),
])
def test_ids_in_csv(extract, line, value, message):
    found = errors_of(extract(edit("casefile_checks", "c1,p1,kdu,2019-03-01,1,20", line)))
    assert found == [f"casefile_checks.csv, Zeile 2, Spalte check_id, Wert {value!r}: {message}"]


@pytest.mark.parametrize("length,shown", [
    (EXCERPT + 1, "w" * (EXCERPT + 1)),  # one character more than an excerpt is shown whole
    (EXCERPT + 2, "w" * EXCERPT + "…"),
    (20 << 20, "w" * EXCERPT + "…"),  # a 20 MiB field
])
def test_a_long_value_is_quoted_as_a_cut_excerpt(extract, length, shown):
    found = errors_of(extract(edit("persons", "p2,w,1990-05-05,eu,none",
                                   f"p2,{'w' * length},1990-05-05,eu,none")))
    assert found == [f"persons.csv, Zeile 3, Spalte sex, Wert '{shown}': "
                     "unbekannter Code (erlaubt: m, w, d)"]


def test_control_characters_of_an_excerpt_are_visible(extract):
    """A NUL and a tab before 20 MiB: quoted as escapes within the 40 characters."""
    value = "\x00\t" + "x" * (20 << 20)
    found = with_parquet(extract, "jobcenters", jobcenter_named(value))
    assert found == ["jobcenters.parquet, Zeile 1, Spalte name, Wert '\\x00\\t"
                     + "x" * (EXCERPT - 2) + f"…': {CONTROL_TEXT}"]
