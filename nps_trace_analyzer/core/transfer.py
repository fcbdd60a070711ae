"""Events and findings as plain tuples, for the trip from a worker process to the parent.

Why: pickling a dataclass goes through a state dict per object, and unpickling it runs Python code per object;
tuples of strings, numbers and datetimes pickle and unpickle in C (a third less data, several times less time).
Events shared by several findings travel once and are shared again after.
"""

from __future__ import annotations

import operator
from dataclasses import fields
from typing import Any

from nps_trace_analyzer.core.model import Event, Finding, event_from_fields

_EVENT_FIELDS = tuple(f.name for f in fields(Event))
_FINDING_FIELDS = tuple(f.name for f in fields(Finding) if f.name != "event")
#: The field values as one tuple, read in C (several fields each, so attrgetter always returns a tuple).
_event_values = operator.attrgetter(*_EVENT_FIELDS)
_finding_values = operator.attrgetter(*_FINDING_FIELDS)

Packed = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


def pack(findings: list[Finding], events: list[Event] | None = None) -> Packed:
    """(event tuples, finding tuples): ``events`` first and in order when given, then the findings' own events."""
    index: dict[int, int] = {}
    packed_events: list[tuple[Any, ...]] = []

    def number_of(event: Event) -> int:
        number = index.get(id(event))
        if number is None:
            number = index[id(event)] = len(packed_events)
            packed_events.append(_event_values(event))
        return number

    for event in events or ():
        number_of(event)
    return packed_events, [(number_of(f.event), *_finding_values(f)) for f in findings]


def _event(values: tuple[Any, ...], names: tuple[str, ...] = _EVENT_FIELDS) -> Event:
    """Event(*values), built the fast way (:func:`~nps_trace_analyzer.core.model.event_from_fields` says why)."""
    return event_from_fields(dict(zip(names, values, strict=True)))


def unpack(packed: Packed) -> tuple[list[Event], list[Finding]]:
    """The events (every one packed: those given to :func:`pack` first) and the findings, rebuilt."""
    event_values, finding_values = packed
    events = [_event(values) for values in event_values]
    return events, [Finding(events[number], *rest) for number, *rest in finding_values]
