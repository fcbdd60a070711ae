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

The same reader takes Event Viewer's "Copy details as text" layout (what forum posts and pasted files hold):
the same header labels without the ``Event[N]:`` line, and often an ``Event Xml:`` section whose EventData and
UTC ``TimeCreated`` are used in preference to the rendered text. Output in another display language is reported
as not supported (with the ``/l:en-US`` export hint) rather than misread. PowerShell's ``Get-WinEvent |
Format-List`` output (``TimeCreated : ...``, ``Id : 6273``, ``Message : ...``) is read the same way.

Copies pasted from web pages are read too: a value on the line after its label (pages re-flow them), a section
title joined to its first field ("NAS: NAS IPv4 Address: ..."), labels before any section title (the "User:"
title dropped: they belong to the template's first section), a copy starting at "Source:", "Date:" or "Event ID:",
and several such copies one after another (each starts where a run of header fields follows its message); a copy
of the message alone (no header) is read by its title (:mod:`nps_trace_analyzer.sources.event_blocks`). A block
whose Date is missing or redacted keeps its decision: it is kept at the FILETIME zero, which widens no time range
and every output shows as undated (``iso_z``), with a warning.

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
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from lxml import etree

from nps_trace_analyzer.core.domain import NPS_SYSTEM_PROVIDERS, SCHANNEL_PROVIDERS, SECURITY_AUDITING_PROVIDER
from nps_trace_analyzer.core.model import Event
from nps_trace_analyzer.core.nps_audit_layout import (
    OPTIONAL_NAMES,
    SECTIONS,
    TEMPLATES,
    data_order,
    lookup_label,
    norm_label,
)
from nps_trace_analyzer.core.wintime import FILETIME_EPOCH
from nps_trace_analyzer.sources.event_blocks import (
    SECURITY_PROVIDER_NAME,
    EventBlock,
    as_posted,
    is_format_list,
    is_message_copy,
    split_format_list,
    split_messages,
)
from nps_trace_analyzer.sources.event_dates import parse_wevtutil_date, slash_date_order
from nps_trace_analyzer.sources.event_xml import escape_placeholders
from nps_trace_analyzer.sources.text_decode import DEFAULT_MAX_BYTES, TextReadStats, load_text

FORMAT_NAME = "wevtutil-text"
_XML_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)

# --- the wevtutil block grammar ---------------------------------------------------------------------------

