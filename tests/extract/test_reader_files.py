"""The reader on files as a careless supplier or an attacker sends them (amip/extract/reader.py).

Every case uses real files: FIFOs, sockets, symlinks, a device, unreadable files, CSV text with
odd line breaks, Parquet files with odd schemas. Whatever could block (a FIFO, a device) is read
in a subprocess with a timeout, so a hang fails the test instead of stalling it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from amip.cli.main import cli
from amip.extract import csvfile
from amip.extract.errors import ExtractInvalid
from amip.extract.reader import read_extract
from amip.extract.schema import TABLES
from amip.extract.validate import validate
from amip.store import Store
from tests.conftest import BASE_EXTRACT, write_extract

TIMEOUT = 60  # seconds; a hang is a failure
TWICE = "Spalte kommt doppelt vor (Groß-/Kleinschreibung zählt nicht)"

#: run in a subprocess: the reader's file-level errors of each folder given, as JSON
READ_ERRORS = """
import json, sys
from amip.extract.reader import read_extract
print(json.dumps({d: [str(e) for e in read_extract(d).errors] for d in sys.argv[1:]}))
"""


def read_errors_in_subprocess(folders: list[Path], user: list[str] = ()) -> dict[str, list[str]]:
    done = subprocess.run([*user, sys.executable, "-c", READ_ERRORS, *map(str, folders)],
                          capture_output=True, text=True, timeout=TIMEOUT,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def base_text(table: str) -> str:
    return textwrap.dedent(BASE_EXTRACT[table]).strip() + "\n"


def with_persons(directory: Path, text: bytes) -> Path:
    """The base extract with persons.csv written as the raw bytes ``text``."""
    write_extract(directory)
    (directory / "persons.csv").write_bytes(text)
    return directory


def read_messages(directory: Path) -> list[str]:
    return [str(e) for e in read_extract(directory).errors]


def all_messages(directory: Path) -> list[str]:
    return [str(e) for e in validate(read_extract(directory))]


# -- files that are not regular files --------------------------------------------------------

def _socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))  # the socket file stays when the socket is closed


def _fifo_behind_link(path: Path) -> None:
    os.mkfifo(path.parent / "elsewhere")
    path.symlink_to(path.parent / "elsewhere")


NOT_FILES = {  # what takes the place of persons.csv → the one error expected
    "directory": (lambda p: p.mkdir(), "persons.csv: ist ein Verzeichnis, keine Datei"),
    "dangling-link": (lambda p: p.symlink_to(p.parent / "gone.csv"),
                      "persons.csv: Verknüpfung ins Leere"),
    "link-loop": (lambda p: p.symlink_to(p),
                  "persons.csv: Verknüpfung im Kreis (Symlink-Schleife)"),
    "fifo": (os.mkfifo, "persons.csv: ist keine reguläre Datei (FIFO)"),
    "fifo-behind-link": (_fifo_behind_link, "persons.csv: ist keine reguläre Datei (FIFO)"),
    "device": (lambda p: p.symlink_to("/dev/zero"),
               "persons.csv: ist keine reguläre Datei (Gerätedatei)"),
    "socket": (_socket, "persons.csv: ist keine reguläre Datei (Socket)"),
    "empty": (lambda p: p.write_bytes(b""), "persons.csv: ist leer (0 Bytes)"),
}


@pytest.fixture(scope="module")
def not_files_read(tmp_path_factory) -> dict[str, list[str]]:
    """Each case of NOT_FILES in its own folder, all read by one subprocess."""
    root = tmp_path_factory.mktemp("not-files")
    folders = {}
    for case, (make, _) in NOT_FILES.items():
        folder = write_extract(root / case)
        (folder / "persons.csv").unlink()
        make(folder / "persons.csv")
        folders[case] = folder
    found = read_errors_in_subprocess(list(folders.values()))
    return {case: found[str(folder)] for case, folder in folders.items()}


@pytest.mark.parametrize("case", NOT_FILES)
def test_a_table_file_that_is_not_a_regular_file_is_one_german_error(case, not_files_read):
    assert not_files_read[case] == [NOT_FILES[case][1]]


def test_a_link_to_a_regular_file_is_read_and_hashed_from_that_file(tmp_path):
    folder = write_extract(tmp_path / "x")
    target = tmp_path / "persons-elsewhere.csv"
    (folder / "persons.csv").rename(target)
    (folder / "persons.csv").symlink_to(target)
    raw = read_extract(folder)
    assert raw.errors == []
    assert raw.tables["persons"].sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
    assert raw.tables["persons"].num_rows == 3


def _as_nobody() -> list[str]:
    """Run as user nobody: root reads a file of mode 000 all the same."""
    if os.geteuid() != 0:
        return []
    user = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    if not shutil.which("setpriv") or subprocess.run(
            [*user, sys.executable, "-c", "import amip"], capture_output=True,
            timeout=TIMEOUT).returncode != 0:
        pytest.skip("tests run as root and cannot drop to user nobody (setpriv) to run amip")
    return user


def test_unreadable_file_and_folder_are_german_errors():
    user = _as_nobody()
    root = Path(tempfile.mkdtemp(prefix="amip-unreadable-"))  # not below pytest's 0700 folders
    try:
        root.chmod(0o755)
        file_case = write_extract(root / "file")
        (file_case / "persons.csv").chmod(0)
        folder_case = write_extract(root / "folder")
        folder_case.chmod(0)
        found = read_errors_in_subprocess([file_case, folder_case], user)
    finally:
        for p in (root / "file" / "persons.csv", root / "folder"):
            p.chmod(0o755)
        shutil.rmtree(root)
    assert found[str(file_case)] == ["persons.csv: kann nicht gelesen werden (keine Berechtigung)"]
    assert found[str(folder_case)] == [
        f"{folder_case}: Auszugsordner: kann nicht gelesen werden (keine Berechtigung)"]


def test_a_folder_that_is_missing_or_a_file(tmp_path):
    assert read_messages(tmp_path / "nowhere") == [
        f"{tmp_path / 'nowhere'}: Auszugsordner: nicht gefunden"]
    (tmp_path / "a-file").write_text("x")
    assert read_messages(tmp_path / "a-file") == [f"{tmp_path / 'a-file'}: ist kein Ordner"]


def test_a_parquet_file_replaced_after_reading_is_still_the_file_read(tmp_path):
    """The file read (and hashed) is the one scanned: replaced by a FIFO after reading, the
    validation neither blocks nor sees the replacement."""
    folder = write_extract(tmp_path / "x")
    pq.write_table(pa.table({"person_id": ["p1", "p2", "p3"], "sex": ["m", "w", "x"],
                             "birth_date": ["1980-01-01"] * 3, "citizenship": ["de"] * 3,
                             "education": ["none"] * 3}), folder / "persons.parquet")
    (folder / "persons.csv").unlink()
    script = textwrap.dedent(f"""
        import os
        from amip.extract.reader import read_extract
        from amip.extract.validate import validate
        raw = read_extract({str(folder)!r})
        os.unlink({str(folder / "persons.parquet")!r})
        os.mkfifo({str(folder / "persons.parquet")!r})
        for e in validate(raw):
            print(e)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == [
        "persons.parquet, Zeile 3, Spalte sex, Wert 'x': unbekannter Code (erlaubt: m, w, d)"]


