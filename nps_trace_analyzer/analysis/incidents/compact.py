"""A compact copy of a challenge finding, for the one kind of healthy traffic the engine must keep until the end.

Why: whether a "Challenge requested" was answered is only known once every file is read (the answer may be in a
file read later), and a one-time-code sign-in logs one challenge each, so a busy server has thousands of them.
A full Finding holds the reader's Event (every data item) and an attribute dict; this record keeps only what a
rule or an evidence row uses, as a plain tuple (it pickles and unpickles in C when a worker process sends its
challenges to the parent), with the strings every event repeats interned.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from nps_trace_analyzer.core.model import Event, Finding

_KEPT_ATTRS = ("cid", "user", "server", "state")

#: (time, file, channel, provider, event_id, level, record_id, computer, text, source_kind, code, kind, entry_id,
#: attrs as ((name, value), ...))
CompactFinding = tuple[Any, ...]
TIME, ATTRS = 0, 13


def compact(finding: Finding) -> CompactFinding:
    ev = finding.event
    attrs = finding.attrs
    intern = sys.intern
    return (
        ev.time,
        intern(ev.source_file),
        intern(ev.channel),
        intern(ev.provider),
        ev.event_id,
        ev.level,
        ev.record_id,
        intern(ev.computer),
        ev.text,
        intern(ev.source_kind),
        intern(finding.code),
        intern(finding.kind),
        finding.entry_id,
        # user and server repeat all day long: interned; cid and state are unique per sign-in.
        tuple((k, intern(attrs[k]) if k in ("user", "server") else attrs[k]) for k in _KEPT_ATTRS if attrs.get(k)),
    )


def attr(record: CompactFinding, name: str) -> str | None:
    for key, value in record[ATTRS]:
        if key == name:
            return value
    return None


def time_of(record: CompactFinding) -> datetime:
    return record[TIME]


def expand(record: CompactFinding) -> Finding:
    """The finding again, as the rules and the evidence rows see it (the raw data items are not kept)."""
    when, file, channel, provider, event_id, level, record_id, computer, text, source_kind, code, kind, entry, kept = (
        record
    )
    event = Event(when, file, channel, provider, event_id, level, record_id, computer, (), text, source_kind)
    return Finding(event, code, kind, entry, dict(kept))
