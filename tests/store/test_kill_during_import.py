"""An import killed midway (kill -9) leaves the store exactly as it was before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from amip.store import Store

AMIP = [sys.executable, "-m", "amip.cli"]
N_PERSONS = 60_000
MONTHS = 24


def big_extract(directory: Path, recorded: str, n_persons: int = N_PERSONS) -> Path:
    """An extract large enough that importing it takes a few seconds."""
    directory.mkdir()
    N_PERSONS = n_persons  # noqa: N806
    ids = [f"p{i:06d}" for i in range(N_PERSONS)]
    (directory / "jobcenters.csv").write_text("jobcenter_id,name,kind,land,vergleichstyp\n"
                                              "03504,Jobcenter Elbe-Elster,ge,BB,\n")
    pacsv.write_csv(pa.table({
        "person_id": ids, "sex": ["m", "w"] * (N_PERSONS // 2),
        "birth_date": ["1980-01-01"] * N_PERSONS, "citizenship": ["de"] * N_PERSONS,
        "education": ["none"] * N_PERSONS}), directory / "persons.csv")
    pacsv.write_csv(pa.table({
        "person_id": ids, "bg_id": [f"b{i}" for i in range(N_PERSONS)],
        "jobcenter_id": ["03504"] * N_PERSONS, "status": ["elb"] * N_PERSONS,
        "bg_role": ["head"] * N_PERSONS, "valid_from": ["2019-01-01"] * N_PERSONS,
        "valid_to": [None] * N_PERSONS, "recorded_on": [recorded] * N_PERSONS}),
        directory / "elb_spells.csv")
    months = [f"{2019 + m // 12}-{m % 12 + 1:02d}" for m in range(MONTHS)]
    pacsv.write_csv(pa.table({
        "person_id": [p for p in ids for _ in months], "month": months * N_PERSONS,
        "llu_eur": ["432.00"] * (N_PERSONS * MONTHS), "luh_eur": ["301.25"] * (N_PERSONS * MONTHS),
        "recorded_on": [recorded] * (N_PERSONS * MONTHS)}), directory / "benefit_months.csv")
    return directory


def fingerprint(path: Path) -> dict:
    """Row count and an order-independent content hash of every table in the store file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.sql("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        return {t: con.sql(f"SELECT count(*), coalesce(sum(hash(x)), 0) FROM {t} AS x").fetchall()[0]
                for t in tables}
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["step validate", "step import elb_spells",
                                     "step import benefit_months", "step commit"])
def test_kill_9_during_import_leaves_store_unchanged(tmp_path, kill_at):
    store_path = tmp_path / "amip.duckdb"
    small = big_extract(tmp_path / "first", "2019-01-05", n_persons=1000)
    with Store.open(store_path) as s:  # the store holds one earlier import
        s.import_extract(small)
    before = fingerprint(store_path)
    later = big_extract(tmp_path / "later", "2021-02-01")  # same rows, later recorded_on

    proc = subprocess.Popen(AMIP + ["import", str(later), "--store", str(store_path)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env={**os.environ, "AMIP_TRACE_IMPORT": "1"},
                            cwd=Path(__file__).parents[2])
    seen = []
    for line in proc.stderr:
        seen.append(line.strip())
        if line.strip() == kill_at:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL, f"import ended before the kill; saw {seen}"
    if kill_at == "step commit":
        # killed right before COMMIT ran, or just after: either all rows or none, nothing between
        after = fingerprint(store_path)
        assert after == before or after["amip_imports"][0] == 2
    else:
        assert fingerprint(store_path) == before

    # the store still works: the same import now runs to the end and adds everything once
    with Store.open(store_path) as s:
        result = s.import_extract(later)
        assert result.import_id is not None or result.already_imported_as == 2
        assert s.row_counts()["benefit_months"] == (1000 + N_PERSONS) * MONTHS
