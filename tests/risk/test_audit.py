"""The fairness audit's arithmetic on a hand-made example (worked out in the comments)."""

import numpy as np
import pandas as pd
import pytest

from amip.risk.audit import (by_group, choose_threshold, group_sums, override_rates, rates,
                             tradeoff)

# ten persons, two groups; y = what happened, p = calibrated probability
#            a  a  a  a  a  b  b  b  b  b
Y = np.array([1, 1, 0, 0, 0, 1, 0, 0, 0, 0])
P = np.array([.9, .4, .6, .2, .1, .7, .8, .6, .3, .1])
G = pd.Series(list("aaaaabbbbb"))


def test_rates_of_one_group_by_hand():
    # group a at threshold 0.5: flagged = [1, 0, 1, 0, 0]
    # selection rate 2/5; positives 2 (one flagged: TP, one missed: FN) -> FNR 1/2, TPR 1/2;
    # negatives 3 (one flagged: FP) -> FPR 1/3
    r = rates(Y[:5], P[:5] >= 0.5)
    assert r == pytest.approx({"selection_rate": 0.4, "fpr": 1 / 3, "fnr": 0.5, "tpr": 0.5})
    # a group without positives has no FNR (null, not 0)
    assert rates(np.array([0, 0]), np.array([1, 0]))["fnr"] is None


def test_by_group_values_and_intervals():
    rows = {r["group"]: r for r in by_group(Y, P, G, 0.5, n_boot=200, seed=1)}
    a, b = rows["a"], rows["b"]
    # group b at 0.5: flagged = [1, 1, 1, 0, 0] -> selection 3/5; the one positive flagged ->
    # FNR 0; negatives 4, two flagged -> FPR 2/4
    assert (b["selection_rate"], b["fpr"], b["fnr"]) == pytest.approx((0.6, 0.5, 0.0))
    assert (a["selection_rate"], a["fpr"], a["fnr"]) == pytest.approx((0.4, 1 / 3, 0.5))
    # calibration: observed rate a = 2/5, mean probability a = (0.9+0.4+0.6+0.2+0.1)/5 = 0.44
    assert (a["observed"], a["mean_probability"]) == pytest.approx((0.4, 0.44))
    # b: observed 1/5, mean probability (0.7+0.8+0.6+0.3+0.1)/5 = 0.5
    assert (b["observed"], b["mean_probability"]) == pytest.approx((0.2, 0.5))
    assert a["n"] == 5 and a["small"]
    lo, hi = a["selection_rate_ci"]
    assert 0 <= lo <= 0.4 <= hi <= 1 and lo < hi
    # reproducible: the same seed gives the same interval
    again = {r["group"]: r for r in by_group(Y, P, G, 0.5, n_boot=200, seed=1)}
    assert again["a"]["selection_rate_ci"] == a["selection_rate_ci"]


def test_group_sums_span_several_draws():
    # the bootstrap's arithmetic: codes group + draw * groups; draw 0 = everything, draw 1 = the
    # first two persons of group a only ([1, 1] with flags [1, 0]): selection 1/2, FNR 1/2
    y = np.concatenate([Y, Y[:2]]).astype(float)
    f = np.concatenate([P >= .5, P[:2] >= .5]).astype(float)
    p = np.concatenate([P, P[:2]])
    codes = np.concatenate([np.where(G == "a", 0, 1), [2, 2]])
    s = group_sums(y, f, p, codes, 4)
    assert s["selection_rate"][:3] == pytest.approx([0.4, 0.6, 0.5])
    assert s["fnr"][2] == pytest.approx(0.5)
    assert np.isnan(s["fpr"][2]) and np.isnan(s["selection_rate"][3])  # no negatives / nobody


def test_tradeoff_and_threshold_choice():
    rows = {r["threshold"]: r for r in tradeoff(Y, P, pd.DataFrame({"g": G}), [0.5, 0.65],
                                                 min_group=1)}
    r = rows[0.5]
    # overall at 0.5: flagged 5 of 10; positives 3, flagged 2 -> TPR 2/3; negatives 7, flagged
    # 3 -> FPR 3/7; balanced accuracy (2/3 + 4/7) / 2 = 0.619...; accuracy (2 TP + 4 TN) / 10
    assert r["selection_rate"] == pytest.approx(0.5)
    assert r["balanced_accuracy"] == pytest.approx((2 / 3 + 4 / 7) / 2)
    assert r["accuracy"] == pytest.approx(0.6)
    # gaps a vs b: selection |0.4-0.6| = 0.2; FPR |1/3-1/2| = 1/6, FNR |0.5-0| = 0.5 -> EO 0.5
    assert r["gaps"]["g"]["selection_rate"] == pytest.approx(0.2)
    assert r["gaps"]["g"]["equalized_odds"] == pytest.approx(0.5)
    # at 0.65: a flags [.9] (TP), b flags [.7 TP, .8 FP]: TPR 2/3, FPR 1/7
    # a: FPR 0, FNR 1/2; b: FPR 1/4, FNR 0 -> EO gap max(1/4, 1/2) = 0.5
    r2 = rows[0.65]
    assert r2["balanced_accuracy"] == pytest.approx((2 / 3 + 6 / 7) / 2)
    # neither meets the 0.10 equity limit: the more accurate one (0.65) is chosen, flagged
    choice = choose_threshold(list(rows.values()))
    assert choice["threshold"] == 0.65 and not choice["constraint_met"]
    assert choice["equalized_odds_gap"] == pytest.approx(0.5)


def test_threshold_choice_prefers_the_fair_one():
    fair = {"threshold": 0.3, "balanced_accuracy": 0.7,
            "gaps": {"g": {"equalized_odds": 0.05, "selection_rate": 0.0}}}
    unfair = {"threshold": 0.5, "balanced_accuracy": 0.8,
              "gaps": {"g": {"equalized_odds": 0.3, "selection_rate": 0.0}}}
    choice = choose_threshold([fair, unfair])
    assert choice["threshold"] == 0.3 and choice["constraint_met"]


def test_override_rates_by_group():
    decisions = [{"person_id": "p1", "decision": "abweichen"},
                 {"person_id": "p2", "decision": "folgen"},
                 {"person_id": "p3", "decision": "abweichen"}]
    attrs = pd.DataFrame({"sex": ["w", "w", "m"], "citizenship": ["de", "de", "de"],
                          "severely_disabled": ["nein"] * 3, "age_group": ["25-54"] * 3},
                         index=pd.Index(["p1", "p2", "p3"], name="person_id"))
    out = {r["group"]: r for r in override_rates(decisions, attrs)["sex"]}
    # women: 2 decisions, 1 override -> 1/2; men: 1 of 1
    assert out["w"]["override_rate"] == 0.5 and out["m"]["override_rate"] == 1.0
    assert override_rates([], attrs)["sex"] == []


def test_small_groups_take_no_part_in_the_gaps():
    # with the default minimum of 30 persons, both groups of five are left out: no gap at all
    row = tradeoff(Y, P, pd.DataFrame({"g": G}), [0.5])[0]
    assert row["gaps"]["g"] == {"selection_rate": None, "equalized_odds": None}
