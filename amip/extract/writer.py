"""Write an extract folder (CSV or Parquet) from Arrow tables in the declared format."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from amip.errors import AmipError
from amip.extract.description import FILE_NAME as DESCRIPTION
from amip.extract.schema import TABLES

FORMATS = ("csv", "parquet")


class OutputNotEmpty(AmipError, FileExistsError):
    """The target directory already holds files."""


def write_extract(tables: dict[str, pa.Table], out_dir: str | Path, fmt: str = "csv",
                  description: str | None = None) -> list[Path]:
    """Write ``NAME.csv`` (UTF-8, comma, header, ISO dates, empty = null, amounts with two
    decimals) or ``NAME.parquet`` per table, and ``description`` as ``extract.toml``. Refuses a
    non-empty directory: no command overwrites data."""
    out = _prepare(out_dir, fmt)
    written = []
    if description is not None:
        written.append(write_description(out, description))
    for name, table in tables.items():
        if name not in TABLES:
            raise ValueError(f"{name} is not a table of the extract format")
        path = out / f"{name}.{fmt}"
        if fmt == "parquet":
            pq.write_table(table, path, compression="zstd")
        else:
            data = _csv_ready(table)
            try:  # plain values; quotes only if a value needs them (comma, quote, newline)
                pacsv.write_csv(data, path, pacsv.WriteOptions(quoting_style="none"))
            except pa.ArrowInvalid:
                pacsv.write_csv(data, path, pacsv.WriteOptions(quoting_style="needed"))
        written.append(path)
    return written


def write_description(out_dir: str | Path, description: str) -> Path:
    """The extract's ``extract.toml`` (shared/data-contract.md)."""
    path = Path(out_dir) / DESCRIPTION
    path.write_text(description, encoding="utf-8")
    return path


def write_extract_stream(chunks: Iterable[dict[str, pa.Table]], out_dir: str | Path,
                         fmt: str = "csv") -> dict[str, int]:
    """Write an extract given as a stream of partial extracts: each dict holds some tables (or
    parts of them), appended to ``NAME.parquet`` (one row group set per part, via
    ``ParquetWriter``) or ``NAME.csv`` (header once, then rows). Only one part is in memory at a
    time; the caller's iterator should not keep references to parts it has yielded. Every part of
    a table must have the same schema. Returns the rows written per table (in order of first
    appearance). Refuses a non-empty directory like :func:`write_extract`."""
    out = _prepare(out_dir, fmt)
    sinks: dict[str, object] = {}
    rows: dict[str, int] = {}
    it: Iterator[dict[str, pa.Table]] = iter(chunks)
    try:
        while True:
            part = next(it, None)
            if part is None:
                break
            for name in list(part):
                if name not in TABLES:
                    raise ValueError(f"{name} is not a table of the extract format")
                table = part.pop(name)  # let the part's memory go table by table
                path = out / f"{name}.{fmt}"
                if fmt == "parquet":
                    if name not in sinks:
                        sinks[name] = pq.ParquetWriter(path, table.schema, compression="zstd")
                    sinks[name].write_table(table)
                else:
                    if name not in sinks:
                        sinks[name] = open(path, "wb")
                    _append_csv(table, sinks[name], header=name not in rows)
                rows[name] = rows.get(name, 0) + table.num_rows
                del table
            del part
    finally:
        for sink in sinks.values():
            sink.close()
    return rows


def _prepare(out_dir: str | Path, fmt: str) -> Path:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    out = Path(out_dir)
    if out.exists():
        if not out.is_dir():
            raise OutputNotEmpty(f"{out} exists and is not a directory")
        if any(out.iterdir()):
            raise OutputNotEmpty(f"{out} is not empty: no command overwrites data; "
                                 f"choose a new or empty directory")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _append_csv(table: pa.Table, f, header: bool) -> None:
    """Append rows to an open CSV file: plain values unless a value needs quotes (as
    :func:`write_extract`, decided per part so nothing is written twice)."""
    data = _csv_ready(table)
    needs_quotes = any(
        pc.any(pc.match_substring_regex(col, r'[",\r\n]')).as_py()
        for col in data.columns if pa.types.is_string(col.type))
    pacsv.write_csv(data, f, pacsv.WriteOptions(
        include_header=header, quoting_style="needed" if needs_quotes else "none"))


def _csv_ready(table: pa.Table) -> pa.Table:
    """Amounts as text with exactly two decimals; everything else as Arrow writes it."""
    cols = []
    for col in table.columns:
        if pa.types.is_decimal(col.type):
            col = col.cast(pa.decimal128(col.type.precision, 2)).cast(pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)