# -- CSV text ------------------------------------------------------------------------------------

PERSONS = base_text("persons")
P2 = "p2,w,1990-05-05,eu,none\n"


def persons_with(old: str, new: str) -> bytes:
    assert PERSONS.count(old) == 1
    return PERSONS.replace(old, new).encode("utf-8")


def test_a_bare_carriage_return_in_a_value_is_an_error_on_its_line(tmp_path):
    folder = with_persons(tmp_path / "x", persons_with(P2, "p2,w\r,1990-05-05,eu,none\n"))
    assert read_messages(folder) == [
        "persons.csv, Zeile 3: Wagenrücklauf (\\r) in einem Wert ohne Anführungszeichen"]
    # after two blank lines it is on line 5
    folder = with_persons(tmp_path / "y", persons_with(P2, "\n\np2,w\r,1990-05-05,eu,none\n"))
    assert read_messages(folder) == [
        "persons.csv, Zeile 5: Wagenrücklauf (\\r) in einem Wert ohne Anführungszeichen"]


def test_line_numbers_stay_right_after_blank_lines(tmp_path):
    # header = 1, p1 = 2, two blank lines = 3 and 4, p2 (sex x) = 5, p3 = 6
    folder = with_persons(tmp_path / "x", persons_with(P2, "\n\np2,x,1990-05-05,eu,none\n"))
    rt = read_extract(folder).tables["persons"]
    assert rt.lines.to_pylist() == [2, 5, 6]
    assert [m for m in all_messages(folder) if m.startswith("persons.csv")] == [
        "persons.csv, Zeile 5, Spalte sex, Wert 'x': unbekannter Code (erlaubt: m, w, d)"]


