"""The Arrow types a Parquet column of each kind may have, checked before any value is read,
and how DuckDB turns a value of each into the text the validator checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pyarrow as pa

from amip.extract.errors import excerpt
from amip.extract.schema import Table

TypeTest = Callable[[pa.DataType], bool]


@dataclass(frozen=True)
class Family:
    """Arrow types read alike: a German name for messages, a test, and the SQL giving a value
    ``{c}`` as text."""

    label: str
    test: TypeTest
    text_sql: str = "CAST({c} AS VARCHAR)"


TEXT = Family("Text", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)
              or pa.types.is_string_view(t))
INTEGER = Family("Ganzzahl", pa.types.is_integer)
CENTS = Family("Dezimalzahl mit höchstens zwei Nachkommastellen",
               lambda t: pa.types.is_decimal128(t) and 0 <= t.scale <= 2)
DATE = Family("Datum", pa.types.is_date)
# a timestamp at midnight is that day; any other time stays visible, and so an invalid date
TIMESTAMP = Family("Zeitstempel ohne Zeitzone", lambda t: pa.types.is_timestamp(t) and not t.tz,
                   "CASE WHEN {c} = CAST({c} AS DATE) THEN CAST(CAST({c} AS DATE) AS VARCHAR) "
                   "ELSE CAST({c} AS VARCHAR) END")
NULL = Family("leer (null)", pa.types.is_null)  # every value missing: fine for any kind

#: the families a column of each kind may have (besides NULL)
ALLOWED: dict[str, tuple[Family, ...]] = {
    "id": (TEXT, INTEGER),
    "text": (TEXT,),
    "code": (TEXT,),
    "date": (DATE, TIMESTAMP, TEXT),
    "month": (TEXT,),
    "amount": (CENTS, INTEGER, TEXT),
    "int": (INTEGER, TEXT),
}
#: the kinds of column, as a message names them
KIND_LABELS: dict[str, str] = {
    "id": "Kennung", "text": "Text", "code": "Code", "date": "Datum", "month": "Monat",
    "amount": "Betrag", "int": "Zahl",
}
#: the name of a type that is not allowed, as a message names it (first test that holds)
DESCRIBED: tuple[tuple[TypeTest, str], ...] = (
    (pa.types.is_floating, "Gleitkommazahl"),
    (pa.types.is_struct, "Struktur"),
    (lambda t: pa.types.is_list(t) or pa.types.is_large_list(t)
     or pa.types.is_fixed_size_list(t) or pa.types.is_list_view(t)
     or pa.types.is_large_list_view(t), "Liste"),
    (pa.types.is_map, "Zuordnung (map)"),
    (pa.types.is_union, "Variante (union)"),
    (pa.types.is_boolean, "Wahrheitswert"),
    (lambda t: pa.types.is_binary(t) or pa.types.is_large_binary(t)
     or pa.types.is_fixed_size_binary(t) or pa.types.is_binary_view(t), "Binärdaten"),
    (pa.types.is_decimal, "Dezimalzahl"),
    (pa.types.is_timestamp, "Zeitstempel mit Zeitzone"),
    (pa.types.is_time, "Uhrzeit"),
    (pa.types.is_duration, "Zeitdauer"),
)


def family(kind: str, arrow_type: pa.DataType) -> Family | None:
    """The family ``arrow_type`` belongs to among those allowed for ``kind``, or None."""
    values = _values(arrow_type)
    return next((f for f in (*ALLOWED[kind], NULL) if f.test(values)), None)


def type_problems(table: Table, schema: pa.Schema) -> dict[str, str]:
    """Column → German message, for the columns of ``table`` in ``schema`` with a type their
    kind does not allow."""
    problems = {}
    for col in table.columns:
        if col.name in schema.names and family(col.kind, schema.field(col.name).type) is None:
            problems[col.name] = _message(col.kind, schema.field(col.name).type)
    return problems


def text_sql(kind: str, arrow_type: pa.DataType, column_sql: str) -> str:
    """SQL giving the (allowed) column ``column_sql`` as text."""
    return family(kind, arrow_type).text_sql.format(c=column_sql)  # type: ignore[union-attr]


def _message(kind: str, arrow_type: pa.DataType) -> str:
    name = next((label for test, label in DESCRIBED if test(_values(arrow_type))), "Typ")
    allowed = [f.label for f in ALLOWED[kind]]
    expected = ", ".join(allowed[:-1]) + " oder " + allowed[-1] if len(allowed) > 1 else allowed[0]
    return f"{KIND_LABELS[kind]} als {name} ({excerpt(str(arrow_type))}): erwartet {expected}"


def _values(arrow_type: pa.DataType) -> pa.DataType:
    """The type of the values: a dictionary (e.g. a pandas category) is judged by its values."""
    return arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
