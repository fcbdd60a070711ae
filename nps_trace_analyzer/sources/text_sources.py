"""Readers for the text files of a health-check bundle, registered by the kind intake gives them.

- ``nps-eventlog-text`` (``NPS_EventLog.log``): wevtutil's text rendering of Security 6272/6273/6274, turned into
  the same events as Security.evtx.
- ``event-xml`` (Event Viewer's XML export, ``wevtutil qe /f:xml``): the same events as the .evtx it came from.
- ``registry-dump`` / ``registry-export`` (``*RegAdd_AzureMFA.txt``, ``AuthSrv.reg``): no events; the parsed
  values go to the collector as :data:`REGISTRY_VALUES` for the server-configuration checks.
- ``iaslog`` (NPS accounting logs ``IN*.log``): each row becomes an evidence event; the rows also go to the
  collector as :data:`ACCOUNTING_ROWS` for request/response pairing after the stream.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from nps_trace_analyzer.core.model import Event, InputFile
from nps_trace_analyzer.sources.event_blocks import is_message_copy
from nps_trace_analyzer.sources.event_xml import read_event_xml, unescape_posted_xml
from nps_trace_analyzer.sources.evtx_source import evtx_role
from nps_trace_analyzer.sources.iaslog import RadiusLogRecord, read_nps_log, to_events
from nps_trace_analyzer.sources.nps_eventlog_text import as_posted, read_wevtutil_text
from nps_trace_analyzer.sources.readers import Artifact, Collector, Identity, ReaderSpec, Sniffed, register_reader
from nps_trace_analyzer.sources.regdump import RegistryDump, read_registry_file
from nps_trace_analyzer.sources.text_decode import TextReadStats, counted_events

#: The parsed values of each registry dump/export, for the server-configuration checks.
REGISTRY_VALUES: Artifact[RegistryDump] = Artifact("registry", dict)
#: The rows of each NPS accounting log, for request/response pairing after the stream.
ACCOUNTING_ROWS: Artifact[list[RadiusLogRecord]] = Artifact("radius-log", list)


def read_nps_eventlog_text(inp: InputFile, collector: Collector) -> Iterator[Event]:
    """Counts each event's channel on ``inp`` as the exported-log readers do: a pasted copy may hold any log's
    events, so its role after reading follows them (pipeline ``_settle_role``), not the reader's name."""
    stats = TextReadStats()
    yield from counted_events(inp, read_wevtutil_text(inp.path, inp.name, stats), stats)


def read_event_xml_file(inp: InputFile, collector: Collector) -> Iterator[Event]:
    stats = TextReadStats()
    yield from counted_events(inp, read_event_xml(inp.path, inp.name, stats), stats)


def _read_registry(inp: InputFile, collector: Collector) -> Iterator[Event]:
    stats = TextReadStats()
    dump = read_registry_file(inp.path, stats)
    stats.apply_to(inp)
    if dump:
        collector.add(REGISTRY_VALUES, inp, dump)
    return iter(())


def read_iaslog(inp: InputFile, collector: Collector) -> Iterator[Event]:
    stats = TextReadStats()
    records = list(read_nps_log(inp.path, inp.name, stats))
    stats.apply_to(inp)
    collector.add(ACCOUNTING_ROWS, inp, records)
    for event in to_events(records):
        inp.events_kept += 1
        yield event


# --- how each kind is recognised, and its declaration ------------------------------------------------------

_IASLOG_DB_RE = re.compile(r'^"[^"]*","IAS",\d{2}/\d{2}/\d{4},\d{2}:\d{2}:\d{2},', re.MULTILINE)
_IASLOG_IAS_RE = re.compile(r"^[\d.]+,[^,\r\n]*,\d{2}/\d{2}/\d{4},\d{2}:\d{2}:\d{2},", re.MULTILINE)


