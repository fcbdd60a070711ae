"""Read .evtx files with pyevtx-rs (``evtx`` on PyPI) into normalised events.

Why this engine and these settings (measured against python-evtx, libevtx and dissect.eventlog on real logs):

- ``skip_errors=True``: the default strict mode aborts a whole file at the first bad record; support bundles are
  often copied from live, dirty logs. Each skipped item arrives as a ``RuntimeWarning`` which we count and report
  per file. ``validate_checksums`` stays off: it drops a whole chunk for one flipped bit.
- AzureMfa channel files are read as XML (``records()``): their EventData layout is not public, and pyevtx-rs's
  JSON silently drops unnamed ``<Data>`` that sit beside named ones and keeps only the last of repeated names
  (checked with our own writer). Those files are small; XML through lxml keeps every item in order.
- Everything else uses ``records_json()``: the cheapest output to turn into Python values. We only
  ``json.loads`` records that matter to NPS (Security 6272-6280, NPS/IAS/Schannel System events, anything
  mentioning the extension); the rest are counted from a cheap look at the JSON prefix, so a 1 GB Security.evtx
  full of logons costs little more than the bare iteration.
"""

from __future__ import annotations

import itertools
import json
import re
import warnings
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import evtx
from lxml import etree

from nps_trace_analyzer.domain import AZUREMFA_CHANNEL_SUFFIXES, AZUREMFA_CHANNELS, NPS_AUDIT_EVENT_IDS
from nps_trace_analyzer.model import Event, InputFile
from nps_trace_analyzer.sources.evtx_layout import RecordIds, account, describe_loss, read_layout
from nps_trace_analyzer.sources.evtx_strings import restore_event, strings_cut_at_nul
from nps_trace_analyzer.sources.registry import Collector, Identity, ReaderSpec, Sniffed, register_reader

BATCH = 512
EMPTY_LOG_SIZE = 4096  # an exported log with no records is its 4 KiB file header alone
_PROVIDER_RE = re.compile(r'"Provider":\{"#attributes":\{"Name":"((?:[^"\\]|\\.)*)"')
_EVENTID_RE = re.compile(r'"EventID":(?:\{[^}]*\},"#text":)?(\d+)')
_CHANNEL_RE = re.compile(r'"Channel":"((?:[^"\\]|\\.)*)"')
_XML_CHANNEL_RE = re.compile(r"<Channel>([^<]*)</Channel>")

NPS_SECURITY_IDS = NPS_AUDIT_EVENT_IDS
SYSTEM_PROVIDERS = frozenset({"nps", "ias", "schannel", "microsoft-windows-schannel-events"})
#: Data name under which the rendered message of a forwarded event (<RenderingInfo><Message>) is kept.
RENDERED_MESSAGE = "RenderedMessage"


def is_relevant(provider: str, channel: str, event_id: int, raw: str) -> bool:
    """Does this record matter to an NPS diagnosis? Decided from the JSON prefix, before parsing."""
    lprov = provider.lower()
    if "azuremfa" in lprov or channel.lower().endswith(AZUREMFA_CHANNEL_SUFFIXES):
        return True
    if lprov == "microsoft-windows-security-auditing":
        return event_id in NPS_SECURITY_IDS
    if lprov in SYSTEM_PROVIDERS:
        return True
    return "NPS Extension for" in raw


