"""A compact copy of a challenge finding, for the one kind of healthy traffic the engine must keep until the end.

Why: whether a "Challenge requested" was answered is only known once every file is read (the answer may be in a
file read later), and a one-time-code sign-in logs one challenge each, so a busy server has thousands of them.
A full Finding holds the reader's Event (every data item) and an attribute dict; this record keeps only what a
rule or an evidence row uses, as a plain tuple (it pickles and unpickles in C when a worker process sends its
challenges to the parent), with the strings every event repeats interned. The text is kept as a template: the
CID, user and state it repeats replaced by markers (reversed exactly by :func:`expand`), so the texts of a day
of challenges become a handful of shared strings that a worker's pickle sends once.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from nps_trace_analyzer.core.model import Event, Finding

_KEPT_ATTRS = ("cid", "user", "server", "state")
#: Attributes a text repeats, and the marker each is replaced by in the template (characters no text holds:
#: a text or value holding one is kept as it is).
_SLOTS = (("cid", "\x00"), ("user", "\x01"), ("state", "\x02"))
_MARKERS = tuple(marker for _name, marker in _SLOTS)
#: Attributes whose values repeat all day long (interned); cid and state are unique per sign-in.
_REPEATED = frozenset({"user", "server"})

#: (time, file, channel, provider, event_id, level, record_id, computer, text, source_kind, code, kind, entry_id,
#: attrs as ((name, value), ...))
CompactFinding = tuple[Any, ...]
TIME, ATTRS = 0, 13


def compact(finding: Finding, keep: tuple[str, ...] | None = _KEPT_ATTRS) -> CompactFinding:
    """``finding`` as a tuple; of its attributes only ``keep`` (None: all of them, in their order)."""
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
        _template(ev.text, attrs),
        intern(ev.source_kind),
        intern(finding.code),
        intern(finding.kind),
        finding.entry_id,
        _attrs(attrs, keep),
    )


def _attrs(attrs: dict[str, str], keep: tuple[str, ...] | None) -> tuple[tuple[str, str], ...]:
    """The kept attributes: user and server repeat all day long (interned); cid and state are unique per sign-in."""
    intern = sys.intern
    if keep is None:
        return tuple((k, intern(v) if k in _REPEATED else v) for k, v in attrs.items())
    kept = []  # a loop, not a generator: this runs for every challenge a busy server logs
    for k in keep:
        v = attrs.get(k)
        if v:
            kept.append((k, intern(v) if k in _REPEATED else v))
    return tuple(kept)


def _template(text: str, attrs: dict[str, str]) -> str | tuple[str]:
    """``text`` with the slot values replaced by their markers (interned), or ``(text,)`` when a marker is in the
    text already. (A value holding a marker is never replaced: the text would hold that marker.)"""
    for marker in _MARKERS:  # three C scans of the text: several times cheaper than one regex character class
        if marker in text:
            return (text,)
    for name, marker in _SLOTS:
        value = attrs.get(name)
        if value:
            text = text.replace(value, marker)
    return sys.intern(text)


def _text(template: str | tuple[str], attrs: dict[str, str]) -> str:
    """The text again: the markers replaced back, in the reverse order of :func:`_template`."""
    if isinstance(template, tuple):
        return template[0]
    for name, marker in reversed(_SLOTS):
        value = attrs.get(name)
        if value:
            template = template.replace(marker, value)
    return template


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
    attrs = dict(kept)
    text = _text(text, attrs)
    event = Event(when, file, channel, provider, event_id, level, record_id, computer, (), text, source_kind)
    return Finding(event, code, kind, entry, attrs)
