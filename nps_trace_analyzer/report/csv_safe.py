"""CSV writing that is safe to open in a spreadsheet.

Cells that begin with ``= + - @`` (or a tab / carriage return) are formulas to Excel and LibreOffice; a hostile
user name such as ``=HYPERLINK(...)`` inside an event must not run when the support engineer opens the file. Such
cells get a leading apostrophe (OWASP's CSV-injection advice). Files are UTF-8 with a BOM (so Excel detects the
encoding) and RFC 4180 quoting with CRLF line ends. A NUL character in a cell is written as U+2400 (SYMBOL FOR
NULL): spreadsheets cut a cell at a raw NUL, and Python 3.10's csv module refuses one ("need to escape"), so a
damaged log would otherwise cost its whole events.csv on 3.10 and read differently between versions.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from nps_trace_analyzer.core.safe_text import mark_bidi

_FORMULA_STARTS = frozenset("=+-@\t\r")
#: What a NUL character in a cell is written as (see the module docstring).
NUL_MARK = "\u2400"


def neutralise(value: Any) -> str:
    """Return the cell text, prefixed with ``'`` when a spreadsheet would read it as a formula; bidi controls
    are shown as marks (:func:`~nps_trace_analyzer.core.safe_text.mark_bidi`)."""
    text = mark_bidi(value) if type(value) is str else ("" if value is None else mark_bidi(str(value)))
    if "\x00" in text:
        text = text.replace("\x00", NUL_MARK)
    if text and text[0] in _FORMULA_STARTS:
        return "'" + text
    return text


def _csv_writer(fh: IO[str]) -> Any:
    return csv.writer(fh, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


class SafeCsvWriter:
    """A csv.writer over a UTF-8-with-BOM file whose every cell passes through :func:`neutralise`."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self._fh: IO[str] = open(path, "w", encoding="utf-8-sig", newline="")  # closed in close()
        self._writer = _csv_writer(self._fh)
        self._writer.writerow([neutralise(h) for h in header])

    def row(self, values: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(v) for v in values])

    def plain_row(self, cells: list[Any]) -> None:
        """:meth:`row` for cells that are mostly strings, without its per-cell work where :func:`plain_line`
        allows (most rows of a report): the bytes are the same."""
        line = plain_line(cells)
        if line is None:
            self.row(cells)
        else:
            self._fh.write(line + "\r\n")

    def rows_text(self, text: str) -> None:
        """Append rows already formatted by :class:`SafeCsvRows` (in a worker process)."""
        self._fh.write(text)

    def rows_utf8(self, data: bytes) -> None:
        """Append rows formatted by :class:`SafeCsvRows` and encoded to UTF-8 where they were made: the parent
        only copies the bytes (100 MB of events.csv on a worst-case bundle; no decoding and encoding again)."""
        self._fh.flush()
        self._fh.buffer.write(data)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> SafeCsvWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _needs_quotes(cell: str) -> bool:
    """Would the excel dialect quote this cell (delimiter, quote character or a line-end character in it)?"""
    return "," in cell or '"' in cell or "\n" in cell or "\r" in cell


class SafeCsvRows:
    """Rows formatted exactly as :class:`SafeCsvWriter` would write them, collected as text.

    A worker process formats its share of a file's rows; the parent appends the text in order
    (:meth:`SafeCsvWriter.rows_text`), so the file is the same bytes however the work was split.
    """

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = _csv_writer(self._buffer)
        self.count = 0

    def row(self, values: Iterable[Any]) -> None:
        cells = [neutralise(v) for v in values]
        if len(cells) > 1 and not any(_needs_quotes(c) for c in cells):
            # What csv.writer writes for such a row, without its per-character scan (11 us for a long event
            # text, most of a row's cost); every other row still goes through csv.writer.
            self._buffer.write(",".join(cells) + "\r\n")
        else:
            self._writer.writerow(cells)
        self.count += 1

    def plain_row(self, cells: list[str]) -> None:
        """Like :meth:`row` for cells that are already strings: :func:`plain_line` when it allows, else :meth:`row`
        (the bytes are the same)."""
        line = plain_line(cells)
        if line is None:
            self.row(cells)
        else:
            self._buffer.write(line + "\r\n")
            self.count += 1

    def plain_line(self, line: str) -> None:
        """Append one row already joined from cells that passed :func:`plain_cell` (no other check here)."""
        self._buffer.write(line + "\r\n")
        self.count += 1

    def text(self) -> str:
        return self._buffer.getvalue()


def plain_line(cells: list[Any]) -> str | None:
    """The CSV line (without its line end) :func:`neutralise` and csv.writer make of ``cells``, tested on the
    joined line instead of cell by cell; None where that test cannot tell (then write the row the slow way).

    A row of plain cells is written as they are joined when it is ASCII (no bidi control), holds no line end
    and no cell begins with a formula character (each cell but the first begins right after a comma, so
    ``",="`` is absent); a cell holding a comma or a quote is quoted as csv.writer quotes it. Anything else —
    or a false alarm such as a text holding ``",-"`` — gives None, and so does a cell that is not a str.
    """
    try:
        line = ",".join(cells)
    except TypeError:  # a number or None among the cells: neutralise makes its text on the slow path
        return None
    if (
        line.isascii()
        and len(cells) > 1
        and line[:1] not in _FORMULA_STARTS
        and "\n" not in line
        and "\r" not in line
        and "\x00" not in line
        and ",=" not in line
        and ",+" not in line
        and ",-" not in line
        and ",@" not in line
        and ",\t" not in line
    ):
        if line.count(",") != len(cells) - 1 or '"' in line:  # a cell holds a comma or a quote: quote it
            line = ",".join('"' + c.replace('"', '""') + '"' if "," in c or '"' in c else c for c in cells)
        return line
    return None


def plain_cell(cell: str) -> str | None:
    """``cell`` as :meth:`SafeCsvRows.plain_row` writes it when every other cell of its row is plain (see
    :func:`is_plain_cell`), or None when that row would not be plain: the per-row part of that test, for a row
    whose other cells were tested once (events of one log share all but their time, record id and text)."""
    if not cell.isascii() or "\n" in cell or "\r" in cell or "\x00" in cell or cell[:1] in _FORMULA_STARTS:
        return None
    if "," in cell:
        if ",=" in cell or ",+" in cell or ",-" in cell or ",@" in cell or ",\t" in cell:
            return None
        return '"' + cell.replace('"', '""') + '"'
    if '"' in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def is_plain_cell(cell: str) -> bool:
    """Would :meth:`SafeCsvRows.plain_row` write ``cell`` as it is, wherever it stands in a plain row?"""
    return plain_cell(cell) == cell and "," not in cell and '"' not in cell
