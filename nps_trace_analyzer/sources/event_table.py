"""Read event logs saved as tables: Event Viewer's "Save All Events As..." ``.csv`` (comma) and ``.txt`` (tab),
and PowerShell's ``Get-WinEvent | Export-Csv`` / ``ConvertTo-Csv`` (any column subset, ``;`` with ``-UseCulture``).

Why: a ticket tool that refuses .evtx gets the log as a table instead, and each row still carries what NPS
decided: the event id, the provider, the local time and the rendered message, whose ``Label: value`` lines are
the same as in a pasted event. So each row becomes an :class:`~nps_trace_analyzer.sources.event_blocks.EventBlock`
and goes through the one block-to-event conversion every text layout shares (same named data, same warnings).

Layouts (checked against public samples, see tests/sources/test_event_table.py):

- Event Viewer: header ``Level,Date and Time,Source,Event ID,Task Category`` (``Keywords`` first in the Security
  log) and a sixth, unnamed column holding the message, quoted over several lines; the time is the viewer's
  local time in its display culture; no computer and no log name (the provider names the log).
- Export-Csv: an optional ``#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord`` line, then quoted property
  names (``"Message","Id",...,"ProviderName","LogName",...,"MachineName",...,"TimeCreated"``).

A header whose columns say nothing about events is not this reader's (the sniff needs an id column and a time or
provider column). A row that cannot be split (unbalanced quotes up to the end) stops the reading with a warning;
everything read before it is kept.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from nps_trace_analyzer.core.model import Event, InputFile
from nps_trace_analyzer.sources.event_blocks import EventBlock
from nps_trace_analyzer.sources.nps_eventlog_text import default_channel, events_from_blocks
from nps_trace_analyzer.sources.readers import Collector, Identity, ReaderSpec, Sniffed, register_reader
from nps_trace_analyzer.sources.text_decode import DEFAULT_MAX_BYTES, TextReadStats, counted_events, load_text

FORMAT_NAME = "event-table"
#: Column titles (lower case, spaces removed) of both exporters -> the block's header keys.
COLUMNS = {
    "level": "level",
    "leveldisplayname": "level_name",
    "keywords": "keyword",
    "dateandtime": "date",
    "timecreated": "date",
    "date": "date",
    "source": "source",
    "providername": "source",
    "eventid": "event_id",
    "id": "event_id",
    "taskcategory": "task",
    "taskdisplayname": "task",
    "logname": "log_name",
    "machinename": "computer",
    "computer": "computer",
    "recordid": "record_id",
    "timegenerated": "date",  # Get-EventLog | Export-Csv
    "entrytype": "level",
    "instanceid": "instance_id",
    "message": "description",
    "description": "description",
}
_TYPE_LINE_RE = re.compile(r"^#TYPE\s", re.IGNORECASE)
_DELIMITERS = (",", "\t", ";")
_MAX_CELL = 8 * 1024 * 1024
# Event Viewer names five columns and writes the message as a sixth, unnamed one.
_EVENT_VIEWER_UNNAMED = "description"


def column_key(title: str) -> str | None:
    """The header key of a column title or property name (None when it is not one the readers use)."""
    return COLUMNS.get(re.sub(r"[\s_]", "", title.strip().strip('"').lower()))


def header_columns(line: str) -> tuple[str, list[str | None]] | None:
    """The delimiter and the header key of each column of a table's title line; None when it is no event table
    (it needs an event id column and a time or provider column)."""
    best: tuple[str, list[str | None]] | None = None
    for delimiter in _DELIMITERS:
        try:
            titles = next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        while titles and not titles[-1].strip():  # an empty last title (a re-saved export): the unnamed message
            titles.pop()
        keys = [column_key(title) for title in titles]
        if "event_id" in keys and {"date", "source"} & set(keys):
            if best is None or sum(k is not None for k in keys) > sum(k is not None for k in best[1]):
                best = (delimiter, keys)
    return best


def _title_line(text: str) -> tuple[int, str]:
    """Where the title line is: the first non-blank line, after Export-Csv's ``#TYPE`` line if there is one."""
    lines = text.splitlines()
    for index, line in enumerate(lines[:3]):
        if line.strip() and not _TYPE_LINE_RE.match(line.lstrip("\ufeff")):
            return index, line.lstrip("\ufeff")
    return 0, ""


NOT_ENGLISH = (
    "is an event table whose column titles are not in English: Event Viewer exports in another display language "
    "are not supported (their titles and messages cannot be read safely). Export the log with "
    "Get-WinEvent | Export-Csv (English property names in every language) or attach the .evtx"
)
_PROVIDER_CELL_RE = re.compile(
    r"^(?:Microsoft-Windows-[\w-]+|NPS|IAS|RemoteAccess|Schannel|AuthZ|AuthN)$", re.IGNORECASE
)


