"""Read an extract folder (CSV or Parquet) into Arrow tables of text, ready for validation.

Everything is read as text first so that the validator can name the exact bad value; types are
applied only after the whole extract has passed (see :mod:`amip.extract.validate`).

Nothing in a file becomes SQL: each table file must be a regular file (:mod:`amip.extract.files`);
its column names are checked (no name twice, ignoring case) and, in Parquet, the types of the
format's columns (:mod:`amip.extract.parquetfile`), before any value is read; and only the
format's columns are ever read (:meth:`RawTable.register`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from amip.extract import csvfile, parquetfile
from amip.extract.description import FILE_NAME as DESCRIPTION
from amip.extract.description import parse as parse_description
from amip.extract.errors import ExtractError, excerpt
from amip.extract.files import FileProblem, OpenFile, open_regular, why_not
from amip.extract.schema import TABLES

FORMATS = (".csv", ".parquet")
#: column names a Parquet file must not use, ignoring case: DuckDB numbers the rows under them
RESERVED = ("file_row_number",)
TWICE = "Spalte kommt doppelt vor (Groß-/Kleinschreibung zählt nicht)"


def ident(name: str) -> str:
    """``name`` as a quoted SQL identifier (the one way a column name enters SQL here)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """``text`` as a quoted SQL string."""
    return "'" + text.replace("'", "''") + "'"


@dataclass
class ParquetSource:
    """A Parquet file held open, scanned in place by DuckDB."""

    file: OpenFile
    rows: int
    types: dict[str, pa.DataType]  # Arrow type of each of the format's columns in the file
    #: a table delivered as a folder of Parquet files: every part with its rows (``file`` is
    #: the first); rows are numbered through the parts in name order
    parts: tuple[tuple[OpenFile, int], ...] = ()

    def scan_sql(self, first_line: int) -> tuple[str, str]:
        """(``read_parquet(...)`` call, SQL of a row's line number) over the file or parts."""
        if not self.parts:
            return (f"read_parquet({literal(self.file.path)}, file_row_number = true)",
                    f"file_row_number + {first_line}")
        paths = [literal(f.path) for f, _ in self.parts]
        offsets, at = [], first_line
        for _f, rows in self.parts:
            offsets.append(str(at))
            at += rows
        # the first line of each part by the part's position in the list (file_index): a
        # CASE over the file names cost 5 × the scan itself with 404 parts
        return (f"read_parquet([{', '.join(paths)}], file_row_number = true)",
                f"file_row_number + CAST([{', '.join(offsets)}] AS BIGINT[])"
                f"[CAST(file_index AS BIGINT) + 1]")


@dataclass
class RawTable:
    """One extract file as text columns, plus where its rows came from.

    The rows are either an Arrow table of strings (CSV, or tables held in memory) or, for
    Parquet, the file itself: DuckDB scans it in place, so an extract larger than memory can be
    validated and imported.
    """

    name: str
    file: str  # file name as shown in messages, e.g. 'elb_spells.csv'
    data: pa.Table | None  # columns as strings, with '' read as null
    first_line: int  # line/row number of the first data row (CSV: 2, Parquet: 1)
    sha256: str = ""
    parquet: ParquetSource | None = None  # scanned in place when data is None
    #: every column the file names, also those not in the format (the caller warns of those;
    #: they are never read); default: the columns of ``data``
    columns: list[str] = field(default_factory=list)
    lines: pa.Array | None = None  # line of each row, when not first_line, first_line + 1, …

    def __post_init__(self) -> None:
        if not self.columns and self.data is not None:
            self.columns = self.data.column_names

    @property
    def read_columns(self) -> list[str]:
        """The format's columns the file has: the only ones :meth:`register` shows."""
        return _format_columns(self.name, self.columns)

    @property
    def num_rows(self) -> int:
        if self.data is not None:
            return self.data.num_rows
        return self.parquet.rows  # type: ignore[union-attr]

    def register(self, con, view: str) -> None:
        """Make the rows visible to DuckDB as ``view``: the format's columns as text, plus
        ``_line``."""
        if self.parquet is None:
            lines = self.lines
            if lines is None:
                first = self.first_line
                lines = pa.array(range(first, first + self.num_rows), pa.int64())
            con.register(view, self.data.select(self.read_columns).append_column("_line", lines))
            return
        kinds = {c.name: c.kind for c in TABLES[self.name].columns}
        cols = [f"{parquetfile.text_sql(kinds[c], self.parquet.types[c], ident(c))} AS {ident(c)}"
                for c in self.read_columns]
        scan, line = self.parquet.scan_sql(self.first_line)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {ident(view)} AS SELECT "
                    f"{', '.join([*cols, f'{line} AS _line'])} FROM {scan}")

    def unregister(self, con, view: str) -> None:
        if self.parquet is None:
            con.unregister(view)
        else:
            con.execute(f"DROP VIEW IF EXISTS {ident(view)}")


