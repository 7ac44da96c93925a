"""Read an extract folder (CSV or Parquet) into Arrow tables of text, ready for validation.

Everything is read as text first so that the validator can name the exact bad value; types are
applied only after the whole extract has passed (see :mod:`amip.extract.validate`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from amip.extract.errors import ExtractError
from amip.extract.schema import TABLES

FORMATS = (".csv", ".parquet")


@dataclass
class RawTable:
    """One extract file as text columns, plus where its rows came from.

    The rows are either an Arrow table of strings (CSV, or tables held in memory) or, for
    Parquet, the file itself: DuckDB scans it in place, so an extract larger than memory can be
    validated and imported.
    """

    name: str
    file: str  # file name as shown in messages, e.g. 'elb_spells.csv'
    data: pa.Table | None  # all columns as strings, with '' read as null
    first_line: int  # line/row number of the first data row (CSV: 2, Parquet: 1)
    sha256: str = ""
    parquet: Path | None = None  # scanned in place when data is None

    @property
    def columns(self) -> list[str]:
        if self.data is not None:
            return self.data.column_names
        return pq.ParquetFile(self.parquet).schema_arrow.names

    @property
    def num_rows(self) -> int:
        if self.data is not None:
            return self.data.num_rows
        return pq.ParquetFile(self.parquet).metadata.num_rows

    def register(self, con, view: str) -> None:
        """Make the rows visible to DuckDB as ``view``: text columns plus ``_line``."""
        if self.data is not None:
            lines = pa.array(range(self.first_line, self.first_line + self.data.num_rows),
                             pa.int64())
            con.register(view, self.data.append_column("_line", lines))
            return
        cols = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in self.columns)
        path = str(self.parquet).replace("'", "''")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {cols}, "
                    f"file_row_number + {self.first_line} AS _line "
                    f"FROM read_parquet('{path}', file_row_number = true)")

    def unregister(self, con, view: str) -> None:
        if self.data is not None:
            con.unregister(view)
        else:
            con.execute(f"DROP VIEW IF EXISTS {view}")


@dataclass
class RawExtract:
    source: str
    tables: dict[str, RawTable] = field(default_factory=dict)
    errors: list[ExtractError] = field(default_factory=list)
    ignored_files: list[str] = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)  # tables whose file could not be read

    @property
    def fingerprint(self) -> str:
        """A hash of the extract's content: the same files give the same fingerprint."""
        h = hashlib.sha256()
        for name in sorted(self.tables):
            h.update(f"{name}:{self.tables[name].sha256}\n".encode())
        return h.hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_extract(directory: str | Path) -> RawExtract:
    """Read every table file of an extract folder; file-level problems go to ``errors``."""
    root = Path(directory)
    raw = RawExtract(source=str(root))
    if not root.is_dir():
        raw.errors.append(ExtractError(str(root), None, None, None, "extract folder not found"))
        return raw
    found: dict[str, list[Path]] = {}
    for path in sorted(root.iterdir()):
        if path.suffix in FORMATS and path.stem in TABLES:
            found.setdefault(path.stem, []).append(path)
        elif path.is_file() and not path.name.startswith("."):
            raw.ignored_files.append(path.name)
    for name, table in TABLES.items():
        paths = found.get(name, [])
        if len(paths) > 1:
            raw.errors.append(ExtractError(
                " and ".join(p.name for p in paths), None, None, None,
                f"table {name} is given twice; keep one file per table"))
            continue
        if not paths:
            if table.required:
                raw.errors.append(ExtractError(
                    f"{name}.csv", None, None, None,
                    f"required table {name} is missing (give {name}.csv or {name}.parquet)"))
            continue
        try:
            raw.tables[name] = read_file(paths[0], name)
        except _FileUnreadable as e:
            raw.errors.append(e.error)
            raw.unreadable.add(name)
    return raw


class _FileUnreadable(Exception):
    def __init__(self, error: ExtractError) -> None:
        super().__init__(str(error))
        self.error = error


def read_file(path: Path, name: str) -> RawTable:
    digest = file_sha256(path)
    if path.suffix == ".csv":
        data = _read_csv(path)
        return RawTable(name, path.name, data, first_line=2, sha256=digest)
    try:
        pq.ParquetFile(path).metadata  # noqa: B018  (reads the footer: is it Parquet at all?)
    except (pa.ArrowException, OSError) as e:
        raise _FileUnreadable(ExtractError(path.name, None, None, None,
                                           f"not a readable Parquet file ({e})")) from e
    return RawTable(name, path.name, None, first_line=1, sha256=digest, parquet=path)


def as_text(data: pa.Table) -> pa.Table:
    """Cast every column to text (dates become ISO strings, decimals '12.50')."""
    cols = []
    for col in data.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            cols.append(col.cast(pa.string()))
        elif pa.types.is_null(col.type):
            cols.append(pa.nulls(len(col), pa.string()))
        else:
            cols.append(col.cast(pa.string()))
    return pa.table(cols, names=data.column_names)


def _read_csv(path: Path) -> pa.Table:
    header = _header(path)
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
                check_utf8=True,
            ),
        )
    except pa.ArrowInvalid as e:
        line, why = _locate_csv_problem(path, len(header))
        raise _FileUnreadable(ExtractError(path.name, line, None, None, why or str(e))) from e


def _header(path: Path) -> list[str]:
    with open(path, "rb") as f:
        first = f.readline()
    try:
        text = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise _FileUnreadable(ExtractError(path.name, 1, None, None,
                                           "header is not valid UTF-8")) from None
    if not text.strip():
        raise _FileUnreadable(ExtractError(path.name, 1, None, None,
                                           "empty file: a CSV file needs a header row"))
    names = [c.strip().strip('"') for c in text.split(",")]
    seen = set()
    for c in names:
        if c in seen:
            raise _FileUnreadable(ExtractError(path.name, 1, c, None, "column appears twice"))
        seen.add(c)
    return names


def _locate_csv_problem(path: Path, n_columns: int) -> tuple[int | None, str | None]:
    """Find the first line that is not UTF-8 or has the wrong number of fields."""
    import csv
    import io

    with open(path, "rb") as f:
        for lineno, raw_line in enumerate(f, start=1):
            try:
                text = raw_line.decode("utf-8")
            except UnicodeDecodeError as e:
                return lineno, f"not valid UTF-8 (byte {raw_line[e.start]:#04x} at position {e.start + 1})"
            if lineno == 1 or not text.strip():
                continue
            fields = next(csv.reader(io.StringIO(text)))
            if len(fields) != n_columns:
                return lineno, f"has {len(fields)} fields, the header has {n_columns}"
    return None, None
