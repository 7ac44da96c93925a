"""Validate an extract: every error of every file at once, each naming file, line, column, value.

The checks run as SQL in DuckDB over the text tables (fast on millions of rows), one scan per
column. References are resolved against the extract itself and, during an import, against what
the store already holds, so a later extract may refer to persons delivered earlier; the org tree
is checked the same way, the extract's units together with the stored ones.

Each check is declared once (:data:`VALUE_CHECKS`, :data:`ROW_RULES`, :data:`TREE_RULES`); the
column declarations of :mod:`amip.extract.schema` say which apply. Nothing of an extract becomes
SQL text: identifiers are quoted by :func:`_q`, values are bound as parameters, and only single
``SELECT`` statements run, so validation never writes anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import duckdb
import pyarrow as pa

from amip import i18n
from amip.extract.description import parse as parse_description
from amip.extract.errors import EXCERPT, ExtractError, sort_key
from amip.extract.reader import RawExtract, RawTable
from amip.extract.schema import (AMOUNT_PRECISION, AMOUNT_SCALE, PARENT_LEVEL, TABLES, TODAY,
                                 UNIQUE_ID_TABLES, Column, Table)

#: at most this many errors are listed per file, column and kind of problem; the rest are counted
MAX_LISTED = 200
#: follow-on errors (references to a value that is itself faulty) are listed only this often
FOLLOW_ON_LISTED = 5
#: what reading a damaged file may raise (DuckDB while scanning, Arrow on the Parquet footer)
UNREADABLE = (duckdb.Error, pa.ArrowException, OSError)


# -- single values -------------------------------------------------------------------------------

#: per kind with a range: the value of ``v`` compared with the limits, the limits as Python values
#: (from ISO text), and as German text
_RANGE: dict[str, tuple[str, Callable[[str], object], Callable[[str], str]]] = {
    "date": ("TRY_CAST(v AS DATE)", dt.date.fromisoformat,
             lambda s: i18n.day(dt.date.fromisoformat(s))),
    "month": ("v", lambda s: s[:7], lambda s: i18n.month(dt.date.fromisoformat(s[:7] + "-01"))),
    "int": ("TRY_CAST(v AS BIGINT)", lambda s: int(s[:4]), lambda s: s[:4]),
}


def _limit(col: Column, which: int, today: dt.date) -> str:
    limit = col.value_limits[which]  # type: ignore[index]
    return today.isoformat() if limit == TODAY else limit


def _range_params(col: Column, today: dt.date) -> dict:
    to_value = _RANGE[col.kind][1]
    return {"lo": to_value(_limit(col, 0, today)), "hi": to_value(_limit(col, 1, today))}


def _range_message(col: Column, today: dt.date) -> str:
    text = _RANGE[col.kind][2]
    hi = text(_limit(col, 1, today))
    if col.value_limits[1] == TODAY:  # type: ignore[index]
        hi = f"heute, {hi}"
    return f"außerhalb des zulässigen Bereichs ({text(_limit(col, 0, today))} bis {hi})"


@dataclass(frozen=True)
class ValueCheck:
    """A check of single values of some kinds: ``bad_sql`` is true for a bad value ``v`` and may
    use the named parameters ``params`` gives. A value gets the message of the first check it
    fails (so the order matters: format before size and range)."""

    kinds: tuple[str, ...]
    bad_sql: str
    message: Callable[[Column, dt.date], str]
    params: Callable[[Column, dt.date], dict] = lambda col, today: {}
    applies: Callable[[Column], bool] = lambda col: True


_DATE_OK = r"regexp_full_match(v, '\d{4}-\d{2}-\d{2}') AND TRY_CAST(v AS DATE) IS NOT NULL"
_AMOUNT_RE = r"-?\d+(\.\d{1,2})?"
_EUROS = AMOUNT_PRECISION - AMOUNT_SCALE  # digits before the decimal point
#: ids: no control or format character at all (tab, NUL, zero-width space, ...), no space around
_ID_CONTROL, _ID_SPACE = r"\pC", r"^\p{Z}|\p{Z}$"
#: texts: tab and newline inside are fine, other control characters not; no space around
_TEXT_CONTROL, _TEXT_SPACE = r"[\x00-\x08\x0B-\x1F\x{7F}-\x{9F}]", r"^[\p{Z}\t\n]|[\p{Z}\t\n]$"

VALUE_CHECKS: tuple[ValueCheck, ...] = (
    ValueCheck(("code",), "NOT list_contains($codes, v)",
               lambda c, _: f"unbekannter Code (erlaubt: {', '.join(c.codes)})",
               lambda c, _: {"codes": list(c.codes)}),
    ValueCheck(("id", "text"), "v = ''", lambda c, _: "leerer Wert"),
    ValueCheck(("id",), f"regexp_matches(v, '{_ID_CONTROL}')",
               lambda c, _: "enthält ein Steuerzeichen (z. B. Tabulator oder Nullzeichen)"),
    ValueCheck(("text",), f"regexp_matches(v, '{_TEXT_CONTROL}')",
               lambda c, _: "enthält ein Steuerzeichen (erlaubt sind nur Tabulator und "
                            "Zeilenumbruch)"),
    ValueCheck(("id",), f"regexp_matches(v, '{_ID_SPACE}')",
               lambda c, _: "Leerraum am Anfang oder Ende"),
    ValueCheck(("text",), f"regexp_matches(v, '{_TEXT_SPACE}')",
               lambda c, _: "Leerraum am Anfang oder Ende"),
    ValueCheck(("date",), f"NOT ({_DATE_OK})",
               lambda c, _: "kein gültiges Datum (erwartet JJJJ-MM-TT)"),
    ValueCheck(("month",), r"NOT regexp_full_match(v, '\d{4}-(0[1-9]|1[0-2])')",
               lambda c, _: "kein gültiger Monat (erwartet JJJJ-MM)"),
    ValueCheck(("amount",), f"NOT regexp_full_match(v, '{_AMOUNT_RE}')",
               lambda c, _: "kein Betrag in Euro mit Dezimalpunkt und höchstens zwei "
                            "Nachkommastellen (z. B. 1234.50)"),
    ValueCheck(("amount",), rf"length(v) > {_EUROS} AND "
                            rf"regexp_full_match(v, '-?0*[1-9]\d{{{_EUROS},}}(\.\d*)?')",
               lambda c, _: f"Betrag zu groß (höchstens {_EUROS} Stellen vor dem Dezimalpunkt)"),
    ValueCheck(("amount",), "v LIKE '-%'", lambda c, _: "negativer Betrag",
               applies=lambda c: not c.signed),
    ValueCheck(("int",), r"NOT regexp_full_match(v, '-?\d{1,9}')",
               lambda c, _: "keine ganze Zahl (höchstens 9 Stellen)"),
    ValueCheck(("int",), "v LIKE '-%'", lambda c, _: "negative Zahl"),
    *(ValueCheck((kind,), f"{value} NOT BETWEEN $lo AND $hi", _range_message, _range_params,
                 lambda c: c.value_limits is not None)
      for kind, (value, *_) in _RANGE.items()),
)


# -- rows ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row. ``bad_sql`` is true for a bad row; ``{name}`` in it
    stands for a column of ``needs``, every column the rule reads: the rule is skipped when one
    is absent (a missing required column is an error of its own). ``message`` gets the values
    of ``needs``, in that order; the error points at ``column``."""

    table: str
    column: str
    needs: tuple[str, ...]
    bad_sql: str
    message: Callable[..., str]


