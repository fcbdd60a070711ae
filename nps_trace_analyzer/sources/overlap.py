"""Overlapping exports of one log: the same record read from two inputs is counted once.

Why: a bundle may hold two exports of the same channel that overlap in time (two ``.evtx`` saved a day apart, an
``.evtx`` and Event Viewer's XML export of it). Every record in the overlap would otherwise count twice: two
rejections, two incidents' worth of evidence, doubled sign-in counts. Byte-identical files are caught by intake
(``intake.duplicates``); this catches the partial overlap, record by record.

Which inputs take part is decided before reading, from the inputs alone: event-log inputs (``.evtx``, event XML,
event text, event tables) whose role (channel) another such input shares, or whose role is unknown. Only their
events are held back; a bundle with one file per channel pays nothing.

Two events are the same record when channel, computer, event id, time and content (the data values, or the
message when there are none) agree, and either both carry a real EventRecordID and it is equal, or they come from
different inputs (a text copy has no record id; one log legitimately repeats identical lines under new ids). The
copy kept is the first by (input name, order in the input), so the result does not depend on the read order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nps_trace_analyzer.core.model import Event, InputFile

#: Input kinds that carry Windows event records (the ones two exports of one channel can share).
EVENT_LOG_KINDS = frozenset({"evtx", "event-xml", "nps-eventlog-text", "event-table"})
#: Source kinds whose record_id is the record's EventRecordID (text renderings number their blocks instead).
_REAL_RECORD_IDS = frozenset({"evtx", "event-xml"})


def overlapping_inputs(files: Sequence[InputFile]) -> set[str]:
    """Names of the event-log inputs that may repeat another input's records (see the module docstring)."""
    logs = [f for f in files if f.kind in EVENT_LOG_KINDS and f.kind != "skipped"]
    roles = Counter(f.role.lower() for f in logs if f.role)
    return {f.name for f in logs if not f.role or roles[f.role.lower()] > 1} if len(logs) > 1 else set()


def _content(event: Event) -> str:
    values = [value for name, value in event.data if name != "Binary" and value]
    return " ".join(" ".join(values).split()) if values else " ".join(event.text.split())


def record_key(event: Event) -> tuple[str, str, int, Any, str]:
    """What two copies of one record share whatever the export format."""
    code = event.event_id & 0xFFFF if event.event_id > 0xFFFF else event.event_id
    return (event.channel.strip().lower(), event.computer.strip().lower(), code, event.time, _content(event))


@dataclass
class _Copy:
    source: str  # input name
    order: int  # position of the event in its input
    record_id: int | None
    event: Event
    findings: list[Any]


def _same_record(a: _Copy, b: _Copy) -> bool:
    if a.record_id is not None and b.record_id is not None:
        return a.record_id == b.record_id
    return a.source != b.source


@dataclass
class OverlapFilter:
    """Holds the events (and their findings) of the overlapping inputs until every input is read."""

    participants: set[str]
    _held: dict[tuple[str, str, int, Any, str], list[_Copy]] = field(default_factory=dict)
    _order: Counter[str] = field(default_factory=Counter)

    def takes(self, inp: InputFile) -> bool:
        return inp.name in self.participants

    def hold(self, inp: InputFile, event: Event, findings: Iterable[Any]) -> None:
        self._order[inp.name] += 1
        real = event.record_id if event.source_kind in _REAL_RECORD_IDS else None
        copy = _Copy(inp.name, self._order[inp.name], real, event, list(findings))
        self._held.setdefault(record_key(event), []).append(copy)

    def release(self) -> tuple[list[tuple[Event, list[Any], bool]], Counter[tuple[str, str]]]:
        """Every held event with its findings and whether it is the kept copy, in a read-order-free order;
        and how many events of each input repeat records kept from another: ``{(input, kept from): n}``."""
        out: list[tuple[Event, list[Any], bool]] = []
        repeats: Counter[tuple[str, str]] = Counter()
        for key in sorted(self._held, key=lambda k: (k[3], k[0], k[1], k[2], k[4])):
            kept: list[_Copy] = []
            for copy in sorted(self._held[key], key=lambda c: (c.source, c.order)):
                original = next((k for k in kept if _same_record(k, copy)), None)
                if original is None:
                    kept.append(copy)
                    out.append((copy.event, copy.findings, True))
                else:
                    repeats[(copy.source, original.source)] += 1
                    out.append((copy.event, copy.findings, False))
        self._held.clear()
        return out, repeats


def repeat_notes(repeats: Counter[tuple[str, str]]) -> list[str]:
    """One sentence per pair of inputs, sorted."""
    return [
        f"{n} event(s) in {name} are the same records as in {kept} (overlapping exports of one log): "
        "listed in events.csv, counted once."
        for (name, kept), n in sorted(repeats.items())
    ]
