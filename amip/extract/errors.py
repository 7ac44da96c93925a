"""Errors found in an extract: each names file, line, column and value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ExtractError:
    """One problem in an extract file.

    ``line`` is the line in a CSV file (the header is line 1) or the row number in a Parquet
    file (first row = 1); it is ``None`` for problems of the whole file.
    """

    file: str
    line: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        return ", ".join(where) + ": " + self.message


class ExtractInvalid(Exception):
    """Raised when an extract fails validation; nothing from it has been imported."""

    def __init__(self, errors: list[ExtractError], source: str = "") -> None:
        self.errors = sorted(errors, key=sort_key)
        self.source = source
        files = sorted({e.file for e in self.errors})
        super().__init__(
            f"extract {source or ''} is invalid: {len(self.errors)} error(s) in "
            f"{', '.join(files)}; nothing was imported.\n"
            + "\n".join(f"  {e}" for e in self.errors[:50])
            + (f"\n  ... and {len(self.errors) - 50} more" if len(self.errors) > 50 else "")
        )


def sort_key(e: ExtractError) -> tuple:
    """Order errors by file and line; problems without a line come after a file's lines."""
    return (e.file, e.line if e.line is not None else float("inf"), e.column or "", e.message)
