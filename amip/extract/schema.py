"""The extract format, declared as data.

Every table of an amip extract is a :class:`Table` of :class:`Column` objects. The reader, the
validator, the store, the synthetic generator and the documentation test all read these
declarations; nothing else in amip lists columns or codes by hand.

The format itself is described for users in ``docs/extract-format.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["id", "text", "code", "date", "month", "amount", "int"]

#: Digits of a stored amount, and how many of them are cents: it holds less than 10^16 euros.
AMOUNT_PRECISION, AMOUNT_SCALE = 18, 2

#: DuckDB/SQL type a validated column is stored as.
SQL_TYPES: dict[str, str] = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "code": "VARCHAR",
    "date": "DATE",
    "month": "VARCHAR",  # 'YYYY-MM', kept as text so it sorts and compares as written
    "amount": f"DECIMAL({AMOUNT_PRECISION},{AMOUNT_SCALE})",  # exact euros and cents, never floats
    "int": "INTEGER",
}

#: A limit meaning the day the extract is validated (a parameter of ``validate``).
TODAY = "today"

#: The range (first, last; as written in the extract, or TODAY) a value must lie in, for kinds
#: that have one; a column may declare its own (:attr:`Column.limits`).
KIND_LIMITS: dict[str, tuple[str, str]] = {
    "date": ("1950-01-01", "2100-12-31"),
    "month": ("1950-01", "2100-12"),
}
EVENT = ("1950-01-01", TODAY)  # something that happened: not after the day of validation
BIRTH = ("1900-01-01", TODAY)
YEAR = ("2000", "2100")


@dataclass(frozen=True)
class Column:
    """One column: its name, kind, allowed codes, whether it may be empty, what it references."""

    name: str
    kind: ColumnKind
    codes: tuple[str, ...] = ()
    nullable: bool = False
    references: tuple[str, str] | None = None  # (table, column) the value must exist in
    description: str = ""
    added_by_amip: bool = False  # an optional column amip adds to the shared contract
    limits: tuple[str, str] | None = None  # overrides KIND_LIMITS
    signed: bool = False  # an amount that may be negative (where a row rule allows it)

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]

    @property
    def value_limits(self) -> tuple[str, str] | None:
        """The range a value must lie in (see :data:`KIND_LIMITS`), or None."""
        return self.limits or KIND_LIMITS.get(self.kind)


@dataclass(frozen=True)
class Table:
    """One extract table.

    ``key`` identifies a row; for tables with ``recorded_on`` a later row with the same key
    corrects an earlier one (domain reference §10.1 item 15), and two rows with the same key and
    the same ``recorded_on`` cannot be told apart (a "duplicate key"). ``unique`` tables
    (``jobcenters``, ``units``, ``persons``) must not repeat their key at all.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = False
    period: tuple[str, str] | None = None  # (from, to) columns that must be ordered
    description: str = ""
    optional_columns: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.name not in self.optional_columns)

    @property
    def has_recorded_on(self) -> bool:
        return "recorded_on" in self.column_names

    @property
    def unique_key(self) -> tuple[str, ...]:
        """Columns that must be unique together within one extract."""
        return self.key + (("recorded_on",) if self.has_recorded_on else ())

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


# -- codes ------------------------------------------------------------------------------------

JOBCENTER_KINDS = ("ge", "zkt")
#: optional columns of ``jobcenters``: framework conditions a Jobcenter cannot influence
FRAMEWORK_CONDITIONS = ("unemployment_rate", "urbanity", "foreign_share")
UNIT_LEVELS = ("jobcenter", "standort", "team")
#: The org tree is layered: a unit's parent has the level just above its own; the top level
#: has no parent. So no walk up the tree takes more than len(UNIT_LEVELS) steps.
PARENT_LEVEL: dict[str, str | None] = dict(zip(UNIT_LEVELS, (None, *UNIT_LEVELS[:-1])))
SEXES = ("m", "w", "d")
CITIZENSHIPS = ("de", "eu", "non_eu")
EDUCATIONS = ("none", "vocational", "academic", "unknown")
PERSON_FLAGS = ("severely_disabled", "rehabilitant", "refugee_context", "returner", "intensive_care")
BG_TYPES = ("single", "couple", "couple_children", "single_parent", "other")
ELB_STATUSES = ("elb", "nef")
BG_ROLES = ("head", "partner", "child", "other")
EMPLOYMENT_KINDS = ("sv", "apprenticeship", "self_employed", "marginal")
FUNDINGS = ("none", "egz", "esg", "16e", "esf_lza", "16i", "fav", "sta")
CASELOAD_ROLES = ("ifk", "fm", "u25", "reha", "other")
PROGNOSES = ("marktnah", "nicht_marktnah", "integriert", "nicht_erforderlich")
CONTACT_KINDS = ("beratung", "eingliederungsvereinbarung", "nachbetreuung", "other")
BUDGET_TITLES = ("egl", "vk", "kommunal")
BOOKING_KINDS = ("commitment", "payment", "release", "reallocation")
CHECK_AREAS = ("kdu", "but", "allegro")

