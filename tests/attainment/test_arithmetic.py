"""Zielpfad, gap, light and the planning proposal as pure arithmetic (domain reference §11 items
33–34, 36; §12.1 items 44, 46, 48, 51). Every figure is worked out by hand in the comments."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amip.attainment import (PLAN_KEYS, STATUS_KEYS, PlanRecord, StatusRecord, gap, gap_percent,
                             largest_remainder, light, seasonal_share, split_amount, zielpfad)
from amip.catalogue.targets import light_thresholds, measure_definitions

MD = measure_definitions()
TH = light_thresholds()

pytestmark = pytest.mark.duckdb_only  # pure: no backend involved  # green 1.00, yellow 0.97 (targets.toml [lights])


def test_seasonal_share_is_the_mean_of_yearly_shares_not_a_pooled_quotient():
    # 2017: Jan..Jun = 2 of 4 → 1/2; 2018: 3 of 4 → 3/4; 2019: none at all → skipped (item 46)
    # s(6) = (1/2 + 3/4) / 2 = 5/8 (a pooled quotient would be 5/8 too here, so add 2016 below)
    years = {2017: [1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1],
             2018: [0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0],
             2019: [0] * 12}
    assert seasonal_share(years, 6) == Fraction(5, 8)
    # pooled would differ: 2017: 1 of 10 (Jan..Jun 1), 2018 3 of 4 → mean (1/10 + 3/4)/2 = 17/40,
    # pooled (1 + 3) / 14 = 2/7
    years[2017] = [1, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0]
    assert seasonal_share(years, 6) == Fraction(17, 40)
    assert seasonal_share(years, 12) == 1  # s(12) = 1


def test_seasonal_share_skips_incomplete_years_and_falls_back_to_m_over_12():
    # a year with a missing month or None is not complete (item 46); none left → m/12
    assert seasonal_share({2017: None, 2018: [1] * 11 + [None], 2019: [0] * 12}, 3) \
        == Fraction(3, 12)
    assert seasonal_share({}, 9) == Fraction(9, 12)
    with pytest.raises(ValueError):
        seasonal_share({}, 13)


def test_zielpfad_by_kind():
    # count: T × s(m) = 16 × 5/8 = 10
    assert zielpfad(MD["integrations"], Decimal(16), 6, Fraction(5, 8)) == 10
    # quota K2: 23.4 × 1/2 = 11.7
    assert zielpfad(MD["K2"], Decimal("23.4"), 6, Fraction(1, 2)) == Fraction("11.7")
    # stock K3, T = −10.8 %, S(Dec y−1) = 1000: P(6) = 1000 × (1 − 10.8/100 × 6/12) = 946
    assert zielpfad(MD["K3"], Decimal("-10.8"), 6, stock_prev_dec=1000) == 946
    assert zielpfad(MD["K3"], Decimal("-10.8"), 12, stock_prev_dec=1000) == 892  # S(12) target
    # stock without S(Dec y−1): no path (item 47); level: the constant T
    assert zielpfad(MD["K3"], Decimal("-10.8"), 6) is None
    assert zielpfad(MD["fehlerquote_kdu"], Decimal(5), 4) == 5
    # no target value (in Abstimmung, item 44): no path
    assert zielpfad(MD["integrations"], None, 6, Fraction(1, 2)) is None


def test_gap_and_gap_percent():
    # A = 9, P = 10: gap −1, gap % (9/10 − 1) × 100 = −10
    assert gap(9, 10) == -1
    assert gap_percent(9, 10) == -10
    assert gap_percent(3, 0) is None  # P = 0 (item 48)
    assert gap(None, 10) is None and gap_percent(9, None) is None


def test_lights_at_the_exact_edges_higher_is_better():
    # r = A/P: 1.00 exactly green, 0.97 exactly yellow, just below red (item 48)
    assert light("higher", Decimal(100), Decimal(100), TH) == "green"
    assert light("higher", Decimal("97"), Decimal(100), TH) == "yellow"
    assert light("higher", Decimal("96.99"), Decimal(100), TH) == "red"
    # floats by their decimal form: 0.97 × 23.4 = 22.698 → yellow, not lost to binary rounding
    assert light("higher", 22.698, 23.4, TH) == "yellow"
    # a path of 0 the Ist meets is green
    assert light("higher", 0, 0, TH) == "green"


def test_lights_at_the_exact_edges_lower_is_better():
    # r = P/A: P = 97, A = 100 → 0.97 yellow; A = 97, P = 97 → green; A = 101 → 97/101 < 0.97 red
    assert light("lower", Decimal(97), Decimal(97), TH) == "green"
    assert light("lower", Decimal(100), Decimal(97), TH) == "yellow"
    assert light("lower", Decimal(101), Decimal(97), TH) == "red"


def test_grey_without_ist_or_target():
    assert light("higher", None, 10, TH) == "grey"
    assert light("higher", 10, None, TH) == "grey"


def test_largest_remainder_worked_example():
    # G = 9, keys 160 and 60 (Σ 220): quotas 6.545… and 2.454…; floors 6 + 2 = 8, one unit left
    # → the larger remainder (0.545, t1)
    assert largest_remainder(9, {"t1": Decimal(160), "t2": Decimal(60)}) == {"t1": 7, "t2": 2}


def test_largest_remainder_ties_go_to_the_smaller_unit_id():
    # G = 5 over three equal keys: quotas 5/3 each, floors 1, two units left, all remainders
    # 2/3 → "a" and "b" (string order), not "c"
    assert largest_remainder(5, {"c": 1, "b": 1, "a": 1}) == {"a": 2, "b": 2, "c": 1}
    # string order: "t10" < "t9"
    assert largest_remainder(1, {"t9": 1, "t10": 1}) == {"t10": 1, "t9": 0}


def test_a_negative_gap_is_distributed_as_its_magnitude_and_negated():
    # G = −3 over a:1, b:1 → |G| = 3: 1.5 each, floors 1 + 1, the tie to "a" → a 2, b 1 → negated
    assert largest_remainder(-3, {"a": 1, "b": 1}) == {"a": -2, "b": -1}


def test_zero_keys_fall_back_to_equal_shares():
    assert largest_remainder(4, {"a": 0, "b": 0, "c": 0}) == {"a": 2, "b": 1, "c": 1}
    assert largest_remainder(0, {}) == {}
    with pytest.raises(ValueError):
        largest_remainder(1, {})


def test_split_amount_in_cents():
    # 100.01 € over three equal keys = 10001 cents: 3334, 3334, 3333 → the tie to a, b
    assert split_amount(Decimal("100.01"), {"a": 1, "b": 1, "c": 1}) == {
        "a": Decimal("33.34"), "b": Decimal("33.34"), "c": Decimal("33.33")}


@given(gap=st.integers(-10_000, 10_000),
       keys=st.dictionaries(st.text("abcdefgh", min_size=1, max_size=4),
                            st.integers(0, 10_000), min_size=1, max_size=12))
def test_largest_remainder_properties(gap, keys):
    parts = largest_remainder(gap, keys)
    assert sum(parts.values()) == gap  # the parts add up exactly
    total = sum(keys.values())
    ks = keys if total else {u: 1 for u in keys}
    total = sum(ks.values())
    for u, k in ks.items():  # each part within 1 of its exact quota
        assert abs(parts[u] - Fraction(gap * k, total)) < 1


def test_records_have_exactly_the_contract_keys():
    r = StatusRecord("03504", None, 2020, "2020-06", "K2", "all", 23.4, 20.0, 11.7, 8.3, 70.9,
                     "green", reason="Grund")
    assert tuple(r.as_json()) == STATUS_KEYS == (
        "jobcenter_id", "unit_id", "year", "month", "measure", "sex", "target", "actual", "path",
        "gap", "gap_percent", "light", "expected", "expected_lower", "expected_upper")
    p = PlanRecord("t1", "team", 2021, "integrations", 6.0, 13.3, 7.0, 13.0, None)
    assert tuple(p.as_json()) == PLAN_KEYS == ("unit_id", "level", "year", "measure", "planned",
                                               "key_value", "proposed", "total", "target")
