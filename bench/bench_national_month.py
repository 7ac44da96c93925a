"""Benchmark of the national month (issue 16, "Done when"): all 15 measures × 3 sexes for all
Jobcenter and one month, on DuckDB, PostgreSQL and Spark, at several national sizes, side by
side in one run; the hand-written DuckDB SQL reference for the LZB stock
(bench/national_reference.sql) against the engine's LZB stock; the next month incrementally
(amip.engine.kept_facts).

Every measurement runs in a child process of its own: its wall time of the computation (the
process start, imports and opening not included; said separately), its peak memory (the child's
ru_maxrss from wait4) and rows per second (rows of the store's tables ÷ seconds). The children
print a digest of their records, so the table shows whether the backends agree.

Run:  .venv/bin/python bench/bench_national_month.py --store 1%=/tmp/nat/p1.duckdb \\
          --store 10%=/tmp/nat/p10.duckdb [--month 2020-06] [--only duckdb,reference,incremental]
Stores come from `amip synth --profile national --scale S --from 2018 --format parquet` and
`amip import DIR --store FILE --no-quality`; the 100 % store from bench/national_scale_up.sql.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KINDS = ("duckdb", "reference", "lzb", "incremental", "postgres", "spark", "profile")
#: the store tables the national month reads (rows per second count these)
READ = ("elb_spells", "bg_spells", "persons", "employment_spells", "measure_spells",
        "benefit_months", "jobcenters", "caseload")


# -- children: one measurement each, printing one JSON line ---------------------------------------

def _digest(records) -> str:
    rows = sorted((r.code, r.month, r.jobcenter_id, r.sex, repr(r.numerator),
                   repr(r.denominator), repr(r.value), r.reason or "") for r in records)
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:12]


def _counts_digest(rows: dict) -> str:
    return hashlib.sha256(json.dumps(sorted((k[0], k[1], int(v)) for k, v in rows.items()))
                          .encode()).hexdigest()[:12]


def _open(store: str):
    """The store read-only, with DuckDB's memory capped (``AMIP_BENCH_MEMORY``, default 16 GB:
    the machine is shared) and spilling beside the store."""
    from amip.store import Store

    s = Store.open(store, read_only=True)
    s.con.execute(f"SET memory_limit = '{os.environ.get('AMIP_BENCH_MEMORY', '16GB')}'")
    s.con.execute(f"SET temp_directory = '{store}.spill'")
    return s


def child_duckdb(store: str, month: int) -> dict:
    from amip.engine.indicators import compute

    with _open(store) as s:
        view = s.view()
        view.kept_facts = None  # counted from scratch
        t = time.perf_counter()
        records = compute(view, [month])
        return dict(seconds=time.perf_counter() - t, records=len(records), digest=_digest(records))


def child_incremental(store: str, month: int) -> dict:
    """The month counted and kept (a fresh fact store), then the next month from the kept ones."""
    from amip.engine.indicators import compute

    folder = tempfile.mkdtemp(prefix="amip-bench-facts-")
    try:
        with _open(store) as s:
            view = s.view()
            view.kept_facts = folder
            t = time.perf_counter()
            first = compute(view, [month])
            cold = time.perf_counter() - t
            t = time.perf_counter()
            records = compute(view, [month + 1])
            nxt = time.perf_counter() - t
            t = time.perf_counter()
            compute(view, [month + 1])
            again = time.perf_counter() - t
        return dict(seconds=nxt, cold=cold, again=again, records=len(records),
                    digest=_digest(records), first_digest=_digest(first))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _stichtag_counts(view, month: int) -> tuple[float, dict]:
    """The engine's LZB stock at ST(month) by Jobcenter and sex (the part the reference covers)."""
    from amip.catalogue import load
    from amip.engine.aggregate import count_facts
    from amip.engine.calendar import stichtag
    from amip.engine.facts import Facts

    cat = load()
    t = time.perf_counter()
    with Facts(view, cat.rules_for(stichtag(month)), cat.parameters, month, month) as f:
        counts = count_facts(f, ["lzb"])
    return time.perf_counter() - t, {(k[1], k[3]): v for k, v in counts.items()}


def child_lzb(store: str, month: int) -> dict:

    with _open(store) as s:
        seconds, counts = _stichtag_counts(s.view(), month)
    return dict(seconds=seconds, lzb=sum(counts.values()), digest=_counts_digest(counts))


