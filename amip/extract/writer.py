"""Write an extract folder (CSV or Parquet) from Arrow tables in the declared format."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
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
                  description: str | None = None, partition: bool = False) -> list[Path]:
    """Write ``NAME.csv`` (UTF-8, comma, header, ISO dates, empty = null, amounts with two
    decimals) or ``NAME.parquet`` per table, and ``description`` as ``extract.toml``. Refuses a
    non-empty directory: no command overwrites data. ``partition`` (Parquet only): one file per
    Jobcenter per table, see :func:`write_extract_stream`."""
    if partition:
        out = Path(out_dir)
        write_extract_stream([dict(tables)], out, fmt, partition=True)
        if description is not None:
            write_description(out, description)
        return sorted(p for p in out.rglob("*") if p.is_file())
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
                         fmt: str = "csv", partition: bool = False) -> dict[str, int]:
    """Write an extract given as a stream of partial extracts: each dict holds some tables (or
    parts of them), appended to ``NAME.parquet`` (one row group set per part, via
    ``ParquetWriter``) or ``NAME.csv`` (header once, then rows). Only one part is in memory at a
    time; the caller's iterator should not keep references to parts it has yielded. Every part of
    a table must have the same schema. Returns the rows written per table (in order of first
    appearance). Refuses a non-empty directory like :func:`write_extract`.

    ``partition`` (Parquet only): every table but ``jobcenters`` is a folder ``NAME/`` with one
    file ``JOBCENTER_ID.parquet`` per Jobcenter (:func:`partition_keys`: by the table's
    ``jobcenter_id``, else by the person's home Jobcenter); the reader takes such a folder as
    the table."""
    if partition and fmt != "parquet":
        raise ValueError("partition needs the parquet format")
    out = _prepare(out_dir, fmt)
    sinks: dict[str, object] = {}
    rows: dict[str, int] = {}
    home: pa.Table | None = None
    it: Iterator[dict[str, pa.Table]] = iter(chunks)
    try:
        while True:
            part = next(it, None)
            if part is None:
                break
            if partition and "elb_spells" in part:
                home = person_home(part["elb_spells"])
            for name in list(part):
                if name not in TABLES:
                    raise ValueError(f"{name} is not a table of the extract format")
                table = part.pop(name)  # let the part's memory go table by table
                path = out / f"{name}.{fmt}"
                if partition and name != "jobcenters":
                    _write_partitions(out, name, table, home, sinks)
                elif fmt == "parquet":
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


#: the column that names a row's person, for tables without ``jobcenter_id``
PERSON_COLUMN = "person_id"
#: the partition of rows whose Jobcenter is not known (a person without ELB spell)
NO_JOBCENTER = "_ohne"


def person_home(elb_spells: pa.Table) -> pa.Table:
    """Each person's home Jobcenter (``person_id``, ``jobcenter_id``): that of the person's
    latest ELB spell."""
    t = elb_spells.select(["person_id", "jobcenter_id", "valid_from"]).sort_by(
        [("person_id", "ascending"), ("valid_from", "ascending")])
    pid = t["person_id"].combine_chunks()
    if len(pid) == 0:
        return t.select(["person_id", "jobcenter_id"])
    last = pc.not_equal(pid.slice(0, len(pid) - 1), pid.slice(1)).to_numpy(zero_copy_only=False)
    keep = np.append(last, True)
    return t.select(["person_id", "jobcenter_id"]).filter(pa.array(keep))


def partition_keys(name: str, table: pa.Table, home: pa.Table | None) -> pa.Array:
    """The Jobcenter of each row of ``table``: its ``jobcenter_id``, else the home Jobcenter of
    its person (:func:`person_home`; :data:`NO_JOBCENTER` when the person has none)."""
    if "jobcenter_id" in table.column_names:
        return table["jobcenter_id"].combine_chunks()
    if PERSON_COLUMN not in table.column_names or home is None:
        raise ValueError(f"{name}: no jobcenter_id or person_id to partition by")
    at = pc.index_in(table[PERSON_COLUMN], value_set=home["person_id"])
    return pc.fill_null(home["jobcenter_id"].combine_chunks().take(at), NO_JOBCENTER)


def _write_partitions(out: Path, name: str, table: pa.Table, home: pa.Table | None,
                      sinks: dict) -> None:
    """Append the rows of ``table`` to ``out/NAME/JOBCENTER.parquet`` (one writer per file)."""
    keys = partition_keys(name, table, home)
    folder = out / name
    folder.mkdir(exist_ok=True)
    names, code = np.unique(keys.to_numpy(zero_copy_only=False).astype(str),
                            return_inverse=True)
    order = np.argsort(code, kind="stable")
    ordered = table.take(pa.array(order))
    bounds = np.searchsorted(code[order], np.arange(len(names) + 1))
    for i, jc in enumerate(names):
        part = ordered.slice(bounds[i], bounds[i + 1] - bounds[i])
        sink = sinks.get((name, jc))
        if sink is None:
            sink = sinks[(name, jc)] = pq.ParquetWriter(folder / f"{jc}.parquet", table.schema,
                                                          compression="zstd")
        sink.write_table(part)


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