#: Instruments of measure_spells, budget_plan and budget_bookings, with their German label.
INSTRUMENTS: dict[str, str] = {
    "vb": "Vermittlungsbudget § 44 SGB III",
    "mabe": "Aktivierung und berufliche Eingliederung § 45 SGB III",
    "fbw": "Berufliche Weiterbildung §§ 81 ff. SGB III",
    "ausbildung": "Berufsausbildung/EQ § 16 Abs. 1 Nr. 3 SGB II",
    "egz": "Eingliederungszuschuss §§ 88 ff. SGB III",
    "esg": "Einstiegsgeld § 16b SGB II",
    "16c": "Leistungen für Selbständige § 16c SGB II",
    "agh": "Arbeitsgelegenheiten § 16d SGB II",
    "16e": "Eingliederung von Langzeitarbeitslosen § 16e SGB II",
    "fav": "Förderung von Arbeitsverhältnissen § 16e SGB II a. F.",
    "16f": "Freie Förderung § 16f SGB II",
    "16h": "Förderung junger Menschen § 16h SGB II",
    "16i": "Teilhabe am Arbeitsmarkt § 16i SGB II",
    "16k": "Ganzheitliche Betreuung § 16k SGB II",
    "sta": "Soziale Teilhabe am Arbeitsmarkt",
    "esf_lza": "ESF-Programm Langzeitarbeitslose",
    "16a": "Kommunale Eingliederungsleistungen § 16a SGB II",
    "reha": "Berufliche Rehabilitation",
    "other": "Sonstige",
}
INSTRUMENT_CODES = tuple(INSTRUMENTS)


def _c(name: str, kind: ColumnKind, *codes: str, nullable: bool = False,
       ref: str | None = None, doc: str = "", amip: bool = False,
       limits: tuple[str, str] | None = None, signed: bool = False) -> Column:
    references = tuple(ref.split(".")) if ref else None
    return Column(name, kind, tuple(codes), nullable, references,  # type: ignore[arg-type]
                  doc, amip, limits, signed)


