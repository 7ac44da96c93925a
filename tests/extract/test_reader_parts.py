"""A table as a folder of Parquet parts (``NAME/*.parquet``, e.g. one file per Jobcenter)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from amip.extract.errors import ExtractInvalid
from amip.extract.reader import read_extract
from amip.store import Store
from tests.conftest import write_extract


def _as_text_table(path):
    names = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=True))


def _split(folder, name, edit=None):
    """Replace NAME.csv by NAME/a.parquet (first row) and NAME/b.parquet (the rest)."""
    table = _as_text_table(folder / f"{name}.csv")
    (folder / f"{name}.csv").unlink()
    (folder / name).mkdir()
    second = table.slice(1)
    if edit:
        second = edit(second)
    pq.write_table(table.slice(0, 1), folder / name / "a.parquet")
    pq.write_table(second, folder / name / "b.parquet")
    return table.num_rows


def test_parts_import_like_one_file(tmp_path):
    whole = Store.memory()
    whole.import_extract(write_extract(tmp_path / "whole"))
    folder = write_extract(tmp_path / "parts")
    n = _split(folder, "elb_spells")
    assert n > 1
    parts = Store.memory()
    parts.import_extract(folder)
    q = "SELECT * FROM elb_spells ORDER BY ALL"
    assert parts.con.execute(q).fetchall() == whole.con.execute(q).fetchall()
    raw = read_extract(folder)
    assert raw.tables["elb_spells"].file == "elb_spells/"
    assert raw.tables["elb_spells"].num_rows == n


def test_a_bad_value_is_numbered_through_the_parts(tmp_path):
    folder = write_extract(tmp_path / "x")

    def bad(t):  # the first row of the second part: row 2 of the table
        i = t.schema.get_field_index("status")
        col = pa.array(["xx"] + t["status"].to_pylist()[1:], pa.string())
        return t.set_column(i, "status", col)

    _split(folder, "elb_spells", bad)
    with pytest.raises(ExtractInvalid) as e:
        Store.memory().import_extract(folder)
    errors = [x for x in e.value.errors if x.column == "status"]
    assert errors and errors[0].file == "elb_spells/" and errors[0].line == 2


def test_a_bad_value_in_the_last_of_three_parts_keeps_its_line(tmp_path):
    folder = write_extract(tmp_path / "x")
    table = _as_text_table(folder / "elb_spells.csv")
    n = table.num_rows
    assert n >= 3
    i = table.schema.get_field_index("status")
    table = table.set_column(i, "status", pa.array(table["status"].to_pylist()[:-1] + ["xx"],
                                                   pa.string()))
    (folder / "elb_spells.csv").unlink()
    (folder / "elb_spells").mkdir()
    # parts of 1, 1 and n − 2 rows; the bad value is the table's last row: line n
    for k, (start, length) in enumerate([(0, 1), (1, 1), (2, n - 2)]):
        pq.write_table(table.slice(start, length), folder / "elb_spells" / f"p{k}.parquet")
    with pytest.raises(ExtractInvalid) as e:
        Store.memory().import_extract(folder)
    errors = [x for x in e.value.errors if x.column == "status"]
    assert [x.line for x in errors] == [n]


@pytest.mark.parametrize("make, message", [
    (lambda d: None, "enthält keine Parquet-Datei"),
    (lambda d: (d / "x.csv").write_text("a\n"), "enthält andere Dateien als Parquet: x.csv"),
    (lambda d: (pq.write_table(pa.table({"person_id": ["p1"]}), d / "a.parquet"),
                pq.write_table(pa.table({"person_id": [1]}), d / "b.parquet")),
     "andere Spalten oder Typen als persons/a.parquet"),
])
def test_bad_folders_are_errors_of_their_table(tmp_path, make, message):
    folder = write_extract(tmp_path / "x")
    (folder / "persons.csv").unlink()
    (folder / "persons").mkdir()
    make(folder / "persons")
    raw = read_extract(folder)
    assert any(message in str(err) for err in raw.errors), [str(x) for x in raw.errors]
    assert "persons" in raw.unreadable


def test_rows_go_to_the_home_jobcenter_of_their_person():
    import datetime as dt

    from amip.extract.writer import NO_JOBCENTER, partition_keys, person_home

    d = dt.date
    elb = pa.table({"person_id": ["p2", "p1", "p1"], "jobcenter_id": ["A", "B", "A"],
                    "valid_from": [d(2019, 1, 1), d(2020, 5, 1), d(2018, 1, 1)]})
    home = person_home(elb)
    assert dict(zip(home["person_id"].to_pylist(), home["jobcenter_id"].to_pylist())) == \
        {"p1": "B", "p2": "A"}  # p1: the latest spell (2020) is at B
    persons = pa.table({"person_id": ["p1", "p2", "p3"]})
    assert partition_keys("persons", persons, home).to_pylist() == ["B", "A", NO_JOBCENTER]
    units = pa.table({"unit_id": ["u"], "jobcenter_id": ["C"]})
    assert partition_keys("units", units, home).to_pylist() == ["C"]
