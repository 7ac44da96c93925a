"""Targets in the reports (issue 12 item 6): the programme's chapter 3 (3.1 geschäftspolitische,
3.2 lokale, 3.3 kommunale Ziele) and the Monatsbericht's section 2 (Ampel, Zielnachhaltung, Ist
gegen Zielpfad, lights by Standort).

Every figure is a :class:`~amip.attainment.records.StatusRecord` of
:func:`amip.attainment.status.target_status` (the function behind ``amip targets status``),
computed once per report for all units; the curves of the charts come from
:func:`amip.attainment.curve.target_curve`. The targets come in as a
:class:`amip.steering.inputs.StatusInputs` (duck-typed) that the shell reads from the steering
store beside the extract store; without one, the sections keep their grey boxes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from amip import charts, i18n
from amip.attainment.curve import CurvePoint, target_curve
from amip.attainment.records import StatusRecord
from amip.attainment.status import target_status
from amip.catalogue import load
from amip.catalogue.targets import MeasureDef, light_thresholds, measure_definitions
from amip.disclosure import DEFAULT_RULE
from amip.engine.calendar import month_start
from amip.reports.model import Chart, Column, ReportTable, Row

#: light → what a report shows: a symbol (distinct in black and white) and the word
LIGHTS = {"green": "● grün", "yellow": "◆ gelb", "red": "▲ rot", "grey": "○ grau"}
STATUS = {"vereinbart": "vereinbart", "in_abstimmung": "in Abstimmung"}
SEXES = {"all": "", "w": "Frauen", "m": "Männer"}  # in this order
NO_VALUE = "derzeit in Abstimmung"
#: the chapter of the programme each scope of targets.toml goes to
SCOPES = {"gesetzlich": "3.1", "lokal": "3.2", "kommunal": "3.3"}
#: the measures whose Ist gegen Zielpfad the Monatsbericht draws
CHART_MEASURES = ("K2", "integrations")


@dataclass
class TargetFigures:
    """The targets of a year and their Zielnachhaltung in ``month`` (None: the data hold no
    month of the year yet), for the Jobcenter, each Standort and each team."""
    year: int
    jobcenter_id: str
    targets: list
    measures: dict[str, MeasureDef]
    month: int | None
    records: list[StatusRecord] = field(default_factory=list)
    curves: dict[str, list[CurvePoint]] = field(default_factory=dict)

    def measure(self, measure_id: str) -> MeasureDef:
        return self.measures[measure_id]

    def record(self, measure: str, sex: str = "all", unit_id: str | None = None
               ) -> StatusRecord | None:
        return next((r for r in self.records if r.measure == measure and r.sex == sex
                     and r.unit_id == unit_id), None)

    def own(self, scope: str | None = None) -> list:
        """The targets of the Jobcenter and the units' own targets (of a scope): the Jobcenter
        first, then by measure (§ 48a codes in catalogue order, ``integrations`` after K2,
        then the declared and the user-defined measures) and sex (all, Frauen, Männer)."""
        order = {m: i for i, m in enumerate(measure_definitions())}
        order["integrations"] = order.get("K2", 0) + 0.5
        return sorted((t for t in self.targets
                       if scope is None or self.measure(t.measure).scope == scope),
                      key=lambda t: (t.unit_id is not None, t.unit_id or "",
                                     order.get(t.measure, len(order)), t.measure,
                                     list(SEXES).index(t.sex) if t.sex in SEXES else 9))


def target_figures(db, inputs, jobcenter_id: str, month: int | None,
                   with_expectation: bool = True,
                   curves: tuple[str, ...] = ()) -> TargetFigures | None:
    """The Zielnachhaltung of the targets in ``inputs`` (a ``StatusInputs`` of one year) of
    one Jobcenter in ``month`` — one :func:`target_status` call for all units; ``curves``: the
    measures (sex all, Jobcenter) whose :func:`target_curve` the charts need. None without
    inputs."""
    if inputs is None:
        return None
    measures = {**measure_definitions(), **(inputs.measures or {})}
    targets = [t for t in inputs.targets if t.jobcenter_id == jobcenter_id
               and int(t.year) == inputs.year and not getattr(t, "withdrawn", False)]
    tf = TargetFigures(inputs.year, jobcenter_id, targets, measures, month)
    if not targets or month is None:
        return tf
    tf.records = [r for r in target_status(db, targets, month, None, inputs.measure_values,
                                           inputs.plans, with_expectation=with_expectation,
                                           measures=inputs.measures)
                  if r.jobcenter_id == jobcenter_id]
    for measure in curves:
        t = next((t for t in targets if t.measure == measure and t.unit_id is None
                  and t.sex == "all"), None)
        if t is not None:
            tf.curves[measure] = target_curve(db, t, month, inputs.measures,
                                              inputs.measure_values,
                                              [x.measure for x in targets])
    return tf


# -- formatting ---------------------------------------------------------------------------------

def target_text(md: MeasureDef, value) -> str:
    """A target value as agreed: ``23,4 %``, ``1.141``, ``−10,8 %`` (a change), ``5.000 €``;
    ``derzeit in Abstimmung`` without a value."""
    if value is None:
        return NO_VALUE
    if md.kind == "stock":
        return i18n.signed_pct(float(value))
    if md.unit == "percent":
        return i18n.pct(float(value), 1 if md.kind == "quota" else _digits(value))
    if md.unit == "eur":
        return i18n.eur(value)
    return i18n.by_kind(value, "number")


def followed_unit(md: MeasureDef) -> str:
    """The unit of the Ist and the Zielpfad: JFW or rate in %, a count, a stock, euros."""
    if md.kind in ("quota", "level") and md.unit == "percent":
        return "%"
    return "€" if md.unit == "eur" else "Personen"


def measure_label(md: MeasureDef, sex: str = "all", unit: str | None = None) -> str:
    label = f"{md.id} {md.name}" if md.source == "catalogue" and md.id != "integrations" \
        else md.name
    if SEXES.get(sex):
        label += f" ({SEXES[sex]})"
    return f"{label} – {unit}" if unit else label


def light_text(r: StatusRecord | None) -> str:
    return LIGHTS["grey"] if r is None else LIGHTS[r.light]


def _digits(value) -> int:
    return 0 if float(value) == int(float(value)) else 1


def _shown(md: MeasureDef, x: float | None):
    """A figure of a report table: whole euros (as the § 48a tables show euro sums)."""
    if x is None:
        return None
    return round(x) if md.unit == "eur" else x


def _small(md: MeasureDef, r: StatusRecord | None, public: bool) -> bool:
    """A published count of persons of 1–2 (the Ist; the gap would reveal it too)."""
    return public and r is not None and md.unit == "persons" \
        and md.kind in ("count", "stock") and DEFAULT_RULE.hides(r.actual)


def _thresholds() -> str:
    """``grün ab 100 %, gelb ab 97 %`` from the thresholds of targets.toml."""
    t = light_thresholds()
    return (f"grün ab {i18n.pct(float(t.green) * 100, 0)}, gelb ab "
            f"{i18n.pct(float(t.yellow) * 100, 0)}")


def _month_label(month: int) -> str:
    return i18n.month(month_start(month))


def _expected(md: MeasureDef, r: StatusRecord | None) -> str | None:
    """Median (lower–upper) of the year-end expectation: % with one decimal, counts and euros
    whole."""
    if r is None or r.expected is None:
        return None
    digits = 1 if followed_unit(md) == "%" else 0

    def fmt(x):
        return i18n.by_kind(x, "number", digits)
    if r.expected_lower is None or r.expected_upper is None:
        return fmt(r.expected)
    return f"{fmt(r.expected)} ({fmt(r.expected_lower)}–{fmt(r.expected_upper)})"


def _reasons(rows: list[tuple[str, StatusRecord | None]]) -> str:
    """Each reason once, with the rows it applies to (§10.2: no missing value without why)."""
    by: dict[str, list[str]] = {}
    for label, r in rows:
        for part in (r.reason or "").split("; ") if r is not None else ():
            if part:
                by.setdefault(part, []).append(label)
    return " ".join(f"{'; '.join(labels)}: {reason}." for reason, labels in by.items())


# -- the programme, chapter 3 -------------------------------------------------------------------

def last_year(md: MeasureDef, sex: str, indicators: dict) -> float | None:
    """The result of the reference year y−1 that a target of year y is compared with: the
    value of a § 48a code in December y−1 (K2: JFW(Dec) = the twelve months Jan..Dec; K3: the
    change of the LZB stock), for a count of the catalogue (``integrations``) the numerator of
    the code counting that fact (K2: Integrationen Jan..Dec y−1). Other measures: None."""
    cat = load()
    if md.source != "catalogue":
        return None
    if md.id in cat.indicators:
        r = indicators.get((md.id, sex))
        return r.value if r else None
    code = next((c for c, ind in cat.indicators.items()
                 if ind.numerator == md.fact and ind.form == "rolling_quota"), None)
    r = indicators.get((code, sex)) if code else None
    return r.numerator if r else None


def goals_table(tf: TargetFigures, indicators: dict, source: str) -> ReportTable:
    """3.1: the agreed values of year y (Jobcenter; K2, K2 Frauen/Männer, Integrationen, K3,
    further codes) beside the result of y−1 and the status."""
    y = tf.year
    rows = []
    for t in [t for t in tf.own("gesetzlich") if t.unit_id is None]:
        md = tf.measure(t.measure)
        before = last_year(md, t.sex, indicators)
        unit = "Veränderung in %" if md.kind == "stock" else followed_unit(md)
        rows.append(Row(measure_label(md, t.sex), [
            unit, NO_VALUE if t.value is None else float(t.value),
            None if before is None else _shown(md, before), STATUS.get(t.status, t.status)],
            level=0 if t.sex == "all" else 1))
    return ReportTable(
        "ziele-geschaeftspolitisch", f"Geschäftspolitische Ziele {y}",
        [Column("Einheit", "text"), Column(f"Zielwert {y}", "number"),
         Column(f"Ergebnis {y - 1}", "number"), Column("Status", "text")],
        rows, stub="Ziel", source=source,
        note=f"Ergebnis {y - 1}: Integrationsquote und weitere Quoten im Dezember {y - 1} "
             f"(zwölf Monate Januar bis Dezember), Integrationen Januar bis Dezember {y - 1}, "
             f"Veränderungsraten (K3: Bestand an Langzeitleistungsbeziehenden) Dezember {y - 1} "
             f"gegenüber dem Vorjahresmonat.")


def scope_table(tf: TargetFigures, scope: str, title: str, source: str,
                public: bool = True) -> ReportTable | None:
    """3.2/3.3: the local or municipal targets with Zielwert (or ``derzeit in Abstimmung``),
    the latest Ist, Zielpfad and light, and the status; None where none exist."""
    targets = tf.own(scope)
    if not targets:
        return None
    when = _month_label(tf.month) if tf.month is not None else None
    rows, reasons = [], []
    for t in targets:
        md = tf.measure(t.measure)
        r = tf.record(t.measure, t.sex, t.unit_id)
        row = Row(measure_label(md, t.sex, t.unit_id), [
            followed_unit(md), target_text(md, t.value),
            _shown(md, r.actual) if r else None, _shown(md, r.path) if r else None,
            light_text(r) if when else "–", STATUS.get(t.status, t.status)])
        if _small(md, r, public):
            row.suppressed.add(2)
        rows.append(row)
        reasons.append((row.label, r))
    note = (f"Ist: kumuliert Januar bis {when} (Anzahlen, Beträge) bzw. Wert im {when} "
            f"(Quoten); Zielpfad: der Stand, der im {when} erreicht sein müsste, wenn das Jahr "
            f"genau das Ziel erreicht; Ampel nach dem Verhältnis von Ist und Zielpfad "
            f"({_thresholds()})." if when else
            f"Für {tf.year} liegen noch keine Monatsdaten vor: Ist und Ampel folgen im "
            f"Monatsbericht.")
    return ReportTable(
        f"ziele-{scope}", title,
        [Column("Einheit", "text"), Column(f"Zielwert {tf.year}", "text"),
         Column(f"Ist {when}" if when else "Ist", "number"), Column("Zielpfad", "number"),
         Column("Ampel", "text"), Column("Status", "text")],
        rows, stub="Ziel", source=source, note=" ".join(filter(None, [note, _reasons(reasons)])))


def goal_placeholders(tf: TargetFigures | None, indicators: dict) -> dict:
    """``{{ targets.* }}`` of the chapter texts: the agreed K2, Integrationen and K3 of the year
    (``–`` where none) and ``sentence``, the seed's wording generated from the targets ("Ziel ist
    es, in 2020 mindestens 1.141 Integrationen und damit eine Integrationsquote von 23,4 Prozent
    zu erreichen. … den Bestand der LZB um 10,8 Prozent zu senken.")."""
    year = tf.year if tf else None
    jc = {(t.measure, t.sex): t for t in (tf.own("gesetzlich") if tf else [])
          if t.unit_id is None}
    k2, n, k3 = jc.get(("K2", "all")), jc.get(("integrations", "all")), jc.get(("K3", "all"))

    def number(t, digits=1):
        return i18n.num(float(t.value), digits) if t is not None and t.value is not None \
            else None

    parts = []
    if k2 is not None or n is not None:
        if number(n, 0) and number(k2):
            parts.append(f"Ziel ist es, in {year} mindestens {number(n, 0)} Integrationen und "
                         f"damit eine Integrationsquote von {number(k2)} Prozent zu erreichen"
                         f"{_pending(k2, n)}.")
        elif number(k2):
            parts.append(f"Ziel ist es, in {year} eine Integrationsquote von mindestens "
                         f"{number(k2)} Prozent zu erreichen{_pending(k2)}.")
        elif number(n, 0):
            parts.append(f"Ziel ist es, in {year} mindestens {number(n, 0)} Integrationen zu "
                         f"erreichen{_pending(n)}.")
        else:
            parts.append(f"Der Zielwert der Integrationsquote für {year} ist derzeit in "
                         f"Abstimmung.")
        before = indicators.get(("K2", "all"))
        if number(k2) and before is not None and before.value:
            change = (float(k2.value) / before.value - 1) * 100
            parts.append(f"Gegenüber {year - 1} ({i18n.pct(before.value)}) verändert sich die "
                         f"Integrationsquote damit um {i18n.signed_pct(change)}.")
    by_sex = [f"für {label} {number(jc[('K2', s)])} Prozent{_pending(jc[('K2', s)])}"
              for s, label in (("w", "Frauen"), ("m", "Männer")) if number(jc.get(("K2", s)))]
    if by_sex:
        parts.append(f"Nach Geschlecht: {' und '.join(by_sex)}.")
    if k3 is not None:
        v = number(k3)
        if v is None:
            parts.append("Der Zielwert für den Bestand an Langzeitleistungsbeziehenden ist "
                         "derzeit in Abstimmung.")
        else:
            value = float(k3.value)
            verb = ("um " + i18n.num(abs(value), 1) + " Prozent zu senken") if value < 0 else \
                ("konstant zu halten" if value == 0 else
                 "um höchstens " + i18n.num(value, 1) + " Prozent steigen zu lassen")
            parts.append(f"Ziel ist es, den Bestand der LZB {verb}{_pending(k3)}.")
    if not parts:
        parts.append(f"Zielwerte für {year} sind noch nicht erfasst." if year else
                     "Zielwerte sind noch nicht erfasst.")
    return {"sentence": " ".join(parts),
            "k2": target_text(measure_definitions()["K2"], k2.value) if k2 else "–",
            "integrations": target_text(measure_definitions()["integrations"], n.value)
            if n else "–",
            "k3": target_text(measure_definitions()["K3"], k3.value) if k3 else "–"}


