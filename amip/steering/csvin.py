"""Reading the CSV files people bring (targets, plans, entered values).

Two dialects are accepted and told apart by the header line: German CSV (``;`` between columns,
decimal comma, ``.`` as an optional thousands separator: ``1.141``, ``23,4``, ``-10,8``) as Excel
writes it, and plain CSV (``,`` between columns, decimal point: ``23.4``). UTF-8, with or without
BOM. Errors name the file, the line and the value; nothing is read half.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from amip.errors import DataError

GERMAN_NUMBER = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


@dataclass(frozen=True)
class Line:
    """One data line: its number in the file (header = 1) and its cells by column."""
    number: int
    cells: dict[str, str]


@dataclass(frozen=True)
class CsvFile:
    path: str
    german: bool  # ; and decimal comma
    lines: list[Line]

    def number(self, text: str) -> Decimal:
        """A cell as an exact decimal; ValueError with a German message if it is none."""
        return parse_number(text, self.german)


def parse_number(text: str, german: bool) -> Decimal:
    t = text.strip().replace("\u2212", "-").replace("\u00a0", "").replace(" ", "")
    t = t.removesuffix("%").removesuffix("€")
    pattern = GERMAN_NUMBER if german else PLAIN_NUMBER
    if not pattern.match(t):
        example = "23,4 oder 1.141" if german else "23.4 oder 1141"
        raise ValueError(f"{text!r} ist keine Zahl (erwartet z. B. {example})")
    if german:
        t = t.replace(".", "").replace(",", ".")
    try:
        return Decimal(t)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(f"{text!r} ist keine Zahl") from None


def read(path: str | Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> CsvFile:
    """The file's data lines; DataError (German) for an unreadable file or a wrong header."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"Datei {path} gibt es nicht.") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: die Datei ist nicht in UTF-8 kodiert (in Excel: "
                        "„CSV UTF-8“ speichern).") from None
    except OSError as e:
        raise DataError(f"{path}: lässt sich nicht lesen ({e.strerror}).") from None
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise DataError(f"{path}: die Datei ist leer (erwartet eine Kopfzeile mit "
                        f"{', '.join(required)}).")
    german = ";" in first
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if german else ",")
    header = [h.strip() for h in next(reader)]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required + optional]
    dupes = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or dupes:
        parts = []
        if missing:
            parts.append(f"Spalte(n) fehlen: {', '.join(missing)}")
        if unknown:
            parts.append(f"unbekannte Spalte(n): {', '.join(unknown)}")
        if dupes:
            parts.append(f"doppelte Spalte(n): {', '.join(dupes)}")
        raise DataError(f"{path}, Zeile 1 (Kopfzeile): {'; '.join(parts)}. Erwartet: "
                        f"{', '.join(required + optional)} (getrennt durch ; oder ,).")
    lines = []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise DataError(f"{path}, Zeile {start}: kein gültiges CSV ({e}).") from None
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{path}, Zeile {start}: {len(row)} Felder, die Kopfzeile hat "
                            f"{len(header)} (Trennzeichen {';' if german else ','}).")
        lines.append(Line(start, {h: c.strip() for h, c in zip(header, row)}))
    return CsvFile(str(path), german, lines)
