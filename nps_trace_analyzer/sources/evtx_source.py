"""Read .evtx files with pyevtx-rs (``evtx`` on PyPI) into normalised events.

Why this engine and these settings (measured against python-evtx, libevtx and dissect.eventlog on real logs):

- ``skip_errors=True``: the default strict mode aborts a whole file at the first bad record; support bundles are
  often copied from live, dirty logs. Each skipped item arrives as a ``RuntimeWarning`` which we count and report
  per file. ``validate_checksums`` stays off: it drops a whole chunk for one flipped bit.
- AzureMfa channel files are read as XML (``records()``): their EventData layout is not public, and pyevtx-rs's
  JSON silently drops unnamed ``<Data>`` that sit beside named ones and keeps only the last of repeated names
  (checked with our own writer). The XML keeps every item in order; it is normalised by regular expressions
  where pyevtx-rs wrote its regular shape and by lxml otherwise (``evtx_lean``).
- Everything else uses ``records_json()``: the cheapest output to turn into Python values. We only
  ``json.loads`` records that matter to NPS (Security 6272-6280, NPS/IAS/Schannel System events, anything
  mentioning the extension); the rest are counted from a few ``str.find`` calls on the JSON text. Before that,
  :func:`read_shard_records` lets the native pre-filter (``evtx_prefilter``) recognise irrelevant Security
  audits from the record bytes so pyevtx-rs does not render them at all: a 1 GB Security.evtx full of logons
  costs less than the bare iteration.
- A file is read as shards — the 4 KiB file header plus a run of 64 KiB chunks — by several processes
  (``nps_trace_analyzer.pipeline.parallel``) or one after another in this process (:func:`read_evtx`): both use
  :func:`read_shard_records` and add up :class:`ReadStats` the same way, so the result does not depend on how the
  file was split or where it was read.
"""

from __future__ import annotations

import itertools
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, BinaryIO

import evtx
from lxml import etree

from nps_trace_analyzer.core.domain import AZUREMFA_CHANNEL_SUFFIXES, AZUREMFA_CHANNELS
from nps_trace_analyzer.core.model import Event, InputFile
from nps_trace_analyzer.sources.evtx_layout import RecordIds, account, describe_loss, read_layout
from nps_trace_analyzer.sources.evtx_lean import fast_event_from_xml, parse_time, sniff_json
from nps_trace_analyzer.sources.evtx_prefilter import SKIP, Scanner, fold_shard, shard_chunks
from nps_trace_analyzer.sources.evtx_shards import (
    DEFAULT_SHARD_CHUNKS,
    FILE_HEADER_BLOCK,
    Shard,
    chunks_per_shard,
    plan_shards,
)
from nps_trace_analyzer.sources.evtx_strings import restore_event, strings_cut_at_nul
from nps_trace_analyzer.sources.readers import Collector, Identity, ReaderSpec, Sniffed, register_reader

BATCH = 512
MAX_WARNINGS = 50  # per file; the rest are counted in one closing line
EMPTY_LOG_SIZE = 4096  # an exported log with no records is its 4 KiB file header alone
_CHANNEL_RE = re.compile(r'"Channel":"((?:[^"\\]|\\.)*)"')
_XML_CHANNEL_RE = re.compile(r"<Channel>([^<]*)</Channel>")
#: Data name under which the rendered message of a forwarded event (<RenderingInfo><Message>) is kept.
RENDERED_MESSAGE = "RenderedMessage"


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
        time=parse_time(timestamp),
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


def event_from_xml(xml: str, record_id: int, timestamp: str, source: str) -> Event:
    """Normalise one record from pyevtx-rs XML: by regular expressions when the XML has pyevtx-rs's regular
    shape (the hot path), through lxml otherwise; both give the same Event (tested on every corpus record)."""
    return fast_event_from_xml(xml, record_id, timestamp, source) or _event_from_xml(xml, record_id, timestamp, source)


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
        time=parse_time(timestamp),
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


def _xml_channel(xml: str) -> str:
    """What ``_XML_CHANNEL_RE`` finds (the first ``<Channel>`` holding plain text), by two ``str.find`` calls
    in the usual case: the first ``<Channel>`` is closed before any other ``<``."""
    start = xml.find("<Channel>")
    if start < 0:
        return ""
    start += 9
    end = xml.find("<", start)
    if end >= 0 and xml.startswith("</Channel>", end):
        return xml[start:end]
    m_chan = _XML_CHANNEL_RE.search(xml, start)
    return m_chan.group(1) if m_chan else ""


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