def child_reference(store: str, month: int) -> dict:
    import duckdb

    from amip.engine.calendar import stichtag

    sql = (HERE / "national_reference.sql").read_text()
    con = duckdb.connect(store, read_only=True)
    try:
        con.execute(f"SET memory_limit = '{os.environ.get('AMIP_BENCH_MEMORY', '16GB')}'")
        con.execute(f"SET temp_directory = '{store}.spill'")
        con.execute(f"SET VARIABLE st = DATE '{stichtag(month).isoformat()}'")
        t = time.perf_counter()
        rows = con.execute(sql).fetchall()
        seconds = time.perf_counter() - t
    finally:
        con.close()
    counts = {(jc, sex): n for jc, sex, n in rows}
    return dict(seconds=seconds, lzb=sum(counts.values()), digest=_counts_digest(counts))


def child_postgres(url: str, month: int) -> dict:
    from amip.engine.indicators import compute
    from amip.store.postgres import postgres_view

    with postgres_view(url) as view:
        t = time.perf_counter()
        records = compute(view, [month])
        return dict(seconds=time.perf_counter() - t, records=len(records), digest=_digest(records))


def child_spark(parquet: str, month: int) -> dict:
    import resource

    from amip.engine.indicators import compute
    from amip.store.parquet import spark_view

    view = spark_view(parquet)  # amip's own Spark session: local, all cores, $AMIP_SPARK_CONF
    t = time.perf_counter()
    records = compute(view, [month])
    seconds = time.perf_counter() - t
    # the JVM is this process's child: stop it and wait, so its peak memory is readable
    session = view.backend._session
    gateway = session.sparkContext._gateway
    session.stop()
    gateway.shutdown()
    gateway.proc.stdin.close()
    gateway.proc.wait(timeout=120)
    jvm = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return dict(seconds=seconds, records=len(records), digest=_digest(records), jvm_mib=jvm)


def child_profile(store: str, month: int) -> dict:
    """Where the time of the fresh national month goes: the cumulative time of each fact
    (cProfile; a fact's time includes the facts it builds on, when they are first needed)."""
    import cProfile
    import pstats

    from amip.engine.indicators import compute

    with _open(store) as s:
        view = s.view()
        view.kept_facts = None
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.runcall(compute, view, [month])
        seconds = time.perf_counter() - t
    stats = pstats.Stats(prof).stats
    parts = {}
    for (file, _line, name), (_cc, _nc, tt, ct, _callers) in stats.items():
        if file.endswith("engine/facts.py") and ct >= 0.2 and not name.startswith("_") \
                and name not in ("table", "close", "__exit__"):
            parts[f"fact {name}"] = ct
        elif file.endswith("engine/facts.py") and name in ("_benefits", "_materialize"):
            parts[name] = ct
        elif name == "<method 'to_arrow_table' of '_duckdb.DuckDBPyConnection' objects>" \
                or "to_arrow_table" in name:
            parts["results to Arrow (the stacked count query and small reads)"] = tt
        elif file.endswith("engine/measures.py") and name == "measure":
            parts["measure arithmetic (Python, 18 180 records)"] = ct
        elif file.endswith("engine/horizon.py") and name == "horizon":
            parts["horizon"] = ct
    return dict(seconds=seconds, parts=dict(sorted(parts.items(), key=lambda kv: -kv[1])))


CHILDREN = {"profile": child_profile, "duckdb": child_duckdb, "incremental": child_incremental, "lzb": child_lzb,
            "reference": child_reference, "postgres": child_postgres, "spark": child_spark}


# -- the parent: prepare, run the children, print the table ---------------------------------------