def test_line_numbers_stay_right_after_a_quoted_line_break(tmp_path):
    """u1's name spans lines 3 and 4 (valid CSV), so u11 with its bad level is on line 5."""
    folder = write_extract(tmp_path / "x", {"units": base_text("units").replace(
        "u1,03504,u0,Geschäftsstelle Finsterwalde,standort",
        'u1,03504,u0,"Geschäftsstelle\nFinsterwalde",standort').replace(
        "Team Markt,team", "Team Markt,tea")})
    rt = read_extract(folder).tables["units"]
    assert rt.data["name"][1].as_py() == "Geschäftsstelle\nFinsterwalde"
    assert rt.lines.to_pylist() == [2, 3, 5]
    units = [m for m in all_messages(folder) if m.startswith("units.csv")]
    assert [m for m in units if "Spalte level" in m] == [
        "units.csv, Zeile 5, Spalte level, Wert 'tea': "
        "unbekannter Code (erlaubt: jobcenter, standort, team)"]


def test_a_quoted_carriage_return_is_part_of_the_value(tmp_path):
    folder = with_persons(tmp_path / "x", persons_with(P2, 'p2,"w\r",1990-05-05,eu,none\n'))
    rt = read_extract(folder).tables["persons"]
    assert rt.data["sex"].to_pylist() == ["m", "w\r", "d"]
    assert rt.lines.to_pylist() == [2, 3, 4]


def test_the_fast_path_for_ordinary_files(tmp_path):
    """Windows line ends, quoted values without line breaks and blank lines at the end shift no
    row: no line map is computed."""
    text = PERSONS.replace("p2,w,", '"p2","w",').replace("\n", "\r\n") + "\r\n\n"
    rt = read_extract(with_persons(tmp_path / "x", text.encode())).tables["persons"]
    assert rt.lines is None
    assert rt.data["person_id"].to_pylist() == ["p1", "p2", "p3"]
    assert rt.data["education"].to_pylist() == ["vocational", "none", "unknown"]


def test_wrong_field_count_and_bad_utf8_name_their_line_after_blank_lines(tmp_path):
    folder = with_persons(tmp_path / "x", persons_with(P2, "\np2,w,1990-05-05,eu\n"))
    assert read_messages(folder) == ["persons.csv, Zeile 4: hat 4 Felder, die Kopfzeile hat 5"]
    # a quoted line break before: p2 starts on line 3 and ends on 4, p3 is on line 5
    text = (PERSONS.replace("p2,w,1990-05-05,eu,none", 'p2,w,1990-05-05,eu,"no\nne"')
            .encode().replace(b"p3,d", b"p3,\xff"))
    folder = with_persons(tmp_path / "y", text)
    assert read_messages(folder) == [
        "persons.csv, Zeile 5: ist kein gültiges UTF-8 (Byte 0xff an Stelle 4)"]


