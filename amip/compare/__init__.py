"""All Jobcenter compared: figures with aggregates, rankings, expected vs actual, peers (issue 16).

>>> c = figures(view, parse_month("2020-06"))                 # Comparison: rows + aggregates
>>> ranks = rankings(c, by="vergleichstyp")                   # list[Rank]
>>> b = expected(view, [parse_month("2020-06")], "K2")        # Benchmark: fits, rows, stability
>>> p = peers(view, parse_month("2020-06"), "03504")          # PeerPosition

The engine computes (one :func:`amip.engine.indicators.compute` call for all Jobcenter); this
package arranges, aggregates from counts, ranks and benchmarks; :func:`figure_records` gives
the flat JSON/CSV records the CLI and the API share. Which framework conditions and
measures the benchmark uses is declared in ``amip/catalogue/compare.toml``. Shapes:
:mod:`amip.compare.shapes`.
"""

from amip.compare.shapes import (BY, LEVELS, VERDICTS, Aggregate, Benchmark, Coefficient,
                                 Comparison, Expectation, Figure, Fit, JobcenterFigures,
                                 PeerMeasure, PeerPosition, Rank, Stability)
from amip.compare.figures import figures
from amip.compare.ranking import rankings
from amip.compare.expected import expected
from amip.compare.peers import peers
from amip.compare.records import EXPECTED_KEYS, FIGURE_KEYS, figure_records

__all__ = ["figures", "rankings", "expected", "peers", "figure_records", "FIGURE_KEYS",
           "EXPECTED_KEYS", "BY", "LEVELS", "VERDICTS", "Aggregate",
           "Benchmark", "Coefficient", "Comparison", "Expectation", "Figure", "Fit",
           "JobcenterFigures", "PeerMeasure", "PeerPosition", "Rank", "Stability"]