@dataclass
class RawExtract:
    source: str
    tables: dict[str, RawTable] = field(default_factory=dict)
    errors: list[ExtractError] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)  # tables whose file could not be read
    description: str | None = None  # the text of extract.toml, if the extract has one

    @property
    def fingerprint(self) -> str:
        """A hash of the extract's content: the same files give the same fingerprint."""
        h = hashlib.sha256()
        for name in sorted(self.tables):
            h.update(f"{name}:{self.tables[name].sha256}\n".encode())
        if self.description is not None:
            h.update(f"{DESCRIPTION}:{self.description}".encode())
        return h.hexdigest()


def read_extract(directory: str | Path) -> RawExtract:
    """Read every table file of an extract folder; file-level problems go to ``errors``."""
    root = Path(directory)
    raw = RawExtract(source=str(root))
    try:
        entries = sorted(root.iterdir())
    except NotADirectoryError:
        raw.errors.append(ExtractError(str(root), None, None, None, "ist kein Ordner"))
        return raw
    except OSError as e:
        raw.errors.append(ExtractError(str(root), None, None, None,
                                       f"Auszugsordner: {why_not(root, e)}"))
        return raw
    found: dict[str, list[Path]] = {}
    for path in entries:
        if path.suffix in FORMATS and path.stem in TABLES:
            found.setdefault(path.stem, []).append(path)
        elif path.name in TABLES and path.is_dir():  # a table as a folder of Parquet parts
            found.setdefault(path.name, []).append(path)
        elif path.name == DESCRIPTION and os.path.isfile(path):
            _read_description(raw, path)
        elif not path.name.startswith(".") and os.path.isfile(path):
            raw.ignored_files.append(path.name)
    for name, table in TABLES.items():
        paths = found.get(name, [])
        if len(paths) > 1:
            raw.errors.append(ExtractError(
                " und ".join(p.name for p in paths), None, None, None,
                f"Tabelle {name} ist doppelt geliefert; bitte nur eine Datei je Tabelle"))
            continue
        if not paths:
            if table.required:
                raw.errors.append(ExtractError(
                    f"{name}.csv", None, None, None,
                    f"Pflichttabelle {name} fehlt ({name}.csv oder {name}.parquet)"))
            continue
        try:
            raw.tables[name] = read_file(paths[0], name)
        except _FileUnreadable as e:
            raw.errors += e.errors
            raw.unreadable.add(name)
    return raw


def _read_description(raw: RawExtract, path: Path) -> None:
    """Keep the text of ``extract.toml``; its problems go to ``raw.errors``."""
    try:
        raw.description = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raw.errors.append(ExtractError(path.name, None, None, None, f"nicht lesbar ({e})"))
        return
    raw.errors += parse_description(raw.description)[1]


class _FileUnreadable(Exception):
    def __init__(self, errors: list[ExtractError]) -> None:
        super().__init__("; ".join(map(str, errors)))
        self.errors = errors


def read_file(path: Path, name: str) -> RawTable:
    """Read the file of table ``name``; raises :class:`_FileUnreadable` with its errors."""
    if path.is_dir() and not path.suffix:  # NAME/ (a folder NAME.csv is an error below)
        return _read_parts(path, name)
    try:
        opened = open_regular(path)
    except FileProblem as e:
        raise _FileUnreadable([ExtractError(path.name, None, None, None, str(e))]) from None
    if path.suffix == ".csv":
        with opened:
            return _read_csv(opened, path.name, name)
    try:
        return _read_parquet(opened, path.name, name)
    except _FileUnreadable:
        opened.close()
        raise


