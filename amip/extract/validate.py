"""Validate an extract: every error of every file at once, each naming file, line, column, value.

The checks run as SQL in DuckDB over the text tables (fast on millions of rows). References are
resolved against the extract itself and, during an import, against what the store already holds,
so a later extract may refer to persons delivered earlier.

Each check is declared once (:data:`VALUE_CHECKS`, :data:`ROW_RULES`); the column declarations of
:mod:`amip.extract.schema` say which checks apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import duckdb

from amip.extract.errors import ExtractError, sort_key
from amip.extract.reader import RawExtract, RawTable
from amip.extract.schema import TABLES, UNIQUE_ID_TABLES, Column, Table

#: at most this many errors are listed per file, column and kind of problem; the rest are counted
MAX_LISTED = 200


@dataclass(frozen=True)
class ValueCheck:
    """A check of single values of one column kind: SQL that is true for a bad value ``v``."""

    kinds: tuple[str, ...]
    bad_sql: str
    message: Callable[[Column], str]


_DATE_OK = r"regexp_full_match(v, '\d{4}-\d{2}-\d{2}') AND try_strptime(v, '%Y-%m-%d') IS NOT NULL"
_AMOUNT_RE = r"-?\d+(\.\d{1,2})?"

VALUE_CHECKS: tuple[ValueCheck, ...] = (
    ValueCheck(("code",), "NOT list_contains({codes}, v)",
               lambda c: f"unknown code (allowed: {', '.join(c.codes)})"),
    ValueCheck(("date",), f"NOT ({_DATE_OK})", lambda c: "not a valid date (expected YYYY-MM-DD)"),
    ValueCheck(("month",), r"NOT regexp_full_match(v, '\d{4}-(0[1-9]|1[0-2])')",
               lambda c: "not a valid month (expected YYYY-MM)"),
    ValueCheck(("amount",), f"NOT regexp_full_match(v, '{_AMOUNT_RE}')",
               lambda c: "not an amount in euros with at most two decimals (e.g. 1234.50)"),
    ValueCheck(("amount",), f"regexp_full_match(v, '{_AMOUNT_RE}') AND v LIKE '-%'",
               lambda c: "negative amount"),
    ValueCheck(("int",), r"NOT regexp_full_match(v, '-?\d{1,9}')",
               lambda c: "not a whole number"),
    ValueCheck(("int",), r"regexp_full_match(v, '-\d{1,9}')", lambda c: "negative number"),
    ValueCheck(("id", "text"), "v <> trim(v) OR v = ''",
               lambda c: "has leading or trailing spaces or is blank"),
)


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row: ``bad_sql`` is true for a bad row (typed columns)."""

    table: str
    column: str  # the column the message points at
    bad_sql: str
    message_sql: str  # SQL expression giving the message


ROW_RULES: tuple[RowRule, ...] = (
    *(
        RowRule(t.name, t.period[1],
                f"TRY_CAST({t.period[1]} AS DATE) < TRY_CAST({t.period[0]} AS DATE)",
                f"'{t.period[1]} ' || {t.period[1]} || ' is before {t.period[0]} ' || {t.period[0]}")
        for t in TABLES.values() if t.period
    ),
    RowRule("casefile_checks", "errors",
            "TRY_CAST(errors AS BIGINT) > TRY_CAST(items AS BIGINT)",
            "'more errors (' || errors || ') than items checked (' || items || ')'"),
)


def validate(raw: RawExtract, con: duckdb.DuckDBPyConnection | None = None,
             store_tables: set[str] | None = None) -> list[ExtractError]:
    """Return all errors of the extract (empty list = valid).

    ``con`` may be the store's connection; then ``store_tables`` names its tables that hold rows
    already imported, which count when resolving references.
    """
    con = con or duckdb.connect()
    errors = list(raw.errors)
    views: dict[str, str] = {}
    for name, rt in raw.tables.items():
        view = f"_raw_{name}"
        rt.register(con, view)
        views[name] = view
    try:
        for name, rt in raw.tables.items():
            errors += _check_table(con, TABLES[name], rt, views, raw, store_tables or set())
    finally:
        for name, view in views.items():
            raw.tables[name].unregister(con, view)
    return sorted(errors, key=sort_key)