_WEVTUTIL_BLOCK_RE = re.compile(r"[^\W\d_][\w-]{0,30}\[\d+\]\s*:?\s*(?:\r?\n|$)")
_LABEL_LINE_RE = re.compile(r"^[ \t]+[^\W\d_][^:\r\n]{0,40}:[ \t]", re.MULTILINE)
# Get-WinEvent | Format-List: these properties at column 0, in any order
_FORMAT_LIST_RES = tuple(re.compile(rf"^{name}\s*: ", re.MULTILINE) for name in ("TimeCreated", "ProviderName", "Id"))
# Get-EventLog | Format-List (the older cmdlet) names them otherwise
_EVENTLOG_LIST_RES = tuple(
    re.compile(rf"^{name}\s*: ", re.MULTILINE) for name in ("TimeGenerated", "Source", "(?:EventID|InstanceId)")
)
_EVENT_XML_RE = re.compile(r'<Event\s+xmlns=["\']http://schemas\.microsoft\.com/win/2004/08/events/event["\']')
# an <Event> copied without its namespace (tools' examples, forum posts): its <System> and <EventID> say what it is
_BARE_EVENT_XML_RE = re.compile(r"<Event\s*>\s*<System\s*>.*?<EventID[\s>]", re.DOTALL)
_EVENT_ID_LINE_RE = re.compile(r"^[ \t]*Event ID:[ \t]*\d+[ \t]*\r?$", re.MULTILINE)
_HEADER_LINE_RE = re.compile(
    r"^[ \t]*(Log Name|Log|Source|Date|Event ID|Task Category|Level|Keywords|Computer):[ \t]*\S", re.MULTILINE
)
_LOG_NAME_LINE_RE = re.compile(r"^[ \t]*Log Name:[ \t]*(\S+)[ \t]*\r?$", re.MULTILINE)
#: The role of a text rendering of the Security log (NPS_EventLog.log) until its events are read.
SECURITY_TEXT_ROLE = "Security-text"
_XML_CHANNEL_RE = re.compile(r"<Channel>\s*([^<]+?)\s*</Channel>")


def sniff_nps_eventlog_text(file: Sniffed) -> Identity | None:
    """Event text renderings: wevtutil's ``Event[0]:`` blocks (in any display language, so the reader can say
    when it is not supported), Event Viewer's "Copy details as text" (at ``Log Name:``, cut above it or below a
    note, quoted in a post), a copy of an audit message alone and PowerShell's ``Format-List`` property lists."""
    if file.text is None:
        return None
    text = "\n".join(as_posted(file.text.splitlines()))  # a quoted post ("> Log Name: ...") is read unquoted
    stripped = text.lstrip("\ufeff \r\n\t")
    english = (stripped.startswith("Event[") or stripped.startswith("Log Name:")) and "Log Name:" in text
    # a copy trimmed above its "Log Name:" line: its header still names the source and the event id
    english = english or (stripped.startswith(("Source:", "Date:", "Event ID:", "Log:")) and "Event ID:" in text[:2000])
    # copies below a note or a heading ("Here are the events:"): an event header anywhere in the head
    english = english or (_EVENT_ID_LINE_RE.search(text) is not None and len(set(_HEADER_LINE_RE.findall(text))) >= 3)
    if english or (_WEVTUTIL_BLOCK_RE.match(stripped) and len(_LABEL_LINE_RE.findall(text)) >= 3):
        return Identity("nps-eventlog-text", _first_log_role(text))
    if is_message_copy(stripped.splitlines()[:20]):
        return Identity("nps-eventlog-text", SECURITY_TEXT_ROLE)
    if all(p.search(text) for p in _FORMAT_LIST_RES) or all(p.search(text) for p in _EVENTLOG_LIST_RES):
        return Identity("nps-eventlog-text", SECURITY_TEXT_ROLE)
    return None


def _first_log_role(text: str) -> str:
    """``<log>-text`` for the log the first ``Log Name:`` line names (as an event table's first row gives its
    role), the Security log's when none does (NPS_EventLog.log's blocks, a copy cut above that line)."""
    found = _LOG_NAME_LINE_RE.search(text)
    log = found.group(1).rsplit("/", 1)[-1] if found else ""
    return f"{log}-text" if log and log.lower() != "security" else SECURITY_TEXT_ROLE


def sniff_event_xml(file: Sniffed) -> Identity | None:
    """Event Viewer's XML export or ``wevtutil /f:xml``: the first record's channel names the role."""
    text = file.text
    if text is not None:
        text = unescape_posted_xml(text[:65536])  # a copy from a page's HTML source: "&lt;Event xmlns=..."
    if text is None or not (_EVENT_XML_RE.search(text[:4096]) or _BARE_EVENT_XML_RE.search(text[:4096])):
        return None
    channel = _XML_CHANNEL_RE.search(text)
    return Identity("event-xml", evtx_role(channel.group(1).replace("/", "%4") + ".evtx") if channel else "")


