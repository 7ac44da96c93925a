"""Chunked generation (amip.synth.chunks) and the streaming writer."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from amip.cli.synth_cmd import synth
from amip.extract.reader import read_extract
from amip.extract.schema import TABLES
from amip.extract.validate import validate
from amip.extract.writer import write_extract, write_extract_stream
from amip.synth import generate
from amip.synth.chunks import chunk_count, chunk_seed, generate_chunks

ARGS = dict(start=dt.date(2018, 1, 1), end=dt.date(2019, 12, 31))
SCALE, CHUNK = 0.3, 0.1  # three chunks


@pytest.fixture(scope="module")
def chunked_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("chunked") / "x"
    chunks = generate_chunks(scale=SCALE, chunk_scale=CHUNK, **ARGS)
    rows = write_extract_stream(chunks, out, "parquet")
    return out, rows


@pytest.fixture(scope="module")
def whole():
    return generate(scale=SCALE, **ARGS)


def test_chunk_count_and_seeds():
    assert chunk_count(scale=1) == 1
    assert chunk_count(scale=100) == 20
    assert chunk_count(scale=10, chunk_scale=5) == 2
    assert chunk_count(scale=10.5, chunk_scale=5) == 3
    assert chunk_count(scale=0.3, chunk_scale=0.1) == 3
    assert chunk_count(scale=1, jobcenters=4) == 2  # sizes 1 + 0.7 + 2.6 + 0.9
    assert len({chunk_seed(1, k) for k in range(20)} | {chunk_seed(2, 0)}) == 21
    assert chunk_seed(1, 3) == chunk_seed(1, 3)


def test_chunked_parquet_validates(chunked_dir):
    out, rows = chunked_dir
    assert set(rows) == set(TABLES)
    errors = validate(read_extract(out))
    assert errors == [], errors[:5]
    # several row groups where chunks were appended
    assert pq.ParquetFile(out / "persons.parquet").metadata.num_row_groups == 3


def test_chunked_keys_unique(chunked_dir):
    out, rows = chunked_dir
    for name, spec in TABLES.items():
        t = pq.read_table(out / f"{name}.parquet")
        assert t.num_rows == rows[name]
        keys = t.select(list(spec.unique_key)).group_by(list(spec.unique_key)).aggregate([])
        assert keys.num_rows == t.num_rows, name


def test_once_tables_written_once(chunked_dir, whole):
    out, _ = chunked_dir
    for name in ("jobcenters", "units"):
        assert pq.read_table(out / f"{name}.parquet").equals(whole[name])
    plan = pq.read_table(out / "budget_plan.parquet")
    # the egl of Elbe-Elster is the published allocation × scale, however it is split into chunks
    def egl(t):
        t = t.filter(pc.equal(t["title"], "egl"))
        t = t.group_by("year").aggregate([("amount_eur", "sum")])
        return {r["year"]: float(r["amount_eur_sum"]) for r in t.to_pylist()}
    a, b = egl(plan), egl(whole["budget_plan"])
    assert a.keys() == b.keys()
    assert all(abs(a[y] - b[y]) <= 0.05 * b[y] for y in a)


def test_chunked_population_size(chunked_dir, whole):
    out, rows = chunked_dir
    n = whole["persons"].num_rows
    assert abs(rows["persons"] - n) < 0.08 * n
    n_elb = whole["elb_spells"].num_rows
    assert abs(rows["elb_spells"] - n_elb) < 0.08 * n_elb
    ids = pq.read_table(out / "persons.parquet")["person_id"]
    assert pc.all(pc.starts_with(ids, "C0")).as_py()
    bg = pq.read_table(out / "bg_spells.parquet")["bg_id"]
    assert set(pc.utf8_slice_codeunits(bg, 0, 4).unique().to_pylist()) == {"C00-", "C01-", "C02-"}


def test_single_chunk_is_generate(default_tables):
    parts = list(generate_chunks())
    assert len(parts) == 1
    assert parts[0].keys() == default_tables.keys()
    for name, t in default_tables.items():
        assert parts[0][name].equals(t), name


def test_stream_of_one_part_is_write_extract(tmp_path, whole):
    for fmt in ("parquet", "csv"):
        write_extract(whole, tmp_path / f"a{fmt}", fmt)
        write_extract_stream(iter([dict(whole)]), tmp_path / f"b{fmt}", fmt)
        for name in whole:
            a = (tmp_path / f"a{fmt}" / f"{name}.{fmt}")
            b = (tmp_path / f"b{fmt}" / f"{name}.{fmt}")
            if fmt == "csv":
                assert a.read_bytes() == b.read_bytes(), name
            else:
                assert pq.read_table(a).equals(pq.read_table(b)), name


def test_csv_stream_appends_without_header(tmp_path, whole):
    p = whole["persons"]
    parts = [{"persons": p.slice(0, 10)}, {"persons": p.slice(10, 5)}]
    write_extract_stream(iter(parts), tmp_path / "x", "csv")
    lines = (tmp_path / "x" / "persons.csv").read_text().splitlines()
    assert len(lines) == 16 and lines[0].startswith('"person_id"')
    assert sum(line.startswith('"person_id"') for line in lines) == 1


def test_csv_stream_quotes_when_needed(tmp_path):
    t = pa.table({"jobcenter_id": ["1", "2"], "name": ["A, B", 'C "D"'], "kind": ["ge", "ge"],
                  "land": [None, None], "vergleichstyp": [None, None]})
    write_extract_stream(iter([{"jobcenters": t}]), tmp_path / "x", "csv")
    raw = read_extract(tmp_path / "x")
    assert raw.tables["jobcenters"].data["name"].to_pylist() == ["A, B", 'C "D"']


def test_cli_chunked(tmp_path):
    out = tmp_path / "o"
    r = CliRunner().invoke(synth, ["--out", str(out), "--scale", "0.1", "--chunk-scale", "0.05",
                                   "--from", "2019", "--to", "2019", "--format", "parquet"])
    assert r.exit_code == 0, r.output
    assert "2 Teilen" in r.output
    assert validate(read_extract(out)) == []
