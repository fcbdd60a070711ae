"""A compact copy of a challenge finding, for the one kind of healthy traffic the engine must keep until the end.

Why: whether a "Challenge requested" was answered is only known once every file is read (the answer may be in a
file read later), and a one-time-code sign-in logs one challenge each, so a busy server has thousands of them.
A full Finding holds the reader's Event (every data item, a per-object dict) and an attribute dict; this record
keeps only what a rule or an evidence row uses, in slots, with the strings every event repeats interned.
"""

from __future__ import annotations

import sys
from datetime import datetime

from nps_trace_analyzer.core.model import Event, Finding

_KEPT_ATTRS = ("cid", "user", "server", "state")


class CompactFinding:
    __slots__ = (
        "attrs",
        "channel",
        "code",
        "computer",
        "entry_id",
        "event_id",
        "file",
        "kind",
        "level",
        "provider",
        "record_id",
        "source_kind",
        "text",
        "time",
    )

    def __init__(self, finding: Finding) -> None:
        ev = finding.event
        self.time: datetime = ev.time
        self.file = sys.intern(ev.source_file)
        self.channel = sys.intern(ev.channel)
        self.provider = sys.intern(ev.provider)
        self.computer = sys.intern(ev.computer)
        self.source_kind = sys.intern(ev.source_kind)
        self.event_id = ev.event_id
        self.level = ev.level
        self.record_id = ev.record_id
        self.text = ev.text
        self.code = sys.intern(finding.code)
        self.kind = sys.intern(finding.kind)
        self.entry_id = finding.entry_id
        # user and server repeat all day long: interned; cid and state are unique per sign-in.
        self.attrs = tuple(
            (k, sys.intern(finding.attrs[k]) if k in ("user", "server") else finding.attrs[k])
            for k in _KEPT_ATTRS
            if finding.attrs.get(k)
        )

    def finding(self) -> Finding:
        """The finding again, as the rules and the evidence rows see it (the raw data items are not kept)."""
        event = Event(
            self.time,
            self.file,
            self.channel,
            self.provider,
            self.event_id,
            self.level,
            self.record_id,
            self.computer,
            (),
            self.text,
            self.source_kind,
        )
        return Finding(event, self.code, self.kind, self.entry_id, dict(self.attrs))