def _period_rule(table: Table) -> RowRule:
    start, end = table.period  # type: ignore[misc]
    return RowRule(table.name, end, (start, end),
                   f"TRY_CAST({{{end}}} AS DATE) < TRY_CAST({{{start}}} AS DATE)",
                   lambda s, e: f"{end} {e} liegt vor {start} {s}")


ROW_RULES: tuple[RowRule, ...] = (
    *(_period_rule(t) for t in TABLES.values() if t.period),
    RowRule("casefile_checks", "errors", ("errors", "items"),
            "TRY_CAST({errors} AS BIGINT) > TRY_CAST({items} AS BIGINT)",
            lambda e, i: f"mehr Fehler ({e}) als geprüfte Fälle ({i})"),
    # domain reference §12 item 39: only an Umschichtung is signed
    RowRule("budget_bookings", "amount_eur", ("kind", "amount_eur"),
            "{kind} <> 'reallocation' AND {amount_eur} LIKE '-%'",
            lambda k, a: f"negativer Betrag bei einer Buchung der Art {k} (nur Umschichtungen, "
                         f"Art reallocation, haben ein Vorzeichen)"),
)


# -- groups of rows ------------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupRule:
    """A rule over groups of rows of one table: the rows ``where`` selects are grouped by
    ``group``; ``bad_sql`` (over aggregates) is true for a bad group. The error points at the
    group's first line and ``column``; ``message`` gets the group's values of ``group``, the
    aggregate ``bad_value`` and the group's lines (text)."""

    table: str
    column: str
    needs: tuple[str, ...]
    where: str
    group: tuple[str, ...]
    value_sql: str
    bad_sql: str
    message: Callable[..., str]