def _parse_time(raw: str) -> datetime:
    """pyevtx-rs gives ``2016-07-08T18:12:51.6816408Z UTC``; keep microseconds, always UTC."""
    text = raw.split(" ", 1)[0].rstrip("Z")
    if "." in text:
        head, frac = text.split(".", 1)
        text = f"{head}.{(frac + '000000')[:6]}"
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def _scalar(value: Any) -> str:
    if type(value) is str:  # the common case, first: most data values are plain strings
        return value
    if value is None:
        return ""
    if isinstance(value, dict):
        if "#text" in value:
            return _scalar(value["#text"])
        return " ".join(_scalar(v) for k, v in value.items() if k != "#attributes")
    if isinstance(value, list):
        return " ".join(_scalar(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _data_items(payload: Any) -> list[tuple[str | None, str]]:
    """Flatten ``EventData``/``UserData`` JSON into ordered ``(name, value)`` pairs (None = unnamed Data)."""
    items: list[tuple[str | None, str]] = []
    if not isinstance(payload, dict):
        if payload not in (None, ""):
            items.append((None, _scalar(payload)))
        return items
    for key, value in payload.items():
        if key == "#attributes":
            continue
        if key == "Data":
            inner = value.get("#text") if isinstance(value, dict) else value
            if isinstance(inner, list):
                items.extend((None, _scalar(v)) for v in inner)
            elif inner is not None:
                items.append((None, _scalar(inner)))
        elif key == "Binary":
            if value:
                items.append(("Binary", _scalar(value)))
        else:
            items.append((key, value if type(value) is str else _scalar(value)))
    return items


def _decode_json(raw: str, record_id: int, timestamp: str, source: str) -> Event:
    return _event_from_json(json.loads(raw), record_id, timestamp, source)


def _text_of(data: list[tuple[str | None, str]]) -> str:
    """The event's text: unnamed strings joined by spaces (message-like events), named ones as ``Name=value``
    pairs (audit events), so the text alone carries everything and events.csv needs no second data column."""
    if all(name is None for name, _value in data):
        return " ".join(value for _name, value in data if value)
    return "; ".join(f"{name}={value}" if name else value for name, value in data if value)


def _event_from_json(doc: dict[str, Any], record_id: int, timestamp: str, source: str) -> Event:
    event = doc.get("Event", {})
    system = event.get("System") or {}
    provider = system.get("Provider") or {}
    prov_attrs = provider.get("#attributes", {}) if isinstance(provider, dict) else {}
    event_id_raw = system.get("EventID")
    event_id = int(_scalar(event_id_raw) or 0)
    level_raw = system.get("Level")
    data: list[tuple[str | None, str]] = []
    if "EventData" in event:
        data = _data_items(event.get("EventData"))
    if "UserData" in event:
        user_data = event.get("UserData") or {}
        for _element, children in user_data.items() if isinstance(user_data, dict) else ():
            data.extend(_data_items(children))
    rendering = event.get("RenderingInfo")
    if isinstance(rendering, dict) and (message := _scalar(rendering.get("Message")).strip()):
        data.append((RENDERED_MESSAGE, message))  # forwarded events carry the sentence their strings fill
    return Event(
        time=_parse_time(timestamp),
        source_file=source,
        channel=_scalar(system.get("Channel")),
        provider=str(prov_attrs.get("Name") or prov_attrs.get("EventSourceName") or ""),
        event_id=event_id,
        level=int(level_raw) if isinstance(level_raw, int) else None,
        record_id=record_id,
        computer=_scalar(system.get("Computer")).strip(),
        data=tuple(data),
        text=_text_of(data),
        source_kind="evtx",
    )


_NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
_XML_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)


def _local(tag: object) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else ""


def _event_from_xml(xml: str, record_id: int, timestamp: str, source: str) -> Event:
    """Normalise one record from pyevtx-rs XML, keeping every ``<Data>`` (named, unnamed, repeated) in order."""
    root = etree.fromstring(xml.encode("utf-8"), _XML_PARSER)
    if root is None:
        raise ValueError("unparseable record XML")
    system = root.find(f"{_NS}System")
    if system is None:
        raise ValueError("record without <System>")

    def text(tag: str) -> str:
        node = system.find(f"{_NS}{tag}")
        return (node.text or "").strip() if node is not None else ""

    provider = system.find(f"{_NS}Provider")
    prov_name = ""
    if provider is not None:
        prov_name = provider.get("Name") or provider.get("EventSourceName") or ""
    level = text("Level")
    data: list[tuple[str | None, str]] = []
    for section in root:
        name = _local(section.tag)
        if name == "EventData":
            for item in section:
                if _local(item.tag) in ("Data", "Binary"):
                    key = item.get("Name") if _local(item.tag) == "Data" else "Binary"
                    data.append((key, item.text or ""))
        elif name == "UserData":
            for element in section:
                data.extend((_local(child.tag), child.text or "") for child in element)
        elif name == "RenderingInfo":  # forwarded events carry the sentence their insertion strings fill
            message = section.find(f"{_NS}Message")
            if message is not None and (message.text or "").strip():
                data.append((RENDERED_MESSAGE, message.text or ""))
    return Event(
        time=_parse_time(timestamp),
        source_file=source,
        channel=text("Channel"),
        provider=prov_name,
        event_id=int(text("EventID") or 0),
        level=int(level) if level.isdigit() else None,
        record_id=record_id,
        computer=text("Computer"),
        data=tuple(data),
        text=" ".join(value for _name, value in data if value),
        source_kind="evtx",
    )


def _peek_channel(path: str) -> str:
    """Channel of the first readable record ("" if none): decides XML vs JSON for files whose name says nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the real read counts and reports them
        try:
            for record in evtx.PyEvtxParser(path, skip_errors=True).records_json():
                m_chan = _CHANNEL_RE.search(record["data"])
                return m_chan.group(1) if m_chan else ""
        except (OSError, RuntimeError, ValueError):
            return ""
    return ""


def _note_time(inp: InputFile, when: datetime) -> None:
    if inp.first_time is None or when < inp.first_time:
        inp.first_time = when
    if inp.last_time is None or when > inp.last_time:
        inp.last_time = when


def _account_chunks(inp: InputFile, read_ids: RecordIds) -> None:
    """Compare what the file's headers announce with what was read; say what is missing (never silently)."""
    try:
        accounting = account(read_layout(inp.path), read_ids)
    except OSError as exc:
        inp.warnings.append(f"cannot check the chunk headers: {exc}")
        return
    inp.records_lost = accounting.lost
    if accounting.lost:
        inp.warnings.append(describe_loss(accounting))
    inp.warnings.extend(accounting.notes[:10])
    if len(accounting.notes) > 10:
        inp.warnings.append(f"... {len(accounting.notes) - 10} more damaged chunk headers")


def read_evtx(inp: InputFile, collector: Collector) -> Iterator[Event]:
    """Yield the NPS-relevant events of one .evtx file; count every record read and every item skipped."""
    try:
        parser = evtx.PyEvtxParser(inp.path, skip_errors=True)
    except (OSError, RuntimeError, ValueError) as exc:
        inp.reason = f"not a readable EVTX file: {exc}"
        return
    inp.analysed = True
    channel_hint = inp.role or (_peek_channel(inp.path) if not inp.role else "")
    as_xml = channel_hint.lower().endswith(AZUREMFA_CHANNEL_SUFFIXES)
    records = parser.records() if as_xml else parser.records_json()
    decode = _event_from_xml if as_xml else _decode_json
    cut_at_nul = strings_cut_at_nul(inp.path) if as_xml else {}  # pyevtx-rs ends strings at a NUL (#10 item 8)
    read_ids = RecordIds()
    while True:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            try:
                batch = list(itertools.islice(records, BATCH))
            except (RuntimeError, OSError) as exc:  # skip_errors should prevent this; never lose the file
                inp.warnings.append(f"reading stopped: {exc}")
                inp.reason = inp.reason or "reading stopped early (see warnings)"
                batch = []
        for warning in caught:
            inp.records_skipped += 1
            if len(inp.warnings) < 50:
                inp.warnings.append(str(warning.message))
        if not batch:
            break
        for record in batch:
            raw = record["data"]
            inp.records_read += 1
            read_ids.add(record["event_record_id"])
            if as_xml:
                m_chan = _XML_CHANNEL_RE.search(raw)
                channel = m_chan.group(1) if m_chan else ""
                inp.channels[channel] = inp.channels.get(channel, 0) + 1
            else:
                head = raw[:600]
                m_prov = _PROVIDER_RE.search(head)
                m_chan = _CHANNEL_RE.search(raw)
                m_id = _EVENTID_RE.search(head)
                channel = m_chan.group(1) if m_chan else ""
                inp.channels[channel] = inp.channels.get(channel, 0) + 1
                event_id = int(m_id.group(1)) if m_id else -1
                if not is_relevant(m_prov.group(1) if m_prov else "", channel, event_id, raw):
                    continue
            try:
                event = decode(raw, record["event_record_id"], record["timestamp"], inp.name)
            except (ValueError, KeyError, TypeError, etree.LxmlError) as exc:
                inp.records_skipped += 1
                if len(inp.warnings) < 50:
                    inp.warnings.append(f"record {record.get('event_record_id')}: cannot normalise: {exc}")
                continue
            if event.record_id in cut_at_nul:
                event = restore_event(event, cut_at_nul[event.record_id], inp.warnings)
            _note_time(inp, event.time)
            inp.events_kept += 1
            yield event
    if inp.records_skipped > 50:
        inp.warnings.append(f"... {inp.records_skipped - 50} more skipped items not listed")
    _account_chunks(inp, read_ids)
    if inp.records_read == 0 and inp.records_skipped == 0:
        if inp.size > EMPTY_LOG_SIZE:
            # pyevtx-rs says nothing when a file ends inside its first chunk: say it ourselves.
            inp.analysed = False
            inp.reason = "no complete record: the file is truncated or its first chunk is damaged"
        else:
            inp.warnings.append("the log is empty (file header only)")


EVTX_MAGIC = b"ElfFile\x00"


_NAME_TOKEN_RE = re.compile(r"%4|[\s_.\-/\\]+")


def _channel_in_head(head: bytes) -> str:
    """An AzureMfa channel named inside the first record (UTF-16, as the record's Channel value is stored).

    Content beats the name: an admin may save ``AuthZOptCh`` events as ``Security.evtx``. Security and System
    cannot be told this way (both words are also element names of every record); the reader settles those
    from the records' channel after reading.
    """
    for suffix in AZUREMFA_CHANNELS:
        if suffix.encode("utf-16-le") in head[4096:]:
            return suffix
    return ""


def evtx_role(name: str, head: bytes = b"") -> str:
    """Role of an .evtx from its content, else from its name in any of the forms a bundle uses.

    Names seen: the health-check script's ``<HOST>_AuthZOptCh.evtx``; Windows' own file names copied from
    ``C:\\Windows\\System32\\winevt\\Logs`` (``Microsoft-AzureMfa-AuthZ%4AuthZOptCh.evtx``, ``Security.evtx``); the
    same with a host prefix or suffix, other separators, any case.
    """
    from_content = _channel_in_head(head)
    if from_content:
        return from_content
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base[: -len(".evtx")] if base.lower().endswith(".evtx") else base
    tokens = [t.lower() for t in _NAME_TOKEN_RE.split(stem) if t]
    for suffix in AZUREMFA_CHANNELS:
        if suffix.lower() in tokens:
            return suffix
    for role in ("Security", "System", "Application"):
        if role.lower() in tokens:
            return role
    return ""


def sniff_evtx(file: Sniffed) -> Identity | None:
    """An EVTX file starts with its signature, whatever it is called."""
    return Identity("evtx", evtx_role(file.name, file.head)) if file.head.startswith(EVTX_MAGIC) else None


READER = register_reader(
    ReaderSpec(
        kind="evtx",
        read=read_evtx,
        sniff=sniff_evtx,
        sniff_rank=10,
        name_patterns=("*.evtx",),
        signature="EVTX file signature (ElfFile)",
        contributes="events of the AzureMfa channels, Security (NPS audit 6272-6280) and System (NPS, IAS, Schannel)",
    )
)
