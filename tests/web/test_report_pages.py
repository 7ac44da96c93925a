"""The page "Berichte": the reports of `amip report` as downloads, per role."""

from __future__ import annotations

import subprocess

from amip.engine.calendar import parse_month
from amip.engine.indicators import compute


def test_the_page_offers_the_latest_months_and_programmes(client_as):
    page = client_as("ifk").get("/berichte")
    assert page.status_code == 200 and 'href="/berichte"' in page.text
    assert 'href="/berichte/monatsbericht-2020-11.pdf"' in page.text  # latest complete month
    assert 'href="/berichte/monatsbericht-2019-12.xlsx"' in page.text  # twelve months back
    assert "monatsbericht-2019-11" not in page.text
    assert 'href="/berichte/programm-2020.pdf"' in page.text and "programm-2021" not in page.text
    assert "Geheimhaltung" in client_as("lz").get("/berichte").text
    assert "Geheimhaltung" not in page.text


def test_controlling_downloads_the_monatsbericht_as_pdf(client_as, default_store, tmp_path):
    r = client_as("ctl").get("/berichte/monatsbericht-2020-11.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert 'filename="monatsbericht-2020-11.pdf"' in r.headers["content-disposition"]
    (tmp_path / "m.pdf").write_bytes(r.content)
    text = subprocess.run(["pdftotext", str(tmp_path / "m.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    k2 = next(x for x in compute(default_store.view(), [parse_month("2020-11")], codes=["K2"])
              if x.sex == "all")
    assert "Monatsbericht November 2020" in text
    assert f"{k2.value:.1f}".replace(".", ",") + " %" in text


def test_roles_under_disclosure_control_get_the_published_version(client_as):
    """Lesezugriff gets the published Monatsbericht (disclosure control applied), Controlling
    the internal one: the workbooks' Definitionen sheet says which."""
    import io
    import zipfile

    def shared_strings(client) -> str:
        r = client.get("/berichte/monatsbericht-2020-11.xlsx")
        assert r.status_code == 200 and r.content[:2] == b"PK"
        return zipfile.ZipFile(io.BytesIO(r.content)).read("xl/sharedStrings.xml").decode()

    published, internal = "öffentlich (mit Geheimhaltung kleiner Werte)", "intern – nicht"
    lz, ctl = shared_strings(client_as("lz")), shared_strings(client_as("ctl"))
    assert published in lz and internal not in lz
    assert internal in ctl and published not in ctl


def test_only_offered_reports_are_built(client_as):
    c = client_as("ctl")
    for name in ("monatsbericht-2031-01.pdf", "monatsbericht-2019-11.pdf", "programm-2030.pdf",
                 "programm-2020.docx", "../etc/passwd", "monatsbericht-2020-1.pdf"):
        assert c.get(f"/berichte/{name}").status_code == 404, name
