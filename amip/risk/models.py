"""Models of the early warning: LightGBM against a logistic-regression baseline, per target.

Time split (no look-ahead): the scoring months are cut into a test slice (the latest four with
labels), a calibration slice (four before, whose horizon ends before the first test month) and
the training months (horizon ends before the first calibration month). Both models are fitted on
the training months, calibrated (Platt: a logistic regression on the model's log-odds, which
keeps the order, so the AUC is the model's own) on the calibration slice and compared on the test
slice: AUC, Brier score, calibration curve. LightGBM is used for a target only where it beats the
baseline on the test slice (higher AUC and a Brier score no worse); otherwise the baseline is. The
model used is exactly the one evaluated. Fixed seeds, one thread: the same data give the same
model.

The trained model is saved beside the store (``<store>.risk/model.joblib`` and ``model.json``
with data state, scoring months, metrics and the fairness audit) and reloaded for scoring.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from amip.engine.calendar import format_month, parse_month
from amip.errors import NotFound
from amip.risk.features import History, dataset, lza_months, lzb_months, risk_catalogue

SEED = 20261202
STEP = 3  # months between scoring dates used for training
SLICE = 4  # scoring dates in the calibration and in the test slice
FIRST_YEARS = 3  # history (years from the data's start) before the first training month
MAX_DATES = 24  # at most this many scoring dates (the latest): six years at STEP 3
MIN_GAIN_AUC = 0.0  # LightGBM must have a higher AUC than the baseline and a Brier no worse
CALIBRATION_BINS = 10


@dataclass
class Fitted:
    """One target's fitted models and what the evaluation found."""
    target: str
    inputs: list[str]
    chosen: str  # lightgbm | logistic
    models: dict  # kind -> fitted estimator (raw)
    platt: dict  # kind -> calibrator on the raw log-odds
    metrics: dict  # kind -> {auc, brier, n, positives, calibration: [...]}
    months: dict  # train / calibration / test -> ["YYYY-MM", ...]
    audit: dict = field(default_factory=dict)

    def raw_logit(self, kind: str, x: pd.DataFrame) -> np.ndarray:
        m = self.models[kind]
        if kind == "lightgbm":
            return m.predict(x[self.inputs], raw_score=True)
        return m.decision_function(x[self.inputs])

    def probability(self, x: pd.DataFrame, kind: str | None = None) -> np.ndarray:
        """Calibrated probability of the chosen (or named) model."""
        kind = kind or self.chosen
        z = self.raw_logit(kind, x).reshape(-1, 1)
        return self.platt[kind].predict_proba(z)[:, 1]


@dataclass
class RiskModel:
    jobcenter_id: str
    data_state: str
    trained_at: str
    seed: int
    with_protected: bool
    targets: dict[str, Fitted]

    def metadata(self) -> dict:
        """What model.json holds: everything but the fitted objects (JSON numbers unrounded)."""
        return {
            "jobcenter_id": self.jobcenter_id, "data_state": self.data_state,
            "trained_at": self.trained_at, "seed": self.seed,
            "with_protected": self.with_protected,
            "targets": {k: {"name": risk_catalogue().targets[k].name,
                            "short": risk_catalogue().targets[k].short, "chosen": f.chosen,
                            "inputs": f.inputs, "months": f.months, "metrics": f.metrics,
                            "audit": f.audit}
                        for k, f in self.targets.items()},
        }


def model_dir(store: str | Path) -> Path:
    """Where the model of a store lives: ``<store without suffix>.risk/`` beside it."""
    store = Path(store)
    return store.with_name(store.stem + ".risk")


def save(model: RiskModel, store: str | Path) -> Path:
    d = model_dir(store)
    d.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, d / "model.joblib")
    (d / "model.json").write_text(json.dumps(model.metadata(), ensure_ascii=False, indent=1),
                                  encoding="utf-8")
    return d


def load_model(store: str | Path) -> RiskModel:
    path = model_dir(store) / "model.joblib"
    if not path.exists():
        raise NotFound(f"Kein Frühwarnmodell für {store}: erst `amip risk train` ausführen "
                       f"(erwartet {path}).")
    return joblib.load(path)


# -- splitting and fitting ---------------------------------------------------------------------

def split_months(months: list[int], horizon: int) -> dict[str, list[int]]:
    """Test = the last SLICE months; calibration = SLICE months whose horizon ends by the first
    test month; training = the months whose horizon ends by the first calibration month."""
    months = sorted(months)
    test = months[-SLICE:]
    cal = [m for m in months if m + horizon <= test[0]][-SLICE:]
    train = [m for m in months if cal and m + horizon <= cal[0]]
    return {"train": train, "calibration": cal, "test": test}


def _logistic(seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))


def _lightgbm(seed: int):
    from lightgbm import LGBMClassifier

    return LGBMClassifier(n_estimators=200, learning_rate=0.05, num_leaves=15,
                          min_child_samples=40, subsample=0.8, subsample_freq=1,
                          colsample_bytree=0.9, random_state=seed, deterministic=True,
                          force_row_wise=True, n_jobs=1, verbose=-1)