@dataclass
class ReadStats:
    """What reading one run of chunks saw; shards' stats are merged into the file's :class:`InputFile` in order.

    Kept apart from ``InputFile`` so a worker process can fill one per shard and the parent can add them up
    exactly as one sequential pass would have counted them (:meth:`merge_into`).
    """

    records_read: int = 0
    records_skipped: int = 0
    events_kept: int = 0
    warnings: list[tuple[bool, str]] = field(default_factory=list)  # (counts toward the cap, text)
    channels: dict[str, int] = field(default_factory=dict)
    first_time: datetime | None = None
    last_time: datetime | None = None
    stopped: str = ""  # why reading stopped before the end of the run ("" = it did not)
    record_ids: RecordIds = field(default_factory=RecordIds)  # for the chunk accounting (evtx_layout)

    def warn(self, text: str, capped: bool = True) -> None:
        if not capped or sum(1 for c, _t in self.warnings if c) < MAX_WARNINGS:
            self.warnings.append((capped, text))

    def merge_into(self, inp: InputFile) -> None:
        inp.records_read += self.records_read
        inp.records_skipped += self.records_skipped
        inp.events_kept += self.events_kept
        for capped, text in self.warnings:
            if not capped or len(inp.warnings) < MAX_WARNINGS:
                inp.warnings.append(text)
        for channel, count in self.channels.items():
            inp.channels[channel] = inp.channels.get(channel, 0) + count
        for when in (self.first_time, self.last_time):
            if when is not None:
                _note_time(inp, when)
        if self.stopped and not inp.reason:
            inp.reason = self.stopped


def _note_time(inp: InputFile | ReadStats, when: datetime) -> None:
    if inp.first_time is None or when < inp.first_time:
        inp.first_time = when
    if inp.last_time is None or when > inp.last_time:
        inp.last_time = when


_CHUNK_NUMBER_RE = re.compile(r"(chunk number )(\d+)")


def _absolute_chunk_numbers(message: str, first_chunk: int) -> str:
    """pyevtx-rs numbers chunks from the start of what it was given; a shard starts at ``first_chunk``."""
    if not first_chunk or "chunk number" not in message:
        return message
    return _CHUNK_NUMBER_RE.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + first_chunk}", message)


def open_evtx(inp: InputFile) -> bool | None:
    """Check that ``inp`` opens as EVTX and decide how to read it: True = XML (AzureMfa), False = JSON.

    None (and ``inp.reason`` set) when the file cannot be opened at all.
    """
    try:
        evtx.PyEvtxParser(inp.path, skip_errors=True)
    except (OSError, RuntimeError, ValueError) as exc:
        inp.reason = f"not a readable EVTX file: {exc}"
        return None
    inp.analysed = True
    channel_hint = inp.role or _peek_channel(inp.path)
    return channel_hint.lower().endswith(AZUREMFA_CHANNEL_SUFFIXES)


