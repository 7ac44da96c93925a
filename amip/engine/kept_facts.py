"""The incremental fact store: the monthly fact counts, computed once per month and kept.

The § 48a measures of month t read the counts of the facts (:mod:`amip.engine.aggregate`) per
Jobcenter × team × sex for the months t−12..t (:mod:`amip.engine.measures`). Counted from
scratch, every month costs 14 months of facts; kept, the next month costs one. Each fact is
counted only for the months the measures read (:func:`amip.engine.measures.fact_months`): the
sums of K1 and K1E1 for t and t−12, not the months between — so the next month also counts the
sums of t−11, in a run of its own.

A month's counts are exact when the facts were computed from at least :data:`WARMUP` months
before it (Zugänge and Abgänge compare with the stock of m−1; an Integration of month m may
start in m−1 for a person who entered the stock in m−1, so m−2 is read; the LZB lookback of 24
months reads the ``elb`` spells themselves, not earlier months' facts). Missing months are
computed in contiguous runs ``[a, b]`` from ``Facts(a − WARMUP, b)``, and only months ``a..b``
are kept. Months that need only the money facts (the next month's sums of t−12) ride along
with the next later run that needs more, if its spells reach them (:meth:`Facts.reaches`): one
scan of the benefit months and one join to the spells for both. :func:`counts` then gives the
measures exactly what a fresh count gives them, bit for bit (tests/engine/test_incremental.py).

**Where.** A sidecar folder beside the store file, ``<store>.facts/`` (``amip.duckdb.facts/``),
one Parquet file per key and month: ``<key>/<YYYY-MM>.parquet``. Not a table in the store:
queries open the store read-only (the web server's generations, ``amip indicators`` while an
import runs), and an import swaps the store file (:mod:`amip.store.swap`), so a query could not
write there. kept.py keeps its counts in the store because the import computes them, for a
few known targets; facts are asked for by any query, for any month. Each file is written to a
temporary name and renamed into place, so concurrent readers see a whole file or none, and two
processes keeping the same month write the same content.

**Key.** :func:`state_key` hashes the store's ``data_state()`` (changes with every import), the
view's as-of date, the rule version and parameters (every field), the Jobcenter (or all),
whether counts are by team, :data:`FORMAT` and the source text of the modules that define the
facts. Another import, another as-of date, other definitions or other code → another key: kept
counts of an old state are never read. Folders of other data states are removed when a new
state keeps its first month.

What is kept are aggregates (counts and euro sums by Jobcenter, team, sex and month), never
person-level rows; the files are still the owner's only (0600, folders 0700), like the store.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from amip.engine.aggregate import Counts, count_facts
from amip.engine.calendar import format_month
from amip.engine.facts import MONEY_FACTS, Facts, reaches
from amip.files import DIR_MODE, FILE_MODE, private_dir

#: bump when what is kept or how changes: files of the old format are then never read
FORMAT = 1
#: months of facts computed before the first month kept (see the module docstring)
WARMUP = 2
#: the modules whose code defines the facts' counts: a change to any of them is a new key
SOURCES = ("facts.py", "aggregate.py", "stocks.py", "calendar.py", "month_sets.py",
           "kept_facts.py", "prepared.py", "prepare.py")
_SCHEMA = pa.schema([("fact", pa.string()), ("jobcenter_id", pa.string()),
                     ("unit_id", pa.string()), ("sex", pa.string()), ("m", pa.int64()),
                     ("n", pa.int64()), ("amount", pa.string())])


def _code_hash() -> str:
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in SOURCES:
        h.update((here / name).read_bytes())
    return h.hexdigest()


_CODE = _code_hash()


def state_key(db, rules, params, jobcenter_id: str | None, by_team: bool) -> tuple[str, str]:
    """(state, key): the hash of the data state alone (folders are grouped by it, so another
    state's can be removed), and of everything the counts depend on."""
    as_of = getattr(db, "as_of", None)
    state = hashlib.sha256(json.dumps([FORMAT, db.data_state()]).encode()).hexdigest()[:16]
    text = json.dumps([FORMAT, _CODE, state, None if as_of is None else as_of.isoformat(),
                       dataclasses.asdict(rules), dataclasses.asdict(params), jobcenter_id,
                       by_team], sort_keys=True, default=str)
    return state, hashlib.sha256(text.encode()).hexdigest()[:32]


class FactStore:
    """The kept counts of one store file: ``<store>.facts/<state>/<key>/<YYYY-MM>.parquet``."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def _file(self, state: str, key: str, m: int) -> Path:
        return self.folder / state / key / f"{format_month(m)}.parquet"

    def read(self, state: str, key: str, m: int) -> tuple[set[str], Counts] | None:
        """The facts kept for month m and their counts (None: nothing kept)."""
        path = self._file(state, key, m)
        try:
            table = pq.read_table(path)
        except (FileNotFoundError, OSError, pa.ArrowInvalid):
            return None
        meta = table.schema.metadata or {}
        names = set(json.loads(meta.get(b"amip_facts", b"[]")))
        out: Counts = {}
        for r in table.to_pylist():
            value = Decimal(r["amount"]) if r["amount"] is not None else int(r["n"])
            out[(r["fact"], r["jobcenter_id"], r["unit_id"], r["sex"], r["m"])] = value
        return names, out

    def write(self, state: str, key: str, m: int, names: set[str], counts: Counts) -> bool:
        """Keep month m's counts of the facts ``names`` (all or nothing: a temporary file
        renamed into place). False when the folder cannot be written (nothing kept then)."""
        rows = {c: [] for c in _SCHEMA.names}
        for (fact, jc, unit, sex, month), v in counts.items():
            money = isinstance(v, Decimal)
            for c, x in zip(_SCHEMA.names, (fact, jc, unit, sex, month, None if money else v,
                                            str(v) if money else None)):
                rows[c].append(x)
        table = pa.table(rows, schema=_SCHEMA).replace_schema_metadata(
            {"amip_facts": json.dumps(sorted(names))})
        path = self._file(state, key, m)
        try:
            if not (self.folder / state).is_dir():
                self._forget_other_states(state)
            private_dir(path.parent)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".parquet")
            try:
                os.fchmod(fd, FILE_MODE)
                with os.fdopen(fd, "wb") as f:
                    pq.write_table(table, f)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return False
        return True

    def _forget_other_states(self, state: str) -> None:
        """A new data state keeps its first month: the folders of other states are stale."""
        if not self.folder.is_dir():
            private_dir(self.folder)
            os.chmod(self.folder, DIR_MODE)
            return
        for old in self.folder.iterdir():
            if old.is_dir() and old.name != state:
                shutil.rmtree(old, ignore_errors=True)


def fact_store(db) -> FactStore | None:
    """Where a view keeps its facts (``db.kept_facts``, set by :meth:`amip.store.Store.view`
    for a store file); None: counted fresh every time."""
    folder = getattr(db, "kept_facts", None)
    return FactStore(folder) if folder is not None else None


def _runs(months: list[int]) -> list[tuple[int, int]]:
    runs: list[list[int]] = []
    for m in sorted(months):
        if runs and m == runs[-1][1] + 1:
            runs[-1][1] = m
        else:
            runs.append([m, m])
    return [(a, b) for a, b in runs]


def counts(db, rules, params, wanted: dict[str, set[int]], jobcenter_id: str | None,
           by_team: bool = False, store: FactStore | None = None) -> Counts:
    """The counts of each fact for the months ``wanted`` names for it
    (:func:`amip.engine.measures.fact_months`), as :func:`count_facts` over ``Facts(db, rules,
    params, a − WARMUP, b, jobcenter_id)`` gives them. Kept (fact, month) pairs are read;
    missing ones are computed in contiguous runs of months, each fact only for its months,
    and kept beside what the month's file held. Without a fact store (``db.kept_facts``
    unset, e.g. PostgreSQL or an in-memory store): counted fresh the same way."""
    store = store if store is not None else fact_store(db)
    months = sorted(set().union(*wanted.values())) if wanted else []
    need = {m: {f for f, ms in wanted.items() if m in ms} for m in months}
    if store is None:
        return _count_runs(db, rules, params, need, jobcenter_id, by_team)
    state, key = state_key(db, rules, params, jobcenter_id, by_team)
    out: Counts = {}
    kept: dict[int, tuple[set[str], Counts]] = {}
    todo: dict[int, set[str]] = {}
    for m in months:
        got = store.read(state, key, m) or (set(), {})
        kept[m] = got
        out.update((k, v) for k, v in got[1].items() if k[0] in need[m])
        if need[m] - got[0]:
            todo[m] = need[m] - got[0]
    if not todo:
        return out
    counted = _count_runs(db, rules, params, todo, jobcenter_id, by_team)
    by_month: dict[int, Counts] = defaultdict(dict)
    for k, v in counted.items():
        by_month[k[4]][k] = v
    for m, names in todo.items():
        held, old = kept[m]
        new = {k: v for k, v in by_month.get(m, {}).items() if k[0] in names}
        store.write(state, key, m, held | names,
                    {**{k: v for k, v in old.items() if k[0] in held - names}, **new})
        out.update((k, v) for k, v in new.items() if k[0] in need[m])
    return out


def _count_runs(db, rules, params, todo: dict[int, set[str]], jobcenter_id: str | None,
                by_team: bool) -> Counts:
    """Count the facts ``todo`` names for each month: one :class:`Facts` per contiguous run
    of months, from :data:`WARMUP` months before it."""
    out: Counts = {}
    runs = _runs(list(todo))
    riders: dict[tuple[int, int], list[int]] = defaultdict(list)
    if not by_team:  # money-only months a later run's spells reach ride along with it
        money_only = [r for r in runs
                      if all(todo[m] <= set(MONEY_FACTS) for m in range(r[0], r[1] + 1))]
        for a, b in money_only:
            host = next((r for r in runs if r[0] > b and r not in money_only), None)
            if host and reaches(params, host[0] - WARMUP, a):
                runs.remove((a, b))
                riders[host].extend(range(a, b + 1))
    for a, b in runs:
        mine = [*riders[(a, b)], *range(a, b + 1)]
        months: dict[str, set[int]] = defaultdict(set)
        for m in mine:
            for f in todo[m]:
                months[f].add(m)
        with Facts(db, rules, params, a - WARMUP, b, jobcenter_id) as facts:
            counted = count_facts(facts, sorted(months), by_team=by_team, months=months)
        out.update((k, v) for k, v in counted.items() if k[4] in mine)
    return out
