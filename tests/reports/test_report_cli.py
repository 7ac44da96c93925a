"""`amip report` as a user runs it: a fresh process on a store file. The Monatsbericht computes
its forecast and renders its pages in background processes; with them turned off it must be
the same report, byte for byte in the HTML."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from amip.engine.indicators import compute
from amip.reports.monthly import FORECAST, kennzahl_forecasts

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux only")


def amip(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "amip.cli", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=300)


@pytest.fixture(scope="module")
def monthly_runs(store_file, tmp_path_factory):
    """The Monatsbericht 2020-06 written twice: with background processes and without."""
    out = tmp_path_factory.mktemp("monthly")
    runs = {}
    for mode, env in (("background", {}), ("in-process", {"AMIP_BACKGROUND": "0"})):
        r = amip("report", "monthly", "--month", "2020-06", "--store", str(store_file),
                 "--out", str(out / mode), "--format", "html,pdf,csv", env=env)
        assert r.returncode == 0, r.stderr
        runs[mode] = out / mode
    return runs


def test_background_and_in_process_give_the_same_report(monthly_runs):
    html = {mode: (path / "monatsbericht-2020-06-03504.html").read_bytes()
            for mode, path in monthly_runs.items()}
    assert html["background"] == html["in-process"]
    csv = {mode: sorted(p.name for p in (path / "monatsbericht-2020-06-03504-csv").iterdir())
           for mode, path in monthly_runs.items()}
    assert csv["background"] == csv["in-process"] and "k2-prognose.csv" in csv["background"]


def test_the_pdf_shows_the_engines_k2_and_the_forecast(monthly_runs, default_store):
    pdf = monthly_runs["background"] / "monatsbericht-2020-06-03504.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    k2 = next(r for r in compute(default_store.view(), [2020 * 12 + 5], codes=["K2"])
              if r.sex == "all")
    assert f"{k2.value:.1f}".replace(".", ",") + " %" in text
    forecasts = kennzahl_forecasts(default_store.view(), 2020 * 12 + 5)
    for code in FORECAST["codes"]:  # the forecast tables, December
        december = forecasts[code].point("2020-12").value
        assert f"{abs(december):.1f}".replace(".", ",") + " %" in text


def test_existing_files_are_not_overwritten(monthly_runs, store_file):
    target = monthly_runs["background"]
    before = (target / "monatsbericht-2020-06-03504.html").stat().st_mtime_ns
    r = amip("report", "monthly", "--month", "2020-06", "--store", str(store_file),
             "--out", str(target), "--format", "html")
    assert r.returncode == 2 and "nicht überschrieben" in r.stdout + r.stderr
    assert (target / "monatsbericht-2020-06-03504.html").stat().st_mtime_ns == before


def test_unknown_jobcenter_is_a_usage_error(store_file, tmp_path):
    r = amip("report", "monthly", "--month", "2020-06", "--store", str(store_file),
             "--jobcenter", "99999", "--out", str(tmp_path), "--format", "pdf")
    assert r.returncode == 2 and "Jobcenter '99999' gibt es im Datenbestand nicht" in r.stderr
    assert not any(tmp_path.iterdir())


def test_programme_writes_all_formats(store_file, tmp_path):
    r = amip("report", "programme", "--year", "2020", "--store", str(store_file),
             "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    names = {p.name for p in tmp_path.iterdir()}
    assert {"programm-2020-03504.pdf", "programm-2020-03504.html",
            "programm-2020-03504.xlsx", "programm-2020-03504-csv"} <= names
    assert (tmp_path / "programm-2020-03504.pdf").read_bytes().startswith(b"%PDF-")


def test_as_of_reproduces_the_report_of_an_earlier_day(store_file, default_store, tmp_path):
    """--as-of 2020-07-20: rows recorded later (late integrations of June) are ignored, in the
    engine pass and in the forecast child alike."""
    import datetime as dt

    as_of, month = dt.date(2020, 7, 20), 2020 * 12 + 5

    def k2(view):
        return next(r for r in compute(view, [month], codes=["K2"]) if r.sex == "all").value

    then, now = k2(default_store.view(as_of)), k2(default_store.view())
    assert f"{then:.1f}" != f"{now:.1f}"  # the test can tell the two apart
    r = amip("report", "monthly", "--month", "2020-06", "--store", str(store_file), "--as-of",
             "2020-07-20", "--out", str(tmp_path), "--format", "pdf")
    assert r.returncode == 0, r.stderr
    text = subprocess.run(["pdftotext", str(tmp_path / "monatsbericht-2020-06-03504.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert f"{then:.1f}".replace(".", ",") + " %" in text
    forecast = kennzahl_forecasts(default_store.view(as_of), month)["K2"].point("2020-12")
    assert f"{forecast.value:.1f}".replace(".", ",") + " %" in text
    assert "Datenstand 20.07.2020" in text or "Datenstand 19.07.2020" in text


def test_a_store_being_written_is_a_clear_error(store_file, tmp_path):
    """While another process writes the store (an import), reading commands say so and exit 2,
    without a traceback."""
    import shutil
    import textwrap

    locked = tmp_path / "locked.duckdb"
    shutil.copy(store_file, locked)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(locked)!r})
        print("open", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        for args in (["report", "monthly", "--month", "2020-06", "--out", str(tmp_path / "o")],
                     ["indicators", "--month", "2020-06"]):
            r = amip(*args, "--store", str(locked))
            assert r.returncode == 2, r.stderr
            assert "von einem anderen amip-Vorgang geschrieben" in r.stderr
            assert "Traceback" not in r.stderr
    finally:
        holder.kill()
        holder.wait()


def test_without_month_the_latest_complete_month(store_file, tmp_path):
    """The synthetic store's data reach 31.12.2020, its benefit rows November 2020: the report
    without --month is November's, the month the dashboard opens on."""
    r = amip("report", "monthly", "--store", str(store_file), "--out", str(tmp_path),
             "--format", "html")
    assert r.returncode == 0, r.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["monatsbericht-2020-11-03504.html"]
    assert "Monatsbericht November 2020" in (tmp_path / "monatsbericht-2020-11-03504.html"
                                             ).read_text(encoding="utf-8")


def test_programme_without_year_the_newest_the_data_allow(store_file, tmp_path):
    """Data to 31.12.2020, complete to November 2020: the last complete December is 2019, so
    the newest programme is 2020's (built on 2019)."""
    from amip.engine.overview import programme_year

    assert [programme_year(2020 * 12 + m) for m in (10, 11)] == [2020, 2021]  # Nov, Dec 2020
    r = amip("report", "programme", "--store", str(store_file), "--out", str(tmp_path),
             "--format", "html")
    assert r.returncode == 0, r.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["programm-2020-03504.html"]