def test_the_header_is_read_as_csv(tmp_path):
    """A byte-order mark, quoted names and blanks around them; names differing only in case
    (DuckDB does not tell them apart) are an error."""
    rows = PERSONS.split("\n", 1)[1]
    text = '\ufeff"person_id", sex ,"birth_date",citizenship,education\n' + rows
    raw = read_extract(with_persons(tmp_path / "x", text.encode()))
    assert raw.errors == []
    assert raw.tables["persons"].columns == ["person_id", "sex", "birth_date", "citizenship",
                                             "education"]
    text = PERSONS.replace("education", "education,Sex").replace("\np", ",x\np")
    assert read_messages(with_persons(tmp_path / "y", text.encode())) == [
        f"persons.csv, Zeile 1, Spalte Sex: {TWICE}"]
    assert read_messages(with_persons(tmp_path / "z", b"\xffperson_id,sex\n")) == [
        "persons.csv, Zeile 1: Kopfzeile ist kein gültiges UTF-8 (Byte 0xff an Stelle 1)"]
    assert read_messages(with_persons(tmp_path / "w", b"\r\np1,m\n")) == [
        "persons.csv, Zeile 1: Kopfzeile ist leer"]


def test_a_header_only_file_has_no_rows(tmp_path):
    raw = read_extract(with_persons(tmp_path / "x", PERSONS.split("\n")[0].encode() + b"\n\n"))
    assert raw.errors == [] and raw.tables["persons"].num_rows == 0


def test_only_the_formats_columns_are_read_and_shown_to_duckdb(tmp_path):
    evil = 'x" AS VARCHAR) AS x FROM range(1); DROP TABLE t; --'
    quoted = '"' + evil.replace('"', '""') + '"'
    text = ("person_id,sex,birth_date,citizenship,education,shoe_size," + quoted + "\n"
            "p1,m,1980-01-01,de,vocational,42,a\n")
    rt = read_extract(with_persons(tmp_path / "x", text.encode())).tables["persons"]
    assert rt.columns[-2:] == ["shoe_size", evil]
    assert rt.data.column_names == ["person_id", "sex", "birth_date", "citizenship", "education"]
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 1 AS a")
    rt.register(con, "v")
    assert [r[0] for r in con.sql("DESCRIBE v").fetchall()] == [*rt.data.column_names, "_line"]
    assert con.sql("SELECT count(*) FROM t").fetchall() == [(1,)]


def test_a_field_longer_than_a_block_is_read(tmp_path):
    """A field of twice pyarrow's block size (32 MiB) is read whole, on its line."""
    huge = "w" * (2 * csvfile.BLOCK)
    folder = with_persons(tmp_path / "x", persons_with(P2, f"p2,{huge},1990-05-05,eu,none\n"))
    rt = read_extract(folder).tables["persons"]
    assert rt.data["sex"][1].as_py() == huge
    assert [m for m in all_messages(folder) if m.startswith("persons.csv")] == [
        f"persons.csv, Zeile 3, Spalte sex, Wert '{'w' * 40}…': "
        "unbekannter Code (erlaubt: m, w, d)"]


# -- Parquet -------------------------------------------------------------------------------------

#: closes the quoting of a column name (as the first column of a view over ``range(1)``), then
#: writes a file and deletes rows
EVIL = ('range" AS VARCHAR) AS x FROM range(1); COPY (SELECT 42) TO \'{marker}\'; '
        'DELETE FROM persons; --')


def persons_parquet(folder: Path, **columns: pa.Array) -> Path:
    """persons.csv of the base extract replaced by persons.parquet: ``columns`` first, then the
    text columns of the format not among them."""
    data = {"person_id": ["p1", "p2", "p3"], "sex": ["m", "w", "d"],
            "birth_date": ["1980-01-01", "1990-05-05", "2001-07-31"],
            "citizenship": ["de", "eu", "non_eu"], "education": ["vocational", "none", "unknown"]}
    table = pa.table({**columns, **{k: pa.array(v) for k, v in data.items() if k not in columns}})
    (folder / "persons.csv").unlink()
    pq.write_table(table, folder / "persons.parquet")
    return folder