GROUP_RULES: tuple[GroupRule, ...] = (
    # §12 item 39: the rows of one Umschichtung (same Jobcenter, budget year and booked_on) sum to 0
    GroupRule("budget_bookings", "amount_eur",
              ("jobcenter_id", "booked_on", "budget_year", "kind", "amount_eur"),
              "{kind} = 'reallocation'", ("jobcenter_id", "budget_year", "booked_on"),
              "sum(TRY_CAST({amount_eur} AS DECIMAL(18,2)))", "value <> 0",
              lambda jc, year, day, value, lines:
              f"Umschichtung vom {_german_day(day)} (Jobcenter {jc}, Haushaltsjahr {year}, "
              f"Zeilen {lines}) "
              f"ergibt in der Summe {i18n.eur(value, cents=True)} statt 0 €"),
)


# -- the org tree --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TreeRule:
    """A rule of the org tree over the extract's units joined with their parent among the
    extract's and the stored units: ``bad_sql`` over the columns of :data:`_TREE_FIELDS` and
    ``unit_id``, ``parent_unit_id``; ``message`` gets those fields (cut)."""

    column: str
    bad_sql: str
    message: Callable[[dict], str]


#: want: the level the parent must have (NULL: none); top_unit_id: the first top-level unit of
#: the Jobcenter (a stored one before those of the extract)
_TREE_FIELDS = ("level", "want", "jobcenter_id", "parent_level", "parent_jobcenter_id",
                "top_unit_id")

TREE_RULES: tuple[TreeRule, ...] = (
    TreeRule("parent_unit_id", "want IS NULL AND parent_unit_id IS NOT NULL",
             lambda r: f"eine Einheit der Ebene {r['level']} darf keine übergeordnete Einheit "
                       f"haben"),
    TreeRule("parent_unit_id", "want IS NOT NULL AND parent_unit_id IS NULL",
             lambda r: f"eine Einheit der Ebene {r['level']} braucht eine übergeordnete Einheit "
                       f"der Ebene {r['want']}"),
    TreeRule("parent_unit_id", "parent_level <> want",
             lambda r: f"die übergeordnete Einheit hat die Ebene {r['parent_level']}; über "
                       f"der Ebene {r['level']} steht die Ebene {r['want']}"),
    TreeRule("parent_unit_id", "parent_jobcenter_id <> jobcenter_id",
             lambda r: f"die übergeordnete Einheit gehört zum Jobcenter "
                       f"{r['parent_jobcenter_id']!r}, diese Einheit zum Jobcenter "
                       f"{r['jobcenter_id']!r}"),
    TreeRule("level", "want IS NULL AND top_unit_id <> unit_id",
             lambda r: f"zweite Einheit der Ebene {r['level']} im Jobcenter "
                       f"{r['jobcenter_id']!r} (die erste ist {r['top_unit_id']!r})"),
)
_TREE_COLUMNS = ("unit_id", "jobcenter_id", "parent_unit_id", "level")
#: a cycle is shown with at most this many units
_CYCLE_SHOWN = 6


