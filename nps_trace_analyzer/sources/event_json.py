"""Read event logs saved as JSON: PowerShell's ``Get-WinEvent ... | ConvertTo-Json`` (or ``Select-Object`` of some
properties first), one object or an array of them.

Why: admins who script their exports reach for ``ConvertTo-Json`` as often as for ``Export-Csv``; each object
carries the same properties (``Id``, ``ProviderName``, ``LogName``, ``MachineName``, ``TimeCreated``,
``Message``...), so each becomes an :class:`~nps_trace_analyzer.sources.event_blocks.EventBlock` with the column
names the table reader knows, and goes through the one block-to-event conversion (named data from the message).

Times: Windows PowerShell 5.1 writes ``TimeCreated`` as ``"/Date(1741788240000)/"`` (milliseconds since 1970,
UTC), sometimes wrapped as ``{"value": "/Date(...)/", "DateTime": "..."}``; PowerShell 7 writes ISO 8601 with the
offset. Both are read as UTC. A file that is JSON but holds no event objects is reported as such, never guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nps_trace_analyzer.core.model import Event, InputFile
from nps_trace_analyzer.sources.event_blocks import EventBlock
from nps_trace_analyzer.sources.event_table import column_key
from nps_trace_analyzer.sources.nps_eventlog_text import events_from_blocks
from nps_trace_analyzer.sources.readers import Collector, Identity, ReaderSpec, Sniffed, register_reader
from nps_trace_analyzer.sources.text_decode import DEFAULT_MAX_BYTES, TextReadStats, counted_events, load_text

FORMAT_NAME = "event-json"
_MS_DATE_RE = re.compile(r"^/?Date\((-?\d{1,15})(?:[+-]\d{4})?\)/?$")
_SNIFF_RE = re.compile(r'"(?:Id|ProviderName|TimeCreated|LogName)"\s*:', re.IGNORECASE)
# Objects of a ConvertTo-Json export hold a few dozen properties; deeper nesting is not an event export.
_MAX_OBJECTS = 2_000_000


def _scalar(value: Any) -> str:
    """A property as text: PowerShell's wrapped dates and lists (KeywordsDisplayNames) included."""
    if isinstance(value, dict):
        value = value.get("value", value.get("DateTime", ""))
    if isinstance(value, list):
        return ", ".join(_scalar(item) for item in value if not isinstance(item, (dict, list)))
    if value is None or isinstance(value, (dict, list)):
        return ""
    text = str(value).strip()
    m = _MS_DATE_RE.match(text.replace("\\/", "/"))
    if m:
        when = datetime.fromtimestamp(int(m.group(1)) / 1000, tz=timezone.utc)
        return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"
    return text


def _blocks(document: Any, stats: TextReadStats) -> Iterator[EventBlock]:
    objects = document if isinstance(document, list) else [document]
    count = 0
    for position, item in enumerate(objects[:_MAX_OBJECTS]):
        if not isinstance(item, dict):
            stats.records_skipped += 1
            continue
        header: dict[str, str] = {}
        description: list[str] = []
        for name, value in item.items():
            key = column_key(str(name))
            if key == "description":
                description = _scalar(value).replace("\r\n", "\n").split("\n")
            elif key is not None:
                header.setdefault(key, _scalar(value))
        if not header:
            stats.records_skipped += 1
            continue
        yield EventBlock(count, position + 1, header, description, [], "Object")
        count += 1
    if len(objects) > _MAX_OBJECTS:
        stats.error = f"more than {_MAX_OBJECTS} objects: the rest is not read"


def parse_event_json(text: str, source_name: str, stats: TextReadStats | None = None) -> Iterator[Event]:
    """The events of a ConvertTo-Json export (already decoded text)."""
    stats = stats if stats is not None else TextReadStats()
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        stats.error = f"not readable as JSON ({str(exc)[:120]})"
        return
    yield from events_from_blocks(_blocks(document, stats), source_name, stats, FORMAT_NAME)


def read_event_json(
    path: str | Path, source_name: str, stats: TextReadStats, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Event]:
    """The events of a ConvertTo-Json file; never raises for bad content (``stats.error`` says what stopped it)."""
    text = load_text(path, stats, max_bytes)
    if text is not None:
        yield from parse_event_json(text, source_name, stats)


def _read(inp: InputFile, collector: Collector) -> Iterator[Event]:
    stats = TextReadStats()
    yield from counted_events(inp, read_event_json(inp.path, inp.name, stats), stats)


def sniff_event_json(file: Sniffed) -> Identity | None:
    """A JSON object or array whose first properties name event properties (Id, ProviderName, TimeCreated)."""
    if not file.stripped.startswith(("[", "{")):
        return None
    names = {m.group(0).split('"')[1].lower() for m in _SNIFF_RE.finditer(file.stripped[:8192])}
    return Identity("event-json", "") if "id" in names and len(names) >= 2 else None


EVENT_JSON = register_reader(
    ReaderSpec(
        kind="event-json",
        read=_read,
        sniff=sniff_event_json,
        sniff_rank=40,
        name_patterns=("*.json",),
        signature="JSON objects with Id and ProviderName/TimeCreated properties",
        contributes="the events of a Get-WinEvent export made with ConvertTo-Json",
        audit_decisions=True,
    )
)
