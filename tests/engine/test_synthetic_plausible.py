"""On the synthetic Jobcenter Elbe-Elster the § 48a figures land where the real one's would.

Ranges (issue 4): K2 ≈ 20–26 % (the Bund's K2 was 24–27 % in 2011–2014, domain §7.2; the
synthetic Jobcenter has ≈ 1,150 Integrationen a year on ≈ 5,500 ELB), LZB share ≈ 70–80 %
(published: ≈ 77 % of ELB in Elbe-Elster).
"""

import pytest

from amip.engine.calendar import parse_month
from amip.engine.indicators import compute

pytestmark = pytest.mark.duckdb_only


@pytest.fixture(scope="module")
def december_2019(default_store):
    records = compute(default_store.view(), [parse_month("2019-12")])
    return {(r.code, r.sex): r for r in records}


def test_k2_is_plausible(december_2019):
    k2 = december_2019[("K2", "all")]
    assert 20 <= k2.value <= 26, k2
    assert 1_000 <= k2.numerator <= 1_400  # Integrationen Jan–Dec 2019
    assert 5_200 <= k2.denominator <= 5_900  # mean ELB stock Dec 2018–Nov 2019


def test_lzb_share_is_plausible(december_2019):
    k3, elb = december_2019[("K3", "all")], december_2019[("K1E2", "all")]
    share = k3.numerator / elb.numerator * 100  # LZB stock / ELB stock at ST(Dec 2019)
    assert 70 <= share <= 80, (k3.numerator, elb.numerator)


def test_falling_caseload_shows_in_the_change_rates(december_2019):
    """The synthetic stock falls year on year, as Elbe-Elster's did (9,282 → 5,485)."""
    assert december_2019[("K1E2", "all")].value < 0
    assert december_2019[("K3", "all")].value < 0


def test_every_value_exists_for_a_month_with_full_history(december_2019):
    missing = [k for k, r in december_2019.items() if r.value is None]
    assert missing == []
