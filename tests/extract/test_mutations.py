"""A table of mutated extracts, as a careless data supplier or an attacker would send them.

Each case writes the small valid extract of tests/conftest.py, breaks it in one way and runs the
real command line (a subprocess, so a hang is caught by a timeout) twice: ``amip validate`` and
``amip import`` into a store file that already holds the valid extract. Every case must end with
exit code 2 and a German error on one line naming the file (and the line and column where the
problem has one), no traceback, and a store unchanged to the byte.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tests.conftest import BASE_EXTRACT, write_extract

AMIP = [sys.executable, "-m", "amip.cli"]
TIMEOUT = 60  # seconds; a hang is a failure


def _csv_text(table: str) -> str:
    return textwrap.dedent(BASE_EXTRACT[table]).strip() + "\n"


def replace_line(table: str, old: str, new: str) -> Callable[[Path], None]:
    """Write ``table`` with one line replaced (raw text: may hold \\r, tabs, NUL, ...)."""
    def mutate(d: Path) -> None:
        text = _csv_text(table)
        assert text.count(old) == 1, old
        (d / f"{table}.csv").write_bytes(text.replace(old, new).encode("utf-8"))
    return mutate


def raw_file(table: str, content: bytes) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        (d / f"{table}.csv").write_bytes(content)
    return mutate


def as_parquet(table: str, schema_change: Callable[[pa.Table], pa.Table] = lambda t: t,
               corrupt: bool = False) -> Callable[[Path], None]:
    """Replace ``table``.csv by a Parquet file (with its columns changed by ``schema_change``;
    ``corrupt``: bytes in the middle of the data overwritten, footer intact)."""
    def mutate(d: Path) -> None:
        csv = d / f"{table}.csv"
        data = pacsv.read_csv(csv, convert_options=pacsv.ConvertOptions(
            strings_can_be_null=True, column_types={}))
        csv.unlink()
        path = d / f"{table}.parquet"
        pq.write_table(schema_change(data), path, compression="none", use_dictionary=False)
        if corrupt:
            raw = bytearray(path.read_bytes())
            start = 4 + 40  # past the magic bytes and into the first column chunk's data page
            raw[start:start + 64] = b"\xff" * 64
            path.write_bytes(bytes(raw))
    return mutate


def replace_file(table: str, make: Callable[[Path], None]) -> Callable[[Path], None]:
    """Remove ``table``.csv and put something else at its path."""
    def mutate(d: Path) -> None:
        path = d / f"{table}.csv"
        path.unlink()
        make(path)
    return mutate


def drop_column(table: str, column: str) -> Callable[[Path], None]:
    def mutate(d: Path) -> None:
        data = pacsv.read_csv(d / f"{table}.csv", convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in _csv_text(table).split("\n")[0].split(",")}))
        pacsv.write_csv(data.drop_columns([column]), d / f"{table}.csv")
    return mutate


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Path], None]
    file: str
    line: int | None = None
    column: str | None = None
    says: str = ""  # a German fragment of the message


EVIL = 'person_id" AS VARCHAR) AS person_id FROM range(1); DELETE FROM persons; --'
P2 = "p2,w,1990-05-05,eu,none"
ELB_P1 = "p1,b1,03504,elb,head,2019-01-01,,2019-01-03"
BM_P1 = "p1,2019-01,424.00,310.50,2019-02-01"

CASES = [
    # -- files that are not files ----------------------------------------------------------------
    Case("directory", replace_file("persons", lambda p: p.mkdir()), "persons.csv",
         says="Verzeichnis"),
    Case("dangling-symlink", replace_file("persons", lambda p: p.symlink_to(p.parent / "gone")),
         "persons.csv", says="ins Leere"),
    Case("symlink-loop", replace_file("persons", lambda p: p.symlink_to(p)), "persons.csv",
         says="Schleife"),
    Case("fifo", replace_file("persons", lambda p: os.mkfifo(p)), "persons.csv", says="FIFO"),
    Case("device", replace_file("persons", lambda p: p.symlink_to("/dev/zero")), "persons.csv",
         says="Gerätedatei"),
    Case("empty-file", raw_file("persons", b""), "persons.csv", says="leer"),
    # -- CSV text ----------------------------------------------------------------------------------
    Case("carriage-return-in-value", replace_line("persons", P2, "p2,w\r,1990-05-05,eu,none"),
         "persons.csv", line=3, says="Wagenrücklauf"),
    Case("not-utf8", raw_file("persons", _csv_text("persons").replace("none", "n\u00e4ne")
                              .encode("latin-1")), "persons.csv", line=3, says="UTF-8"),
    Case("line-after-blank-lines",
         replace_line("persons", P2, "\n\np2,x,1990-05-05,eu,none"), "persons.csv",
         line=5, column="sex", says="unbekannter Code"),
    # u1's name spans lines 3 and 4 (a quoted newline is valid CSV), so u11 is on line 5
    Case("line-after-quoted-newline", replace_line(
        "units", "Geschäftsstelle Finsterwalde,standort\nu11,03504,u1,Team Markt,team",
        '"Geschäftsstelle\nFinsterwalde",standort\nu11,03504,u1,Team Markt,tea'),
         "units.csv", line=5, column="level", says="unbekannter Code"),
    Case("huge-field", replace_line("persons", P2, "p2," + "w" * (20 << 20) + ",1990-05-05,eu,"
                                    "none"),
         "persons.csv", line=3, column="sex", says="unbekannter Code"),
    # -- values --------------------------------------------------------------------------------
    Case("amount-too-large", replace_line("benefit_months", BM_P1,
                                          "p1,2019-01,10000000000000000.00,310.50,2019-02-01"),
         "benefit_months.csv", line=2, column="llu_eur", says="Betrag zu groß"),
    Case("id-with-tab", replace_line("persons", P2, "p2\t,w,1990-05-05,eu,none"),
         "persons.csv", line=3, column="person_id", says="Steuerzeichen"),
    Case("id-with-nbsp", replace_line("persons", P2, "\u00a0p2,w,1990-05-05,eu,none"),
         "persons.csv", line=3, column="person_id", says="Leerraum"),
    Case("id-with-nul", replace_line("persons", P2, "p2\x00,w,1990-05-05,eu,none"),
         "persons.csv", line=3, column="person_id", says="Steuerzeichen"),
    Case("recorded-in-the-future", replace_line("elb_spells", ELB_P1,
                                                "p1,b1,03504,elb,head,2019-01-01,,2999-01-03"),
         "elb_spells.csv", line=2, column="recorded_on", says="bis heute"),
    Case("birth-year-0", replace_line("persons", P2, "p2,w,0000-05-05,eu,none"),
         "persons.csv", line=3, column="birth_date", says="außerhalb"),
    Case("birth-year-2090", replace_line("persons", P2, "p2,w,2090-05-05,eu,none"),
         "persons.csv", line=3, column="birth_date", says="bis heute"),
    Case("checks-without-items", drop_column("casefile_checks", "items"),
         "casefile_checks.csv", column="items", says="Spalte fehlt"),
    Case("root-cause-first", replace_line("jobcenters", "03504,Jobcenter", "03504 ,Jobcenter"),
         "jobcenters.csv", line=2, column="jobcenter_id", says="Leerraum"),
    # -- the org tree ----------------------------------------------------------------------------
    Case("unit-cycle", replace_line("units", "u0,03504,,Jobcenter", "u0,03504,u11,Jobcenter"),
         "units.csv", column="parent_unit_id", says="Kreis im Organisationsbaum"),
    Case("team-with-level-jobcenter", replace_line("units", "u11,03504,u1,Team Markt,team",
                                                   "u11,03504,u1,Team Markt,jobcenter"),
         "units.csv", line=4, says="Ebene jobcenter"),
    # -- Parquet -------------------------------------------------------------------------------
    Case("parquet-evil-column-name", as_parquet("persons", lambda t: t.rename_columns(
        [EVIL if c == "person_id" else c for c in t.column_names])), "persons.parquet",
         column="person_id", says="Spalte fehlt"),
    Case("parquet-float-money", as_parquet("benefit_months", lambda t: t.set_column(
        2, "llu_eur", t["llu_eur"].cast(pa.float64()))), "benefit_months.parquet",
         column="llu_eur", says="Gleitkommazahl"),
    Case("parquet-struct-id", as_parquet("persons", lambda t: t.set_column(
        0, "person_id", pa.StructArray.from_arrays([t["person_id"].combine_chunks()], ["x"]))),
         "persons.parquet", column="person_id", says="Struktur"),
    Case("parquet-corrupt-pages", as_parquet("persons", corrupt=True), "persons.parquet",
         says="beschädigt"),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def valid_store(tmp_path_factory) -> Path:
    """A store file holding the valid base extract, imported by the command line."""
    root = tmp_path_factory.mktemp("mutations")
    base = write_extract(root / "base")
    store = root / "base.duckdb"
    done = subprocess.run([*AMIP, "import", str(base), "--store", str(store)],
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    return store


def run(args: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run([*AMIP, *args], capture_output=True, timeout=TIMEOUT, env=env)


@pytest.fixture(scope="module")
def outcomes(valid_store, tmp_path_factory) -> dict[str, tuple]:
    """Every case through validate and import, two at a time (the cases are independent)."""
    root = tmp_path_factory.mktemp("cases")

    def one(case: Case):
        d = write_extract(root / case.id)
        case.mutate(d)
        store = root / f"{case.id}.duckdb"
        shutil.copyfile(valid_store, store)
        before = sha256(store)
        validated = run(["validate", str(d)])
        imported = run(["import", str(d), "--store", str(store)])
        return validated, imported, before, sha256(store), sorted(p.name for p in root.iterdir()
                                                                 if p.name.startswith(case.id))

    with ThreadPoolExecutor(2) as pool:
        return dict(zip((c.id for c in CASES), pool.map(one, CASES)))


def error_lines(done: subprocess.CompletedProcess, file: str = "") -> list[str]:
    """The listed errors (indented lines) that name ``file``, in the order printed."""
    return [line for line in done.stderr.decode("utf-8", "replace").splitlines()
            if line.startswith("  ") and line.strip().startswith(file)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_a_clear_german_error_and_the_store_is_unchanged(case, outcomes):
    validated, imported, before, after, left = outcomes[case.id]
    for done in (validated, imported):
        err = done.stderr.decode("utf-8", "replace")
        assert done.returncode == 2, (done.returncode, err[-2000:])
        assert "Traceback" not in err, err[-3000:]
        assert "ungültig" in err and "nichts wurde importiert" in err.lower(), err[:2000]
        lines = error_lines(done, case.file)
        assert lines, f"no error names {case.file}:\n{err[:3000]}"
        wanted = [f"Zeile {case.line}" if case.line else "", f"Spalte {case.column}"
                  if case.column else "", case.says]
        assert any(all(w in line for w in wanted) for line in lines), (wanted, lines)
        # the root cause first: the broken file's errors before any follow-on error elsewhere
        assert error_lines(done)[0] == lines[0], error_lines(done)[:3]
        assert all(len(line) < 400 for line in err.splitlines()), "a value must be cut short"
    assert after == before, "the store file changed"
    assert left == [case.id, f"{case.id}.duckdb"], f"files left behind: {left}"
