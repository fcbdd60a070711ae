"""Read event logs exported as XML: Event Viewer's "Save All Events As... XML" (``<Events><Event>...``) and
``wevtutil qe <log> /f:xml`` (``<Event>`` elements one after another, no root).

Why: admins attach these instead of .evtx when a ticket tool refuses binary files, and they carry everything the
.evtx does: EventData names, the UTC ``TimeCreated``, the channel. Event Viewer's export also adds
``<RenderingInfo>`` with the rendered ``<Message>``, which becomes the event's text (otherwise the data values
joined, as for .evtx). Each ``<Event>`` is parsed on its own (lxml ``recover``), so a damaged element costs one
record, never the file; entities are not resolved and nothing is fetched. A copy's last ``<Event>`` without its
closing tag is still read, and a redacted ``TimeCreated`` keeps the record at the FILETIME zero (with a warning).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from lxml import etree

from nps_trace_analyzer.core.model import Event
from nps_trace_analyzer.core.wintime import FILETIME_EPOCH
from nps_trace_analyzer.sources.event_blocks import as_posted
from nps_trace_analyzer.sources.event_dates import parse_wevtutil_date
from nps_trace_analyzer.sources.text_decode import DEFAULT_MAX_BYTES, TextReadStats, load_text

FORMAT_NAME = "event-xml"
# An <Event> element; the last one of a truncated copy may lack its closing tag (lxml recover reads what is there).
_EVENT_RE = re.compile(r"<Event[\s>].*?(?:</Event\s*>|(?=<Event[\s>])|\Z)", re.DOTALL)
_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)


def _local(tag: object) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def _child(node: etree._Element | None, name: str) -> etree._Element | None:
    if node is None:
        return None
    for child in node:
        if _local(child.tag) == name:
            return child
    return None


def _text(node: etree._Element | None) -> str:
    return (node.text or "").strip() if node is not None else ""


# The elements of the event schema (and Event Viewer's rendering): never a poster's placeholder, closed or not (a
# truncated copy may lack its </EventData> or </Event>).
_SCHEMA_TAGS = frozenset(
    "Event System Provider EventID Version Level Task Opcode Keywords TimeCreated EventRecordID Correlation Execution "
    "Channel Computer Security EventData UserData Data Binary RenderingInfo Message Keyword Culture".split()
)
_OPEN_TAG_RE = re.compile(r"<([A-Za-z_][\w.-]{0,60})((?:\s[^<>]{0,200})?)>")
_CLOSE_TAG_RE = re.compile(r"</([A-Za-z_][\w.-]{0,60})")


def escape_placeholders(xml: str) -> str:
    """``xml`` with a poster's angle-bracket placeholders (``<Data Name='SubjectUserName'><redacted></Data>``,
    ``<connection name>``) turned into text. Why: such a "tag" is never closed, and an XML parser that recovers
    nests every later element inside it, so the user and the reason code after it are lost. A tag with attributes,
    a self-closed one, one closed later and the event schema's own elements stay markup."""
    if "<" not in xml:
        return xml
    closed = set(_CLOSE_TAG_RE.findall(xml))

    def _text(m: re.Match[str]) -> str:
        name, rest = m.group(1), m.group(2)
        if name in _SCHEMA_TAGS or name in closed or "=" in rest or rest.rstrip().endswith("/"):
            return m.group(0)
        return "&lt;" + m.group(0)[1:-1] + "&gt;"

    return _OPEN_TAG_RE.sub(_text, xml)