def read_records(
    source: str | BinaryIO,
    stats: ReadStats,
    as_xml: bool,
    name: str,
    first_chunk: int = 0,
    cut_at_nul: dict[int, list[str]] | None = None,
) -> Iterator[Event]:
    """Yield the NPS-relevant events of a whole file or of a shard (file header + a run of chunks).

    Every record read and every item skipped is counted in ``stats``; irrelevant records are recognised from a
    few ``str.find`` calls on the JSON text and never decoded (see :func:`sniff_json`).
    """
    try:
        parser = evtx.PyEvtxParser(source, skip_errors=True)
    except (OSError, RuntimeError, ValueError) as exc:
        stats.warn(f"reading stopped: {exc}", capped=False)
        stats.stopped = "reading stopped early (see warnings)"
        return
    records = parser.records() if as_xml else parser.records_json()
    decode = event_from_xml if as_xml else _decode_json
    channels = stats.channels
    while True:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            try:
                batch = list(itertools.islice(records, BATCH))
            except (RuntimeError, OSError) as exc:  # skip_errors should prevent this; never lose the file
                stats.warn(f"reading stopped: {_absolute_chunk_numbers(str(exc), first_chunk)}", capped=False)
                stats.stopped = "reading stopped early (see warnings)"
                batch = []
        for warning in caught:
            stats.records_skipped += 1
            stats.warn(_absolute_chunk_numbers(str(warning.message), first_chunk))
        if not batch:
            break
        stats.records_read += len(batch)
        _add_ids(stats.record_ids, [record["event_record_id"] for record in batch])
        for record in batch:
            raw = record["data"]
            if as_xml:
                channel = _xml_channel(raw)
                channels[channel] = channels.get(channel, 0) + 1
                if not cut_at_nul:  # the usual record, inline: what _normalise does when the regex path reads it
                    try:
                        event = fast_event_from_xml(raw, record["event_record_id"], record["timestamp"], name)
                    except (ValueError, KeyError, TypeError):
                        event = None  # _normalise below meets the same error and reports it
                    if event is not None:
                        _note_time(stats, event.time)
                        stats.events_kept += 1
                        yield event
                        continue
            else:
                channel, relevant = sniff_json(raw)
                channels[channel] = channels.get(channel, 0) + 1
                if not relevant:
                    continue
            event = _normalise(record, decode, stats, name, cut_at_nul)
            if event is not None:
                yield event


def _normalise(
    record: dict[str, Any],
    decode: Any,
    stats: ReadStats,
    name: str,
    cut_at_nul: dict[int, list[str]] | None,
) -> Event | None:
    """One relevant record as an Event (its time and the kept count noted), or None when it cannot be read."""
    try:
        event: Event = decode(record["data"], record["event_record_id"], record["timestamp"], name)
    except (ValueError, KeyError, TypeError, etree.LxmlError) as exc:
        stats.records_skipped += 1
        stats.warn(f"record {record.get('event_record_id')}: cannot normalise: {exc}")
        return None
    if cut_at_nul and event.record_id in cut_at_nul:  # pyevtx-rs ends strings at a NUL (evtx_strings)
        notes: list[str] = []
        repaired = restore_event(event, cut_at_nul[event.record_id], notes)
        if repaired is not event and decode is _decode_json:  # JSON-read events keep their Name=value text
            repaired = replace(repaired, text=_text_of(list(repaired.data)))
        event = repaired
        for note in notes:
            stats.warn(note)
    _note_time(stats, event.time)
    stats.events_kept += 1
    return event


def read_shard_records(
    shard: Shard, stats: ReadStats, as_xml: bool, name: str, cut_at_nul: dict[int, list[str]] | None = None
) -> Iterator[Event]:
    """Like :func:`read_records` over ``shard``, with the native pre-filter for JSON-read files: records that
    the EVTX bytes show to be irrelevant are counted without pyevtx-rs rendering them (``evtx_prefilter``).

    Same events, counts, channels and warnings as reading every record; when the shard is not clean or the
    rendered result is not exactly as expected, the shard is read the ordinary way.
    """
    if not as_xml:
        events = _read_folded(shard, stats, name)
        if events is not None:
            yield from events
            return
        # pyevtx-rs cuts a string at an embedded NUL in its JSON output too (Security/System values)
        cut_at_nul = cut_at_nul or strings_cut_at_nul(shard.path, max(shard.start, FILE_HEADER_BLOCK), shard.end)
    elif cut_at_nul is None:  # XML: the pool's workers scan before reading (pipeline.parallel); read_evtx here
        cut_at_nul = strings_cut_at_nul(shard.path, max(shard.start, FILE_HEADER_BLOCK), shard.end)
    yield from read_records(shard.open(), stats, as_xml, name, shard.first_chunk, cut_at_nul)


#: Shards above this size are read the ordinary way by the pre-filter (it holds a shard's bytes in memory).
MAX_FOLDED_SHARD = 64 * 1024 * 1024
_SCANNER = Scanner()  # template shapes are the same in every file: one cache per process