# -- running -------------------------------------------------------------------------------------

def validate(raw: RawExtract, con: duckdb.DuckDBPyConnection | None = None,
             store_tables: set[str] | None = None,
             today: dt.date | None = None) -> list[ExtractError]:
    """Return all errors of the extract (empty list = valid), root causes first.

    ``con`` may be the store's connection; then ``store_tables`` names its tables that hold rows
    already imported, which count when resolving references and checking the org tree.
    ``today`` (default: the current day) bounds the dates of events such as ``recorded_on``.
    """
    own = con is None
    run = _Validation(con or duckdb.connect(), raw, store_tables or set(),
                      today or dt.date.today())
    try:
        for name in TABLES:  # referenced tables before those referring to them
            if name in raw.tables:
                run.table(raw.tables[name])
    finally:
        run.close(own)
    return sorted(raw.errors + run.errors, key=sort_key)


class _Validation:
    def __init__(self, con, raw: RawExtract, store_tables: set[str], today: dt.date) -> None:
        self.con, self.raw, self.store_tables, self.today = con, raw, store_tables, today
        self.views: dict[str, str] = {}
        self.errors: list[ExtractError] = []
        self.faulty: set[tuple[str, str]] = set()  # (table, column) with bad values
        self.broken: set[str] = set()  # tables whose file failed while being checked

    def table(self, rt: RawTable) -> None:
        """Check one table; a file that cannot be read is one error of the whole file."""
        try:
            view = f"_raw_{rt.name}"
            rt.register(self.con, view)
            self.views[rt.name] = view
            self.errors += _Table(self, TABLES[rt.name], rt, view).check()
        except UNREADABLE as e:
            self.broken.add(rt.name)
            why = " ".join(str(e).split())
            why = why if len(why) <= 160 else why[:160] + "…"
            self.errors.append(ExtractError(rt.file, None, None, None,
                                            f"Datei beschädigt oder nicht lesbar: {why}"))

    def rows(self, sql: str, params: dict | None = None) -> list[tuple]:
        """Run one ``SELECT`` (refusing anything else) with bound parameters."""
        statements = duckdb.extract_statements(sql)
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise ValueError("validation runs single SELECT statements only")
        return self.con.execute(statements[0], params or {}).fetchall()

    def close(self, own: bool) -> None:
        for name, view in self.views.items():
            self.raw.tables[name].unregister(self.con, view)
        if own:
            self.con.close()