def _event(element: str, source: str, ordinal: int) -> Event | None:
    """One ``<Event>`` element as an :class:`Event`; None when it has no usable id or time."""
    root = etree.fromstring(escape_placeholders(element).encode("utf-8"), _PARSER)
    if root is None:
        return None
    system = _child(root, "System")
    event_id = _text(_child(system, "EventID"))
    created = _child(system, "TimeCreated")
    parsed = parse_wevtutil_date((created.get("SystemTime") or "").replace(" ", "T")) if created is not None else None
    if not event_id.isdigit():
        return None
    # A redacted or mangled TimeCreated ("XXXX 07:22:15.35", seen in public copies) must not cost the record:
    # its decision, user and codes still count. It is kept at the FILETIME zero, which no time range includes.
    when: datetime = parsed[0] if parsed is not None else FILETIME_EPOCH
    provider = _child(system, "Provider")
    level = _text(_child(system, "Level"))
    record = _text(_child(system, "EventRecordID"))
    data: list[tuple[str | None, str]] = []
    message = ""
    for section in root:
        name = _local(section.tag)
        if name == "EventData":
            for item in section:
                if _local(item.tag) == "Data":
                    data.append((item.get("Name"), (item.text or "").strip()))
                elif _local(item.tag) == "Binary" and item.text:
                    data.append(("Binary", item.text.strip()))
                elif _local(item.tag) and len(item) == 0:
                    # <SubjectUserName>x</SubjectUserName>: a copy whose <Data Name="X"> elements a tool or a
                    # person renamed to <X> (so a spreadsheet gets columns); the element names the item.
                    data.append((_local(item.tag), (item.text or "").strip()))
        elif name == "UserData":
            for payload in section:
                data.extend((_local(child.tag), (child.text or "").strip()) for child in payload)
        elif name == "RenderingInfo":
            message = _text(_child(section, "Message"))
    return Event(
        time=when,
        source_file=source,
        channel=_text(_child(system, "Channel")),
        provider=(provider.get("Name") or provider.get("EventSourceName") or "") if provider is not None else "",
        event_id=int(event_id),
        level=int(level) if level.isdigit() else None,
        record_id=int(record) if record.isdigit() else ordinal,
        computer=_text(_child(system, "Computer")),
        data=tuple(data),
        text=message or " ".join(value for _name, value in data if value),
        source_kind="event-xml",
    )


# The markup of an <Event> as a web page's source or an HTML-escaping forum keeps it ("&lt;Event xmlns=...&gt;").
_ESCAPED_EVENT_RE = re.compile(r"&lt;Event(?:\s|&gt;)")
_QUOTED_RE = re.compile(r"^[ \t]*>[ \t]?<", re.MULTILINE)


def unescape_posted_xml(text: str) -> str:
    """``text`` as Windows wrote it when a post changed it: markup unescaped when it holds escaped ``<Event>``
    elements and no real one (a copy from a page's HTML source), and markdown / e-mail quote marks ("> <Event>")
    removed; otherwise unchanged (a real XML file keeps its entities, and its lines never mostly start with ">")."""
    if _ESCAPED_EVENT_RE.search(text) and not _EVENT_RE.search(text):
        text = html.unescape(text)
    if ">" in text[:4096] and _QUOTED_RE.search(text):
        text = "\n".join(as_posted(text.splitlines()))
    return text


def parse_event_xml(text: str, source_name: str, stats: TextReadStats | None = None) -> Iterator[Event]:
    """Yield the events of an XML export (already decoded); damaged elements are counted and skipped."""
    stats = stats if stats is not None else TextReadStats()
    text = unescape_posted_xml(text)
    for ordinal, match in enumerate(_EVENT_RE.finditer(text)):
        stats.records_read += 1
        try:
            event = _event(match.group(0), source_name, ordinal)
        except (etree.LxmlError, ValueError) as exc:
            event = None
            stats.warn(f"<Event> #{ordinal}: unreadable ({exc})")
        if event is None:
            stats.records_skipped += 1
            if stats.records_skipped <= 5:
                stats.warn(f"<Event> #{ordinal}: skipped, no valid EventID")
            continue
        if event.time == FILETIME_EPOCH:
            stats.warn(f"<Event> #{ordinal}: TimeCreated unreadable (redacted?); kept without a time (shown undated)")
        else:
            stats.note_time(event.time)
        stats.formats[FORMAT_NAME] = stats.formats.get(FORMAT_NAME, 0) + 1
        yield event


def read_event_xml(
    path: str | Path, source_name: str, stats: TextReadStats | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[Event]:
    """Yield the events of an XML export file; never raises for bad content (see :func:`parse_event_xml`)."""
    stats = stats if stats is not None else TextReadStats()
    text = load_text(path, stats, max_bytes)
    if text is None:
        return
    yield from parse_event_xml(text, source_name, stats)