def store_state(path: Path) -> dict[str, int]:
    """Every table of the store with its number of rows."""
    with Store.open(path, read_only=True) as store:
        tables = [r[0] for r in store.con.sql(
            "SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        return {t: store.con.sql(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in tables}


def test_a_parquet_column_name_with_sql_runs_no_sql(tmp_path, monkeypatch):
    """The attack of issue 10: a column name that closes the quoting and appends statements. It
    is not a column of the format, so it is ignored (and never read): the import adds nothing,
    the store keeps every table and row, and validation writes no file."""
    marker = tmp_path / "written-by-the-extract.csv"
    evil = EVIL.format(marker=marker)
    store_path = tmp_path / "amip.duckdb"
    with Store.open(store_path) as store:
        store.import_extract(write_extract(tmp_path / "base"))
    before = store_state(store_path)
    folder = persons_parquet(write_extract(tmp_path / "evil"), **{evil: pa.array(["a"] * 3)})

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert not marker.exists()

    with Store.open(store_path) as store:
        imported = store.import_extract(folder)
    # the ignored column is named in the warning, cut short (an attacker's name can be long)
    assert [w for w in imported.warnings if "persons.parquet" in w and evil[:30] in w
            and evil not in w]
    after = store_state(store_path)
    assert after.keys() == before.keys()
    assert {t: n for t, n in after.items() if t in TABLES} == \
        {t: n for t, n in before.items() if t in TABLES}  # the same rows again: none added
    assert after["amip_imports"] == before["amip_imports"] + 1
    assert not marker.exists()


def test_the_attack_in_place_of_a_required_column_is_an_invalid_extract(tmp_path):
    marker = tmp_path / "written-by-the-extract.csv"
    store_path = tmp_path / "amip.duckdb"
    with Store.open(store_path) as store:
        store.import_extract(write_extract(tmp_path / "base"))
    before = store_state(store_path)
    folder = write_extract(tmp_path / "evil")
    persons_parquet(folder)
    table = pq.read_table(folder / "persons.parquet")
    pq.write_table(table.rename_columns([EVIL.format(marker=marker), *table.column_names[1:]]),
                   folder / "persons.parquet")
    with Store.open(store_path) as store, pytest.raises(ExtractInvalid) as e:
        store.import_extract(folder)
    assert "persons.parquet, Spalte person_id: Spalte fehlt" in map(str, e.value.errors)
    assert store_state(store_path) == before
    assert not marker.exists()


def test_parquet_names_differing_in_case_or_reserved_are_errors(tmp_path):
    folder = persons_parquet(write_extract(tmp_path / "x"), PERSON_ID=pa.array(["a"] * 3),
                             file_row_number=pa.array([1, 2, 3]))
    # the columns: PERSON_ID, file_row_number, person_id, sex, ...
    assert read_messages(folder) == [
        "persons.parquet, Spalte file_row_number: Spaltenname ist für die Zeilennummer reserviert",
        f"persons.parquet, Spalte person_id: {TWICE}"]


def test_a_damaged_parquet_footer(tmp_path):
    folder = persons_parquet(write_extract(tmp_path / "x"))
    path = folder / "persons.parquet"
    path.write_bytes(path.read_bytes()[:-12])
    assert read_messages(folder) == ["persons.parquet: ist keine lesbare Parquet-Datei"]


AMOUNT_EXPECTED = "erwartet Dezimalzahl mit höchstens zwei Nachkommastellen, Ganzzahl oder Text"

#: (table, column, values as Arrow array, the text the validator sees, or the error message;
#: the type named is the one read back from the file: Parquet names list and map fields itself)
TYPES = [
    # allowed: read as text
    ("benefit_months", "llu_eur",
     pa.array([Decimal("424.50"), Decimal("1.00")], pa.decimal128(10, 2)),
     ["424.50", "1.00"]),
    ("benefit_months", "llu_eur", pa.array([424, 0], pa.int64()), ["424", "0"]),
    ("benefit_months", "llu_eur", pa.array([Decimal("424.5"), Decimal("0.1")], pa.decimal128(9, 1)),
     ["424.5", "0.1"]),
    ("benefit_months", "month", pa.array(["2019-01", "2019-02"]).dictionary_encode(),
     ["2019-01", "2019-02"]),
    ("benefit_months", "recorded_on", pa.array([17928, 17956], pa.date32()),
     ["2019-02-01", "2019-03-01"]),
    # a timestamp at midnight is that day; with a time it stays visible (an invalid date)
    ("benefit_months", "recorded_on",
     pa.array([1548979200, 1551441600], pa.timestamp("s")),  # 2019-02-01 00:00, 2019-03-01 12:00
     ["2019-02-01", "2019-03-01 12:00:00"]),
    ("benefit_months", "person_id", pa.array([1, 2], pa.int32()), ["1", "2"]),
    ("jobcenters", "land", pa.nulls(1), [None]),  # every value missing: type null
    # not allowed
    ("benefit_months", "llu_eur", pa.array([424.0, 424.0]),
     f"Betrag als Gleitkommazahl (double): {AMOUNT_EXPECTED}"),
    ("benefit_months", "llu_eur", pa.array([Decimal("424.0000")] * 2, pa.decimal128(12, 4)),
     f"Betrag als Dezimalzahl (decimal128(12, 4)): {AMOUNT_EXPECTED}"),
    ("benefit_months", "person_id", pa.array([1.0, 2.0], pa.float32()),
     "Kennung als Gleitkommazahl (float): erwartet Text oder Ganzzahl"),
    ("benefit_months", "person_id", pa.array([{"x": "p1"}, {"x": "p2"}]),
     "Kennung als Struktur (struct<x: string>): erwartet Text oder Ganzzahl"),
    ("benefit_months", "person_id", pa.array([["p1"], ["p2"]]),
     "Kennung als Liste (list<element: string>): erwartet Text oder Ganzzahl"),
    ("benefit_months", "month",
     pa.array([[("a", 1)], [("b", 2)]], pa.map_(pa.string(), pa.int64())),
     "Monat als Zuordnung (map) (map<string, int64 ('month')>): erwartet Text"),
    ("benefit_months", "recorded_on", pa.array([0, 0], pa.timestamp("ms", tz="Europe/Berlin")),
     "Datum als Zeitstempel mit Zeitzone (timestamp[ms, tz=Europe/Berlin]): "
     "erwartet Datum, Zeitstempel ohne Zeitzone oder Text"),
    ("casefile_checks", "items", pa.array([True]),
     "Zahl als Wahrheitswert (bool): erwartet Ganzzahl oder Text"),
    ("casefile_checks", "items", pa.array([b"20"]),
     "Zahl als Binärdaten (binary): erwartet Ganzzahl oder Text"),
]


@pytest.mark.parametrize("table,column,values,expected", TYPES,
                         ids=[f"{c}-{v.type}" for _, c, v, _ in TYPES])
def test_parquet_types_are_checked_per_column_kind_before_reading(tmp_path, table, column,
                                                                  values, expected):
    folder = write_extract(tmp_path / "x")
    csv = folder / f"{table}.csv"
    data = pacsv.read_csv(csv, convert_options=pacsv.ConvertOptions(
        column_types={c: pa.string() for c in base_text(table).split("\n")[0].split(",")}))
    data = data.set_column(data.column_names.index(column), column, values)
    csv.unlink()
    pq.write_table(data, folder / f"{table}.parquet")
    raw = read_extract(folder)
    if isinstance(expected, str):
        assert [str(e) for e in raw.errors] == [f"{table}.parquet, Spalte {column}: {expected}"]
        assert table in raw.unreadable
        return
    assert raw.errors == []
    con = duckdb.connect()
    raw.tables[table].register(con, "v")
    assert [r[0] for r in con.sql(f'SELECT "{column}" FROM v ORDER BY _line').fetchall()] \
        == expected