def _check_table(con, table: Table, rt: RawTable, views: dict[str, str], raw: RawExtract,
                 store_tables: set[str]) -> list[ExtractError]:
    errors: list[ExtractError] = []
    present = set(rt.columns)
    for col in table.required_columns:
        if col not in present:
            errors.append(ExtractError(rt.file, 1, col, None, "missing column"))
    columns = [c for c in table.columns if c.name in present]
    src = views[table.name]
    collect = _Collector(con, rt.file, src)
    for col in columns:
        q = _q(col.name)
        if not col.nullable:
            collect(f"{q} IS NULL", col.name, f"{q}", "'missing value'")
        for check in VALUE_CHECKS:
            if col.kind in check.kinds and (check.kinds != ("code",) or col.codes):
                cond = _bind(check.bad_sql.replace("{codes}", _sql_list(col.codes)), q)
                collect(f"{q} IS NOT NULL AND ({cond})", col.name, q,
                        _sql_str(check.message(col)))
        if col.references:
            _check_reference(collect, col, views, raw, store_tables)
    for rule in ROW_RULES:
        if rule.table == table.name and all(c in present for c in table.period or ()) and \
                rule.column in present:
            collect(rule.bad_sql, rule.column, _q(rule.column), rule.message_sql)
    if all(k in present for k in table.unique_key):
        errors += _check_duplicates(con, table, rt, src)
    return errors + collect.errors


class _Collector:
    """Runs one 'bad rows' query and turns the rows into errors (listing at most MAX_LISTED)."""

    def __init__(self, con, file: str, src: str) -> None:
        self.con, self.file, self.src, self.errors = con, file, src, []

    def __call__(self, bad_sql: str, column: str, value_sql: str, message_sql: str) -> None:
        q = (f"SELECT _line, {value_sql}::VARCHAR, {message_sql}, count(*) OVER () "
             f"FROM {self.src} WHERE {bad_sql} ORDER BY _line LIMIT {MAX_LISTED}")
        rows = self.con.sql(q).fetchall()
        for line, value, message, _ in rows:
            self.errors.append(ExtractError(self.file, int(line), column, value, message))
        if rows and rows[0][3] > MAX_LISTED:
            more = rows[0][3] - MAX_LISTED
            self.errors.append(ExtractError(self.file, None, column, None,
                                            f"{more} more rows with the same problem ({rows[0][2]})"))


def _check_reference(collect: _Collector, col: Column, views: dict[str, str], raw: RawExtract,
                     store_tables: set[str]) -> None:
    ref_table, ref_col = col.references  # type: ignore[misc]
    if ref_table in raw.unreadable:
        return  # its own error is reported; checking against it would only repeat that
    sources = []
    delivered = ref_table in views and raw.tables[ref_table].num_rows > 0
    if delivered and ref_col in raw.tables[ref_table].columns:
        sources.append(f"SELECT {_q(ref_col)} AS v FROM {views[ref_table]}")
    if ref_table in store_tables:
        sources.append(f"SELECT {_q(ref_col)} AS v FROM main.{ref_table}")
    if not sources:
        if TABLES[ref_table].required:
            sources.append("SELECT NULL::VARCHAR AS v WHERE false")
        else:
            return  # optional table not delivered (or header only): nothing to check against
    q = _q(col.name)
    collect(f"{q} IS NOT NULL AND {q} NOT IN ({' UNION '.join(sources)})", col.name, q,
            _sql_str(f"unknown {ref_col} (not in {ref_table})"))


def _check_duplicates(con, table: Table, rt: RawTable, src: str) -> list[ExtractError]:
    key = table.unique_key
    keys = ", ".join(_q(k) for k in key)
    same = " AND ".join(f's.{_q(k)} IS NOT DISTINCT FROM d.{_q(k)}' for k in key)
    # aggregate first (spills to disk on huge tables), then find the lines of repeated keys only
    q = (f"WITH d AS (SELECT {keys} FROM {src} GROUP BY ALL HAVING count(*) > 1), "
         f"r AS (SELECT s._line, {', '.join(f's.{_q(k)}' for k in key)} FROM {src} s "
         f"      JOIN d ON {same}) "
         f"SELECT _line, first_line, {keys} FROM ("
         f"  SELECT _line, min(_line) OVER (PARTITION BY {keys}) AS first_line, {keys} FROM r"
         f") WHERE _line <> first_line ORDER BY _line LIMIT {MAX_LISTED}")
    errors = []
    kind = "repeated id" if table.name in UNIQUE_ID_TABLES else "duplicate key"
    for line, first, *values in con.sql(q).fetchall():
        shown = ", ".join(f"{k}={v!r}" for k, v in zip(key, values))
        errors.append(ExtractError(rt.file, int(line), key[0], str(values[0]),
                                   f"{kind} ({shown}) also on line {first}"))
    return errors


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_sql_str(v) for v in values) + "]"


def _bind(cond: str, column_sql: str) -> str:
    """Put the column into a check written for a value called ``v``."""
    import re

    return re.sub(r"\bv\b", column_sql, cond)
