"""CSV writing that is safe to open in a spreadsheet.

Cells that begin with ``= + - @`` (or a tab / carriage return) are formulas to Excel and LibreOffice; a hostile
user name such as ``=HYPERLINK(...)`` inside an event must not run when the support engineer opens the file. Such
cells get a leading apostrophe (OWASP's CSV-injection advice). Files are UTF-8 with a BOM (so Excel detects the
encoding) and RFC 4180 quoting with CRLF line ends.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from nps_trace_analyzer.safe_text import mark_bidi

_FORMULA_STARTS = frozenset("=+-@\t\r")


def neutralise(value: Any) -> str:
    """Return the cell text, prefixed with ``'`` when a spreadsheet would read it as a formula; bidi controls
    are shown as marks (:func:`~nps_trace_analyzer.safe_text.mark_bidi`)."""
    text = mark_bidi(value) if type(value) is str else ("" if value is None else mark_bidi(str(value)))
    if text and text[0] in _FORMULA_STARTS:
        return "'" + text
    return text


class SafeCsvWriter:
    """A csv.writer over a UTF-8-with-BOM file whose every cell passes through :func:`neutralise`."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self._fh: IO[str] = open(path, "w", encoding="utf-8-sig", newline="")  # closed in close()
        self._writer = csv.writer(self._fh, dialect="excel", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        self._writer.writerow([neutralise(h) for h in header])

    def row(self, values: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(v) for v in values])

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> SafeCsvWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
