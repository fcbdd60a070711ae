"""The event block every text rendering is cut into, and the two layouts that are lists rather than Event Viewer
copies: PowerShell's property lists (``Get-WinEvent | Format-List``, ``Get-EventLog | Format-List``) and copies of
an NPS audit message alone (the General tab's text, no header).

Why apart from :mod:`nps_trace_analyzer.sources.nps_eventlog_text`: that module cuts wevtutil and Event Viewer
copies and turns blocks into events; these layouts only need to be recognised and cut into the same blocks, and
the table reader (:mod:`nps_trace_analyzer.sources.event_table`) builds the same blocks from rows.

It also holds :func:`as_posted`, which every text reader (and the event-XML reader) applies to a copy taken from a
post: one definition of what posting does to a text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from nps_trace_analyzer.core.nps_audit_layout import SECTIONS, TEMPLATES, norm_label

#: The Security auditing provider's name as Windows writes it (domain.SECURITY_AUDITING_PROVIDER is its lower case).
SECURITY_PROVIDER_NAME = "Microsoft-Windows-Security-Auditing"


@dataclass
class EventBlock:
    """One event as a text rendering gives it: header fields (named as ``nps_eventlog_text.HEADER_FIELDS`` names
    them), the message lines, unrecognised header lines and an optional ``Event Xml:`` section. Every text and
    table layout is cut into these, and ``nps_eventlog_text.events_from_blocks`` turns them into events one way."""

    index: int
    line: int
    header: dict[str, str]
    description: list[str]
    garbage: list[str]
    word: str = "Event"
    xml: list[str] = field(default_factory=list)


# PowerShell's ``Get-WinEvent | Format-List`` (default view or ``fl *``): "Name : value" at column 0, the Message
# continued on lines indented to the value column. Property names -> our header keys.
FORMAT_LIST_FIELDS = {
    "timecreated": "date",
    "providername": "source",
    "id": "event_id",
    "message": "description",
    "logname": "log_name",
    "machinename": "computer",
    "leveldisplayname": "level",
    "keywordsdisplaynames": "keyword",
    "taskdisplayname": "task",
    "recordid": "record_id",
    # Get-EventLog | Format-List (the older cmdlet): EventID, Source, TimeGenerated, EntryType, Index
    "eventid": "event_id",
    "source": "source",
    "timegenerated": "date",
    "entrytype": "level",
    "index": "record_id",
    "username": "user_name",
    "instanceid": "instance_id",
}
_FL_LINE_RE = re.compile(r"^([A-Za-z]+)\s*:(?:\s(.*))?$")


def is_format_list(lines: list[str]) -> bool:
    """Does the text start like ``Get-WinEvent`` / ``Get-EventLog | Format-List`` output (a known property at
    column 0)?"""
    for line in lines[:50]:
        if line.strip():
            m = _FL_LINE_RE.match(line.rstrip())
            # "Source:" also starts an Event Viewer copy cut above its "Log Name:": not a property list by itself
            return bool(m and m.group(1).lower() in FORMAT_LIST_FIELDS and m.group(1).lower() != "source")
    return False


#: Narrowest console a wrapped Format-List line can come from (PowerShell hosts are 80 columns or wider).
MIN_WRAP_WIDTH = 70
# A section title on its own ("User:", "Authentication Details:"): a line of its own, never the rest of a wrapped line.
_SECTION_LINE_RE = re.compile(r"^[^\W\d_][\w .()/-]{0,40}:\s*$")
_LABEL_RE = re.compile(r"^([^:\t]*[^:\s])\s*:")
_TEMPLATE_LABELS = frozenset(
    norm_label(label) for template in TEMPLATES.values() for _title, items in template.sections for label, _ in items
)


def _own_line(rest: str) -> bool:
    """Does a message line start a line of its own: the template's tab-indented "\tReason Code:\t16", a section
    title, or an audit template label in a copy that turned its tabs into spaces ("   Account Name:  bob")? The rest
    of a wrapped line goes on mid-line instead."""
    if rest.startswith("\t") or _SECTION_LINE_RE.match(rest.strip()):
        return True
    m = _LABEL_RE.match(rest.lstrip())
    return bool(m) and norm_label(m.group(1)) in _TEMPLATE_LABELS | SECTIONS


def unwrap_format_list(lines: list[str]) -> list[str]:
    """The lines of Format-List output with the Message's console-wrapped lines joined again.

    Why: the console (and ``Out-File`` / ``>`` from it) cuts a value longer than the window at the window width,
    mid-word, and continues it on the next line at the value column; a UPN, a GUID or a reason sentence is split in
    two. A wrapped line is as long as the longest line of the output (the width) and is followed by a message line
    that does not start a line of its own; a line that merely happens to be the longest is followed by a labelled
    line, a blank line or the next property, and stays as it is.
    """
    rows = [line.rstrip("\r\n") for line in lines]
    width = max((len(row) for row in rows), default=0)
    if width < MIN_WRAP_WIDTH:
        return rows
    out: list[str] = []
    column = 0  # the value column of the current Message; 0 outside one
    wrapped = False  # the previous physical line was as wide as the console, inside a Message
    for row in rows:
        m = _FL_LINE_RE.match(row) if row[:1].strip() else None
        if m:
            is_message = FORMAT_LIST_FIELDS.get(m.group(1).lower()) == "description"
            column = len(row) - len(m.group(2)) if is_message and m.group(2) is not None else 0
            out.append(row)
            wrapped = bool(column) and len(row) == width
            continue
        rest = row[column:] if row[:column].isspace() else row.lstrip(" ")
        if wrapped and rest.strip() and not _own_line(rest):
            out[-1] += rest  # the rest of the wrapped line, glued back without the value-column indent
        else:
            out.append(row)
        wrapped = bool(column) and len(row) == width
    return out


def split_format_list(lines: list[str]) -> Iterator[EventBlock]:
    """Blocks of Format-List output: a property seen twice starts the next event, whatever the property order."""
    lines = unwrap_format_list(lines)
    block: EventBlock | None = None
    count = 0
    in_message = False
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        m = _FL_LINE_RE.match(line) if line[:1].strip() else None
        if m:
            key = FORMAT_LIST_FIELDS.get(m.group(1).lower())
            if key is not None and (block is None or key in block.header):
                if block is not None:
                    yield block
                block = EventBlock(count, number, {}, [], [], "Event")
                count += 1
            in_message = key == "description"
            if block is not None and key is not None:
                block.header[key] = "" if in_message else (m.group(2) or "").strip()
                if in_message and (m.group(2) or "").strip():
                    block.description.append(m.group(2).strip())
            continue
        if block is not None and in_message:
            block.description.append(line.strip(" "))  # the value-column indent; tabs inside stay
    if block is not None:
        yield block


# The title sentence of each NPS audit message: a text that starts with one is a copy of the message alone (what
# selecting the General tab's text gives), its event id told by the title.
_TITLES = {template.title.lower().rstrip("."): event_id for event_id, template in TEMPLATES.items()}


def audit_title_id(line: str) -> int | None:
    """The event id whose message title ``line`` is ("Network Policy Server denied access to a user." -> 6273)."""
    return _TITLES.get(line.strip().strip('"“”').lower().rstrip("."))


def is_message_copy(lines: list[str]) -> bool:
    """Does the text start with an NPS audit message title (a copy of the message without the event header)?"""
    first = next((line for line in lines[:20] if line.strip()), "")
    return audit_title_id(first) is not None


def split_messages(lines: list[str]) -> Iterator[EventBlock]:
    """Copies of audit messages alone, one after another: each title line starts the next event, whose id the
    title tells and whose provider is the Security auditing one (the only one that writes these messages)."""
    block: EventBlock | None = None
    count = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        event_id = audit_title_id(line)
        if event_id is not None:
            if block is not None:
                yield block
            header = {"event_id": str(event_id), "source": SECURITY_PROVIDER_NAME}
            block = EventBlock(count, number, header, [line.strip()], [], "Message")
            count += 1
        elif block is not None:
            block.description.append(line)
    if block is not None:
        yield block


_QUOTE_RE = re.compile(r"^[ \t]*>[ \t]?")


def as_posted(lines: list[str]) -> list[str]:
    """The lines of a copy as the event gave them, undoing what posting did: web pages' no-break and zero-width
    spaces, and a markdown or e-mail quote ("> Log Name: ...") around most of the text."""
    lines = [line.replace("\u00a0", " ").replace("\u200b", "") for line in lines]
    filled = [line for line in lines if line.strip()]
    quoted = sum(1 for line in filled if _QUOTE_RE.match(line))
    if filled and quoted * 10 >= len(filled) * 6:
        lines = [_QUOTE_RE.sub("", line, count=1) for line in lines]
    return lines