def looks_like_foreign_table(text: str) -> bool:
    """A table with five or more titled columns whose first row holds an event provider and a number: an Event
    Viewer export in another display language ("Ebene,Datum und Uhrzeit,Quelle,Ereignis-ID,...")."""
    lines = [line for line in text.splitlines()[:4] if line.strip() and not _TYPE_LINE_RE.match(line)]
    if len(lines) < 2:
        return False
    for delimiter in _DELIMITERS:
        try:
            titles, row = (
                next(csv.reader([lines[0]], delimiter=delimiter)),
                next(csv.reader([lines[1]], delimiter=delimiter)),
            )
        except (csv.Error, StopIteration):
            continue
        cells = [cell.strip() for cell in row]
        # titles are words (no digits: an accounting log's first row is data, "03/12/2025", "07:03:44", "1")
        worded = all(t.strip() and not any(ch.isdigit() for ch in t) for t in titles)
        provider = any(_PROVIDER_CELL_RE.match(c) for c in cells)
        if len(titles) >= 5 and worded and provider and any(c.isdigit() for c in cells):
            return True
    return False


def _blocks(text: str, stats: TextReadStats) -> Iterator[EventBlock]:
    index, title = _title_line(text)
    found = header_columns(title)
    if found is None:
        if looks_like_foreign_table(text):
            stats.error = f"the file {NOT_ENGLISH}"
        else:
            stats.error = "no event table title line (an event id column and a time or provider column)"
        return
    delimiter, keys = found
    # a message longer than csv's default cell limit (128 KiB) must not stop the table; 8 MiB bounds a cell
    csv.field_size_limit(max(csv.field_size_limit(), _MAX_CELL))
    body = "\n".join(text.splitlines()[index + 1 :])
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    row_number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            stats.error = f"row {row_number + 1}: the table cannot be split further ({exc}); rows before it are kept"
            return
        if not any(cell.strip() for cell in row):
            continue
        header: dict[str, str] = {}
        description: list[str] = []
        for column, cell in enumerate(row):
            key = keys[column] if column < len(keys) else (_EVENT_VIEWER_UNNAMED if column == len(keys) else None)
            if key == "description":
                description = cell.replace("\r\n", "\n").split("\n")
            elif key is not None:
                header.setdefault(key, cell.strip())
        row_number += 1
        yield EventBlock(row_number - 1, reader.line_num + index + 1, header, description, [], "Row")


def parse_event_table(text: str, source_name: str, stats: TextReadStats | None = None) -> Iterator[Event]:
    """The events of an event table (already decoded text)."""
    stats = stats if stats is not None else TextReadStats()
    yield from events_from_blocks(_blocks(text, stats), source_name, stats, FORMAT_NAME)


def read_event_table(
    path: str | Path, source_name: str, stats: TextReadStats, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Event]:
    """The events of an event-table file; never raises for bad content (``stats.error`` says what stopped it)."""
    text = load_text(path, stats, max_bytes)
    if text is not None:
        yield from parse_event_table(text, source_name, stats)


def _read(inp: InputFile, collector: Collector) -> Iterator[Event]:
    stats = TextReadStats()
    yield from counted_events(inp, read_event_table(inp.path, inp.name, stats), stats)


def _first_row_log(text: str, delimiter: str, keys: list[str | None]) -> str:
    """The log the first row comes from: its LogName, else what its provider tells ("" when neither does)."""
    index, _title = _title_line(text)
    try:
        row = next(csv.reader(io.StringIO("\n".join(text.splitlines()[index + 1 :]), newline=""), delimiter=delimiter))
    except (csv.Error, StopIteration):
        return ""
    cells = {key: cell.strip() for key, cell in zip(keys, row, strict=False) if key}
    log = cells.get("log_name") or default_channel(cells.get("source", "") or "?")
    return log.rsplit("/", 1)[-1]


def sniff_event_table(file: Sniffed) -> Identity | None:
    """A table whose title line names an event id column and a time or provider column. Its role is the log of
    its first row with ``-text`` (as NPS_EventLog.log's): a rendering, whose times and computer may differ from
    the .evtx records it repeats."""
    if file.text is None:
        return None
    _index, title = _title_line(file.stripped)
    found = header_columns(title)
    if found is not None:
        log = _first_row_log(file.stripped, *found)
        return Identity("event-table", f"{log}-text" if log else "")
    if looks_like_foreign_table(file.stripped):
        return Identity("event-table", "")  # read only to say that it is not supported
    return None


def _repeats_the_evtx(inp: InputFile, files: Sequence[InputFile]) -> str:
    """A table of a log the bundle also has as .evtx (or its XML export) repeats that log."""
    log = inp.role.removesuffix("-text")
    exported = any(f.kind in ("evtx", "event-xml") and f.role.lower() == log.lower() for f in files) if log else False
    return f"the events of the {log} event log" if exported else ""


EVENT_TABLE = register_reader(
    ReaderSpec(
        kind="event-table",
        read=_read,
        sniff=sniff_event_table,
        sniff_rank=40,
        name_patterns=("*.csv",),
        signature="event table title line (Event ID / Id and Date and Time / TimeCreated / Source columns)",
        contributes="the events of an Event Viewer .csv/.txt export or an Export-Csv of Get-WinEvent/Get-EventLog",
        audit_decisions=True,
        repeats=_repeats_the_evtx,
    )
)