# "Event[0]:" in English; other display languages translate the word ("Ereignis[0]:"?), so any word is a block
# start and the header labels then tell whether the block is readable (see NOT_ENGLISH).
BLOCK_RE = re.compile(r"^\s*([^\W\d_][\w-]{0,30})\[(\d+)\]\s*:?\s*$")
HEADER_RE = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*:\s?(.*?)\s*$")
FIELD_RE = re.compile(r"^\s*([^:\t]*[^:\s])\s*:(?:[ \t]+(.*?))?\s*$")
HEADER_FIELDS = {
    "log name": "log_name",
    "log": "log_name",  # copies that shorten the label ("Log: Security")
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
LEVELS.update({"successaudit": 0, "failureaudit": 0})  # Get-EventLog's EntryType of Security audits

NOT_ENGLISH = (
    "is not in English: wevtutil's output in another display language is not supported (its header labels and "
    "messages cannot be read safely). Export again with English text: wevtutil qe Security /f:text /l:en-US ..."
)


_LOG_NAME_RE = re.compile(r"^\s*Log(?: Name)?\s*:", re.IGNORECASE)
# The header labels only an event's header carries (never an NPS message's own labels): a run of three of them
# is the header of the next pasted event, also when the poster cut its "Log Name:" line.
_HEADER_RUN_KEYS = frozenset({"source", "date", "event_id", "task", "level", "keyword", "computer", "opcode"})
_HEADER_RUN_SPAN = 8  # the non-blank lines a header run is looked for in (Event Viewer's header has 9-12 lines)
_EVENT_XML_RE = re.compile(r"^\s*Event Xml\s*:\s*$", re.IGNORECASE)
# A copy trimmed above its "Log Name:" line starts at one of these header lines (a later one only where a run of
# header fields follows: see _header_run).
_COPY_HEAD_RE = re.compile(r"^\s*(?:Source|Provider Name|Date|Event ID)\s*:\s*\S", re.IGNORECASE)


def _split_blocks(lines: list[str], stats: TextReadStats) -> Iterator[EventBlock]:
    """Cut the file into event blocks; lines before the first block are counted as skipped.

    Two layouts: wevtutil's ``Event[N]:`` blocks, and Event Viewer's "Copy details as text" (what forum posts
    and pasted files hold), where each event starts at its ``Log Name:`` line and may end with an ``Event Xml:``
    section carrying the record's XML. A ``Log Name:`` line starts a new event only outside a wevtutil file.
    """
    block: EventBlock | None = None
    block_word: str | None = None
    in_description = False
    in_xml = False
    copies = 0
    pending: str | None = None  # a header field whose value is on the next line
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        m = BLOCK_RE.match(line)
        if m and (block_word is None or m.group(1) == block_word):  # every block of one file uses one word
            block_word = m.group(1)
            if block is not None:
                yield block
            block = EventBlock(int(m.group(2)), number, {}, [], [], block_word)
            in_description = in_xml = False
            continue
        starts_copy = _LOG_NAME_RE.match(line) or (
            _COPY_HEAD_RE.match(line)
            and (block is None or (_past_header(block, line, in_description) and _header_run(lines, number - 1)))
        )
        if block_word is None and starts_copy and not in_xml:
            if block is not None:
                yield block
            block = EventBlock(copies, number, {}, [], [], "Event")
            copies += 1
            in_description = False
        if block is None:
            if line.strip():
                stats.lines_skipped += 1
                stats.warn(f"line {number}: text outside any Event[N] block skipped: {line.strip()[:80]!r}")
            continue
        if in_xml:
            block.xml.append(line)
            in_xml = "</Event>" not in line
            continue
        if _EVENT_XML_RE.match(line):
            in_description, in_xml = False, True
            continue
        if in_description:
            block.description.append(line)
            continue
        if not line.strip():
            continue
        h = HEADER_RE.match(line)
        key = HEADER_FIELDS.get(h.group(1).strip().lower()) if h else None
        if pending is not None and not (h and key):
            # a page that re-flowed the header too: "Event ID:" on one line, "6273" on the next
            block.header[pending], pending = line.strip(), None
            continue
        pending = None
        if h and key:
            if key == "description":
                in_description = True
                if h.group(2).strip():
                    block.description.append(h.group(2))
            else:
                block.header[key] = h.group(2).strip()
                pending = None if block.header[key] else key
        elif _starts_message(block, h):
            # a copy that dropped its "Description:" label: the message follows the header directly
            in_description = True
            block.description.append(line)
        else:
            block.garbage.append(line.strip())
    if block is not None:
        yield block


def _starts_message(block: EventBlock, header: re.Match[str] | None) -> bool:
    """Is a line that is no header field the first line of the message (its "Description:" label lost)? Only
    after an English header with the event id, and only for a sentence: a short "Label: value" of a header we do
    not know stays an unrecognised header line (and three of them say the header is in another language)."""
    if not block.header.get("event_id") or block.description or block.xml:
        return False
    return header is None or len(header.group(1).split()) > 3


def _header_key(line: str) -> str | None:
    """The header field a ``Label: value`` line sets (None when it is no header line)."""
    m = HEADER_RE.match(line)
    return HEADER_FIELDS.get(m.group(1).strip().lower()) if m and m.group(2).strip() else None


def _past_header(block: EventBlock, line: str, in_description: bool) -> bool:
    """Is ``block`` past its own header, so a header line belongs to another event (its description or XML has
    begun, or the line repeats a field the header already set)?"""
    return bool(block.header.keys() & _HEADER_RUN_KEYS) and (
        in_description or bool(block.xml) or _header_key(line) in block.header
    )


def _header_run(lines: list[str], start: int) -> bool:
    """Do the lines from ``start`` hold an event header (three distinct header fields among the next non-blank
    lines)? Decides whether a "Source:" / "Event ID:" line inside an event starts the next pasted event."""
    keys: set[str] = set()
    seen = 0
    for line in lines[start:]:
        if not line.strip():
            continue
        seen += 1
        key = _header_key(line)
        if key in _HEADER_RUN_KEYS:
            keys.add(key)
            if len(keys) >= 3:
                return True
        if seen >= _HEADER_RUN_SPAN:
            break
    return False


def _xml_items(xml_lines: list[str]) -> tuple[list[tuple[str | None, str]], datetime | None]:
    """EventData items and the UTC ``TimeCreated`` of an ``Event Xml:`` section (empty when unreadable)."""
    text = escape_placeholders("\n".join(xml_lines).strip())
    if not text:
        return [], None
    try:
        root = etree.fromstring(text.encode("utf-8"), _XML_PARSER)
    except (etree.LxmlError, ValueError):
        return [], None
    if root is None:
        return [], None
    items: list[tuple[str | None, str]] = []
    when: datetime | None = None
    for node in root.iter():
        tag = node.tag.split("}", 1)[-1] if isinstance(node.tag, str) else ""
        if tag == "Data":
            items.append((node.get("Name"), (node.text or "").strip()))
        elif tag == "TimeCreated" and node.get("SystemTime"):
            parsed = parse_wevtutil_date(node.get("SystemTime", "").replace(" ", "T"))
            when = parsed[0] if parsed else None
    return items, when


# The free-text sentences of the audit templates, which copies wrap; every other value is one short token or name.
_SENTENCE_NAMES = frozenset({"Reason", "LoggingResult"})


def _parse_description(event_id: int, lines: list[str], where: str, stats: TextReadStats) -> list[tuple[str, str]]:
    """Map ``Label: value`` lines to EventData names, section-aware; returns the items in text order.

    Title and intro sentences (before the first section) carry no colon and no data. wevtutil never wraps a
    value, so a line without a label inside a section is damage: skipped with a warning, not glued to the
    previous value; except after the Reason or Logging Results sentence, which pages and mail clients wrap.
    A label-only line opens a section; an unknown label is skipped with a warning, never
    guessed.
    """
    items: list[tuple[str, str]] = []
    section = ""
    rows = [raw.rstrip() for raw in lines if raw.strip()]
    taken: set[int] = set()
    for index, line in enumerate(rows):
        if index in taken:
            continue
        m = FIELD_RE.match(line)
        if not m and items and items[-1][0] in _SENTENCE_NAMES:
            # The reason sentence wrapped by a page or a mail client ("...mismatch.\nEither the user name ..."):
            # the rest of the sentence, never a value of its own (a cut label elsewhere stays damage).
            items[-1] = (items[-1][0], f"{items[-1][1]} {line.strip()}".strip())
            continue
        if not m:
            if section:
                stats.lines_skipped += 1
                stats.warn(f"{where}: line without a label skipped: {line.strip()[:80]!r}")
            continue
        label, value = norm_label(m.group(1)), (m.group(2) or "").strip()
        if value and label in SECTIONS and (inner := FIELD_RE.match(value)):
            # "NAS: NAS IPv4 Address: 10.1.1.1": a copy that joined a section title to its first field
            section, label, value = label, norm_label(inner.group(1)), (inner.group(2) or "").strip()
        if not value and label in SECTIONS:
            section = label
            continue
        if not value and index + 1 < len(rows) and not _is_label_line(event_id, section, rows[index + 1]):
            # Label and value on separate lines (web pages that re-flow a copy): the next line is the value
            # unless it is itself a known label or section ("EAP Type:" then "Microsoft: Secured password").
            value = rows[index + 1].strip()
            taken.add(index + 1)
        name = lookup_label(event_id, section, label)
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


def _is_label_line(event_id: int, section: str, line: str) -> bool:
    """Does ``line`` start with a label or section title the template knows (so it is no value of its own)?"""
    m = FIELD_RE.match(line)
    if not m:
        return False
    label = norm_label(m.group(1))
    return label in SECTIONS or lookup_label(event_id, section, label) is not None


def _order_items(event_id: int, items: list[tuple[str, str]]) -> tuple[tuple[str | None, str], ...]:
    """Template (EventData) order first, then anything else in text order; first value of a name wins."""
    values: dict[str, str] = {}
    for name, value in items:
        values.setdefault(name, value)
    ordered: list[tuple[str | None, str]] = [(n, values.pop(n)) for n in data_order(event_id) if n in values]
    ordered.extend(values.items())
    return tuple(ordered)


def _level(header: dict[str, str], provider: str) -> int | None:
    """The event level: a number as Export-Csv writes it, else the rendered name. The Security auditing provider
    logs every event at LogAlways (0), which renderings show as "Information" (or leave to "Audit Success")."""
    level = header.get("level", "").strip().lower()
    if level.isdigit() and len(level) < 3:
        return int(level)
    if provider.lower() == SECURITY_AUDITING_PROVIDER and (
        header.get("keyword", "").lower().startswith("audit") or level in ("information", "")
    ):
        return 0
    return LEVELS.get(level or header.get("level_name", "").strip().lower())


def _looks_english(description: list[str]) -> bool:
    """Does a description carry any label of the English templates? A message in another language has none."""
    for line in description:
        m = FIELD_RE.match(line)
        if m and (norm_label(m.group(1)) in SECTIONS or lookup_label(0, "", norm_label(m.group(1)))):
            return True
    return False


def parse_wevtutil_text(text: str, source_name: str, stats: TextReadStats | None = None) -> Iterator[Event]:
    """Yield one :class:`Event` per well-formed ``Event[N]`` block of ``text`` (already decoded)."""
    stats = stats if stats is not None else TextReadStats()
    lines = as_posted(text.splitlines())
    if is_format_list(lines):
        blocks = split_format_list(lines)
    elif is_message_copy(lines):
        blocks = split_messages(lines)
    else:
        blocks = _split_blocks(lines, stats)
    yield from events_from_blocks(blocks, source_name, stats)


_SECURITY_DISPLAY = "microsoft-windows-security"


def provider_name(source: str) -> str:
    """The provider's name for the name a rendering shows: Event Viewer's General tab says "Microsoft Windows
    security auditing." for the Security auditing provider (and posts shorten it), which is that provider."""
    folded = re.sub(r"[\s-]+", "-", source.strip().rstrip(".")).lower()
    if folded.startswith(_SECURITY_DISPLAY) and SECURITY_AUDITING_PROVIDER.startswith(folded):
        return SECURITY_PROVIDER_NAME
    return source


def default_channel(provider: str) -> str:
    """The log a rendering without a "Log Name" came from, by its provider: the Security log for the auditing
    provider (the NPS audits), the System log for NPS's and Schannel's own events, else unknown ("")."""
    lower = provider.strip().lower()
    if lower == SECURITY_AUDITING_PROVIDER or not lower:
        return "Security"  # NPS_EventLog.log names no provider on some lines: the Security export it is
    if lower in NPS_SYSTEM_PROVIDERS or lower in SCHANNEL_PROVIDERS:
        return "System"
    return ""


def events_from_blocks(
    blocks: Iterable[EventBlock], source_name: str, stats: TextReadStats, fmt: str = FORMAT_NAME
) -> Iterator[Event]:
    """The events of rendered blocks (any text or table layout); ``stats`` counts and warns, ``fmt`` names the
    layout in ``stats.formats``."""
    warned_local_time = False
    not_english = 0
    blocks = list(blocks)  # the file's dates are looked at together first: they tell day/month order
    day_first, ambiguous = slash_date_order(b.header.get("date", "") for b in blocks if not b.xml)
    if ambiguous:
        stats.warn(
            "dates such as 03/04/2026 can be day/month or month/day and no date of the file tells which: read "
            "month first (US); check them against the server's display culture"
        )
    for block in blocks:
        stats.records_read += 1
        where = f"{block.word}[{block.index}] (line {block.line})"
        if "event_id" not in block.header and "date" not in block.header and len(block.garbage) >= 3:
            # Labelled lines and none of them an English header: another display language. Never guess.
            not_english += 1
            stats.records_skipped += 1
            stats.lines_skipped += len(block.garbage) + len(block.description)
            continue
        for bad in block.garbage[:3]:
            stats.lines_skipped += 1
            stats.warn(f"{where}: unrecognised header line skipped: {bad[:80]!r}")
        stats.lines_skipped += max(0, len(block.garbage) - 3)
        xml_items, xml_time = _xml_items(block.xml)
        raw_id = block.header.get("event_id", "")
        instance = block.header.get("instance_id", "")
        if not raw_id and instance.isdigit() and len(instance) < 12:
            raw_id = str(int(instance) & 0xFFFF)  # Get-EventLog's InstanceId: the qualifiers above the id's 16 bits
        raw_date = block.header.get("date", "")
        # The record's own UTC time (Event Xml's TimeCreated) beats the rendered local "Date:".
        parsed = (xml_time, True) if xml_time else (parse_wevtutil_date(raw_date, day_first) if raw_date else None)
        if not raw_id.isdigit():
            stats.records_skipped += 1
            stats.warn(f"{where}: skipped, no valid Event ID (truncated or damaged block)")
            continue
        if parsed is None:
            # A copy without (or with a redacted) Date still carries the decision, user and codes: kept at the
            # FILETIME zero, which no time range includes, rather than lost.
            stats.warn(f"{where}: no valid Date ({raw_date[:40]!r}); kept without a time (shown undated)")
            parsed = (FILETIME_EPOCH, True)
        when, has_zone = parsed
        if not has_zone and not warned_local_time:
            warned_local_time = True
            stats.warn(
                "dates carry no UTC offset (the rendering printed the server's local time); treated as UTC, so "
                "times may be shifted by the server's UTC offset"
            )
        event_id = int(raw_id)
        provider = provider_name(block.header.get("source", ""))
        description = "\n".join(line.rstrip() for line in block.description).strip()
        items: list[tuple[str, str]] = []
        if xml_items:
            pass  # the record's EventData came with it: names and values as Windows logged them
        elif event_id in TEMPLATES and block.description and not _looks_english(block.description):
            stats.warn(f"{where}: the message of event {event_id} {NOT_ENGLISH}; kept with its text only")
        elif event_id in TEMPLATES:
            items = _parse_description(event_id, block.description, where, stats)
        else:
            stats.warn(f"event {event_id} is not an NPS audit event: kept with its text only, no named data")
        if not block.description:
            stats.warn(f"{where}: event {event_id} has no Description (truncated?)")
        elif event_id in TEMPLATES and not xml_items:
            found = {name for name, _v in items}
            missing = [n for n in data_order(event_id) if n not in found and n not in OPTIONAL_NAMES]
            if missing:
                stats.warn(f"{where}: event {event_id} lacks {', '.join(missing[:6])} (truncated description?)")
        if when != FILETIME_EPOCH:
            stats.note_time(when)
        stats.formats[fmt] = stats.formats.get(fmt, 0) + 1
        yield Event(
            time=when,
            source_file=source_name,
            channel=block.header.get("log_name") or default_channel(provider),
            provider=provider,
            event_id=event_id,
            level=_level(block.header, provider),
            record_id=block.index,
            computer=block.header.get("computer", ""),
            data=tuple(xml_items) if xml_items else _order_items(event_id, items),
            text=description,
            source_kind="nps-text",
        )
    if not_english:
        stats.warn(f"{not_english} event block(s) skipped: the file {NOT_ENGLISH}")
        if stats.records_read == not_english:
            stats.error = f"the file {NOT_ENGLISH}"


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
