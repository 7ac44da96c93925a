"""Report tables of the customer-group monitor (:func:`amip.engine.group_monitor.group_monitor`):
the programme's chapter 5 (the reference year's figures, one table per group with its twelve
months) and the Monatsbericht's short table. For a published report pass the monitor's answer
through :func:`amip.disclosure.protect_groups` first (as the web does): its hidden cells are the
table's suppressed cells, and the reports' own control hides what is left small."""

from __future__ import annotations

from amip.reports.model import Column, ReportTable, Row

NOTE = ("Eine Person kann mehreren Gruppen angehören. Integrationsquote: Integrationen der letzten "
        "zwölf Monate je durchschnittlichem Bestand der zwölf Vormonate; Aktivierungsquote wie "
        "K3E2 (Maßnahmen der Aktivierungsliste am Stichtag).")


def _row(label: str, blocks: list[tuple[dict, str]]) -> Row:
    """A row of (figure block, key) cells; a sum of several months is hidden if one is."""
    values, hidden = [], set()
    for i, (fs, key) in enumerate(blocks):
        fs = fs if isinstance(fs, list) else [fs]
        if any(key in (f.get("suppressed") or []) for f in fs):
            values.append(None)
            hidden.add(i)
        else:
            values.append(sum(f[key] for f in fs) if len(fs) > 1 else fs[0][key])
    return Row(label, values, suppressed=hidden)


def _columns(year: bool) -> list[Column]:
    n = "im Jahr" if year else "im Monat"
    return [Column("Bestand"), Column(f"Zugänge {n}"), Column(f"Abgänge {n}"),
            Column(f"Integrationen {n}"), Column("Integrationen 12 Monate"),
            Column("Integrationsquote", "pct", derived_from=4),
            Column("LZB-Anteil", "pct", derived_from=0),
            Column("Aktivierungsquote", "pct", derived_from=0)]


def groups_table(id: str, title: str, data: dict, source: str, year: bool = False
                 ) -> ReportTable:
    """One row per group: the stock, LZB share and activation at the Berichtsmonat's Stichtag,
    the integration rate of the twelve months to it, and Zugänge, Abgänge, Integrationen of the
    month (``year``: summed over the twelve months of the trend, the reference year when the
    month is a December)."""
    rows = []
    for g in data["groups"]:
        f, trend = data["figures"][g["id"]], data["trend"][g["id"]]
        flows = trend if year else f
        rows.append(_row(g["name"], [(f, "stock"), (flows, "inflows"), (flows, "outflows"),
                                     (flows, "integrations"), (f, "integrations_12m"),
                                     (f, "integration_rate"), (f, "lzb_share"),
                                     (f, "activation_rate")]))
    return ReportTable(id, title, _columns(year), rows, stub="Kundengruppe", source=source,
                       note=NOTE)


def group_months_table(id: str, title: str, data: dict, group_id: str, source: str
                       ) -> ReportTable:
    """One group's twelve months of the trend: stock, Zugänge, Abgänge, Integrationen, LZB
    share and activation."""
    keys = ("stock", "inflows", "outflows", "integrations", "lzb_share", "activation_rate")
    rows = [_row(f"{t['month'][5:]}.{t['month'][:4]}", [(t, k) for k in keys])
            for t in data["trend"][group_id]]
    cols = [Column("Bestand"), Column("Zugänge"), Column("Abgänge"), Column("Integrationen"),
            Column("LZB-Anteil", "pct", derived_from=0),
            Column("Aktivierungsquote", "pct", derived_from=0)]
    return ReportTable(id, title, cols, rows, stub="Monat", source=source)
