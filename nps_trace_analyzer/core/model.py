"""The records that flow between the stages: inputs, events, findings, incidents.

Each stage only reads the records of the stage before it, so every type here is a plain dataclass with no
behaviour beyond small derived properties. Times are always timezone-aware UTC datetimes; reports render
them as ISO 8601 with a ``Z`` suffix (see :func:`iso_z`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from nps_trace_analyzer.core.wintime import FILETIME_EPOCH

_ISO_Z = "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ"


def iso_z(value: datetime | None) -> str:
    """Render a UTC datetime as ISO 8601 with microseconds and a ``Z`` suffix ("" for None and for an undated
    event: the readers keep an event whose time is missing or redacted at the FILETIME zero, 1601-01-01, which is
    no time anything happened at, so every output shows it as an empty time, never as a date)."""
    if value is None or value == FILETIME_EPOCH:
        return ""
    if value.tzinfo is not timezone.utc:
        value = value.astimezone(timezone.utc)
    year = value.year
    if year >= 1000:  # the fields formatted at once: isoformat's text (4-digit years) at half its cost
        return _ISO_Z % (year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


@dataclass
class InputFile:
    """One file of the bundle, as identified by intake and then read by a source.

    ``name`` is the path relative to the bundle root (or the member name inside a zip); ``path`` is where the
    bytes can be read on disk (a private temporary copy for zip members).
    """

    name: str
    path: str
    size: int
    sha256: str
    kind: str  # a registered reader's kind (sources/readers.py), or intake's own: zip, cab, text, empty, unknown
    role: str = ""  # e.g. "AuthZOptCh", "Security", "System", "nettrace", "NPSExtension", "registry-dump"
    analysed: bool = False
    reason: str = ""  # why it was not analysed, or why reading stopped early
    records_read: int = 0
    records_skipped: int = 0
    records_lost: int = 0  # records the file's own headers announce that were not read (evtx: see evtx_layout)
    events_kept: int = 0
    warnings: list[str] = field(default_factory=list)
    channels: dict[str, int] = field(default_factory=dict)  # channel -> records read
    first_time: datetime | None = None
    last_time: datetime | None = None


@dataclass(frozen=True)
class Event:
    """A normalised log record, whatever file it came from.

    ``data`` keeps every data string in order as ``(name, value)``; ``name`` is None for unnamed
    ``<Data>`` elements. Exported .evtx files carry no rendered message, so ``text`` is the data strings
    joined (or the rendered text for text-format sources).
    """

    time: datetime
    source_file: str
    channel: str
    provider: str
    event_id: int
    level: int | None
    record_id: int | None
    computer: str
    data: tuple[tuple[str | None, str], ...] = ()
    text: str = ""
    source_kind: str = "evtx"

    def get(self, name: str, default: str = "") -> str:
        """Return the value of the named data item ``name`` (case-insensitive), or ``default``."""
        lname = name.lower()
        for key, value in self.data:
            if key is not None and key.lower() == lname:
                return value
        return default


_new_object = object.__new__
_set_attribute = object.__setattr__


def event_from_fields(fields: dict[str, Any]) -> Event:
    """``Event(**fields)`` for the hot paths (the lean .evtx reader, the parent's unpacking of worker results).

    Why: a frozen dataclass's ``__init__`` sets each of the eleven fields through ``object.__setattr__``, which
    dominates building an event on these paths. Event has no ``__post_init__``, no slots and no validation, so
    handing it a finished ``__dict__`` makes the same object in a fraction of the time. ``fields`` must hold every
    field, in field order (as ``__init__`` would store them); it becomes the event's ``__dict__``, not a copy.
    """
    event = _new_object(Event)
    _set_attribute(event, "__dict__", fields)
    return event


#: Every value of :attr:`Finding.kind`, with what makes a finding that kind. Written once here (the
#: producers are extract/mfa_result.code_kind, findings.py and cross_source.py); a test checks that what the
#: pipeline produces stays within this set.
FINDING_KINDS: dict[str, str] = {
    "error": "an extension-side error code (UPPER_SNAKE), or an error-level event with no known code",
    "warning": "an extension warning (``*_WARNING``, missing NAS attributes), or a warning-level event with no code",
    "info": "an informational event with no known code, or a code of no recognised shape",
    "response": "the cloud MFA service's response (CamelCase: ``UserNotFound``, ``Success``)",
    "aadsts": "an Entra ID error (``AADSTS<n>``)",
    "challenge": "the extension asked the user for a second factor (``CHALLENGE_REQUESTED``)",
    "secondary": "the extension ignored a request not in the AccessAccept state",
    "nps-audit": "a Security 6272-6280 NPS audit event (reason code or event id)",
    "system": "a System-log NPS/IAS/Schannel event",
    "capture": "a conclusion drawn from the decoded packets of the capture",
    "config": "a server-configuration check (registry dumps, auditing policy)",
}


@dataclass
class Finding:
    """One code (or notable message) extracted from one event and looked up in the catalog.

    ``code`` is the catalog key (``ESTS_TOKEN_ERROR``, ``UserNotFound``, ``NPS-REASON-21``,
    ``SYSTEM-NPS-4402``...). ``entry_id`` is the matched catalog entry id, or None when the code is not in
    the catalog (such findings are kept and reported as "not in catalog", never dropped).
    ``attrs`` holds what the extractor found: cid, user, state, response_state, mfa_response, message,
    aadsts, trace_id, correlation_id, nas, client_ip, reason_code, ...
    """

    event: Event
    code: str
    kind: str  # one of FINDING_KINDS
    entry_id: str | None
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Evidence:
    """One row of evidence in an incident: where it came from and what it said."""

    file: str
    channel: str
    event_id: int
    record_id: int | None
    time: datetime
    text: str
    code: str = ""


@dataclass
class Incident:
    """One failed sign-in attempt (keyed by CID) or one recurring server-level fault."""

    id: str
    kind: str  # "sign-in", "challenge-no-result", "server", "nps-reject", "server-config"
    cid: str | None
    user: str | None
    server: str | None
    first_seen: datetime
    last_seen: datetime
    count: int
    codes: list[str]
    primary_code: str
    category: str
    severity: str
    benign: bool
    in_catalog: bool
    title: str
    summary: str
    steps: list[str]
    doc_links: list[str]
    evidence: list[Evidence]
    attrs: dict[str, str] = field(default_factory=dict)
    generic: bool = False  # the primary code matched only a family fallback entry (e.g. any AADSTS<n>)
