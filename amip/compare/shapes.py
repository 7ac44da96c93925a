"""The shapes of the comparison's results (stable: the web, the API and the CLI read them).

All values of a measure are in percent as the engine gives them (change rates signed); a value
that does not exist is None and carries a German ``reason``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

LEVELS = ("national", "land", "vergleichstyp")
BY = ("vergleichstyp", "land")
VERDICTS = ("besser als erwartet", "schlechter als erwartet", "im Rahmen")


@dataclass(frozen=True)
class Figure:
    """One measure of one Jobcenter (or of an aggregate) in one month."""
    code: str
    value: float | None
    numerator: float | int | None
    denominator: float | int | None
    reason: str | None = None


@dataclass(frozen=True)
class JobcenterFigures:
    """A Jobcenter with its attributes, framework conditions and its figures (code -> Figure)."""
    jobcenter_id: str
    name: str
    land: str | None
    kind: str                                  # ge | zkt
    vergleichstyp: str | None
    conditions: dict[str, float | None]        # unemployment_rate, urbanity, foreign_share
    figures: dict[str, Figure]


@dataclass(frozen=True)
class Aggregate:
    """The figures of a group of Jobcenter from summed counts (Σ numerators / Σ denominators)."""
    level: str                                 # national | land | vergleichstyp
    key: str | None                            # the Land or Vergleichstyp; None for national
    jobcenters: int                            # how many Jobcenter it sums
    figures: dict[str, Figure]


@dataclass(frozen=True)
class Comparison:
    """All Jobcenter and the aggregates for one month and sex."""
    month: str                                 # YYYY-MM
    sex: str                                   # all | m | w
    rules: str                                 # the rule version of the month
    measures: tuple[str, ...]
    rows: list[JobcenterFigures]
    aggregates: list[Aggregate]

    def row(self, jobcenter_id: str) -> JobcenterFigures:
        for r in self.rows:
            if r.jobcenter_id == jobcenter_id:
                return r
        raise KeyError(jobcenter_id)

    def aggregate(self, level: str, key: str | None = None) -> Aggregate:
        for a in self.aggregates:
            if a.level == level and a.key == key:
                return a
        raise KeyError((level, key))


@dataclass(frozen=True)
class Rank:
    """The place of one Jobcenter for one measure within its Vergleichstyp or Land.
    ``rank`` 1 is best (direction of the measure), ties share the lowest rank; None (with
    ``reason``) when the Jobcenter has no value or no group."""
    code: str
    by: str                                    # vergleichstyp | land
    group: str | None
    jobcenter_id: str
    value: float | None
    rank: int | None
    of: int                                    # Jobcenter ranked in the group
    direction: str                             # higher | lower (is better)
    reason: str | None = None

    def as_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Coefficient:
    """One regressor's effect on the log rate (a change of one unit multiplies the expected
    rate by exp(estimate)), with its confidence interval."""
    name: str                                  # "const" or a regressor of compare.toml
    label: str                                 # German
    estimate: float
    lower: float
    upper: float
    p_value: float


@dataclass(frozen=True)
class Fit:
    """The regression of one measure for one month over all Jobcenter with a value."""
    month: str
    n: int                                     # Jobcenter in the fit
    r2: float | None                           # share of deviance explained: 1 − D / D_null
    dispersion: float                          # negbin: α (Var Z = μ + α μ²); quasipoisson: φ
    coefficients: list[Coefficient]
    reason: str | None = None                  # why there is no fit (too few Jobcenter)
    model: str = "negbin"                      # negbin | quasipoisson (the one fitted)


@dataclass(frozen=True)
class Expectation:
    """Expected vs actual for one Jobcenter and month; ``verdict`` only when the prediction
    interval excludes the actual, else "im Rahmen"; all None with ``reason`` otherwise."""
    jobcenter_id: str
    month: str
    actual: float | None
    expected: float | None
    lower: float | None                        # prediction interval of the value (level)
    upper: float | None
    residual: float | None                     # actual − expected (percentage points)
    log_ratio: float | None                    # log(actual rate / expected rate): the ranking key
    verdict: str | None
    reason: str | None = None


@dataclass(frozen=True)
class Stability:
    """How the residuals of consecutive months agree."""
    month: str                                 # the later month
    previous: str
    n: int                                     # Jobcenter with a residual in both
    spearman: float | None                     # rank correlation of the log ratios
    verdict_kept: float | None                 # share of Jobcenter whose verdict stays


@dataclass(frozen=True)
class Benchmark:
    """Expected vs actual of one measure over months."""
    measure: str
    level: float                               # interval level, e.g. 0.9
    regressors: tuple[str, ...]
    labels: dict[str, str]                     # regressor -> German label
    fits: list[Fit]                            # one per month
    rows: list[Expectation]                    # per Jobcenter and month
    stability: list[Stability] = field(default_factory=list)

    def fit(self, month: str) -> Fit:
        return next(f for f in self.fits if f.month == month)


@dataclass(frozen=True)
class PeerMeasure:
    """One measure of one Jobcenter among its peers (same Vergleichstyp)."""
    code: str
    figure: Figure
    rank_vergleichstyp: Rank
    rank_land: Rank
    peers: int                                 # Jobcenter of the Vergleichstyp with a value
    median: float | None
    q1: float | None
    q3: float | None
    expectation: Expectation | None            # for the benchmarked measures


@dataclass(frozen=True)
class PeerPosition:
    """One Jobcenter and month among its peers."""
    jobcenter: JobcenterFigures
    month: str
    measures: list[PeerMeasure]
