"""Write an extract folder (CSV or Parquet) from Arrow tables in the declared format."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from amip.extract.schema import TABLES

FORMATS = ("csv", "parquet")


class OutputNotEmpty(FileExistsError):
    """The target directory already holds files."""


def write_extract(tables: dict[str, pa.Table], out_dir: str | Path, fmt: str = "csv") -> list[Path]:
    """Write ``NAME.csv`` (UTF-8, comma, header, ISO dates, empty = null, amounts with two
    decimals) or ``NAME.parquet`` per table. Refuses a non-empty directory: no command
    overwrites data."""
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
    written = []
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


def _csv_ready(table: pa.Table) -> pa.Table:
    """Amounts as text with exactly two decimals; everything else as Arrow writes it."""
    cols = []
    for col in table.columns:
        if pa.types.is_decimal(col.type):
            col = col.cast(pa.decimal128(col.type.precision, 2)).cast(pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)
