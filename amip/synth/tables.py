"""Arrow tables in exactly the declared extract format (amip.extract.schema.TABLES)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from amip.extract.schema import TABLES
from amip.synth import util

ARROW_TYPES = {"id": pa.string(), "text": pa.string(), "code": pa.string(), "month": pa.string(),
               "date": pa.date32(), "amount": pa.decimal128(18, 2), "int": pa.int32()}


def arrow_type(kind: str) -> pa.DataType:
    return ARROW_TYPES[kind]


def make(name: str, cols: dict) -> pa.Table:
    """Build table ``name`` from {column: pa.Array | list}; every declared column, in order."""
    spec = TABLES[name]
    arrays = []
    for c in spec.columns:
        t = arrow_type(c.kind)
        v = cols.get(c.name)
        if v is None:
            n = len(next(iter(cols.values()))) if cols else 0
            v = pa.nulls(n, t)
        elif not isinstance(v, (pa.Array, pa.ChunkedArray)):
            v = pa.array(v, t)
        if v.type != t:
            v = v.cast(t)
        arrays.append(v)
    return pa.Table.from_arrays(arrays, schema=pa.schema(
        [pa.field(c.name, arrow_type(c.kind), nullable=c.nullable) for c in spec.columns]))


def empty(name: str) -> pa.Table:
    return make(name, {c.name: pa.array([], arrow_type(c.kind)) for c in TABLES[name].columns})


def order_unique(*keys: np.ndarray, unique_on: int | None = None) -> np.ndarray:
    """Row order sorted by ``keys`` (first = primary), dropping rows whose first ``unique_on``
    keys repeat (default: all keys)."""
    n = len(keys[0])
    if n == 0:
        return np.zeros(0, np.int64)
    order = np.lexsort(tuple(np.asarray(k) for k in reversed(keys)))
    u = len(keys) if unique_on is None else unique_on
    same = np.ones(n - 1, bool)
    for k in keys[:u]:
        ks = np.asarray(k)[order]
        same &= ks[1:] == ks[:-1]
    keep = np.r_[True, ~same]
    return order[keep]


class Ids:
    """Pseudonymous id strings for persons and BGs, looked up by simulation number."""

    def __init__(self, pids: np.ndarray, bg_keys: np.ndarray, jc_ids: list[str]) -> None:
        self.pids = np.unique(pids)
        self.person_strings = pa.array(np.char.add("P", np.char.zfill(self.pids.astype(str), 7)))
        self.bg_keys = np.unique(bg_keys)
        jc = self.bg_keys >> 32
        bg = self.bg_keys & 0xFFFFFFFF
        jcs = np.array(jc_ids)[jc]
        self.bg_strings = pa.array(np.char.add(np.char.add(jcs, "-B"),
                                               np.char.zfill(bg.astype(str), 7)))
        self.jc_strings = pa.array(jc_ids)

    def person(self, pid: np.ndarray) -> pa.Array:
        return self.person_strings.take(pa.array(np.searchsorted(self.pids, pid)))

    def bg(self, jc: np.ndarray, bg: np.ndarray) -> pa.Array:
        key = (np.asarray(jc, np.int64) << 32) + np.asarray(bg, np.int64)
        return self.bg_strings.take(pa.array(np.searchsorted(self.bg_keys, key)))

    def jc(self, j: np.ndarray) -> pa.Array:
        return self.jc_strings.take(pa.array(np.asarray(j, np.int64)))


def codes(values: np.ndarray, names) -> pa.Array:
    """Strings for integer codes (index into names) or object arrays of strings."""
    values = np.asarray(values)
    if values.dtype == object:
        return pa.array(values, pa.string())
    return pa.array(list(names), pa.string()).take(pa.array(values.astype(np.int64)))


def dates(days) -> pa.Array:
    return util.dates(days)
