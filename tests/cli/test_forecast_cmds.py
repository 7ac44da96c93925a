"""`amip forecast backtest|proposal` (amip/cli/forecast_cmds.py): the JSON contract, the German
table and a refused year."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from amip.cli.main import cli

pytestmark = pytest.mark.duckdb_only


def amip(*args):
    return CliRunner().invoke(cli, list(args), prog_name="amip")


def test_backtest_json_and_table_then_proposal(store_file):
    r = amip("forecast", "backtest", "--store", str(store_file), "--format", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["origins"] == 24 and out["last_origin"] == "2020-11"
    assert set(out["choice"]) == {"elb", "integrations", "lzb"}
    row = out["leaderboard"][0]
    assert list(row) == ["series", "model", "rank", "chosen", "n", "mae", "mape", "coverage",
                         "interval_score"]
    assert {r["series"] for r in out["leaderboard"]} == {"elb", "integrations", "lzb", "K2", "K3"}
    # the table: German, from the cached backtest of the same data
    r = amip("forecast", "backtest", "--store", str(store_file))
    assert r.exit_code == 0, r.output
    for word in ("Reihe", "Modell", "Intervall-Score", "MAE", "MAPE", "Abdeckung 80 %", "Rang",
                 "gewählt", "✓", "saisonal-naiv"):
        assert word in r.output
    r = amip("forecast", "proposal", "--year", "2021", "--store", str(store_file),
             "--format", "json")
    assert r.exit_code == 0, r.output
    props = {p["measure"]: p for p in json.loads(r.output)}
    assert set(props) == {"K2", "K3", "integrations"}
    for p in props.values():
        assert p["lower"] <= p["value"] <= p["upper"] and p["month"] == "2020-11"
        assert 0 <= p["coverage"] <= 1  # the backtest's coverage of the same construction
    # K2's interval is not the random walk's any more (2026-12: [8,8; 30,1] %, 21 points wide)
    assert props["K2"]["upper"] - props["K2"]["lower"] < 8


def test_a_year_that_is_over_is_refused(store_file, monkeypatch, capsys):
    """Through main(), as a person runs it: the German message, a non-zero exit, no backtest."""
    from amip.cli import main as cli_main

    monkeypatch.setattr("sys.argv", ["amip", "forecast", "proposal", "--year", "2019",
                                     "--store", str(store_file)])
    with pytest.raises(SystemExit) as exit_:
        cli_main.main()
    assert exit_.value.code != 0
    err = capsys.readouterr().err
    assert "Fehler: Das Jahr 2019 ist bereits abgeschlossen (Daten bis November 2020)" in err