class _Table:
    """The checks of one table."""

    def __init__(self, run: _Validation, table: Table, rt: RawTable, view: str) -> None:
        self.run, self.table, self.rt, self.src = run, table, rt, _q(view)
        self.present = set(rt.columns)
        self.errors: list[ExtractError] = []

    def check(self) -> list[ExtractError]:
        header = self.rt.first_line - 1 or None  # a CSV's header line; Parquet has none
        self.errors += [ExtractError(self.rt.file, header, c, None, "Spalte fehlt")
                        for c in self.table.required_columns if c not in self.present]
        for col in self.table.columns:
            if col.name in self.present:
                self.column(col)
        for rule in ROW_RULES:
            if rule.table == self.table.name and self.present.issuperset(rule.needs):
                self.row_rule(rule)
        for group_rule in GROUP_RULES:
            if group_rule.table == self.table.name and self.present.issuperset(group_rule.needs) \
                    and not any((self.table.name, c) in self.run.faulty for c in group_rule.needs):
                self.group_rule(group_rule)
        if self.table.name == "budget_plan" and self.run.raw.description:
            self.title_totals()
        repeated = self.present.issuperset(self.table.unique_key) and self.duplicates()
        if self.table.name == "units" and not repeated and self.present.issuperset(_TREE_COLUMNS) \
                and not any(("units", c) in self.run.faulty for c in _TREE_COLUMNS):
            _Tree(self).check()
        return self.errors

    def error(self, line, column, value, message) -> None:
        self.errors.append(ExtractError(self.rt.file, None if line is None else int(line),
                                        column, value, message))

    def listed(self, rows: list[tuple], count: int, column: str, message: str,
               limit: int = MAX_LISTED) -> None:
        """The summary line after the listed errors of one problem."""
        if count > min(len(rows), limit):
            self.error(None, column, None, f"{i18n.num(count - min(len(rows), limit))} weitere "
                                           f"Zeilen mit demselben Problem ({message})")

    def column(self, col: Column) -> None:
        """All value checks and the reference check of a column in one scan: each bad value
        gets the first problem it has."""
        problems: list[str | None] = ["Wert fehlt" if not col.nullable else None]
        whens = [f"WHEN v IS NULL THEN {'0' if not col.nullable else 'NULL'}"]
        params: dict = {}
        for check in VALUE_CHECKS:
            if col.kind in check.kinds and check.applies(col):
                whens.append(f"WHEN {check.bad_sql} THEN {len(problems)}")
                problems.append(check.message(col, self.run.today))
                params |= check.params(col, self.run.today)
        reference = self.reference(col) if col.references else None
        if reference:
            whens.append(f"WHEN {reference[0]} THEN {len(problems)}")
            problems.append(reference[1])
        rows = self.run.rows(
            f"SELECT _line, {_excerpt('v')}, k, n FROM ("
            f"  SELECT _line, v, k, row_number() OVER (PARTITION BY k ORDER BY _line) AS r,"
            f"         count(*) OVER (PARTITION BY k) AS n FROM ("
            f"    SELECT _line, v, CASE {' '.join(whens)} END AS k"
            f"    FROM (SELECT _line, {_q(col.name)} AS v FROM {self.src}))"
            f"  WHERE k IS NOT NULL)"
            f" WHERE r <= {MAX_LISTED} ORDER BY k, _line", params)
        by_problem: dict[int, list[tuple]] = {}
        for row in rows:
            by_problem.setdefault(row[2], []).append(row)
        for k, found in by_problem.items():
            follow_on = reference is not None and k == len(problems) - 1
            if not follow_on:
                self.run.faulty.add((self.table.name, col.name))
            limit = reference[2] if follow_on else MAX_LISTED  # type: ignore[index]
            for line, value, *_ in found[:limit]:
                self.error(line, col.name, None if k == 0 else value, problems[k])
            self.listed(found, found[0][3], col.name, problems[k], limit)

    def reference(self, col: Column) -> tuple[str, str, int] | None:
        """(SQL true for a value not found, message, how many to list) of a reference, or None
        when there is nothing to check against."""
        ref_table, ref_col = col.references  # type: ignore[misc]
        run = self.run
        if ref_table in run.raw.unreadable or ref_table in run.broken:
            return None  # its own error is reported; checking against it would only repeat that
        sources = []
        delivered = run.raw.tables.get(ref_table)
        if ref_table in run.views and delivered.num_rows > 0 and ref_col in delivered.columns:
            sources.append(f"SELECT {_q(ref_col)} AS r FROM {_q(run.views[ref_table])}")
        if ref_table in run.store_tables:
            sources.append(f"SELECT {_q(ref_col)} AS r FROM main.{_q(ref_table)}")
        message = f"unbekannte {ref_col} (nicht in {ref_table})"
        if not sources:
            if not TABLES[ref_table].required:
                return None  # optional table not delivered (or header only): nothing to check
            return "true", message, MAX_LISTED
        if (ref_table, ref_col) in run.faulty:
            message += f"; {delivered.file} hat selbst fehlerhafte Werte in {ref_col}, siehe oben"
        found = f"SELECT r FROM ({' UNION ALL '.join(sources)}) WHERE r IS NOT NULL"
        return (f"v NOT IN ({found})", message,
                FOLLOW_ON_LISTED if (ref_table, ref_col) in run.faulty else MAX_LISTED)

    def row_rule(self, rule: RowRule) -> None:
        bad = rule.bad_sql.format(**{n: _q(n) for n in rule.needs})
        rows = self.run.rows(
            f"SELECT _line, {', '.join(_excerpt(_q(n)) for n in rule.needs)}, count(*) OVER () "
            f"FROM {self.src} WHERE {bad} ORDER BY _line LIMIT {MAX_LISTED}")
        shown = rule.needs.index(rule.column)
        for line, *values, _ in rows:
            self.error(line, rule.column, values[shown], rule.message(*values))
        if rows:
            self.listed(rows, rows[0][-1], rule.column, rule.message(*rows[0][1:-1]))

    def group_rule(self, rule: GroupRule) -> None:
        names = {n: _q(n) for n in rule.needs}
        keys = ", ".join(_q(g) for g in rule.group)
        rows = self.run.rows(
            f"SELECT min(_line), {', '.join(_excerpt(_q(g)) for g in rule.group)}, "
            f"{rule.value_sql.format(**names)} AS value, "
            f"string_agg(CAST(_line AS VARCHAR), ', ' ORDER BY _line) FROM {self.src} "
            f"WHERE {rule.where.format(**names)} GROUP BY {keys} "
            f"HAVING {rule.bad_sql.replace('value', rule.value_sql.format(**names))} "
            f"ORDER BY 1 LIMIT {MAX_LISTED}")
        for line, *values, value, lines in rows:
            self.error(line, rule.column, None, rule.message(*values, value, lines))

    def title_totals(self) -> None:
        """Declared title totals (``extract.toml`` ``[[budget_title_totals]]``): the plan's
        instrument lines of that Jobcenter, year and title must add up to them exactly."""
        declared = parse_description(self.run.raw.description)[0].title_totals
        if not declared or not self.present.issuperset(
                ("jobcenter_id", "year", "title", "instrument", "amount_eur")) \
                or any(("budget_plan", c) in self.run.faulty for c in ("year", "amount_eur")):
            return
        for total in declared:
            (found, lines), = self.run.rows(
                f"SELECT coalesce(sum(CAST(amount_eur AS DECIMAL(18,2))), 0), "
                f"string_agg(CAST(_line AS VARCHAR), ', ' ORDER BY _line) FROM {self.src} "
                f"WHERE jobcenter_id = $jc AND TRY_CAST(year AS INTEGER) = $year "
                f"AND title = $title AND instrument IS NOT NULL",
                {"jc": total.jobcenter_id, "year": total.year, "title": total.title})
            if found != total.amount_eur:
                self.error(None, "amount_eur", None,
                           f"die Instrumentzeilen des Titels {total.title} {total.year} "
                           f"(Jobcenter {total.jobcenter_id}, Zeilen {lines or 'keine'}) ergeben "
                           f"{i18n.eur(found, cents=True)}, erklärt sind "
                           f"{i18n.eur(total.amount_eur, cents=True)} (extract.toml, "
                           f"budget_title_totals)")

    def duplicates(self) -> bool:
        """Repeated keys (or ids); True when there are any."""
        key = self.table.unique_key
        keys = ", ".join(_q(k) for k in key)
        same = " AND ".join(f"s.{_q(k)} IS NOT DISTINCT FROM d.{_q(k)}" for k in key)
        # aggregate first (spills to disk on huge tables), then find the lines of repeated keys
        rows = self.run.rows(
            f"WITH d AS (SELECT {keys} FROM {self.src} GROUP BY ALL HAVING count(*) > 1), "
            f"r AS (SELECT s._line, {', '.join(f's.{_q(k)}' for k in key)} FROM {self.src} s "
            f"      JOIN d ON {same}) "
            f"SELECT _line, first_line, {', '.join(_excerpt(_q(k)) for k in key)}, "
            f"       count(*) OVER () FROM ("
            f"  SELECT _line, min(_line) OVER (PARTITION BY {keys}) AS first_line, {keys} FROM r"
            f") WHERE _line <> first_line ORDER BY _line LIMIT {MAX_LISTED}")
        kind = "doppelte Kennung" if self.table.name in UNIQUE_ID_TABLES else "doppelter Schlüssel"
        for line, first, *values, _ in rows:
            shown = ", ".join(f"{k}={v!r}" for k, v in zip(key, values))
            self.error(line, key[0], values[0], f"{kind} ({shown}), schon in Zeile {first}")
        if rows:
            self.listed(rows, rows[0][-1], key[0], kind)
        return bool(rows)


