"""The page "Frühwarnung" (``/fruehwarnung``, issue 15): the early warning's evaluation (model
against baseline, calibration) and fairness audit for Controlling, read from the trained model's
metadata beside the store (``amip risk train``), and the caseworkers' overrides by group. No
person-level data: who sees persons' scores is the Intensivbetreuung list's business."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from amip.errors import NotFound
from amip.risk.audit import METRIC_LABELS, METRICS, MODEL_LABELS, THRESHOLD_RULE
from amip.risk.features import risk_catalogue
from amip.risk.models import load_model
from amip.web.auth import page_user
from amip.web.pages import _discloses, _render, _services
from amip.web.risk import overrides
from amip.web.targets import steering_of

router = APIRouter(include_in_schema=False)


def risk_view(services, steering, hide: bool = True) -> dict:
    """What the page shows: per target the metrics of both models, the chosen one, the
    calibration deciles, the threshold and the group audit; the decisions recorded and the
    overrides by group (:func:`amip.web.risk.overrides`, small counts hidden for ``hide``)."""
    store = services.settings.store
    try:
        model = load_model(store)
    except NotFound as e:
        return {"model": None, "missing": str(e), "override_groups": {}}
    meta = model.metadata()
    decided = overrides(services, steering, hide)
    return {"model": meta, "catalogue": risk_catalogue(), "metric_labels": METRIC_LABELS,
            "metrics": METRICS, "model_labels": MODEL_LABELS, "rule": THRESHOLD_RULE,
            "decisions": decided["decisions"], "overrides": decided["overrides"],
            "override_groups": decided["groups"]}


@router.get("/fruehwarnung", response_class=HTMLResponse)
def risk_page(request: Request, user=Depends(page_user)):
    if not user.rights.risk_audit:
        raise HTTPException(403, f"Die Rolle {user.rights.label} sieht die Prüfung der "
                                 "Frühwarnung nicht (Recht risk_audit in roles.toml).")
    context = risk_view(_services(request), steering_of(request), _discloses(user))
    return _render(request, "fruehwarnung.html.j2", user, active="fruehwarnung", **context)
