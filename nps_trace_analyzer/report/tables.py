"""``incidents.csv`` and ``events.csv``: one row per incident, one row per normalised event.

Column names follow EvtxECmd/Timeline Explorer where a counterpart exists (TimeCreated, EventId, Provider,
Channel, Computer, EventRecordId, SourceFile) so the files drop into tools engineers already use.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from nps_trace_analyzer.core.model import Event, iso_z
from nps_trace_analyzer.report.csv_safe import SafeCsvRows, SafeCsvWriter, is_plain_cell, plain_cell

INCIDENT_COLUMNS = (
    "Id",
    "Kind",
    "FirstSeen",
    "LastSeen",
    "Count",
    "Server",
    "User",
    "CID",
    "PrimaryCode",
    "Codes",
    "Category",
    "Severity",
    "Benign",
    "InCatalog",
    "Summary",
    "Steps",
    "Details",
)

EVENT_COLUMNS = (
    "TimeCreated",
    "Computer",
    "Channel",
    "Provider",
    "EventId",
    "Level",
    "EventRecordId",
    "SourceFile",
    "SourceKind",
    "Text",
)


#: Distinct step lists remembered by write_incidents_csv (catalog texts: a few hundred at most in practice).
MAX_STEP_CELLS = 4096


def _cell(value: Any) -> str:
    """The text :func:`~nps_trace_analyzer.report.csv_safe.neutralise` starts from: None is empty, else str()."""
    return value if type(value) is str else ("" if value is None else str(value))


def write_incidents_csv(path: Path, incidents: Iterable[Mapping[str, Any]]) -> None:
    """One row per incident of the findings.json document (so a redacted document gives a redacted CSV)."""
    with IncidentsCsv(path) as out:
        for inc in incidents:
            out.add(inc)


class IncidentsCsv:
    """``incidents.csv`` written one incident document at a time (report/writer.py hands each over as findings.json
    is written, so the documents are made once and never all held).

    Rows go through :meth:`SafeCsvWriter.plain_row` (a cell that is not text sends its row the usual way), and
    the steps cell, the same catalog text for every incident of a cause, is joined once per distinct list."""

    def __init__(self, path: Path) -> None:
        self._out = SafeCsvWriter(path, INCIDENT_COLUMNS)
        self._steps_cells: dict[tuple[str, ...], str] = {}
        self.rows = 0

    def add(self, inc: Mapping[str, Any]) -> None:
        steps_cells = self._steps_cells
        steps = tuple(inc["steps"])
        steps_cell = steps_cells.get(steps)
        if steps_cell is None:
            if len(steps_cells) >= MAX_STEP_CELLS:
                steps_cells.clear()
            steps_cell = steps_cells[steps] = " | ".join(f"{n}. {s}" for n, s in enumerate(steps, 1))
        self._out.plain_row(
            [
                inc["id"],
                inc["kind"],
                inc["first_seen"],
                inc["last_seen"],
                _cell(inc["count"]),
                inc["server"] or "",
                inc["user"] or "",
                inc["cid"] or "",
                inc["primary_code"],
                " ".join(inc["codes"]),
                inc["category"],
                inc["severity"],
                "yes" if inc["benign"] else "no",
                "yes" if inc["in_catalog"] else "no",
                inc["summary"],
                steps_cell,
                "; ".join(f"{k}={v}" for k, v in inc["details"].items()),
            ]
        )
        self.rows += 1

    def close(self) -> None:
        self._out.close()

    def __enter__(self) -> IncidentsCsv:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def event_row(event: Event) -> list[str]:
    """The ``events.csv`` cells of one event as text (before formula-guarding)."""
    level, record_id = event.level, event.record_id
    return [
        iso_z(event.time),
        event.computer,
        event.channel,
        event.provider,
        str(event.event_id),
        "" if level is None else str(level),
        "" if record_id is None else str(record_id),
        event.source_file,
        event.source_kind,
        event.text,
    ]


#: Distinct (computer, channel, provider, event id, level, source file, source kind) remembered by EventRows.
MAX_ROW_HEADS = 1024


class EventRows:
    """``events.csv`` rows of a run of events, formatted in a worker process and appended by the parent.

    Events of one log share every cell but their time, record id and text: those shared cells are tested and
    joined once per distinct set (bounded table), so a row costs the test of its text alone, and its line is
    kept in a list joined once at the end. A row whose shared cells or text are not plain goes through
    :meth:`SafeCsvRows.plain_row` as before; the bytes are the same.
    """

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._heads: dict[tuple[Any, ...], tuple[str, str] | None] = {}

    def add(self, event: Event) -> None:
        key = (
            event.computer,
            event.channel,
            event.provider,
            event.event_id,
            event.level,
            event.source_file,
            event.source_kind,
        )
        parts = self._heads.get(key, False)
        if parts is False:
            parts = self._shared_cells(key)
        record_id = event.record_id
        if parts is not None and (record_id is None or record_id >= 0):
            text = plain_cell(event.text)
            if text is not None:
                # iso_z gives digits, dashes, colons, "T", "." and "Z" only (or nothing): a plain first cell
                self._lines.append(
                    f"{iso_z(event.time)},{parts[0]}{'' if record_id is None else record_id},{parts[1]}{text}\r\n"
                )
                return
        row = SafeCsvRows()
        row.plain_row(event_row(event))
        self._lines.append(row.text())

    def _shared_cells(self, key: tuple[Any, ...]) -> tuple[str, str] | None:
        computer, channel, provider, event_id, level, source_file, source_kind = key
        before = [computer, channel, provider, str(event_id), "" if level is None else str(level)]
        after = [source_file, source_kind]
        parts = None
        if all(is_plain_cell(cell) for cell in before + after):
            parts = ",".join(before) + ",", ",".join(after) + ","
        if len(self._heads) >= MAX_ROW_HEADS:
            self._heads.clear()
        self._heads[key] = parts
        return parts

    @property
    def count(self) -> int:
        return len(self._lines)

    def text(self) -> str:
        return "".join(self._lines)


# events.csv columns that can name a person or machine (the rest are times, channels, providers and numbers).
EVENT_IDENTIFYING_COLUMNS = ("Computer", "SourceFile", "Text")


def rewrite_events_csv(source: Path, target: Path, rewrite: Callable[[str], str]) -> int:
    """Copy an ``events.csv`` written by :class:`EventsCsv`, passing its identifying columns through ``rewrite``.

    Used for redaction: events are streamed out before the analysis has seen every identifier, so the raw file is
    written privately first and the report's copy is made once the redactor knows everything. Returns the rows.
    """
    rows = 0
    with source.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, list(EVENT_COLUMNS))
        touch = [header.index(c) for c in EVENT_IDENTIFYING_COLUMNS if c in header]
        with SafeCsvWriter(target, header) as out:
            for row in reader:
                for index in touch:
                    if index < len(row):
                        row[index] = rewrite(row[index])
                out.row(row)
                rows += 1
    return rows


class EventsCsv:
    """Streams events to ``events.csv`` as the pipeline reads them (no list of all events in memory)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out = SafeCsvWriter(path, EVENT_COLUMNS)
        self.rows = 0

    def add(self, event: Event) -> None:
        self._out.row(event_row(event))
        self.rows += 1

    def add_formatted(self, data: bytes, count: int) -> None:
        """Append ``count`` rows formatted by :class:`EventRows`, as UTF-8."""
        self._out.rows_utf8(data)
        self.rows += count

    def close(self) -> None:
        self._out.close()

    def __enter__(self) -> EventsCsv:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
