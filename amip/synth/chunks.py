"""Chunked generation: a large population as a stream of independent partial populations.

``generate_chunks(scale=100)`` runs :func:`amip.synth.generate` once per chunk (each at most
``chunk_scale`` Elbe-Elster-sized populations, summed over the Jobcenter of ``--jobcenters``),
so peak memory stays around one chunk's. Each chunk

- has its own seed, derived from the main seed and the chunk number
  (``numpy.random.SeedSequence([seed, k])``);
- gets a chunk tag (``C00-``, ``C01-`` …) in front of every person, BG, booking, check and
  caseworker id, so keys never collide across chunks;
- simulates the same Jobcenter (same ids, same units), with ``scale / n`` of the population.

Tables that describe the Jobcenter once are not repeated: ``jobcenters`` and ``units`` come with
the first chunk, ``budget_plan`` comes in a last, extra dict with the amounts summed over the
chunks per key (each chunk's plan is scaled to its share of the population, so the sum is the
plan of the whole population). With a single chunk the output is exactly ``generate(...)``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amip.synth.generator import generate
from amip.synth.profile import jobcenter_list, load
from amip.synth.tables import make

#: default largest chunk, in Elbe-Elster-sized populations (scale 5 ≈ 2.5 GB peak)
CHUNK_SCALE = 5.0

#: tables describing the Jobcenter (written once)
ONCE_TABLES = ("jobcenters", "units")
#: summed over the chunks and written at the end
SUMMED_TABLES = ("budget_plan",)
#: id columns that get the chunk tag, per table
TAGGED_COLUMNS: dict[str, tuple[str, ...]] = {
    "persons": ("person_id",),
    "person_flags": ("person_id",),
    "bg_spells": ("bg_id",),
    "elb_spells": ("person_id", "bg_id"),
    "benefit_months": ("person_id",),
    "employment_spells": ("person_id",),
    "measure_spells": ("person_id",),
    "unemployment_spells": ("person_id",),
    "caseload": ("person_id", "caseworker_id"),
    "prognoses": ("person_id",),
    "contacts": ("person_id", "caseworker_id"),
    "budget_bookings": ("booking_id",),
    "casefile_checks": ("check_id", "person_id"),
}


def population_weight(profile: str = "elbe-elster", scale: float = 1.0,
                      jobcenters: int | None = None) -> float:
    """Population in Elbe-Elster units: scale × the summed size factors of the Jobcenter."""
    return scale * sum(j["size"] for j in jobcenter_list(load(profile), jobcenters))


def chunk_count(profile: str = "elbe-elster", scale: float = 1.0,
                jobcenters: int | None = None,
                chunk_scale: float = CHUNK_SCALE) -> int:
    """Number of chunks so that each is at most ``chunk_scale`` populations."""
    if chunk_scale <= 0:
        raise ValueError("--chunk-scale muss größer als 0 sein")
    return max(1, math.ceil(population_weight(profile, scale, jobcenters) / chunk_scale - 1e-9))


def chunk_seed(seed: int, k: int) -> int:
    """The seed of chunk ``k``: independent streams derived from the main seed."""
    return int(np.random.SeedSequence([seed, k]).generate_state(1, np.uint64)[0])


def chunk_tag(k: int, n: int) -> str:
    return f"C{k:0{max(2, len(str(n - 1)))}d}-"


def generate_chunks(profile: str = "elbe-elster", seed: int = 20200101, scale: float = 1.0,
                    jobcenters: int | None = None, start: dt.date = dt.date(2009, 1, 1),
                    end: dt.date = dt.date(2020, 12, 31), chunk_scale: float = CHUNK_SCALE,
                    progress: Callable[[int, int, str], None] | None = None
                    ) -> Iterator[dict[str, pa.Table]]:
    """Yield the extract as dicts of tables to be appended per table (see module doc).

    ``progress(k, n, step)`` is called with the chunk number, the number of chunks and the step.
    A consumer should drop its reference to a yielded dict before asking for the next one."""
    if scale <= 0:
        raise ValueError("--scale muss größer als 0 sein")
    n = chunk_count(profile, scale, jobcenters, chunk_scale)
    say = progress or (lambda _k, _n, _s: None)
    if n == 1:
        yield generate(profile=profile, seed=seed, scale=scale, jobcenters=jobcenters,
                       start=start, end=end, progress=lambda s: say(0, 1, s))
        return
    plan: dict[tuple, Decimal] = {}
    for k in range(n):
        tables = generate(profile=profile, seed=chunk_seed(seed, k), scale=scale / n,
                          jobcenters=jobcenters, start=start, end=end,
                          progress=lambda s, k=k: say(k, n, s))
        _add_plan(plan, tables.pop("budget_plan"))
        if k:
            for name in ONCE_TABLES:
                del tables[name]
        tag = chunk_tag(k, n)
        for name, cols in TAGGED_COLUMNS.items():
            tables[name] = tag_ids(tables[name], cols, tag)
        yield tables
        del tables
    yield {"budget_plan": _plan_table(plan)}


def tag_ids(table: pa.Table, columns: tuple[str, ...], tag: str) -> pa.Table:
    """``tag`` in front of the (non-null) values of ``columns``."""
    for c in columns:
        i = table.schema.get_field_index(c)
        col = pc.binary_join_element_wise(pa.scalar(tag), table[c], "")
        table = table.set_column(i, table.schema.field(i), col)
    return table


def _add_plan(plan: dict, t: pa.Table) -> None:
    cols = [t[c].to_pylist() for c in ("jobcenter_id", "year", "title", "instrument", "amount_eur")]
    for jc, year, title, instr, amount in zip(*cols):
        key = (jc, year, title, instr)
        plan[key] = plan.get(key, Decimal(0)) + amount


def _plan_table(plan: dict) -> pa.Table:
    keys = list(plan)
    return make("budget_plan", dict(
        jobcenter_id=pa.array([k[0] for k in keys], pa.string()),
        year=pa.array([k[1] for k in keys], pa.int32()),
        title=pa.array([k[2] for k in keys], pa.string()),
        instrument=pa.array([k[3] for k in keys], pa.string()),
        amount_eur=pa.array([plan[k] for k in keys], pa.decimal128(18, 2))))