class _Tree:
    """The org tree rules (:data:`TREE_RULES`, :data:`~amip.extract.schema.PARENT_LEVEL`) and
    cycles, over the extract's units and the stored ones it does not replace."""

    def __init__(self, table: _Table) -> None:
        self.table = table
        cols = ", ".join(_q(c) for c in _TREE_COLUMNS)
        units = (f"x AS (SELECT {cols}, _line FROM {table.src} WHERE unit_id IS NOT NULL), "
                 "u AS (SELECT * FROM x")
        if "units" in table.run.store_tables:  # the latest version of each stored unit
            units += (f" UNION ALL SELECT * FROM (SELECT {cols}, NULL::BIGINT AS _line "
                      f"FROM main.{_q('units')} QUALIFY row_number() OVER "
                      f"(PARTITION BY unit_id ORDER BY _import_id DESC) = 1) "
                      f"WHERE unit_id NOT IN (SELECT unit_id FROM x)")
        self.units = units + ")"
        self.params = {"levels": list(PARENT_LEVEL), "wants": list(PARENT_LEVEL.values())}

    def check(self) -> None:
        for rule in TREE_RULES:
            self.rule(rule)
        self.cycles()

    def rule(self, rule: TreeRule) -> None:
        fields = ("unit_id", "parent_unit_id", *_TREE_FIELDS)
        rows = self.table.run.rows(
            f"WITH {self.units}, "
            f"w AS (SELECT unnest($levels) AS level, unnest($wants) AS want), "
            f"t AS (SELECT c.*, w.want, p.level AS parent_level, "
            f"        p.jobcenter_id AS parent_jobcenter_id, "
            f"        first_value(c.unit_id) OVER (PARTITION BY c.jobcenter_id, w.want IS NULL "
            f"          ORDER BY c._line NULLS FIRST, c.unit_id) AS top_unit_id "
            f"      FROM u c JOIN w ON w.level = c.level LEFT JOIN u p "
            f"        ON p.unit_id = c.parent_unit_id) "
            f"SELECT _line, {', '.join(_excerpt(f) for f in fields)}, count(*) OVER () FROM t "
            f"WHERE _line IS NOT NULL AND ({rule.bad_sql}) ORDER BY _line LIMIT {MAX_LISTED}",
            self.params)
        for line, *values, _ in rows:
            found = dict(zip(fields, values))
            self.table.error(line, rule.column, found[rule.column], rule.message(found))
        if rows:
            self.table.listed(rows, rows[0][-1], rule.column,
                              rule.message(dict(zip(fields, rows[0][1:-1]))))

    def cycles(self) -> None:
        """Units that are their own ancestor: found by following parents with a visited set
        (each unit is passed once), on numbers instead of the ids."""
        numbered = (f"WITH {self.units}, n AS (SELECT *, row_number() OVER (ORDER BY unit_id) - 1 "
                    f"AS i FROM u) ")
        parent = [p if p is not None else -1 for _, p in self.table.run.rows(
            numbered + "SELECT c.i, p.i FROM n c LEFT JOIN n p ON p.unit_id = c.parent_unit_id "
                       "ORDER BY c.i")]
        cycles, state = [], [0] * len(parent)  # 0 new, 1 on the current path, 2 done
        for start in range(len(parent)):
            path, i = [], start
            while i >= 0 and state[i] == 0:
                state[i] = 1
                path.append(i)
                i = parent[i]
            if i >= 0 and state[i] == 1:
                cycles.append(path[path.index(i):])
            for j in path:
                state[j] = 2
        if not cycles:
            return
        members = [i for cycle in cycles for i in cycle]
        shown = {i: (line, unit, up) for i, line, unit, up in self.table.run.rows(
            numbered + f"SELECT i, _line, {_excerpt('unit_id')}, {_excerpt('parent_unit_id')} "
                       "FROM n WHERE i IN (SELECT unnest($members))", {"members": members})}
        for cycle in cycles:
            lines = [shown[i][0] for i in cycle if shown[i][0] is not None]
            if not lines:
                continue  # only stored units: not this extract's error
            first = cycle.index(next(i for i in cycle if shown[i][0] == min(lines)))
            cycle = cycle[first:] + cycle[:first]
            ids = [shown[i][1] for i in cycle[:_CYCLE_SHOWN]] + \
                ([f"… ({i18n.num(len(cycle))} Einheiten)"] if len(cycle) > _CYCLE_SHOWN else []) \
                + [shown[cycle[0]][1]]
            self.table.error(min(lines), "parent_unit_id", shown[cycle[0]][2],
                             f"Kreis im Organisationsbaum (Einheit → übergeordnete Einheit): "
                             f"{' → '.join(ids)}")