def _read_folded(shard: Shard, stats: ReadStats, name: str) -> list[Event] | None:
    """The shard's events through the pre-filter, counted into ``stats``; None (``stats`` untouched) when the
    shard must be read the ordinary way."""
    start = max(shard.start, FILE_HEADER_BLOCK)
    if shard.end - start > MAX_FOLDED_SHARD:
        return None
    try:
        parts = shard_chunks(shard.path, start, shard.end)
    except OSError:
        return None
    if parts is None:
        return None
    global _SCANNER
    if _SCANNER.size > 512:  # bounded whatever the input: a hostile file may hold many template shapes
        _SCANNER = Scanner()
    folded = fold_shard(parts[0], parts[1], _SCANNER)
    if folded is None:
        return None
    rendered: dict[int, dict[str, Any]] = {}
    if folded.source is not None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            try:
                records = list(evtx.PyEvtxParser(folded.source, skip_errors=True).records_json())
            except (RuntimeError, OSError, ValueError):
                return None
        if caught or [record["event_record_id"] for record in records] != folded.expected:
            return None
        for record in records:
            record_id = record["event_record_id"]
            if record_id in folded.checks and sniff_json(record["data"]) != (folded.checks[record_id], False):
                return None  # the bytes and the JSON disagree: trust neither, read it all
            rendered[record_id] = record
    # NUL-cut strings of the rendered records only (the skipped ones are never decoded): see evtx_strings
    kept = {item[3] for item in folded.items if item[0] != SKIP}
    cut_at_nul = strings_cut_at_nul(shard.path, start, shard.end, kept) if kept else {}
    channels = stats.channels
    events: list[Event] = []
    for state, _offset, _size, record_id, count, channel in folded.items:
        if state == SKIP:
            channels[channel] = channels.get(channel, 0) + count
            continue
        record = rendered[record_id]
        channel, relevant = sniff_json(record["data"])
        channels[channel] = channels.get(channel, 0) + 1
        if relevant and (event := _normalise(record, _decode_json, stats, name, cut_at_nul)) is not None:
            events.append(event)
    stats.records_read += folded.records
    stats.record_ids.runs.extend([first, last] for first, last in folded.id_runs)
    return events


def _add_ids(read_ids: RecordIds, ids: list[int]) -> None:
    """Add a batch's record ids: usually one consecutive run, taken whole instead of id by id."""
    if ids and ids[-1] - ids[0] == len(ids) - 1 and ids == list(range(ids[0], ids[-1] + 1)):
        if read_ids.runs and read_ids.runs[-1][1] + 1 == ids[0]:
            read_ids.runs[-1][1] = ids[-1]
        else:
            read_ids.runs.append([ids[0], ids[-1]])
        return
    for record_id in ids:
        read_ids.add(record_id)


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


def finish_evtx(inp: InputFile, read_ids: RecordIds) -> None:
    """File-level conclusions once every record (of every shard) is counted: skipped items beyond the listed
    ones, records the headers announce that were not read, a file with no complete record."""
    if inp.records_skipped > MAX_WARNINGS:
        inp.warnings.append(f"... {inp.records_skipped - MAX_WARNINGS} more skipped items not listed")
    _account_chunks(inp, read_ids)
    if inp.records_read == 0 and inp.records_skipped == 0:
        if inp.size > EMPTY_LOG_SIZE:
            # pyevtx-rs says nothing when a file ends inside its first chunk: say it ourselves.
            inp.analysed = False
            inp.reason = "no complete record: the file is truncated or its first chunk is damaged"
        else:
            inp.warnings.append("the log is empty (file header only)")


def read_evtx(inp: InputFile, collector: Collector) -> Iterator[Event]:
    """Yield the NPS-relevant events of one .evtx file; count every record read and every item skipped.

    The one-process reader (tests, the reader API) takes the pipeline's path: the file's shards in order through
    :func:`read_shard_records`, native pre-filter included, each shard's :class:`ReadStats` added up as
    ``nps_trace_analyzer.pipeline.parallel`` adds them, so there is one way to read a file, not two to keep equal.
    """
    as_xml = open_evtx(inp)
    if as_xml is None:
        return
    read_ids = RecordIds()
    for shard in plan_shards(inp.path, inp.size, chunks_per_shard(as_xml, DEFAULT_SHARD_CHUNKS)):
        stats = ReadStats()
        try:
            yield from read_shard_records(shard, stats, as_xml, inp.name)
        finally:
            stats.merge_into(inp)
            read_ids.runs.extend(stats.record_ids.runs)  # runs split at shard edges merge when compared
    finish_evtx(inp, read_ids)


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
        read_in_shards=True,  # by the pipeline's worker pool (pipeline/parallel.py)
    )
)
