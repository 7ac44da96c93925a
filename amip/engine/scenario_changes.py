"""The plan-line changes of a budget scenario (issue 13 item 4): their text form, their stored
JSON form and their checks. Pure: no store, no steering.

Text form (the CLI's ``--change``, the web form's lines, a scenario file's ``changes``)::

    instrument=fbw:250000        set the instrument's plan line to 250.000 €
    instrument=16i:+100%         change the instrument's plan line by +100 % (places double)
    instrument=kommunal/16a:-5%  the title before a slash when the instrument has lines in two
    title=egl:-10%               change every instrument line of a title by −10 %
    move=fbw>egz:100000          move 100.000 € from fbw to egz
    move=fbw:-100000,egz:+60000,agh:+40000   an Umschichtung whose amounts net to zero

Codes are case-insensitive (``FbW`` = ``fbw``); numbers plain (``250000.50``) or German
(``250.000,50``). Stored as JSON: ``{"kind": "set"|"percent"|"move", "title", "instrument",
"amount", "percent", "lines": [[title|null, instrument, amount], …]}`` with amounts as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from amip.errors import DataError
from amip.extract.schema import INSTRUMENTS

KINDS = ("set", "percent", "move")
#: titles whose instrument lines a scenario changes (the Eingliederungsmittel; Verwaltungskosten
#: have no instruments and buy no outcomes)
SCENARIO_TITLES = ("egl", "kommunal")


@dataclass(frozen=True)
class Change:
    """One change of plan lines; applied in the order listed."""
    kind: str  # set | percent | move
    title: str | None = None
    instrument: str | None = None  # None with kind percent: every instrument line of the title
    amount: Decimal | None = None  # set: the new amount
    percent: Decimal | None = None
    lines: tuple[tuple[str | None, str, Decimal], ...] = ()  # move: (title, instrument, ± €)

    def as_json(self) -> dict:
        return {"kind": self.kind, "title": self.title, "instrument": self.instrument,
                "amount": None if self.amount is None else str(self.amount),
                "percent": None if self.percent is None else str(self.percent),
                "lines": [[t, i, str(a)] for t, i, a in self.lines]}

    @property
    def text(self) -> str:
        """The text form (parses back to the same change)."""
        if self.kind == "move":
            return "move=" + ",".join(f"{_where(t, i)}:{_signed(a)}" for t, i, a in self.lines)
        if self.instrument is None:
            return f"title={self.title}:{_signed(self.percent)}%"
        value = f"{_signed(self.percent)}%" if self.kind == "percent" else _plain(self.amount)
        return f"instrument={_where(self.title, self.instrument)}:{value}"


def _where(title: str | None, instrument: str) -> str:
    return f"{title}/{instrument}" if title else instrument


def _plain(x: Decimal) -> str:
    return format(x.normalize(), "f") if x == x.to_integral() else format(x, "f")


def _signed(x: Decimal) -> str:
    return ("+" if x >= 0 else "") + _plain(x)


def parse_number(text: str, what: str) -> Decimal:
    """``250000``, ``250000.50``, ``250.000,50``, ``-10,5`` → Decimal; else a German error."""
    t = text.strip().replace(" ", "").replace("\u202f", "")
    if "," in t or re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+", t):
        t = t.replace(".", "").replace(",", ".")
    try:
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", t):
            raise InvalidOperation
        return Decimal(t)
    except InvalidOperation:
        raise DataError(f"{what}: {text!r} ist keine Zahl") from None


def _code(text: str, at: str) -> tuple[str | None, str]:
    """``fbw`` or ``egl/fbw`` → (title, instrument), checked against the known codes."""
    t = text.strip().lower()
    title, _, instr = t.rpartition("/")
    if title and title not in SCENARIO_TITLES:
        raise DataError(f"{at}: Titel {title!r} unbekannt oder ohne Instrumente (erlaubt: "
                        f"{', '.join(SCENARIO_TITLES)})")
    if instr not in INSTRUMENTS:
        raise DataError(f"{at}: Instrument {instr!r} unbekannt (erlaubt: "
                        f"{', '.join(INSTRUMENTS)})")
    return title or None, instr


def _percent(text: str, at: str) -> Decimal:
    if not text.strip().endswith("%"):
        raise DataError(f"{at}: eine Änderung in Prozent endet mit % (z. B. -10%)")
    p = parse_number(text.strip()[:-1], at)
    if p < -100:
        raise DataError(f"{at}: {_plain(p)} % würde den Ansatz negativ machen (mindestens -100 %)")
    return p


def parse_change(text: str, where: str = "Änderung") -> Change:
    """One change in its text form (see the module); a DataError names it and what is wrong."""
    at = f"{where} {text.strip()!r}"
    key, eq, rest = text.partition("=")
    key = key.strip().lower()
    target, colon, value = rest.rpartition(":") if key != "move" else (rest, "", "")
    if not eq or key not in ("instrument", "title", "move") or (key != "move" and not colon):
        raise DataError(f"{at}: erwartet instrument=CODE:BETRAG, instrument=CODE:±P%, "
                        "title=TITEL:±P% oder move=VON>NACH:BETRAG")
    if key == "title":
        title = target.strip().lower()
        if title not in SCENARIO_TITLES:
            raise DataError(f"{at}: Titel {title!r} unbekannt oder ohne Instrumente (erlaubt: "
                            f"{', '.join(SCENARIO_TITLES)})")
        return Change("percent", title=title, percent=_percent(value, at))
    if key == "instrument":
        title, instr = _code(target, at)
        if value.strip().endswith("%"):
            return Change("percent", title, instr, percent=_percent(value, at))
        amount = parse_number(value, at)
        if amount < 0:
            raise DataError(f"{at}: ein Planansatz ist nicht negativ")
        return Change("set", title, instr, amount=amount)
    return _move(rest, at)


def _move(rest: str, at: str) -> Change:
    lines = []
    if ">" in rest:
        ends, _, amount = rest.rpartition(":")
        src, _, dst = ends.partition(">")
        a = parse_number(amount, at)
        if a <= 0:
            raise DataError(f"{at}: der umzuschichtende Betrag ist größer als 0")
        lines = [(*_code(src, at), -a), (*_code(dst, at), a)]
    else:
        for part in rest.split(","):
            code, colon, amount = part.rpartition(":")
            if not colon:
                raise DataError(f"{at}: erwartet move=VON>NACH:BETRAG oder "
                                "move=CODE:-BETRAG,CODE:+BETRAG")
            lines.append((*_code(code, at), parse_number(amount, at)))
    return check_move(tuple(lines), at)


def check_move(lines: tuple, at: str) -> Change:
    """A move's lines: at least two, each instrument once, none 0, summing to 0 (§12 item 39)."""
    keys = [(t, i) for t, i, _ in lines]
    if len(lines) < 2:
        raise DataError(f"{at}: eine Umschichtung braucht mindestens zwei Instrumente")
    if len(set(keys)) < len(keys):
        raise DataError(f"{at}: ein Instrument steht zweimal in der Umschichtung")
    if any(a == 0 for _, _, a in lines):
        raise DataError(f"{at}: ein Betrag der Umschichtung ist 0")
    total = sum((a for _, _, a in lines), Decimal(0))
    if total != 0:
        raise DataError(f"{at}: die Umschichtung ergibt in Summe {_signed(total)} €, nicht 0 "
                        "(was abgegeben wird, muss ein anderes Instrument erhalten)")
    return Change("move", lines=tuple(lines))


def parse_changes(texts: list[str]) -> list[Change]:
    """Several changes (blank lines and lines starting with # skipped); every bad one is named,
    none is taken (all or nothing)."""
    out, errors = [], []
    for n, text in enumerate(texts, 1):
        if not text.strip() or text.strip().startswith("#"):
            continue
        try:
            out.append(parse_change(text, f"Änderung {n}"))
        except DataError as e:
            errors.append(str(e))
    if errors:
        raise DataError("Szenario nicht übernommen: " + "; ".join(errors) + ".")
    if not out:
        raise DataError("Szenario nicht übernommen: es enthält keine Änderung.")
    return out


def change_from_json(d: dict) -> Change:
    """A stored change (as :meth:`Change.as_json`), checked again."""
    def dec(x):
        return None if x is None else Decimal(x)

    c = Change(d["kind"], d.get("title"), d.get("instrument"), dec(d.get("amount")),
               dec(d.get("percent")),
               tuple((t, i, Decimal(a)) for t, i, a in d.get("lines") or ()))
    parse_change(c.text)  # the same checks as the text form
    return c
