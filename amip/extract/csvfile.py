"""Reading a CSV table file into text columns, with every row's line number right.

pyarrow reads the rows. It skips blank lines and a quoted value may span lines, so its n-th row
is not always on line n + 1: when the number of rows does not match the number of lines (or the
file holds a bare carriage return), Python's csv module walks the file once more to find the
line each row starts on, and the first line that is not clean CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection

import pyarrow as pa
import pyarrow.csv as pacsv

from amip.errors import DataError

#: bytes pyarrow parses at a time; a file with a longer row is read again in one block
BLOCK = 1 << 24
BARE_CR = "Wagenrücklauf (\\r) in einem Wert ohne Anführungszeichen"


class CsvProblem(DataError):
    """Where (line, if known) and why (German) a CSV file cannot be read."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def header(blob: bytes) -> tuple[list[str], int]:
    """The column names of the first line (quoted or not, a byte-order mark ignored, blanks
    around a name dropped) and the offset where the rows begin."""
    end = blob.find(b"\n") + 1 or len(blob)
    try:
        text = blob[:end].decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CsvProblem(1, "Kopfzeile " + _not_utf8(blob[e.start], e.start)) from None
    try:
        names = next(csv.reader([text]), [])
    except csv.Error:
        raise CsvProblem(1, "Kopfzeile: " + BARE_CR) from None
    if not any(n.strip() for n in names):
        raise CsvProblem(1, "Kopfzeile ist leer")
    return [n.strip() for n in names], end


def rows(blob: bytes, start: int, names: list[str],
         keep: Collection[str]) -> tuple[pa.Table, pa.Array | None]:
    """The columns ``keep`` of the rows after the header (``start``), as text with '' read as
    null, and the line of each row when the rows are not simply on lines 2, 3, 4, …"""
    data, lines = _rows(blob, start, names, list(keep) or names[:1])  # [] would read them all
    return data.select(list(keep)), lines


def _rows(blob: bytes, start: int, names: list[str],
          keep: list[str]) -> tuple[pa.Table, pa.Array | None]:
    rows_at_most = _lines_to_last_row(blob, start)
    if rows_at_most == 0:  # only the header (pyarrow would call that an error)
        return pa.table({c: pa.array([], pa.string()) for c in keep}), None
    body = pa.py_buffer(blob)[start:]
    try:
        data = _arrow(body, names, keep, BLOCK, quoted=blob.find(b'"', start) >= 0)
    except pa.ArrowInvalid:
        lines = line_map(blob, start, len(names))  # names the first bad line, if there is one
        data = _arrow_in_one_block(body, names, keep)
    else:
        if data.num_rows == rows_at_most and not _bare_cr(blob, start):
            return data, None  # no blank line, no line break in a value: row n is on line n + 1
        lines = line_map(blob, start, len(names))
    if len(lines) != data.num_rows:
        raise CsvProblem(None, "Zeilen nicht eindeutig lesbar (Anführungszeichen prüfen)")
    return data, pa.array(lines, pa.int64())


def line_map(blob: bytes, start: int, n_fields: int) -> list[int]:
    """The line each row after the header starts on (blank lines skipped); raises
    :class:`CsvProblem` at the first line that is not UTF-8 or not clean CSV."""
    try:
        text = blob[start:].decode("utf-8")
    except UnicodeDecodeError as e:
        at = start + e.start
        line = 2 + blob.count(b"\n", start, at)
        raise CsvProblem(line, _not_utf8(blob[at], at - blob.rfind(b"\n", 0, at) - 1)) from None
    # a field may be as long as the file; the limit is process-wide and is only ever raised
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    reader = csv.reader(io.StringIO(text, newline="\n"))  # lines end at '\n' only
    starts: list[int] = []
    done = 0  # lines read so far, after the header
    try:
        for record in reader:
            line, done = 2 + done, reader.line_num
            if not record:
                continue  # a blank line
            if len(record) != n_fields:
                raise CsvProblem(line, f"hat {len(record)} Felder, die Kopfzeile hat {n_fields}")
            starts.append(line)
    except csv.Error:  # with the limit raised, the only error of a non-strict reader
        raise CsvProblem(1 + reader.line_num, BARE_CR) from None
    return starts


def _lines_to_last_row(blob: bytes, start: int) -> int:
    """The lines from ``start`` to the last one that is not blank (blank lines at the end of a
    file shift no row)."""
    end = len(blob)
    while end > start and blob[end - 1] in b"\r\n":
        end -= 1
    return blob.count(b"\n", start, end) + 1 if end > start else 0


def _bare_cr(blob: bytes, start: int) -> bool:
    """Does a carriage return stand without a line feed after it?"""
    if blob.find(b"\r", start) < 0:
        return False
    return blob.count(b"\r", start) != blob.count(b"\r\n", start)


def _arrow(body: pa.Buffer, names: list[str], keep: list[str], block: int,
           quoted: bool) -> pa.Table:
    return pacsv.read_csv(
        pa.BufferReader(body),
        # one thread: nothing goes on parsing in the background after an error (a process
        # once aborted at exit after one); about 0.04 s slower on 60 MB with two cores
        read_options=pacsv.ReadOptions(column_names=names, block_size=block, use_threads=False),
        parse_options=pacsv.ParseOptions(newlines_in_values=quoted),
        convert_options=pacsv.ConvertOptions(
            include_columns=keep,
            column_types={c: pa.string() for c in keep},
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
            check_utf8=True,
        ),
    )


def _arrow_in_one_block(body: pa.Buffer, names: list[str], keep: list[str]) -> pa.Table:
    """Read again in one block (a row longer than :data:`BLOCK`); the csv module found the
    file clean, so an error here is pyarrow's alone."""
    try:
        return _arrow(body, names, keep, body.size + 1, quoted=True)
    except pa.ArrowInvalid as e:
        why = " ".join(str(e).split())[:120]
        raise CsvProblem(None, f"kann nicht als CSV gelesen werden ({why})") from None


def _not_utf8(byte: int, position: int) -> str:
    """``byte`` at ``position`` (from 0) in its line is not UTF-8."""
    return f"ist kein gültiges UTF-8 (Byte {byte:#04x} an Stelle {position + 1})"