def _read_parts(folder: Path, name: str) -> RawTable:
    """A table delivered as a folder ``NAME/`` of Parquet files (e.g. one per Jobcenter): the
    parts must have the same columns and types; they are scanned together, in name order."""
    files = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    shown = f"{name}/"
    other = [p.name for p in files if p.suffix != ".parquet"]
    if other or not files:
        why = (f"enthält andere Dateien als Parquet: {', '.join(other[:3])}" if other
               else "enthält keine Parquet-Datei")
        raise _FileUnreadable([ExtractError(shown, None, None, None, why)])
    parts = [read_file(p, name) for p in files]
    for p, t in zip(files[1:], parts[1:]):
        if t.columns != parts[0].columns or t.parquet.types != parts[0].parquet.types:
            raise _FileUnreadable([ExtractError(
                f"{shown}{p.name}", None, None, None,
                f"andere Spalten oder Typen als {shown}{files[0].name}")])
    digest = hashlib.sha256("".join(t.sha256 for t in parts).encode()).hexdigest()
    first = parts[0].parquet
    source = ParquetSource(first.file, sum(t.num_rows for t in parts), first.types,
                           parts=tuple((t.parquet.file, t.num_rows) for t in parts))
    return RawTable(name, shown, None, first_line=1, sha256=digest, parquet=source,
                    columns=parts[0].columns)


def _read_csv(opened: OpenFile, file: str, name: str) -> RawTable:
    blob = opened.read()
    try:
        names, start = csvfile.header(blob)
        _check_names(file, names, line=1)
        data, lines = csvfile.rows(blob, start, names, _format_columns(name, names))
    except csvfile.CsvProblem as e:
        raise _FileUnreadable([ExtractError(file, e.line, None, None, e.message)]) from None
    return RawTable(name, file, data, first_line=2, sha256=hashlib.sha256(blob).hexdigest(),
                    columns=names, lines=lines)


def _read_parquet(opened: OpenFile, file: str, name: str) -> RawTable:
    try:
        with opened.stream() as f:
            footer = pq.ParquetFile(f)
            schema, rows = footer.schema_arrow, footer.metadata.num_rows
    except (pa.ArrowException, OSError):
        raise _FileUnreadable([ExtractError(file, None, None, None,
                                            "ist keine lesbare Parquet-Datei")]) from None
    _check_names(file, schema.names, line=None, reserved=RESERVED)
    wrong = parquetfile.type_problems(TABLES[name], schema)
    if wrong:
        raise _FileUnreadable([ExtractError(file, None, c, None, m) for c, m in wrong.items()])
    types = {c: schema.field(c).type for c in _format_columns(name, schema.names)}
    return RawTable(name, file, None, first_line=1, sha256=opened.sha256(),
                    parquet=ParquetSource(opened, rows, types), columns=schema.names)


def _check_names(file: str, names: list[str], line: int | None,
                 reserved: tuple[str, ...] = ()) -> None:
    """Column names must differ in more than case (DuckDB ignores it) and avoid ``reserved``."""
    errors, seen = [], set()
    for n in names:
        if n.lower() in seen:
            errors.append(ExtractError(file, line, _shown(n), None, TWICE))
        elif n.lower() in reserved:
            errors.append(ExtractError(file, line, _shown(n), None,
                                       "Spaltenname ist für die Zeilennummer reserviert"))
        seen.add(n.lower())
    if errors:
        raise _FileUnreadable(errors)


def _shown(name: str) -> str:
    """A column name for a message: on one line, cut short."""
    return excerpt(name if name.isprintable() else repr(name)[1:-1])


def _format_columns(table: str, names: list[str]) -> list[str]:
    """The columns of ``names`` that the format declares for ``table``, in the file's order."""
    declared = set(TABLES[table].column_names)
    return [n for n in names if n in declared]


def as_text(data: pa.Table) -> pa.Table:
    """Cast every column to text (dates become ISO strings, decimals '12.50')."""
    cols = [pa.nulls(len(c), pa.string()) if pa.types.is_null(c.type) else c.cast(pa.string())
            for c in data.columns]
    return pa.table(cols, names=data.column_names)
