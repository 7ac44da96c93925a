"""Reasons and scores: per person the calibrated probabilities of each target and the top feature
contributions in German words from the templates declared in amip/catalogue/risk.toml.

Contributions are on the model's log-odds scale: LightGBM's own ``pred_contrib=True`` (SHAP
values, no shap package), or for the logistic baseline coefficient × standardised value (the
deviation from the training mean). Only contributions that *raise* the risk are reasons; a
caseworker checks each against the file. The score supports a decision, never makes one.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from amip import i18n
from amip.engine.persons import caseloads
from amip.risk.features import History, frame_at, lza_population, risk_catalogue
from amip.risk.models import Fitted, RiskModel

TOP = 3
#: a reason must raise the log-odds by at least this much, and state something present (a flag
#: set, a count above 0): "nicht geringfügig beschäftigt" is no reason a caseworker can check
MIN_CONTRIBUTION = 0.05
MAIN_TARGET = "lzb_12"


def contributions(fitted: Fitted, x: pd.DataFrame) -> np.ndarray:
    """Per person and input: the contribution to the chosen model's log-odds."""
    xi = x[fitted.inputs]
    model = fitted.models[fitted.chosen]
    if fitted.chosen == "lightgbm":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return np.asarray(model.predict(xi, pred_contrib=True))[:, :-1]
    scaler, lr = model[0], model[-1]
    return scaler.transform(xi) * lr.coef_[0]


def reason_text(feature: str, value: float) -> str:
    """The declared German reason of a feature for a value (counts rounded, German format)."""
    f = risk_catalogue().features[feature]
    return f.reason.format(n=i18n.num(round(value))) if f.kind == "count" else f.reason


def reasons(fitted: Fitted, x: pd.DataFrame, top: int = TOP) -> list[list[dict]]:
    """Per person the ``top`` largest risk-raising contributions (:data:`MIN_CONTRIBUTION`, value
    present): feature, text, contribution."""
    c = contributions(fitted, x)
    values = x[fitted.inputs].to_numpy()
    out = []
    for i in range(len(x)):
        order = [j for j in np.argsort(-c[i], kind="stable")
                 if c[i, j] >= MIN_CONTRIBUTION and round(values[i, j]) > 0][:top]
        out.append([{"feature": fitted.inputs[j], "text": reason_text(fitted.inputs[j], values[i, j]),
                     "contribution": float(c[i, j])} for j in order])
    return out


def score(db, model: RiskModel, month: int, caseworker: str | None = None) -> list[dict]:
    """Every person of the population at ``month`` (ELB of the model's Jobcenter, not LZB, as
    known at the month's end), or of one caseworker's caseload: per target the calibrated
    probability (null where the person is outside the target's population, e.g. not
    arbeitslos for ``lza_12``), whether it reaches the audited threshold, and the reasons.
    Ordered by the main target's probability, highest first."""
    h = History(db, model.jobcenter_id, month)
    x = frame_at(h, month)
    if caseworker is not None:
        mine = caseloads(db, month).get(caseworker, frozenset())
        x = x[x.index.isin(sorted(mine))]
    cat = risk_catalogue()
    rows = {pid: {"person_id": pid, "month": month, "scores": {}, "flagged": {}, "reasons": {}}
            for pid in x.index}
    for target, fitted in model.targets.items():
        sub = x
        if cat.targets[target].kind == "lza":
            sub = lza_population(h, x, month)
        p = fitted.probability(sub) if len(sub) else np.array([])
        why = reasons(fitted, sub) if len(sub) else []
        threshold = fitted.audit.get("choice", {}).get("threshold")
        for i, pid in enumerate(sub.index):
            rows[pid]["scores"][target] = float(p[i])
            rows[pid]["flagged"][target] = None if threshold is None else bool(p[i] >= threshold)
            rows[pid]["reasons"][target] = why[i]
        for pid in x.index.difference(sub.index):
            rows[pid]["scores"][target] = None
            rows[pid]["flagged"][target] = None
            rows[pid]["reasons"][target] = []
    main = MAIN_TARGET if MAIN_TARGET in model.targets else next(iter(model.targets), None)
    return sorted(rows.values(), key=lambda r: (-(r["scores"].get(main) or 0), r["person_id"]))


def candidate_scores(db, store, month: int, target: str = MAIN_TARGET) -> dict[str, dict] | None:
    """For the Intensivbetreuung candidate list (amip/engine/care.py): person_id → {score,
    flagged, reasons: [German texts]} of one target at ``month``; None without a trained model
    (the list then shows no score: null with the reason "kein Frühwarnmodell")."""
    from amip.errors import NotFound
    from amip.risk.models import load_model

    try:
        model = load_model(store)
    except NotFound:
        return None
    return {r["person_id"]: {"score": r["scores"].get(target), "flagged": r["flagged"].get(target),
                             "reasons": [x["text"] for x in r["reasons"].get(target, [])]}
            for r in score(db, model, month)}
