"""Fairness audit of the early warning: per protected group (sex, citizenship, severe disability,
age group — never model inputs by default, declared in amip/catalogue/risk.toml ``[audit.*]``)
the selection rate, false-positive and false-negative rate, the observed rate and the mean
calibrated probability (calibration per group), each with a bootstrap interval (fairlearn
``MetricFrame``); the accuracy–equity trade-off across thresholds; the documented choice of the
threshold (:func:`choose_threshold`). And: how often caseworkers override, by group.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from amip.risk.features import risk_catalogue

THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]
MAX_EQUALIZED_ODDS_GAP = 0.10
N_BOOT = 100
CI = [0.025, 0.975]
MIN_GROUP = 50  # smaller groups: shown, marked small, left out of the gaps (their rates are noise)
THRESHOLD_RULE = (
    "Schwelle = die mit der höchsten balancierten Genauigkeit ((Trefferquote + Spezifität) / 2) "
    "unter denen, bei denen sich die Fehlerraten (FPR und FNR) zwischen den Gruppen (ab "
    f"{MIN_GROUP} Personen) jedes "
    f"geschützten Merkmals um höchstens {MAX_EQUALIZED_ODDS_GAP:.2f} ".replace(".", ",")
    + "unterscheiden "
    "(equalized-odds-Abstand); gibt es keine solche, die mit der höchsten balancierten "
    "Genauigkeit (und der Abstand wird ausgewiesen).")


def rates(y: np.ndarray, flagged: np.ndarray) -> dict:
    """Selection rate, FPR, FNR, TPR of one group (null where the denominator is 0)."""
    y, f = np.asarray(y).astype(bool), np.asarray(flagged).astype(bool)
    neg, pos = (~y).sum(), y.sum()
    return {"selection_rate": float(f.mean()) if len(f) else None,
            "fpr": float((f & ~y).sum() / neg) if neg else None,
            "fnr": float((~f & y).sum() / pos) if pos else None,
            "tpr": float((f & y).sum() / pos) if pos else None}


def _gap(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return max(values) - min(values) if len(values) > 1 else None


def tradeoff(y: np.ndarray, p: np.ndarray, groups: pd.DataFrame,
             thresholds: list[float] = THRESHOLDS, min_group: int = MIN_GROUP) -> list[dict]:
    """Per threshold: overall accuracy, balanced accuracy, selection rate, and per protected
    attribute the largest gap between its groups in selection rate and in FPR/FNR
    (equalized-odds gap = the larger of the two). Groups under ``min_group`` persons take no
    part in the gaps (their rates are noise; the group table shows them, marked small)."""
    y = np.asarray(y)
    out = []
    for t in thresholds:
        f = np.asarray(p) >= t
        r = rates(y, f)
        row = {"threshold": t, "accuracy": float((f == y.astype(bool)).mean()),
               "balanced_accuracy": None if r["tpr"] is None or r["fpr"] is None
               else (r["tpr"] + 1 - r["fpr"]) / 2,
               "selection_rate": r["selection_rate"], "gaps": {}}
        for attr in groups.columns:
            per = [rates(y[m], f[m]) for m in _masks(groups[attr]) if m.sum() >= min_group]
            eo = [_gap([g["fpr"] for g in per]), _gap([g["fnr"] for g in per])]
            eo = [v for v in eo if v is not None]
            row["gaps"][attr] = {"selection_rate": _gap([g["selection_rate"] for g in per]),
                                 "equalized_odds": max(eo) if eo else None}
        out.append(row)
    return out


def _masks(col: pd.Series) -> list[np.ndarray]:
    return [(col == v).to_numpy() for v in sorted(col.dropna().unique())]


def choose_threshold(rows: list[dict]) -> dict:
    """The documented choice (:data:`THRESHOLD_RULE`): the row chosen, and whether the
    equity constraint could be met."""
    def eo(row):
        gaps = [g["equalized_odds"] for g in row["gaps"].values() if g["equalized_odds"] is not None]
        return max(gaps) if gaps else 0.0

    usable = [r for r in rows if r["balanced_accuracy"] is not None]
    fair = [r for r in usable if eo(r) <= MAX_EQUALIZED_ODDS_GAP]
    pool = fair or usable
    best = max(pool, key=lambda r: (r["balanced_accuracy"], -r["threshold"]))
    return {"threshold": best["threshold"], "constraint_met": bool(fair),
            "equalized_odds_gap": eo(best), "balanced_accuracy": best["balanced_accuracy"],
            "rule": THRESHOLD_RULE}


def _mean_probability(y_true, y_pred, p):
    return float(np.mean(p))


def _observed(y_true, y_pred):
    return float(np.mean(y_true))


METRICS = ("selection_rate", "fpr", "fnr", "observed", "mean_probability")
#: the German names of the metrics, wherever a person reads them (CLI, the page Frühwarnung)
METRIC_LABELS = {"selection_rate": "Auswahlquote", "fpr": "Falsch-positiv-Rate",
                 "fnr": "Falsch-negativ-Rate", "observed": "beobachtete Quote",
                 "mean_probability": "mittlere Wahrscheinlichkeit"}
#: the models' German names
MODEL_LABELS = {"lightgbm": "LightGBM", "logistic": "Logistische Regression (Basis)"}


def group_sums(y: np.ndarray, flagged: np.ndarray, p: np.ndarray, codes: np.ndarray,
               n_groups: int) -> dict[str, np.ndarray]:
    """The five metrics per group from sums (bincount): the arithmetic the bootstrap repeats.
    ``codes`` may span several draws (group + draw × n_groups); NaN where a denominator is 0."""
    size = int(n_groups if codes.size == 0 else max(n_groups, codes.max() + 1))
    n = np.bincount(codes, minlength=size).astype(float)
    pos = np.bincount(codes, weights=y, minlength=size)
    neg = n - pos
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"selection_rate": np.bincount(codes, weights=flagged, minlength=size) / n,
                "fpr": np.bincount(codes, weights=flagged * (1 - y), minlength=size) / neg,
                "fnr": np.bincount(codes, weights=(1 - flagged) * y, minlength=size) / pos,
                "observed": pos / n,
                "mean_probability": np.bincount(codes, weights=p, minlength=size) / n}


def by_group(y: np.ndarray, p: np.ndarray, attr: pd.Series, threshold: float,
             n_boot: int = N_BOOT, seed: int = 0) -> list[dict]:
    """Per group of one attribute: n, selection rate, FPR, FNR, observed rate, mean probability
    (the values: fairlearn ``MetricFrame``), each with a bootstrap interval [2,5 %, 97,5 %]
    (``n_boot`` resamples of all persons, percentiles; numpy, since MetricFrame's own bootstrap
    took a minute per attribute)."""
    from fairlearn.metrics import (MetricFrame, false_negative_rate, false_positive_rate,
                                   selection_rate)

    y = np.asarray(y).astype(float)
    p = np.asarray(p, dtype=float)
    flagged = (p >= threshold).astype(float)
    labels = attr.astype(str).to_numpy()
    metrics = {"selection_rate": selection_rate, "fpr": false_positive_rate,
               "fnr": false_negative_rate, "observed": _observed,
               "mean_probability": _mean_probability}
    mf = MetricFrame(metrics=metrics, y_true=y.astype(int), y_pred=flagged.astype(int),
                     sensitive_features=labels, sample_params={"mean_probability": {"p": p}})
    values = mf.by_group
    groups = list(values.index)
    codes = pd.Index(groups).get_indexer(labels)
    ci = {}
    if n_boot:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(y), (n_boot, len(y)))
        draw_codes = (codes[idx] + np.arange(n_boot)[:, None] * len(groups)).ravel()
        sums = group_sums(y[idx].ravel(), flagged[idx].ravel(), p[idx].ravel(), draw_codes,
                          n_boot * len(groups))
        for m in METRICS:
            per = sums[m][:n_boot * len(groups)].reshape(n_boot, len(groups))
            with warnings.catch_warnings():  # a group absent from every draw: no interval
                warnings.simplefilter("ignore", RuntimeWarning)
                ci[m] = np.nanquantile(per, CI, axis=0) if per.size else None
    counts = pd.Series(labels).value_counts()
    out = []
    for i, group in enumerate(groups):
        row = {"group": str(group), "n": int(counts[group]),
               "small": bool(counts[group] < MIN_GROUP)}
        for m in METRICS:
            v = values.loc[group, m]
            row[m] = None if pd.isna(v) else float(v)
            if n_boot:
                a, b = ci[m][0][i], ci[m][1][i]
                row[m + "_ci"] = None if np.isnan(a) or np.isnan(b) else [float(a), float(b)]
        out.append(row)
    return out


def audit_target(test: pd.DataFrame, p: np.ndarray, seed: int = 0,
                 n_boot: int = N_BOOT) -> dict:
    """The audit of one target on its test slice: the trade-off, the chosen threshold and every
    protected attribute's groups at that threshold (labels from the catalogue)."""
    attrs = list(risk_catalogue().audit)
    y = test.y.to_numpy()
    groups = test[attrs].reset_index(drop=True)
    rows = tradeoff(y, p, groups)
    choice = choose_threshold(rows)
    return {"tradeoff": rows, "choice": choice,
            "groups": {a: by_group(y, p, groups[a], choice["threshold"], n_boot, seed)
                       for a in attrs}}