def sniff_registry_export(file: Sniffed) -> Identity | None:
    """A regedit export (``.reg``)."""
    if file.stripped.startswith(("Windows Registry Editor", "REGEDIT4")):
        return Identity("registry-export", "AuthSrv" if "authsrv" in file.lower_name else "")
    return None


def sniff_registry_dump(file: Sniffed) -> Identity | None:
    """``REG QUERY`` output: starts with the key path."""
    if not file.stripped.upper().startswith("HKEY_"):
        return None
    top = (file.text or "")[:300].lower()
    return Identity("registry-dump", "AzureMfa" if "azuremfa" in top else ("AuthSrv" if "authsrv" in top else ""))


def sniff_iaslog(file: Sniffed) -> Identity | None:
    """NPS accounting logs in their three formats (database-compatible, DTS XML, IAS: only named ``IN*``)."""
    text = file.text
    if text is None:
        return None
    if _IASLOG_DB_RE.search(text):
        return Identity("iaslog", "database-compatible")
    if "<Event>" in text and "data_type=" in text:
        return Identity("iaslog", "dts-xml")
    if _IASLOG_IAS_RE.search(text) and file.base_name.startswith("in"):
        return Identity("iaslog", "ias")
    return None


def _repeats_security_log(inp: InputFile, files: Sequence[InputFile]) -> str:
    """NPS_EventLog.log is the text rendering of the Security log: with Security.evtx present it adds nothing. A
    pasted copy whose first event names another log (``Log Name: System``, its role from the sniffer) is no
    rendering of the Security log: it repeats nothing of it."""
    if inp.role != SECURITY_TEXT_ROLE:
        return ""
    has_security_evtx = any(f.kind == "evtx" and f.role == "Security" for f in files)
    return "the NPS audit events of the Security event log" if has_security_evtx else ""


NPS_EVENTLOG_TEXT = register_reader(
    ReaderSpec(
        kind="nps-eventlog-text",
        read=read_nps_eventlog_text,
        sniff=sniff_nps_eventlog_text,
        sniff_rank=20,
        name_patterns=("NPS_EventLog.log",),
        signature="wevtutil text (Event[n]: blocks)",
        contributes="Security 6272-6274 events from NPS_EventLog.log, the same as Security.evtx gives",
        repeats=_repeats_security_log,
        audit_decisions=True,
    )
)
EVENT_XML = register_reader(
    ReaderSpec(
        kind="event-xml",
        read=read_event_xml_file,
        sniff=sniff_event_xml,
        sniff_rank=30,
        name_patterns=("*.xml",),
        signature="Windows event XML (<Event xmlns=...>)",
        contributes="the same events as the .evtx the XML export came from",
    )
)
REGISTRY_EXPORT = register_reader(
    ReaderSpec(
        kind="registry-export",
        read=_read_registry,
        sniff=sniff_registry_export,
        sniff_rank=30,
        name_patterns=("*.reg",),
        signature="regedit export header",
        contributes="no events; the 'registry' values for the server-configuration checks",
        artifacts=(REGISTRY_VALUES,),
    )
)
REGISTRY_DUMP = register_reader(
    ReaderSpec(
        kind="registry-dump",
        read=_read_registry,
        sniff=sniff_registry_dump,
        sniff_rank=30,
        name_patterns=("*RegAdd_*.txt",),
        signature="REG QUERY key line (HKEY_...)",
        contributes="no events; the 'registry' values for the server-configuration checks",
        artifacts=(REGISTRY_VALUES,),
    )
)
IASLOG = register_reader(
    ReaderSpec(
        kind="iaslog",
        read=read_iaslog,
        sniff=sniff_iaslog,
        sniff_rank=60,
        name_patterns=("IN*.log",),
        signature="NPS accounting row",
        contributes="one evidence event per accounting row; the 'radius-log' rows for request/response pairing",
        artifacts=(ACCOUNTING_ROWS,),
        audit_decisions=True,
    )
)