def _german_day(text: str) -> str:
    try:
        return i18n.day(dt.date.fromisoformat(text))
    except ValueError:
        return text


def payment_warnings(raw: RawExtract, limit: int = 20) -> list[str]:
    """Payments that exceed what was ever committed for their Jobcenter, budget year, title and
    instrument (domain reference §12 item 39; issue 13: a warning naming the booking, not an
    error). Lines without an instrument (e.g. Verwaltungskosten) are paid without commitments
    and are not checked. Call on a valid extract."""
    rt = raw.tables.get("budget_bookings")
    need = ("booking_id", "jobcenter_id", "booked_on", "title", "instrument", "kind",
            "amount_eur", "budget_year")
    if rt is None or rt.num_rows == 0 or not set(need) <= set(rt.read_columns):
        return []
    con = duckdb.connect()
    try:
        rt.register(con, "_b")
        rows = con.execute(
            "WITH b AS (SELECT _line, booking_id, jobcenter_id, TRY_CAST(booked_on AS DATE) AS d, "
            "  title, instrument, kind, CAST(amount_eur AS DECIMAL(18,2)) AS a, budget_year "
            "  FROM _b WHERE instrument IS NOT NULL AND kind IN ('commitment', 'payment')), "
            "c AS (SELECT *, sum(CASE WHEN kind = 'commitment' THEN a ELSE 0 END) OVER g AS com, "
            "  sum(CASE WHEN kind = 'payment' THEN a ELSE 0 END) OVER (g ORDER BY d, _line "
            "  ROWS UNBOUNDED PRECEDING) AS paid FROM b "
            "  WINDOW g AS (PARTITION BY jobcenter_id, budget_year, title, instrument)) "
            "SELECT _line, booking_id, d, jobcenter_id, budget_year, title, instrument, paid, com "
            "FROM c WHERE kind = 'payment' AND paid > com QUALIFY row_number() OVER "
            "(PARTITION BY jobcenter_id, budget_year, title, instrument ORDER BY d, _line) = 1 "
            "ORDER BY _line").fetchall()
    finally:
        con.close()
    out = [f"{rt.file}, Zeile {line}: Zahlung {bid} vom {i18n.day(day)} (Jobcenter {jc}, "
           f"Haushaltsjahr {year}, {title}/{instr}) übersteigt die je gebundenen Mittel: "
           f"gezahlt bis dahin {i18n.eur(paid, cents=True)}, gebunden insgesamt "
           f"{i18n.eur(com, cents=True)}"
           for line, bid, day, jc, year, title, instr, paid, com in rows[:limit]]
    if len(rows) > limit:
        out.append(f"{rt.file}: {i18n.num(len(rows) - limit)} weitere Zahlungen über den "
                   f"gebundenen Mitteln")
    return out


def _q(name: str) -> str:
    """The one way an identifier enters SQL: quoted."""
    return '"' + name.replace('"', '""') + '"'


def _excerpt(sql: str) -> str:
    """SQL cutting a text value to :data:`~amip.extract.errors.EXCERPT` characters (with "…"),
    so that a huge field is never fetched."""
    return (f"CASE WHEN length({sql}) > {EXCERPT + 1} THEN left({sql}, {EXCERPT}) || '…' "
            f"ELSE {sql} END")
