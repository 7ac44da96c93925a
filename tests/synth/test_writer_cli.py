"""Writing extracts and the ``amip synth`` command."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from amip.cli.synth_cmd import de_number, synth
from amip.extract.writer import OutputNotEmpty, write_extract
from amip.store import Store


@pytest.fixture(scope="module")
def tiny():
    from amip.synth import generate

    return generate(scale=0.1, start=dt.date(2019, 1, 1), end=dt.date(2019, 12, 31))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_written_extract_imports(tmp_path, tiny, fmt):
    out = tmp_path / "x"
    files = write_extract(tiny, out, fmt)
    assert {f.name for f in files} == {f"{n}.{fmt}" for n in tiny}
    with Store.memory() as store:
        result = store.import_extract(out)
        assert result.rows_added["elb_spells"] == tiny["elb_spells"].num_rows


def test_csv_amounts_have_two_decimals(tmp_path, tiny):
    write_extract(tiny, tmp_path / "x")
    line = (tmp_path / "x" / "benefit_months.csv").read_text().splitlines()[1]
    assert all(len(v.split(".")[1]) == 2 for v in line.split(",")[2:4])


def test_refuses_non_empty_directory(tmp_path, tiny):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("data")
    with pytest.raises(OutputNotEmpty, match="no command overwrites data"):
        write_extract(tiny, tmp_path / "x")


def test_cli_writes_and_refuses(tmp_path):
    runner = CliRunner()
    args = ["--out", str(tmp_path / "o"), "--scale", "0.05", "--from", "2019", "--to", "2019"]
    r = runner.invoke(synth, args)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "o" / "persons.csv").exists()
    r = runner.invoke(synth, args)
    assert r.exit_code != 0 and "überschreibt" in r.output


def test_german_numbers():
    assert de_number(5485) == "5.485"
    assert de_number(23.4, 1) == "23,4"
    assert de_number(7129465.5, 0) == "7.129.466"
