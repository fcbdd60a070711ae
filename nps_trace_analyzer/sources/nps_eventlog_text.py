"""Read ``NPS_EventLog.log``: the health-check script's ``wevtutil qe Security ... /f:text`` rendering of the
NPS audit events (6272/6273/6274), back into the same named data items as the Security .evtx gives.

Why: the script exports the NPS audit events only as rendered text, so when a bundle lacks Security.evtx this
file is the only record of what NPS decided. Downstream code (``extract.nps_audit``) reads events by EventData
name (``ReasonCode``, ``CallingStationID``...), so this reader maps each rendered ``Label: value`` line back to
its EventData name. Labels repeat across sections ("Security ID" and "Account Name" appear under both
``User:`` and ``Client Machine:``), so the mapping is keyed by (section, label), and the data items come out in
the template's EventData order (``docs/reference/domain-facts.md`` §4.2), not in text order — the text
puts "Logging Results" before "Reason Code" while the EventData puts ``LoggingResult`` last.

Layout of the file (wevtutil's text format)::

    Event[0]:
      Log Name: Security
      Source: Microsoft-Windows-Security-Auditing
      Date: 2024-05-02T10:11:12.123
      Event ID: 6273
      ...
      Computer: NPS01.contoso.com
      Description:
    Network Policy Server denied access to a user.
    ...
    User:
        Security ID:            CONTOSO\\alice

Times: older wevtutil builds print the server's *local* time with no zone (``2024-05-02T10:11:12.123``);
newer ones print UTC with ``Z`` (``2022-11-16T14:54:13.2270000Z``). A time without an offset is taken as UTC
and the stats carry one warning saying so: the times may be shifted by the server's UTC offset.

What differs from the .evtx (documented, not fixable from text): the SID fields hold the rendered account
(``CONTOSO\\alice``, ``NULL SID``) instead of ``S-1-...``; ``record_id`` is the ``Event[N]`` ordinal of the
query result, not the EventRecordID; the Security audit level is 0 (LogAlways) as in the .evtx, though the text
says "Information".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from nps_trace_analyzer.model import Event
from nps_trace_analyzer.sources.text_decode import DEFAULT_MAX_BYTES, TextReadStats, load_text

FORMAT_NAME = "wevtutil-text"
SECURITY_PROVIDER = "Microsoft-Windows-Security-Auditing"

# --- the rendered templates (declarative; the synth writer renders from the same tables) -------------------


@dataclass(frozen=True)
class Template:
    """How Windows renders one NPS audit event: title, intro lines, then ``(section, [(label, name)])``."""

    title: str
    intro: tuple[str, ...]
    sections: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]

    def names(self) -> tuple[str, ...]:
        """EventData names in EventData order (see :data:`DATA_ORDER`)."""
        return tuple(name for _s, items in self.sections for _l, name in items)


_USER = (
    "User",
    (
        ("Security ID", "SubjectUserSid"),
        ("Account Name", "SubjectUserName"),
        ("Account Domain", "SubjectDomainName"),
        ("Fully Qualified Account Name", "FullyQualifiedSubjectUserName"),
    ),
)
_CLIENT_MACHINE = (
    "Client Machine",
    (
        ("Security ID", "SubjectMachineSID"),
        ("Account Name", "SubjectMachineName"),
        ("Fully Qualified Account Name", "FullyQualifiedSubjectMachineName"),
        ("OS-Version", "MachineInventory"),
        ("Called Station Identifier", "CalledStationID"),
        ("Calling Station Identifier", "CallingStationID"),
    ),
)
_NAS = (
    "NAS",
    (
        ("NAS IPv4 Address", "NASIPv4Address"),
        ("NAS IPv6 Address", "NASIPv6Address"),
        ("NAS Identifier", "NASIdentifier"),
        ("NAS Port-Type", "NASPortType"),
        ("NAS Port", "NASPort"),
    ),
)
_RADIUS_CLIENT = (
    "RADIUS Client",
    (("Client Friendly Name", "ClientName"), ("Client IP Address", "ClientIPAddress")),
)
_AUTH_BASE = (
    ("Connection Request Policy Name", "ProxyPolicyName"),
    ("Network Policy Name", "NetworkPolicyName"),
    ("Authentication Provider", "AuthenticationProvider"),
    ("Authentication Server", "AuthenticationServer"),
    ("Authentication Type", "AuthenticationType"),
    ("EAP Type", "EAPType"),
    ("Account Session Identifier", "AccountSessionIdentifier"),
)
_AUTH_REJECT = (
    "Authentication Details",
    (*_AUTH_BASE, ("Logging Results", "LoggingResult"), ("Reason Code", "ReasonCode"), ("Reason", "Reason")),
)
_AUTH_GRANT = ("Authentication Details", (*_AUTH_BASE, ("Logging Results", "LoggingResult")))
_AUTH_NAP = ("Authentication Details", _AUTH_BASE)
_QUARANTINE_GRANT = (
    "Quarantine Information",
    (("Result", "QuarantineState"), ("Session Identifier", "QuarantineSessionIdentifier")),
)
# NAP-era events (6276-6278; NAP was removed in Server 2016): names from the Security-event schema, order and
# labels from the 2008 templates. Best effort: no real sample was available.
_QUARANTINE_NAP = (
    "Quarantine Information",
    (
        ("Result", "QuarantineState"),
        ("Extended-Result", "ExtendedQuarantineState"),
        ("Session Identifier", "QuarantineSessionID"),
        ("Help URL", "QuarantineHelpURL"),
        ("System Health Validator Result(s)", "QuarantineSystemHealthResult"),
    ),
)
_QUARANTINE_PROBATION = (
    "Quarantine Information",
    (*_QUARANTINE_NAP[1], ("Quarantine Grace Time", "QuarantineGraceTime")),
)
_CONTACT = ("Contact the Network Policy Server administrator for more information.",)
_REQUEST_SECTIONS = (_USER, _CLIENT_MACHINE, _NAS, _RADIUS_CLIENT)

TEMPLATES: dict[int, Template] = {
    6272: Template(
        "Network Policy Server granted access to a user.", (), (*_REQUEST_SECTIONS, _AUTH_GRANT, _QUARANTINE_GRANT)
    ),
    6273: Template("Network Policy Server denied access to a user.", _CONTACT, (*_REQUEST_SECTIONS, _AUTH_REJECT)),
    6274: Template(
        "Network Policy Server discarded the request for a user.", _CONTACT, (*_REQUEST_SECTIONS, _AUTH_REJECT)
    ),
    6275: Template(
        "Network Policy Server discarded the accounting request for a user.",
        _CONTACT,
        (*_REQUEST_SECTIONS, _AUTH_REJECT),
    ),
    6276: Template(
        "Network Policy Server quarantined a user.", _CONTACT, (*_REQUEST_SECTIONS, _AUTH_NAP, _QUARANTINE_NAP)
    ),
    6277: Template(
        "Network Policy Server granted access to a user but put it on probation because the host did not meet "
        "the defined health policy.",
        (),
        (*_REQUEST_SECTIONS, _AUTH_NAP, _QUARANTINE_PROBATION),
    ),
    6278: Template(
        "Network Policy Server granted full access to a user because the host met the defined health policy.",
        (),
        (*_REQUEST_SECTIONS, _AUTH_NAP, _QUARANTINE_NAP),
    ),
    6279: Template(
        "Network Policy Server locked the user account due to repeated failed authentication attempts.", (), (_USER,)
    ),
    6280: Template("Network Policy Server unlocked the user account.", (), (_USER,)),
}

# EventData order differs from the text order in one place: LoggingResult comes last (real 6272/6273 XML).
_TAIL_LAST = ("LoggingResult",)


@lru_cache(maxsize=64)
def data_order(event_id: int) -> tuple[str, ...]:
    """The EventData names of ``event_id`` in the order the Security .evtx holds them ("" if unknown)."""
    template = TEMPLATES.get(event_id)
    if template is None:
        return ()
    names = [n for n in template.names() if n not in _TAIL_LAST]
    return (*names, *(n for n in _TAIL_LAST if n in template.names()))


LABEL_ALIASES = {
    "proxy policy name": "connection request policy name",  # Server 2008 wording
    "logging result": "logging results",
    "nas port type": "nas port-type",
    "os version": "os-version",
}


@lru_cache(maxsize=4096)
def _norm(label: str) -> str:
    text = re.sub(r"\s+", " ", label.strip().rstrip(":").strip()).lower()
    return LABEL_ALIASES.get(text, text)


def _section_maps() -> tuple[dict[int, dict[tuple[str, str], str]], dict[tuple[str, str], str], set[str]]:
    """Per event id and generic (section, label) -> name maps, plus the set of known section titles."""
    per_id: dict[int, dict[tuple[str, str], str]] = {}
    generic: dict[tuple[str, str], str] = {}
    sections: set[str] = set()
    for event_id, template in TEMPLATES.items():
        mapping: dict[tuple[str, str], str] = {}
        for section, items in template.sections:
            sections.add(_norm(section))
            for label, name in items:
                mapping[(_norm(section), _norm(label))] = name
                generic.setdefault((_norm(section), _norm(label)), name)
        per_id[event_id] = mapping
    return per_id, generic, sections


_PER_ID_MAP, _GENERIC_MAP, _SECTIONS = _section_maps()


def _unambiguous_labels() -> dict[str, str]:
    """Labels that mean one name whatever the section (used when a label turns up outside its section)."""
    seen: dict[str, set[str]] = {}
    for (_section, label), name in _GENERIC_MAP.items():
        seen.setdefault(label, set()).add(name)
    return {label: next(iter(names)) for label, names in seen.items() if len(names) == 1}


_LABEL_ONLY_MAP = _unambiguous_labels()

# --- the wevtutil block grammar ---------------------------------------------------------------------------

BLOCK_RE = re.compile(r"^\s*Event\[(\d+)\]\s*:?\s*$")
HEADER_RE = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*:\s?(.*?)\s*$")
FIELD_RE = re.compile(r"^\s*([^:\t]*[^:\s])\s*:(?:[ \t]+(.*?))?\s*$")
HEADER_FIELDS = {
    "log name": "log_name",
    "source": "source",
    "provider name": "source",
    "date": "date",
    "event id": "event_id",
    "task": "task",
    "task category": "task",
    "level": "level",
    "opcode": "opcode",
    "keyword": "keyword",
    "keywords": "keyword",
    "user": "user",
    "user name": "user_name",
    "computer": "computer",
    "description": "description",
    "record id": "record_id",
    "activity id": "activity_id",
    "related activity id": "related_activity_id",
}
LEVELS = {"critical": 1, "error": 2, "warning": 3, "information": 4, "verbose": 5, "logalways": 0}

_DATE_RE = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?\s*(Z|[+-]\d\d:?\d\d)?$", re.IGNORECASE
)
_US_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d\d):(\d\d)\s*([AP]M)?$", re.IGNORECASE)


def parse_wevtutil_date(text: str) -> tuple[datetime, bool] | None:
    """Parse a wevtutil ``Date:`` value into UTC; the bool says whether the text carried a zone/offset.

    Accepts ``2024-05-02T10:11:12.123``, ``...2270000Z``, ``...+02:00`` and the US ``5/2/2024 10:11:12 AM``
    that PowerShell renderings use. Returns None when the value is not a date.
    """
    value = text.strip()
    m = _DATE_RE.match(value)
    try:
        if m:
            year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
            micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
            when = datetime(year, month, day, hour, minute, second, micro)
            zone = m.group(8)
            if zone is None:
                return when.replace(tzinfo=timezone.utc), False
            if zone.upper() == "Z":
                return when.replace(tzinfo=timezone.utc), True
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            return (when - sign * offset).replace(tzinfo=timezone.utc), True
        m = _US_DATE_RE.match(value)
        if m:
            month, day, year, hour, minute, second = (int(g) for g in m.groups()[:6])
            ampm = (m.group(7) or "").upper()
            if ampm == "PM" and hour < 12:
                hour += 12
            elif ampm == "AM" and hour == 12:
                hour = 0
            return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc), False
    except ValueError:
        return None
    return None


@dataclass
class _Block:
    index: int
    line: int
    header: dict[str, str]
    description: list[str]
    garbage: list[str]


def _split_blocks(lines: list[str], stats: TextReadStats) -> Iterator[_Block]:
    """Cut the file into ``Event[N]`` blocks; lines before the first block are counted as skipped."""
    block: _Block | None = None
    in_description = False
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        m = BLOCK_RE.match(line)
        if m:
            if block is not None:
                yield block
            block = _Block(int(m.group(1)), number, {}, [], [])
            in_description = False
            continue
        if block is None:
            if line.strip():
                stats.lines_skipped += 1
                stats.warn(f"line {number}: text outside any Event[N] block skipped: {line.strip()[:80]!r}")
            continue
        if in_description:
            block.description.append(line)
            continue
        if not line.strip():
            continue
        h = HEADER_RE.match(line)
        key = HEADER_FIELDS.get(h.group(1).strip().lower()) if h else None
        if h and key:
            if key == "description":
                in_description = True
                if h.group(2).strip():
                    block.description.append(h.group(2))
            else:
                block.header[key] = h.group(2).strip()
        else:
            block.garbage.append(line.strip())
    if block is not None:
        yield block


def _lookup(event_id: int, section: str, label: str) -> str | None:
    """EventData name of a rendered label: exact (section, label) first, then a label unique to one name."""
    return (
        _PER_ID_MAP.get(event_id, {}).get((section, label))
        or _GENERIC_MAP.get((section, label))
        or _LABEL_ONLY_MAP.get(label)
    )


def _parse_description(event_id: int, lines: list[str], where: str, stats: TextReadStats) -> list[tuple[str, str]]:
    """Map ``Label: value`` lines to EventData names, section-aware; returns the items in text order.

    Title and intro sentences (before the first section) carry no colon and no data. wevtutil never wraps a
    value, so a line without a label inside a section is damage: skipped with a warning, not glued to the
    previous value. A label-only line opens a section; an unknown label is skipped with a warning, never
    guessed.
    """
    items: list[tuple[str, str]] = []
    section = ""
    for raw in lines:
        line = raw.rstrip()
        if not line.strip():
            continue
        m = FIELD_RE.match(line)
        if not m:
            if section:
                stats.lines_skipped += 1
                stats.warn(f"{where}: line without a label skipped: {line.strip()[:80]!r}")
            continue
        label, value = _norm(m.group(1)), (m.group(2) or "").strip()
        if not value and label in _SECTIONS:
            section = label
            continue
        name = _lookup(event_id, section, label)
        if name is None:
            stats.lines_skipped += 1
            if not value:
                section = label
                stats.warn(f"{where}: unknown section {m.group(1).strip()!r}; its labels are mapped by name only")
            else:
                stats.warn(f"{where}: unknown label {m.group(1).strip()!r} in section {section or '(none)'!r} skipped")
            continue
        items.append((name, value))
    return items


def _order_items(event_id: int, items: list[tuple[str, str]]) -> tuple[tuple[str | None, str], ...]:
    """Template (EventData) order first, then anything else in text order; first value of a name wins."""
    values: dict[str, str] = {}
    for name, value in items:
        values.setdefault(name, value)
    ordered: list[tuple[str | None, str]] = [(n, values.pop(n)) for n in data_order(event_id) if n in values]
    ordered.extend(values.items())
    return tuple(ordered)


def _level(header: dict[str, str], provider: str) -> int | None:
    keyword = header.get("keyword", "").lower()
    if provider.lower() == SECURITY_PROVIDER.lower() and keyword.startswith("audit"):
        return 0  # Security audits are logged at LogAlways (0); the text renders it as "Information"
    level = header.get("level", "").strip().lower()
    return LEVELS.get(level)


def parse_wevtutil_text(text: str, source_name: str, stats: TextReadStats | None = None) -> Iterator[Event]:
    """Yield one :class:`Event` per well-formed ``Event[N]`` block of ``text`` (already decoded)."""
    stats = stats if stats is not None else TextReadStats()
    warned_local_time = False
    for block in _split_blocks(text.splitlines(), stats):
        stats.records_read += 1
        where = f"Event[{block.index}] (line {block.line})"
        for bad in block.garbage[:3]:
            stats.lines_skipped += 1
            stats.warn(f"{where}: unrecognised header line skipped: {bad[:80]!r}")
        stats.lines_skipped += max(0, len(block.garbage) - 3)
        raw_id = block.header.get("event_id", "")
        raw_date = block.header.get("date", "")
        parsed = parse_wevtutil_date(raw_date) if raw_date else None
        if not raw_id.isdigit() or parsed is None:
            missing = [label for label, ok in (("Event ID", raw_id.isdigit()), ("Date", parsed)) if not ok]
            stats.records_skipped += 1
            stats.warn(f"{where}: skipped, no valid {' / '.join(missing)} (truncated or damaged block)")
            continue
        when, has_zone = parsed
        if not has_zone and not warned_local_time:
            warned_local_time = True
            stats.warn(
                "dates carry no UTC offset (wevtutil printed the server's local time); treated as UTC, so times "
                "may be shifted by the server's UTC offset"
            )
        event_id = int(raw_id)
        provider = block.header.get("source", "")
        description = "\n".join(line.rstrip() for line in block.description).strip()
        items: list[tuple[str, str]] = []
        if event_id in TEMPLATES:
            items = _parse_description(event_id, block.description, where, stats)
        else:
            stats.warn(f"event {event_id} is not an NPS audit event: kept with its text only, no named data")
        if not block.description:
            stats.warn(f"{where}: event {event_id} has no Description (truncated?)")
        elif event_id in TEMPLATES:
            found = {name for name, _v in items}
            missing = [n for n in data_order(event_id) if n not in found and n not in _OPTIONAL_NAMES]
            if missing:
                stats.warn(f"{where}: event {event_id} lacks {', '.join(missing[:6])} (truncated description?)")
        stats.note_time(when)
        stats.formats[FORMAT_NAME] = stats.formats.get(FORMAT_NAME, 0) + 1
        yield Event(
            time=when,
            source_file=source_name,
            channel=block.header.get("log_name") or "Security",
            provider=provider,
            event_id=event_id,
            level=_level(block.header, provider),
            record_id=block.index,
            computer=block.header.get("computer", ""),
            data=_order_items(event_id, items),
            text=description,
            source_kind="nps-text",
        )


# Fields that older builds do not render (2008 has no "Logging Results"; OS-Version is absent on newer builds).
_OPTIONAL_NAMES = frozenset({"LoggingResult", "MachineInventory", "QuarantineGraceTime"})


def read_wevtutil_text(
    path: str | Path,
    source_name: str,
    stats: TextReadStats | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[Event]:
    """Yield the events of a wevtutil ``/f:text`` file; fill ``stats`` (records read/skipped, warnings).

    Never raises for bad content: an unreadable or oversized file yields nothing and sets ``stats.error``.
    """
    stats = stats if stats is not None else TextReadStats()
    text = load_text(path, stats, max_bytes)
    if text is None:
        return
    yield from parse_wevtutil_text(text, source_name, stats)