PERSON = dict(ref="persons.person_id")
RECORDED_ON = _c("recorded_on", "date", limits=EVENT, doc="date the row entered the source system")
VALID_FROM = _c("valid_from", "date", doc="first day, inclusive")
VALID_TO = _c("valid_to", "date", nullable=True, doc="last day, inclusive; empty = still open")

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "jobcenters",
            (
                _c("jobcenter_id", "id"),
                _c("name", "text"),
                _c("kind", "code", *JOBCENTER_KINDS),
                _c("land", "text", nullable=True),
                _c("vergleichstyp", "text", nullable=True),
                _c("unemployment_rate", "amount", nullable=True, amip=True,
                   doc="Arbeitslosenquote of the Jobcenter's region in percent (optional; "
                       "framework condition)"),
                _c("urbanity", "amount", nullable=True, amip=True,
                   doc="urbanity of the region, 0.00 rural … 1.00 big city (optional; "
                       "framework condition)"),
                _c("foreign_share", "amount", nullable=True, amip=True,
                   doc="share of foreigners in the region's population in percent (optional; "
                       "framework condition)"),
            ),
            key=("jobcenter_id",),
            required=True,
            optional_columns=FRAMEWORK_CONDITIONS,
            description="one row per Jobcenter",
        ),
        Table(
            "units",
            (
                _c("unit_id", "id"),
                _c("jobcenter_id", "id", ref="jobcenters.jobcenter_id"),
                _c("parent_unit_id", "id", nullable=True, ref="units.unit_id"),
                _c("name", "text"),
                _c("level", "code", *UNIT_LEVELS),
            ),
            key=("unit_id",),
            description="org tree below a Jobcenter: Standorte and their teams",
        ),
        Table(
            "persons",
            (
                _c("person_id", "id"),
                _c("sex", "code", *SEXES),
                _c("birth_date", "date", limits=BIRTH),
                _c("citizenship", "code", *CITIZENSHIPS),
                _c("education", "code", *EDUCATIONS),
            ),
            key=("person_id",),
            required=True,
            description="static attributes of a pseudonymous person",
        ),
        Table(
            "person_flags",
            (_c("person_id", "id", **PERSON), _c("flag", "code", *PERSON_FLAGS),
             VALID_FROM, VALID_TO, RECORDED_ON),
            key=("person_id", "flag", "valid_from"),
            period=("valid_from", "valid_to"),
            description="time-varying flags of a person",
        ),
        Table(
            "bg_spells",
            (
                _c("bg_id", "id"),
                _c("jobcenter_id", "id", ref="jobcenters.jobcenter_id"),
                _c("bg_type", "code", *BG_TYPES),
                VALID_FROM, VALID_TO, RECORDED_ON,
            ),
            key=("bg_id", "jobcenter_id", "bg_type", "valid_from"),
            period=("valid_from", "valid_to"),
            description="Bedarfsgemeinschaft and its type over time",
        ),
        Table(
            "elb_spells",
            (
                _c("person_id", "id", **PERSON),
                _c("bg_id", "id", ref="bg_spells.bg_id"),
                _c("jobcenter_id", "id", ref="jobcenters.jobcenter_id"),
                _c("status", "code", *ELB_STATUSES),
                _c("bg_role", "code", *BG_ROLES),
                VALID_FROM, VALID_TO, RECORDED_ON,
            ),
            key=("person_id", "bg_id", "jobcenter_id", "status", "bg_role", "valid_from"),
            required=True,
            period=("valid_from", "valid_to"),
            description="periods with a realised benefit claim (ELB or NEF)",
        ),
        Table(
            "benefit_months",
            (
                _c("person_id", "id", **PERSON),
                _c("month", "month"),
                _c("llu_eur", "amount", doc="§§ 20, 21, 23, 24 (1) SGB II"),
                _c("luh_eur", "amount", doc="§ 22 SGB II"),
                RECORDED_ON,
            ),
            key=("person_id", "month"),
            description="Leistungsanspruch per person and month",
        ),
        Table(
            "employment_spells",
            (
                _c("person_id", "id", **PERSON),
                _c("kind", "code", *EMPLOYMENT_KINDS),
                _c("funding", "code", *FUNDINGS),
                VALID_FROM, VALID_TO, RECORDED_ON,
                _c("gross_monthly_eur", "amount", nullable=True, amip=True,
                   doc="gross monthly earnings (optional; for income classes)"),
            ),
            key=("person_id", "kind", "funding", "valid_from"),
            period=("valid_from", "valid_to"),
            optional_columns=("gross_monthly_eur",),
            description="employment of all kinds and fundings",
        ),
        Table(
            "measure_spells",
            (
                _c("person_id", "id", **PERSON),
                _c("instrument", "code", *INSTRUMENT_CODES),
                VALID_FROM, VALID_TO,
                _c("cost_eur", "amount", nullable=True),
                _c("provider", "text", nullable=True),
                RECORDED_ON,
            ),
            key=("person_id", "instrument", "valid_from"),
            period=("valid_from", "valid_to"),
            description="participation in an instrument, with its cost",
        ),
        Table(
            "unemployment_spells",
            (_c("person_id", "id", **PERSON), VALID_FROM, VALID_TO, RECORDED_ON),
            key=("person_id", "valid_from"),
            period=("valid_from", "valid_to"),
            description="registered Arbeitslosigkeit (§ 16 SGB III)",
        ),
        Table(
            "caseload",
            (
                _c("person_id", "id", **PERSON),
                _c("unit_id", "id", ref="units.unit_id"),
                _c("caseworker_id", "id"),
                _c("role", "code", *CASELOAD_ROLES),
                VALID_FROM, VALID_TO,
            ),
            key=("person_id", "unit_id", "caseworker_id", "role", "valid_from"),
            period=("valid_from", "valid_to"),
            description="who looks after a person",
        ),
        Table(
            "prognoses",
            (_c("person_id", "id", **PERSON), _c("assessed_on", "date", limits=EVENT),
             _c("prognosis", "code", *PROGNOSES)),
            key=("person_id", "assessed_on"),
            description="Integrationsprognose",
        ),
        Table(
            "contacts",
            (
                _c("person_id", "id", **PERSON),
                _c("caseworker_id", "id"),
                _c("contact_on", "date", limits=EVENT),
                _c("kind", "code", *CONTACT_KINDS),
            ),
            key=("person_id", "caseworker_id", "contact_on", "kind"),
            description="counselling contacts",
        ),
        Table(
            "budget_plan",
            (
                _c("jobcenter_id", "id", ref="jobcenters.jobcenter_id"),
                _c("year", "int", limits=YEAR),
                _c("title", "code", *BUDGET_TITLES),
                _c("instrument", "code", *INSTRUMENT_CODES, nullable=True),
                _c("amount_eur", "amount"),
            ),
            key=("jobcenter_id", "year", "title", "instrument"),
            description="planned allocation per budget title and instrument",
        ),
        Table(
            "budget_bookings",
            (
                _c("booking_id", "id"),
                _c("jobcenter_id", "id", ref="jobcenters.jobcenter_id"),
                _c("booked_on", "date", limits=EVENT),
                _c("title", "code", *BUDGET_TITLES),
                _c("instrument", "code", *INSTRUMENT_CODES, nullable=True),
                _c("kind", "code", *BOOKING_KINDS),
                _c("amount_eur", "amount", signed=True),
                _c("budget_year", "int", limits=YEAR),
            ),
            key=("booking_id",),
            description="commitments, payments, releases of commitments and Umschichtungen "
                        "(reallocation: signed, the rows of one Umschichtung sum to 0)",
        ),
        Table(
            "casefile_checks",
            (
                _c("check_id", "id"),
                _c("person_id", "id", **PERSON),
                _c("area", "code", *CHECK_AREAS),
                _c("checked_on", "date", limits=EVENT),
                _c("errors", "int"),
                _c("items", "int"),
            ),
            key=("check_id",),
            description="quality checks of case processing; error rate = errors / items",
        ),
    )
}

#: Tables whose key must not repeat at all (master data without recorded_on history).
UNIQUE_ID_TABLES = ("jobcenters", "units", "persons")
