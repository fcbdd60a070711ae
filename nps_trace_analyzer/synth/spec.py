"""What one synthetic event record holds, independent of the file format it is written to.

The EVTX writer (``synth.evtx``) turns an :class:`EventSpec` into a BinXML record; the scenario generator
(``synth.scenarios``) builds EventSpecs. Keeping the description apart from the encoder lets tests compare
what a reader returns with exactly what was asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class UserData:
    """A ``<UserData>`` payload: one element (with its xmlns) holding simple text children in order."""

    element: str
    xmlns: str
    children: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EventSpec:
    """One event record as Windows would log it.

    ``event_data`` items are ``(name, value)``; ``name`` None writes an unnamed ``<Data>`` element. Exactly
    one of ``event_data`` / ``user_data`` is normally set; both None writes an empty ``<EventData>``.
    ``time`` must be timezone-aware (UTC); ``time_ticks`` adds 100 ns ticks below the microsecond.
    """

    provider: str
    event_id: int
    time: datetime
    channel: str
    computer: str
    provider_guid: str | None = None  # "{XXXXXXXX-...}" or bare; None omits the Guid attribute
    event_source_name: str | None = None  # classic providers (NPS, Schannel) set EventSourceName
    qualifiers: int | None = None
    version: int = 0
    level: int = 4
    task: int = 0
    opcode: int = 0
    keywords: int = 0x8000000000000000
    process_id: int = 0
    thread_id: int = 0
    user_sid: str | None = None
    activity_id: str | None = None
    event_data: tuple[tuple[str | None, str], ...] | None = None
    user_data: UserData | None = None
    time_ticks: int = 0
    extra: dict[str, str] = field(default_factory=dict, compare=False)  # generator notes, not written
