"""measure_paths (all simulated paths at once) gives exactly what measure gives path by path.

The forecasts and the backtest compute K2, K3, … on 100–1,000 simulated paths; measure_paths
runs the forms once on arrays. Every form is checked against the path-by-path loop, bit for bit, on
paths that include a zero denominator (no value: NaN) and a known part shared by all paths.
"""

import zlib

import numpy as np
import pytest

from amip.catalogue import load
from amip.engine.measures import measure, measure_paths

N_PATHS = 7
T = 2020 * 12 + 5  # June 2020
CUT = T - 3  # months up to March are known to all paths, April.. simulated
#: the measures whose path 0 (all simulated values 0) has a zero denominator: K3E2 reads the LZB
#: stock of June itself, the mean rates the stock of simulated months; the quotas' and K3's
#: denominators include known months (K3: June 2019)
NO_VALUE_IN_PATH_0 = {"K3E2", "K1E3", "K1E4", "K3E4"}


def _paths(fact: str) -> np.ndarray:
    """Simulated counts for months CUT+1..T: fractional (as the models give them), and in
    path 0 every value 0, so the denominators of that path are 0."""
    rng = np.random.default_rng(zlib.crc32(fact.encode()))
    x = rng.uniform(0, 50, (T - CUT, N_PATHS)).round(3)
    x[:, 0] = 0.0
    return x


def _known(fact: str, m: int) -> int:
    return (m * 7 + len(fact) * 13) % 40 + 1  # integer counts, never 0


@pytest.mark.parametrize("code", ["K2", "K2E3", "K3", "K3E2", "K1E3", "K1E4", "K3E4"])
@pytest.mark.parametrize("jfw", [False, True])
def test_measure_paths_equals_path_by_path(code, jfw):
    ind = load().indicators[code]
    if jfw and ind.form not in ("rolling_quota", "rolling_ratio"):
        pytest.skip("no Jahresfortschrittswert for this form")
    sims = {f: _paths(f) for f in {ind.numerator, ind.denominator}}

    def get_all(fact, m):
        return _known(fact, m) if m <= CUT else sims[fact][m - CUT - 1]

    got = measure_paths(ind, get_all, T, N_PATHS, jfw=jfw)
    want = []
    for p in range(N_PATHS):
        def get(fact, m, p=p):
            return _known(fact, m) if m <= CUT else float(sims[fact][m - CUT - 1, p])
        v = measure(ind, get, T, jfw=jfw).value
        want.append(np.nan if v is None else v)
    want = np.array(want)
    # the same float operations: equal bit for bit, NaN where the loop has no value
    assert np.array_equal(got, want, equal_nan=True), (code, got, want)
    assert np.isnan(got[0]) == (code in NO_VALUE_IN_PATH_0)
    assert np.isfinite(got[1:]).all()

def test_measure_paths_all_known_is_the_scalar_value():
    """A month whose inputs all paths know: every path gets the one value."""
    ind = load().indicators["K2"]
    v = measure(ind, _known, CUT).value
    got = measure_paths(ind, lambda f, m: _known(f, m), CUT, N_PATHS)
    assert got.tolist() == [v] * N_PATHS
