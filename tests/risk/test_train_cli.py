"""Training, scoring, decisions and the CLI's JSON on a small synthetic Jobcenter."""

import json

import pytest
from click.testing import CliRunner

from amip.cli.main import cli
from amip.engine.calendar import parse_month
from amip.risk.models import RiskModel, choose, split_months, train
from amip.risk.reasons import reason_text, score

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model(small_store) -> RiskModel:
    return train(small_store.view(), "03504", targets=["lzb_12"])


def test_time_split_has_no_look_ahead():
    months = list(range(parse_month("2014-03"), parse_month("2020-01"), 3))
    s = split_months(months, 12)
    # every training month's horizon ends by the first calibration month, and so on
    assert max(s["train"]) + 12 <= min(s["calibration"])
    assert max(s["calibration"]) + 12 <= min(s["test"])
    assert len(s["test"]) == 4 and s["test"][-1] == months[-1]


def test_lightgbm_only_where_it_beats_the_baseline():
    lr = {"auc": 0.80, "brier": 0.15}
    assert choose({"logistic": lr, "lightgbm": {"auc": 0.81, "brier": 0.15}}) == "lightgbm"
    assert choose({"logistic": lr, "lightgbm": {"auc": 0.81, "brier": 0.16}}) == "logistic"
    assert choose({"logistic": lr, "lightgbm": {"auc": 0.79, "brier": 0.10}}) == "logistic"


def test_training_is_deterministic_and_evaluated(small_store, model):
    again = train(small_store.view(), "03504", targets=["lzb_12"])
    f, g = model.targets["lzb_12"], again.targets["lzb_12"]
    assert f.metrics == g.metrics and f.chosen == g.chosen and f.audit == g.audit
    m = f.metrics[f.chosen]
    assert 0.5 < m["auc"] <= 1 and 0 <= m["brier"] < 0.25
    assert sum(b["n"] for b in m["calibration"]) == m["n"]
    assert f.audit["choice"]["threshold"] in [round(0.05 * i, 2) for i in range(1, 20)]
    assert set(f.audit["groups"]) == {"sex", "citizenship", "severely_disabled", "age_group"}


def test_scores_and_reasons(small_store, model):
    rows = score(small_store.view(), model, parse_month("2020-06"))
    assert rows and all(0 <= r["scores"]["lzb_12"] <= 1 for r in rows)
    ps = [r["scores"]["lzb_12"] for r in rows]
    assert ps == sorted(ps, reverse=True)
    top = rows[0]["reasons"]["lzb_12"]
    assert top and all(x["contribution"] > 0 for x in top)
    assert any("Leistungsbezug" in x["text"] for x in top)


def test_reason_texts_in_german():
    assert reason_text("elb_current_months", 19.0) == \
        "seit 19 Monaten ununterbrochen im Leistungsbezug"
    assert reason_text("llu_mean_6m", 1234.4) == \
        "Leistungen zum Lebensunterhalt zuletzt durchschnittlich 1.234 € im Monat"
    assert reason_text("measure_now", 1.0) == "nimmt derzeit an einer Maßnahme teil"


def _json(args):
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_cli_json(small_store_file):
    store = str(small_store_file)
    r = CliRunner().invoke(cli, ["risk", "score", "--store", store, "--month", "2020-06"])
    # no model yet: a German hint (main() prints an AmipError's message; the runner keeps it)
    assert r.exit_code != 0 and "amip risk train" in str(r.exception)
    trained = _json(["risk", "train", "--store", store, "--format", "json"])
    assert set(trained["targets"]) == {"lzb_6", "lzb_12", "lza_12"}
    for t in trained["targets"].values():
        assert t["chosen"] in ("lightgbm", "logistic")
        assert set(t["metrics"]) == {"lightgbm", "logistic"}
    scored = _json(["risk", "score", "--store", store, "--month", "2020-06", "--format", "json"])
    assert scored["month"] == "2020-06" and scored["model_outdated"] is False
    person = scored["persons"][0]
    assert set(person["scores"]) == {"lzb_6", "lzb_12", "lza_12"}
    # abweichen without a reason: refused, nothing written
    r = CliRunner().invoke(cli, ["risk", "decide", person["person_id"], "--store", store,
                                 "--month", "2020-06", "--decision", "abweichen", "--user", "anna"])
    assert r.exit_code != 0 and "Grund" in str(r.exception)
    d = _json(["risk", "decide", person["person_id"], "--store", store, "--month", "2020-06",
               "--decision", "abweichen", "--reason", "Arbeitsvertrag liegt vor", "--user",
               "anna", "--format", "json"])
    assert d["version"] == 1 and d["score"] == person["scores"]["lzb_12"]
    d = _json(["risk", "decide", person["person_id"], "--store", store, "--month", "2020-06",
               "--decision", "folgen", "--user", "anna", "--format", "json"])
    assert d["version"] == 2 and d["reason"] is None
    audit = _json(["risk", "audit", "--store", store, "--format", "json"])
    assert audit["decisions"] == 1  # the latest version per person counts
    assert sum(r["decisions"] for r in audit["overrides"]["sex"]) == 1
    assert sum(r["overrides"] for r in audit["overrides"]["sex"]) == 0
    groups = audit["targets"]["lzb_12"]["groups"]["sex"]
    assert all("selection_rate_ci" in g for g in groups)


def test_candidate_scores_for_the_care_list(small_store, model, tmp_path):
    from amip.risk.models import save
    from amip.risk.reasons import candidate_scores

    store = tmp_path / "amip.duckdb"
    assert candidate_scores(small_store.view(), store, parse_month("2020-06")) is None
    save(model, store)
    got = candidate_scores(small_store.view(), store, parse_month("2020-06"))
    assert got and all(0 <= v["score"] <= 1 for v in got.values())
    assert all(isinstance(t, str) for v in got.values() for t in v["reasons"])


def test_the_care_candidate_list_carries_the_score_and_reasons(small_store, model, tmp_path):
    """The Intensivbetreuung list (amip.engine.care) shows the early warning's score and reasons
    of exactly the persons the model scored; without a model the score is null with a reason."""
    from amip.engine.care import NO_SCORE, candidate_rows
    from amip.risk.models import save
    from amip.risk.reasons import candidate_scores

    view, month = small_store.view(), parse_month("2020-06")
    bare = candidate_rows(view, month)
    assert bare and all(r["score"] is None and r["score_reason"] == NO_SCORE for r in bare)
    store = tmp_path / "amip.duckdb"
    save(model, store)
    scores = candidate_scores(view, store, month)
    rows = candidate_rows(view, month, scores=scores)
    assert [r["person_id"] for r in rows] == [r["person_id"] for r in bare]
    for r in rows:
        want = scores.get(r["person_id"])
        assert r["score"] == (want["score"] if want else None)
        assert r["reasons"] == (want["reasons"] if want else [])
        assert r["score_reason"] == (None if want and want["score"] is not None
                                     else "nicht bewertet")
    assert any(r["score"] is not None for r in rows)
