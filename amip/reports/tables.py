"""Report tables shared by the programme and the Monatsbericht."""

from __future__ import annotations

from amip import i18n
from amip.catalogue import load
from amip.engine.calendar import month_start
from amip.engine.comparison import RULE_MARK, incomparable
from amip.engine.indicators import Record
from amip.engine.quality_rules import rule_light
from amip.reports.disclosure import hidden_of
from amip.reports.model import Column, ReportTable, Row

Records = dict[tuple[str, str], Record]  # (code, sex) -> record


def indicator_table(table_id: str, title: str, now: Records, before: Records, source: str,
                    codes: list[str] | None = None, note: str = "", warning: str = "",
                    hidden: dict[tuple, set[str]] | None = None) -> ReportTable:
    """The § 48a measures with Zähler, Nenner, value, Vorjahr and the value by sex; ``warning``
    is added to the note, and so is the reason of each figure that does not exist. ``hidden`` (from
    :func:`amip.reports.disclosure.hidden_fields`, for published reports) marks the cells
    whose counts disclosure control hides, and the values derived from them."""
    cat = load()
    rows, breaks = [], []
    missing: dict[str, list[str]] = {}  # reason -> codes (§10.2: no value without its reason)
    for code in codes or list(cat.indicators):
        for label, rec in (("", now.get((code, "all"))), (" (Vorjahr)", before.get((code, "all")))):
            if rec is not None and rec.reason:
                missing.setdefault(rec.reason, []).append(code + label)
        ind = cat.indicators[code]
        r, b = now.get((code, "all")), before.get((code, "all"))
        name = ind.name_under(cat.rules[r.rules]) if r and r.rules else ind.name
        w, m = now.get((code, "w")), now.get((code, "m"))
        # records carry plain numbers (compute turns euro Decimals into floats); euros in whole
        def shown(x, euros=ind.unit == "EUR"):
            return round(x) if euros and x is not None else x

        reason = incomparable(code, r.rules, b.rules) if r and b else None
        if reason:  # the change cell says why it is empty; the note gives the footnote
            breaks.append(f"({len(breaks) + 1}) {reason}")
        row = Row(f"{code} {name}", [
            shown(r.numerator) if r else None, shown(r.denominator) if r else None,
            r.value if r else None, b.value if b else None,
            f"{RULE_MARK} ({len(breaks)})" if reason else _difference(r, b),
            w.value if w else None, m.value if m else None],
            level=0 if ind.kind == "Kennzahl" else 1, total=ind.kind == "Kennzahl")
        now_gone, before_gone = hidden_of(hidden, r), hidden_of(hidden, b)
        row.suppressed |= {i for i, f in ((0, "numerator"), (1, "denominator"), (2, "value"))
                           if f in now_gone}
        row.suppressed |= {3} if before_gone else set()
        row.suppressed |= {4} if now_gone or before_gone else set()
        row.suppressed |= {i for i, x in ((5, w), (6, m)) if hidden_of(hidden, x)}
        rows.append(row)
    return ReportTable(
        table_id, title,
        [Column("Zähler", "number"), Column("Nenner", "number"), Column("Wert in %", "pct"),
         Column("Vorjahr in %", "pct"), Column("Veränderung in Prozentpunkten", "number"),
         Column("Frauen in %", "pct"), Column("Männer in %", "pct")],
        rows, stub="Kennzahl", source=source,
        note=" ".join(filter(None, [
            note or "Veränderungsraten (K1, K1E1, K1E2, K3): (Zähler / Nenner − 1) × 100. "
                    "Zähler und Nenner der Raten (K1E3, K1E4, K3E3, K3E4): Zwölfmonatssummen.",
            *breaks, warning, *(f"Kein Wert für {', '.join(which)}: {reason}."
                               for reason, which in missing.items())])))


def _difference(r: Record | None, b: Record | None) -> float | None:
    if r is None or b is None or r.value is None or b.value is None:
        return None
    return round(r.value - b.value, 1)



def by_key(records: list[Record], month: str, unit_id: str | None = None,
           basis: str = "month") -> Records:
    return {(r.code, r.sex): r for r in records
            if r.month == month and r.unit_id == unit_id and r.basis == basis}


LIGHT_WORDS = {"green": "grün", "yellow": "gelb", "red": "rot", "grey": "–"}


def rules_table(report, title: str, source: str, table_id: str = "pruefregeln") -> ReportTable:
    """The data-quality rules of a :class:`~amip.engine.quality_rules.QualityReport` (not the
    case-file checks, which have their own table): severity, flagged rows in the period and in
    its last month, light; a rule that is not checkable has no number."""
    rows = []
    for r in report.results:
        if r.rates is not None:
            continue  # the case-file checks have their own table
        light = LIGHT_WORDS[rule_light(r)[0]]
        rows.append(Row(r.rule.name, [
            r.rule.severity, r.flagged, None if r.flagged is None else r.trend.get(report.m_hi, 0),
            light if r.flagged is not None else "nicht prüfbar"]))
    return ReportTable(
        table_id, title,
        [Column("Schwere", "text"), Column("Auffälligkeiten"),
         Column(i18n.month(month_start(report.m_hi))), Column("Ampel", "text")],
        rows, stub="Prüfregel", source=source, public=False,
        note="Auffälligkeiten: Zeilen des Datenbestands, die eine Regel meldet (amip quality); "
             "Ampel grün ohne Auffälligkeit im letzten Monat, gelb höchstens so viele wie im "
             "Durchschnitt der Vormonate, rot mehr.")