def run_child_measured(kind: str, source: str, month: int, timeout: float) -> dict:
    """:func:`run_child` with the child's own peak RSS (wait4 on its pid)."""
    cmd = [sys.executable, __file__, "--child", kind, "--source", source, "--month", str(month)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.kill(proc.pid, 9)
                os.wait4(proc.pid, 0)
                return dict(error=f"stopped after {timeout:.0f} s")
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    if proc.returncode:
        last = [ln for ln in errors.strip().splitlines() if ln.strip()]
        return dict(error=last[-1][:200] if last else f"exit {proc.returncode}")
    result = json.loads(text.strip().splitlines()[-1])
    result.update(process=wall, peak_mib=usage.ru_maxrss / 1024)
    return result


def store_rows(store: str) -> int:
    import duckdb

    con = duckdb.connect(store, read_only=True)
    try:
        return sum(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in READ)
    finally:
        con.close()


def publish_parquet(store: str, folder: Path) -> float:
    """`amip publish --parquet`: the store's imports and its current rows, for Spark."""
    from amip.store import Store
    from amip.store.parquet import publish_to_parquet

    t = time.perf_counter()
    with Store.open(store, read_only=True) as s:
        publish_to_parquet(s, folder)
    return time.perf_counter() - t


def publish_pg(store: str, url: str) -> float:
    from amip.store.postgres import publish_to_postgres

    t = time.perf_counter()
    with _open(store) as s:
        publish_to_postgres(s, url)
    return time.perf_counter() - t


def scale_up(source: str, target: str) -> float:
    """The 100 % proxy: a copy of the 10 % store with ten disjoint copies of its people
    (bench/national_scale_up.sql)."""
    import duckdb

    t = time.perf_counter()
    shutil.copyfile(source, target)
    os.chmod(target, 0o600)  # person-level data, like the store
    con = duckdb.connect(target)
    try:
        con.execute((HERE / "national_scale_up.sql").read_text())
    finally:
        con.close()
    keep_current(target)  # the current rows the import would have kept
    return time.perf_counter() - t


def keep_current(store: str) -> float:
    """Keep the current rows and the prepared tables (:mod:`amip.engine.prepared`) of a store
    whose rows did not come by an import of this version, as `amip import` keeps them."""
    from amip.engine.prepare import keep
    from amip.store import Store

    t = time.perf_counter()
    with Store.open(store) as s:
        s.keep_current()
        keep(s)
    return time.perf_counter() - t


def fmt(x: float | None, unit: str = "s") -> str:
    if x is None:
        return "–"
    text = f"{x:,.1f}" if x < 100 else f"{x:,.0f}"
    return f"{text.replace(',', ' ').replace('.', ',')} {unit}".strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", action="append", default=[],
                    help="LABEL=FILE of a DuckDB store (repeat: one per size)")
    ap.add_argument("--month", default="2020-06")
    ap.add_argument("--only", default=",".join(KINDS), help="comma-separated: " + ",".join(KINDS))
    ap.add_argument("--skip", default="", help="LABEL:KIND,… not to run (too slow here)")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--work", default=None, help="folder for the Parquet copies")
    ap.add_argument("--json", default=None, help="also write the results as JSON here")
    ap.add_argument("--keep-current", metavar="STORE",
                    help="keep the current rows of a store imported before amip kept them")
    ap.add_argument("--scale-up", nargs=2, metavar=("SOURCE", "TARGET"),
                    help="build the 100 %% proxy store TARGET from the 10 %% store SOURCE")
    ap.add_argument("--table", nargs="+", metavar="JSON",
                    help="print the table of earlier runs' --json files (no measuring)")
    ap.add_argument("--child", choices=sorted(CHILDREN))
    ap.add_argument("--source")
    args = ap.parse_args()
    if args.child:
        import logging
        logging.disable(logging.WARNING)
        print(json.dumps(CHILDREN[args.child](args.source, int(args.month))))
        return

    if args.table:
        results = [r for f in args.table for r in json.loads(Path(f).read_text())]
        print(table(results, args.month))
        return
    if args.scale_up:
        print(f"scaled up in {scale_up(*args.scale_up):.1f} s")
        return
    if args.keep_current:
        print(f"current rows kept in {keep_current(args.keep_current):.1f} s")
        return

    from amip.engine.calendar import parse_month

    month = parse_month(args.month)
    kinds = [k for k in args.only.split(",") if k]
    skip = {tuple(s.split(":")) for s in args.skip.split(",") if s}
    work = Path(args.work or tempfile.mkdtemp(prefix="amip-bench-national-"))
    cluster = url = None
    results = []
    try:
        if "postgres" in kinds:
            sys.path.insert(0, str(ROOT))
            from tests.pg_fixture import Cluster

            cluster = Cluster()
            url = cluster.start()
        for spec in args.store:
            label, store = spec.split("=", 1)
            rows = store_rows(store)
            print(f"== {label}: {store}, {rows:,} rows read", flush=True)
            for kind in kinds:
                if (label, kind) in skip:
                    results.append(dict(label=label, kind=kind, rows=rows, error="skipped"))
                    continue
                source, prep = store, None
                if kind == "spark":
                    source = str(work / f"parquet-{label.strip('%')}")
                    prep = ("amip publish --parquet", publish_parquet(store, Path(source)))
                if kind == "postgres":
                    import psycopg
                    with psycopg.connect(url, autocommit=True) as pg:
                        pg.execute("DROP SCHEMA IF EXISTS amip CASCADE")
                    prep = ("publish to PostgreSQL", publish_pg(store, url))
                    source = url
                r = run_child_measured(kind, source, month, args.timeout)
                r.update(label=label, kind=kind, rows=rows)
                if prep:
                    r["prep"] = prep
                results.append(r)
                print(json.dumps(r), flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
    print()
    print(table(results, args.month))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


def table(results: list[dict], month: str) -> str:
    names = {"duckdb": "DuckDB, engine", "postgres": "PostgreSQL, engine",
             "spark": "Spark (local, amip session), engine", "lzb": "DuckDB, engine: LZB stock only",
             "reference": "DuckDB, hand-written SQL: LZB stock",
             "incremental": "DuckDB, next month, kept facts",
             "profile": "DuckDB, engine under cProfile"}
    lines = [f"national month {month}: all 15 measures × 3 sexes × all Jobcenter",
             "",
             "| size | what | time | peak memory | rows/s | process | digest | note |",
             "|---|---|---|---|---|---|---|---|"]
    ref = {(r["label"]): r for r in results if r["kind"] == "reference" and "seconds" in r}
    for r in results:
        if "error" in r:
            lines.append(f"| {r['label']} | {names[r['kind']]} | – | – | – | – | – | {r['error']} |")
            continue
        note = []
        if r["kind"] == "lzb" and r["label"] in ref:
            note.append(f"engine/reference {r['seconds'] / ref[r['label']]['seconds']:.2f}×"
                        + (", same counts" if r["digest"] == ref[r["label"]]["digest"]
                           else ", COUNTS DIFFER"))
        if r["kind"] == "incremental":
            note.append(f"the month itself, counted and kept: {fmt(r['cold'])}; "
                        f"asked again: {fmt(r['again'])}")
        if r["kind"] == "profile":
            note.append(", ".join(f"{k} {fmt(v)}" for k, v in list(r["parts"].items())[:12]))
        if "prep" in r:
            note.append(f"{r['prep'][0]}: {fmt(r['prep'][1])}")
        peak = fmt(r["peak_mib"], "MiB")
        if "jvm_mib" in r:  # Linux folds the waited-for JVM's peak into the child's
            peak += " (Python or JVM)"
        lines.append(f"| {r['label']} | {names[r['kind']]} | {fmt(r['seconds'])} | {peak} | "
                     f"{r['rows'] / r['seconds']:,.0f} | {fmt(r['process'])} | {r.get('digest', '')} | {'; '.join(note)} |")
    lines += ["", curve(results, names)]
    lines += ["", "time: the computation in its own process (start, imports and opening the "
              "store not included: see 'process'); peak memory: the process's ru_maxrss "
              "(wait4); rows/s: rows of the tables the month reads ÷ time; digest: of the "
              "records (equal digests = identical records)."]
    return "\n".join(lines)


def curve(results: list[dict], names: dict) -> str:
    """The scaling curve: time against rows read, per kind over the sizes, with the exponent
    of time ∝ rows^k between the smallest and the largest size."""
    import math

    ok = [r for r in results if "seconds" in r]
    sizes = sorted({(r["rows"], r["label"]) for r in ok})
    head = " | ".join(f"{label} ({rows / 1e6:,.1f} M rows)".replace(".", ",")
                      for rows, label in sizes)
    lines = [f"| scaling: time at | {head} | k in time ∝ rows^k |",
             "|---|" + "---|" * len(sizes) + "---|"]
    for kind in names:
        by = {r["label"]: r for r in ok if r["kind"] == kind}
        if not by:
            continue
        cells = [fmt(by[label]["seconds"]) if label in by else "–" for _, label in sizes]
        have = [(rows, by[label]["seconds"]) for rows, label in sizes if label in by]
        k = (math.log(have[-1][1] / have[0][1]) / math.log(have[-1][0] / have[0][0])
             if len(have) > 1 else None)
        lines.append(f"| {names[kind]} | {' | '.join(cells)} | "
                     f"{'–' if k is None else f'{k:.2f}'.replace('.', ',')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
