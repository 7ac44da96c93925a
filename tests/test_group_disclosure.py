"""amip.disclosure.protect_groups on a hand-made monitor answer: what is hidden and why."""

from __future__ import annotations

from amip.disclosure import HIDDEN, protect_groups


def block(stock, inflows=0, outflows=0, integrations=0, lzb_share=None, active=None,
          integrations_12m=None):
    return {"stock": stock, "inflows": inflows, "outflows": outflows,
            "integrations": integrations, "integrations_12m": integrations_12m,
            "mean_stock_12m": 10.0, "integration_rate": None,
            "lzb_share": lzb_share, "activation_rate": active, "reasons": {}}


def answer():
    """One group g in 2020-06 with two units A and B and the "ohne Zuordnung" row R:
    stock 10 = A 2 + B 8 + R 0. Trend May → June: 9 + Zugänge 3 − Abgänge 2 = 10."""
    return {
        "month": "2020-06", "groups": [{"id": "g"}],
        "figures": {"g": block(10, inflows=3, outflows=2, lzb_share=50.0, active=30.0)},
        "units": [{"unit_id": "A", "figures": {"g": block(2, lzb_share=50.0)}},
                  {"unit_id": "B", "figures": {"g": block(8, inflows=3, outflows=2)}},
                  {"unit_id": "R", "figures": {"g": block(0)}}],
        "trend": {"g": [dict(block(9, inflows=4, outflows=4), month="2020-05"),
                        dict(block(10, inflows=3, outflows=2, lzb_share=50.0, active=30.0),
                             month="2020-06")]},
    }


def test_small_counts_and_what_reveals_them():
    out = protect_groups(answer())
    a, b, r = (u["figures"]["g"] for u in out["units"])
    # A's stock 2 is small; with the scope (10) and R (0) shown, B's 8 would give it: B hidden
    # too (the smallest visible non-zero part); A's LZB share (1 of 2) goes with its stock
    assert a["stock"] is None and b["stock"] is None and r["stock"] == 0
    assert "lzb_share" in a["suppressed"] and a["reasons"]["stock"] == HIDDEN
    # B's Abgänge 2 are small; A's and R's 0 and the scope's 2 would give them: the scope's
    # Abgänge (2, small itself) are hidden, and with them the trend's June point (the same cell)
    assert b["outflows"] is None and out["figures"]["g"]["outflows"] is None
    june = out["trend"]["g"][-1]
    assert june["outflows"] is None
    # June: stock 10 + Abgänge ? = stock(May) 9 + Zugänge 3 → Abgänge = 2 would follow: the
    # other part of "stock + Abgänge", June's stock 10, is hidden too (and A + B + R = 10 keeps
    # holding only hidden cells); the shares go with the hidden stock
    may, scope = out["trend"]["g"][0], out["figures"]["g"]
    assert june["stock"] is None and scope["stock"] is None and may["stock"] == 9
    assert scope["activation_rate"] is None and scope["lzb_share"] is None
    # the integration rate is not derived from the month's stock; the mean stock of its
    # denominator is never given
    assert "integration_rate" not in scope["suppressed"]
    assert all("mean_stock_12m" not in f for f in (a, b, r, june, may))


def test_the_answer_itself_is_not_changed():
    data = answer()
    protect_groups(data)
    assert data["units"][0]["figures"]["g"]["stock"] == 2