def _pending(*targets) -> str:
    return " (Zielwert in Abstimmung)" if any(
        t is not None and t.status == "in_abstimmung" for t in targets) else ""


# -- the Monatsbericht, section 2 ---------------------------------------------------------------

def jfw_columns(tf: TargetFigures | None, code: str) -> list:
    """Ziel, Zielpfad, Abstand and Ampel of a code's JFW row (Jobcenter, all persons):
    from the month's status record; ``kein Ziel`` where the code has none."""
    r = tf.record(code) if tf else None
    if r is None:
        return [None, None, None, "kein Ziel"]
    return [r.target, r.path, r.gap, light_text(r)]


def attainment_table(tf: TargetFigures, source: str, public: bool) -> ReportTable:
    """Zielnachhaltung: every target of the Jobcenter and every own target of a unit with Ist,
    Zielpfad, Abstand absolute and in %, Ampel and (internal) the year-end expectation."""
    label = _month_label(tf.month)
    rows, reasons = [], []
    for t in tf.own():
        md = tf.measure(t.measure)
        r = tf.record(t.measure, t.sex, t.unit_id)
        values = [followed_unit(md), target_text(md, t.value),
                  _shown(md, r.actual) if r else None, _shown(md, r.path) if r else None,
                  _shown(md, r.gap) if r else None, r.gap_percent if r else None,
                  light_text(r)]
        if not public:
            values.append(_expected(md, r))
        row = Row(measure_label(md, t.sex, t.unit_id), values,
                  level=0 if t.sex == "all" and t.unit_id is None else 1)
        if _small(md, r, public):
            row.suppressed |= {2, 4, 5}
        rows.append(row)
        reasons.append((row.label, r))
    columns = [Column("Einheit", "text"), Column("Zielwert", "text"), Column("Ist", "number"),
               Column("Zielpfad", "number"), Column("Abstand", "number"),
               Column("Abstand in %", "change_pct"), Column("Ampel", "text")]
    if not public:
        columns.append(Column("Erwartung Dezember (80-%-Intervall)", "text"))
    return ReportTable(
        "zielnachhaltung", f"Zielnachhaltung {tf.year}, Stand {label}", columns, rows,
        stub="Ziel", source=source, note=" ".join(filter(None, [
            "Ist: Jahresfortschrittswert (Quoten), Summe Januar bis Berichtsmonat (Anzahlen, "
            "Beträge), Bestand am Stichtag (Veränderungsziele) bzw. Monatswert (Fehlerquoten "
            f"und andere Obergrenzen). Abstand = Ist − Zielpfad; Ampel: {_thresholds()} des "
            "Zielpfads (wo weniger besser ist: des Verhältnisses Zielpfad zu Ist).",
            None if public else "Erwartung: Median und 80-%-Intervall der Prognose für "
                                "Dezember.",
            _reasons(reasons)])))