def override_rates(decisions: list[dict], attributes: pd.DataFrame) -> dict:
    """Per protected attribute and group: decisions, overrides (``abweichen``) and their share
    (null without decisions). ``decisions``: rows with person_id and decision; ``attributes``:
    indexed by person_id with the audit columns."""
    d = pd.DataFrame(decisions, columns=["person_id", "decision"])
    out = {}
    for attr in risk_catalogue().audit:
        col = attributes[attr] if attr in attributes else pd.Series(dtype=str)
        g = d.person_id.map(col).fillna("unbekannt")
        rows = []
        for group in sorted(g.unique()):
            sel = d[g == group]
            n, k = len(sel), int((sel.decision == "abweichen").sum())
            rows.append({"group": group, "decisions": n, "overrides": k,
                         "override_rate": k / n if n else None})
        out[attr] = rows
    return out


def decision_attributes(db, decisions: list) -> pd.DataFrame:
    """The audit attributes of the persons decided on, at the Stichtag of each decision's
    scoring month (persons, age group, severe disability: the engine's population queries);
    indexed by person_id (a person decided on in several months: the latest month's)."""
    from amip.engine.calendar import parse_month, stichtag
    from amip.engine.population import age_group, flagged, with_age

    frames = []
    by_month: dict[str, set[str]] = {}
    for d in decisions:
        by_month.setdefault(d.month, set()).add(d.person_id)
    for month in sorted(by_month):
        day = stichtag(parse_month(month))
        ids = sorted(by_month[month])
        t = db.table("persons").select("person_id")
        t = age_group(with_age(db, t.filter(t.person_id.isin(ids)), day))
        sb = flagged(db, day, "severely_disabled").mutate(sb=True)
        t = t.left_join(sb, "person_id").select("person_id", "sex", "age_group", "sb")
        df = t.to_pyarrow().to_pandas()
        cit = db.table("persons").select("person_id", "citizenship")
        df = df.merge(cit.filter(cit.person_id.isin(ids)).to_pyarrow().to_pandas(), "left")
        df["severely_disabled"] = np.where(df.sb.eq(True), "ja", "nein")
        frames.append(df.drop(columns="sb"))
    if not frames:
        return pd.DataFrame(columns=["sex", "citizenship", "severely_disabled", "age_group"])
    return pd.concat(frames).drop_duplicates("person_id", keep="last").set_index("person_id")