def _platt(z: np.ndarray, y: np.ndarray, seed: int):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(random_state=seed).fit(z.reshape(-1, 1), y)


def evaluate(y: np.ndarray, p: np.ndarray) -> dict:
    """AUC (null when only one class), Brier score and the calibration curve (deciles of the
    predicted probability: mean predicted, observed rate, persons)."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    y, p = np.asarray(y), np.asarray(p)
    auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None
    bins = pd.qcut(pd.Series(p).rank(method="first"), min(CALIBRATION_BINS, len(p)),
                   labels=False)
    curve = [{"predicted": float(p[bins == b].mean()), "observed": float(y[bins == b].mean()),
              "n": int((bins == b).sum())} for b in sorted(bins.unique())]
    return {"auc": auc, "brier": float(brier_score_loss(y, p)), "n": int(len(y)),
            "positives": int(y.sum()), "calibration": curve}


def fit_target(data: pd.DataFrame, target: str, inputs: list[str], seed: int = SEED) -> Fitted:
    """Fit, calibrate and compare both models for one target on ``dataset`` rows."""
    horizon = risk_catalogue().targets[target].horizon
    split = split_months(sorted(data.month.unique()), horizon)
    if not split["train"] or not split["calibration"]:
        raise NotFound(f"Zu wenige Bewertungsmonate für {target}: Training braucht Daten über "
                       f"mehr als {horizon + 2 * SLICE * STEP} Monate.")
    part = {k: data[data.month.isin(v)] for k, v in split.items()}
    train, cal, test = part["train"], part["calibration"], part["test"]
    fitted = Fitted(target, inputs, "logistic", {}, {}, {},
                    {k: [format_month(int(m)) for m in v] for k, v in split.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # LightGBM: feature names of a frame
        for kind, make in (("logistic", _logistic), ("lightgbm", _lightgbm)):
            fitted.models[kind] = make(seed).fit(train[inputs], train.y.to_numpy())
            fitted.platt[kind] = _platt(fitted.raw_logit(kind, cal), cal.y.to_numpy(), seed)
            fitted.metrics[kind] = evaluate(test.y.to_numpy(), fitted.probability(test, kind))
    fitted.chosen = choose(fitted.metrics)
    return fitted


def choose(metrics: dict) -> str:
    """LightGBM where it beats the baseline on the test slice (AUC higher, Brier no worse)."""
    lg, lr = metrics["lightgbm"], metrics["logistic"]
    if lg["auc"] is None or lr["auc"] is None:
        return "logistic"
    better = lg["auc"] > lr["auc"] + MIN_GAIN_AUC and lg["brier"] <= lr["brier"]
    return "lightgbm" if better else "logistic"


def training_months(h: History, first_month: int | None = None) -> list[int]:
    """Every STEP-th month from FIRST_YEARS after the data's first Stichtag to the last one with
    labels (the longest horizon decides which of them a target uses)."""
    last = h.last_label_month
    elb = h.raw["elb_spells"]
    if last is None or elb.empty:
        return []
    first = first_month if first_month is not None else _first_month(h) + 12 * FIRST_YEARS
    return list(range(last, first - 1, -STEP))[:MAX_DATES][::-1]


def _first_month(h: History) -> int:
    day = dt.date(1970, 1, 1) + dt.timedelta(days=int(h.raw["elb_spells"].recorded_on.min()))
    return day.year * 12 + day.month - 1


def train(db, jobcenter_id: str, targets: list[str] | None = None,
          with_protected: bool = False, seed: int = SEED, first_month: int | None = None,
          audit: bool = True) -> RiskModel:
    """Train every target (or those named) for one Jobcenter from a store view; the fairness
    audit (:func:`amip.risk.audit.audit_target`) runs on each target's test slice."""
    from amip.risk.audit import audit_target

    cat = risk_catalogue()
    targets = targets or list(cat.targets)
    h = History(db, jobcenter_id)
    months = training_months(h, first_month)
    inputs = cat.inputs(with_protected)
    states: dict[str, dict] = {}
    out = {}
    for target in targets:
        t = cat.targets[target]
        if t.kind not in states and months:
            rng = range(months[0] + 1, (h.last_label_month or months[-1]) + 1)
            states[t.kind] = (lzb_months if t.kind == "lzb" else lza_months)(h, rng)
        data = dataset(h, months, target, states.get(t.kind))
        if data.empty:
            raise NotFound(f"Keine Bewertungsmonate mit bekanntem Ausgang für {target}.")
        fitted = fit_target(data, target, inputs, seed)
        if audit:
            test = data[data.month.isin([parse_month(s) for s in fitted.months["test"]])]
            fitted.audit = audit_target(test, fitted.probability(test), seed=seed)
        out[target] = fitted
    return RiskModel(jobcenter_id, db.data_state(), dt.datetime.now(dt.timezone.utc).isoformat(
        timespec="seconds"), seed, with_protected, out)