def standort_table(tf: TargetFigures, units: list[dict]) -> ReportTable | None:
    """The lights by Standort, compact: one row per target of the Jobcenter (all persons),
    one column for the Jobcenter and each Standort."""
    keys = [(t.measure, t.sex) for t in tf.own() if t.unit_id is None and t.sex == "all"]
    names = {u["unit_id"]: u.get("name") or u["unit_id"] for u in units}
    standorte = sorted({r.unit_id for r in tf.records if r.level == "standort"})
    if not keys or not standorte:
        return None
    rows = [Row(measure_label(tf.measure(m)), [light_text(tf.record(m, s, u))
                                              for u in [None, *standorte]]) for m, s in keys]
    return ReportTable(
        "ziele-standorte", f"Ampeln je Standort, {_month_label(tf.month)}",
        [Column("Jobcenter", "text"), *(Column(names.get(u, u), "text") for u in standorte)],
        rows, stub="Ziel",
        note="Standorte ohne eigenes Ziel: Quoten, Bestände und Obergrenzen mit dem Zielwert "
             "des Jobcenters; Anzahlen mit der Summe der vereinbarten Teampläne (grau ohne "
             "Teamplan).")


def attainment_charts(tf: TargetFigures, source: str, public: bool) -> list[Chart]:
    """Ist gegen Zielpfad for K2 (Jahresfortschrittswert) and Integrationen (Jan..m), the
    internal version with the year-end expectation and its 80 % interval in December."""
    out = []
    for measure, curve in tf.curves.items():
        md = tf.measure(measure)
        actual = [{"monat": f"{p.month}-15", "wert": p.actual} for p in curve
                  if p.actual is not None]
        path = [{"monat": f"{p.month}-15", "wert": p.path} for p in curve if p.path is not None]
        r = tf.record(measure)
        forecast = None
        if not public and r is not None and r.expected is not None:
            forecast = [{"monat": f"{tf.year}-12-15", "wert": r.expected,
                         "untere": r.expected_lower, "obere": r.expected_upper}]
        kind = "pct" if followed_unit(md) == "%" else "count"
        what = "Jahresfortschrittswert in %" if md.kind == "quota" else \
            "kumuliert seit Januar"
        out.append(Chart(
            f"ziel-{measure.lower()}", f"{measure_label(md)}: Ist gegen Zielpfad {tf.year} "
            f"({what})", charts.line_series(actual, plan=path, forecast=forecast, kind=kind,
                                            plan_label="Zielpfad", zero=md.kind == "count"),
            actual + path + (forecast or []), source=source,
            note="" if forecast is None else
            "Prognose: Erwartung für Dezember mit 80-%-Intervall."))
    return [c for c in out if c.data]


def month_of_year(latest: int | None, year: int) -> int | None:
    """The status month of a programme year: the latest month with complete data (an index),
    at most December of the year; None when the data hold no month of it."""
    if latest is None:
        return None
    m = min(latest, year * 12 + 11)
    return m if m // 12 == year else None


__all__ = ["TargetFigures", "target_figures", "goals_table", "scope_table", "goal_placeholders",
           "attainment_table", "standort_table", "attainment_charts", "jfw_columns",
           "month_of_year", "LIGHTS"]
