"""NPSExtension.etl: the NPS extension's own ETW trace, counted, decoded where possible and searched for texts.

The bundle instructions record it with ``logman create trace "NPSExtension" -p {7237ED00-...}`` and add
``{EC2E6D3A-...}`` with ``logman update trace`` (which the health-check script gets wrong, so the second
provider is often missing). Nobody outside Microsoft knows whether these providers log TraceLogging, WPP or
manifest events (``docs/reference/domain-facts.md`` §5.2, §9), so this module degrades in steps:

1. **TraceLogging** events (schema in the extended data) are decoded field by field
   (:mod:`nps_trace_analyzer.sources.etl.tracelogging`); their string fields are the message text.
   ``EventWriteString`` events (header flag STRING_ONLY) are one UTF-16 string: that is the text.
2. Everything else that carries a payload (**WPP** messages, which need the provider's TMF/PDB; manifest
   events without the manifest; classic MOF events; TraceLogging events whose metadata is damaged) gives
   its *printable strings*: UTF-16LE and ASCII runs of at least 6 characters. WPP ``%s``/``%ws`` arguments
   land there, so a user name or a whole message logged through WPP is still found.
3. Every record's text is handed on (:mod:`nps_trace_analyzer.sources.npsext_source`); reading it is the
   extract stage's job: its text sieve (:mod:`nps_trace_analyzer.extract.text_sieve`) runs the same AzureMfa
   grammar as for the event logs and counts the CIDs, users and codes it finds.

Counts per provider, per level, per kind and per time bucket come for every event, decodable or not; what
could not be decoded is listed per provider and kind with the reason. Memory stays bounded: events are
streamed (time-ordered, one buffer per processor held by the reader), and every list kept for the report is
capped. Damaged buffers and records are counted by the reader (:class:`EtlStats`) and reading goes on.
"""

from __future__ import annotations

import os
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from nps_trace_analyzer.sources.etl import layout as L
from nps_trace_analyzer.sources.etl.reader import EtlEvent, EtlReader, EtlStats
from nps_trace_analyzer.sources.etl.tracelogging import (
    TlDecodeError,
    decode_event,
    render_value,
    schema_item,
    string_values,
)

NPS_PROVIDER: Final = uuid.UUID("7237ed00-e119-430b-ab0f-c63360c8ee81")
NPS_PROVIDER_2: Final = uuid.UUID("ec2e6d3a-c958-4c76-8ea4-0262520886ff")
NPS_PROVIDERS: Final = (NPS_PROVIDER, NPS_PROVIDER_2)
#: Classic "EventTrace" GUID of session bookkeeping events (logfile header, rundown).
EVENTTRACE_GUID: Final = uuid.UUID("68fdd900-4a3e-11d1-84f4-0000f80464e3")
KERNEL: Final = "kernel"

LEVEL_NAMES: Final = {0: "LogAlways", 1: "Critical", 2: "Error", 3: "Warning", 4: "Information", 5: "Verbose"}
NO_LEVEL: Final = "none"  # WPP messages and kernel records carry no level in their header


class Kind:
    """How an event was (or could not be) decoded."""

    TRACELOGGING = "tracelogging"
    STRING = "string"  # EventWriteString: the payload is one UTF-16 string
    TRACELOGGING_DAMAGED = "tracelogging-damaged"
    WPP = "wpp"
    MANIFEST = "manifest"
    CLASSIC = "classic"
    SYSTEM = "system"


#: Why each undecodable kind is undecodable (plain words for the report).
UNDECODABLE_REASONS: Final = {
    Kind.WPP: "WPP, not decodable without TMF (the message formats live in the provider's PDB/TMF files)",
    Kind.MANIFEST: "no TraceLogging schema and no manifest for this provider: fields cannot be named",
    Kind.CLASSIC: "classic (MOF) event: no MOF class description available",
    Kind.TRACELOGGING_DAMAGED: "TraceLogging metadata or payload damaged",
}

#: Field names that hold the whole message text of a TraceLogging event (compared in lower case).
MESSAGE_FIELDS: Final = frozenset({"message", "msg", "text", "description", "messagetext", "formattedmessage"})
#: Printable runs shorter than this are noise (field bytes that happen to be letters).
MIN_STRING: Final = 6
MAX_SAMPLES: Final = 3
MAX_DISTINCT: Final = 10_000
MAX_BUCKETS: Final = 200_000

_ASCII_RUN = re.compile(rb"[\x09\x0a\x0d\x20-\x7e]{%d,}" % MIN_STRING)
_UTF16_RUN = re.compile(rb"(?:[\x09\x0a\x0d\x20-\x7e\xa0-\xff]\x00){%d,}" % MIN_STRING)


def provider_label(guid: uuid.UUID | None) -> str:
    """How a provider is named in counts and events: ``{GUID}`` upper case as in the logman command."""
    return KERNEL if guid is None else "{" + str(guid).upper() + "}"


def level_name(level: int | None) -> str:
    """Level as a word (``none`` for records whose header has no level)."""
    if level is None:
        return NO_LEVEL
    return LEVEL_NAMES.get(level, f"level-{level}")


def printable_strings(data: bytes, min_len: int = MIN_STRING) -> list[str]:
    """UTF-16LE and ASCII runs of at least ``min_len`` characters, in payload order, each once.

    UTF-16 runs are taken first and their bytes blanked, so a UTF-16 string is not found again as
    one-letter ASCII pieces; surrounding whitespace is stripped.
    """
    found: list[tuple[int, str]] = []
    work = bytearray(data)
    utf16 = (
        _UTF16_RUN if min_len == MIN_STRING else re.compile(rb"(?:[\x09\x0a\x0d\x20-\x7e\xa0-\xff]\x00){%d,}" % min_len)
    )
    ascii_ = _ASCII_RUN if min_len == MIN_STRING else re.compile(rb"[\x09\x0a\x0d\x20-\x7e]{%d,}" % min_len)
    for m in utf16.finditer(data):
        text = m.group().decode("utf-16-le").strip()
        if len(text) >= min_len:
            found.append((m.start(), text))
        work[m.start() : m.end()] = bytes(m.end() - m.start())
    for m in ascii_.finditer(bytes(work)):
        text = m.group().decode("ascii").strip()
        if len(text) >= min_len:
            found.append((m.start(), text))
    seen: set[str] = set()
    out = []
    for _pos, text in sorted(found):
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


@dataclass(frozen=True, slots=True)
class NpsExtRecord:
    """One event of the trace as the summary sees it (fields rendered as text)."""

    index: int  # position in time order, from 0
    time: datetime
    provider: str  # provider_label(provider_guid)
    provider_guid: uuid.UUID | None
    provider_name: str  # TraceLogging provider name, when the traits say it
    kind: str
    event_id: int
    level: int | None
    event_name: str
    fields: tuple[tuple[str, str], ...]  # decoded TraceLogging fields, rendered
    strings: tuple[str, ...]  # printable strings of an undecoded payload
    text: str  # the message text to search ("" when there is none)
    error: str = ""  # why a TraceLogging event did not decode

    @property
    def is_nps_provider(self) -> bool:
        """From one of the two NPS providers (WPP messages count: their GUID is a message GUID)."""
        return self.provider_guid in NPS_PROVIDERS or self.kind == Kind.WPP


@dataclass
class UndecodedGroup:
    """Events of one provider and kind that could not be decoded into named fields."""

    provider: str
    kind: str
    reason: str
    count: int = 0
    with_strings: int = 0  # how many gave printable strings
    samples: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # first decode errors (damaged TraceLogging)


@dataclass
class NpsExtTrace:
    """Summary of one NPSExtension.etl (``path``: the file it summarises)."""

    path: str
    bucket_seconds: int = 60
    logger_name: str = ""
    log_file_name: str = ""
    log_file_mode: int = 0
    os_build: int = 0
    session_start: datetime | None = None
    session_end: datetime | None = None
    events_lost: int = 0
    buffers_lost: int = 0
    events: int = 0
    first_time: datetime | None = None
    last_time: datetime | None = None
    per_provider: Counter[str] = field(default_factory=Counter)
    per_level: Counter[str] = field(default_factory=Counter)
    per_kind: Counter[str] = field(default_factory=Counter)
    per_provider_level: Counter[tuple[str, str]] = field(default_factory=Counter)
    timeline: dict[datetime, Counter[tuple[str, str]]] = field(default_factory=dict)
    timeline_dropped: int = 0
    provider_names: dict[str, str] = field(default_factory=dict)
    tl_events: Counter[tuple[str, str]] = field(default_factory=Counter)  # (provider, event name)
    tl_fields: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # field names per event name
    wpp_message_guids: Counter[str] = field(default_factory=Counter)
    undecoded: dict[tuple[str, str], UndecodedGroup] = field(default_factory=dict)
    decode_errors: int = 0
    texts: int = 0
    distinct_dropped: int = 0  # WPP message GUIDs past MAX_DISTINCT
    stats: EtlStats = field(default_factory=EtlStats)
    notes: list[str] = field(default_factory=list)

    @property
    def circular(self) -> bool:
        """Was the file written in circular mode (older events overwritten once it was full)?"""
        return bool(self.log_file_mode & 0x2)

    def nps_provider_counts(self) -> dict[str, int]:
        """Events of each of the two NPS providers (0 when a provider logged nothing)."""
        return {provider_label(g): self.per_provider.get(provider_label(g), 0) for g in NPS_PROVIDERS}

    def undecodable_lines(self) -> list[str]:
        """What could not be decoded, one plain sentence per provider and kind."""
        lines = []
        for group in sorted(self.undecoded.values(), key=lambda g: (-g.count, g.provider, g.kind)):
            line = f"{group.count} {group.kind} event(s) of {group.provider}: {group.reason}"
            if group.kind == Kind.WPP:
                line += f" ({len(self.wpp_message_guids)} message GUID(s))"
            line += f"; {group.with_strings} gave printable strings"
            if group.errors:
                line += f"; first error: {group.errors[0]}"
            lines.append(line)
        if self.stats.skipped:
            lines.append(f"{self.stats.skipped} damaged buffer(s) or record(s) skipped by the reader")
        return lines

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form for the report."""

        def iso(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat().replace("+00:00", "Z")

        return {
            "path": self.path,
            "logger_name": self.logger_name,
            "log_file_name": self.log_file_name,
            "circular": self.circular,
            "os_build": self.os_build,
            "session_start": iso(self.session_start),
            "session_end": iso(self.session_end),
            "events_lost": self.events_lost,
            "buffers_lost": self.buffers_lost,
            "events": self.events,
            "first_time": iso(self.first_time),
            "last_time": iso(self.last_time),
            "per_provider": dict(self.per_provider),
            "per_level": dict(self.per_level),
            "per_kind": dict(self.per_kind),
            "per_provider_level": {f"{p}|{lv}": n for (p, lv), n in self.per_provider_level.items()},
            "nps_providers": self.nps_provider_counts(),
            "provider_names": dict(self.provider_names),
            "bucket_seconds": self.bucket_seconds,
            "timeline": [
                {"start": iso(start), "counts": {f"{p}|{lv}": n for (p, lv), n in counts.items()}}
                for start, counts in sorted(self.timeline.items())
            ],
            "tracelogging_events": [
                {"provider": p, "event": e, "count": n, "fields": list(self.tl_fields.get((p, e), ()))}
                for (p, e), n in self.tl_events.most_common()
            ],
            "wpp_message_guids": dict(self.wpp_message_guids),
            "undecoded": [
                {
                    "provider": g.provider,
                    "kind": g.kind,
                    "count": g.count,
                    "with_strings": g.with_strings,
                    "reason": g.reason,
                    "samples": list(g.samples),
                    "errors": list(g.errors),
                }
                for g in self.undecoded.values()
            ],
            "undecodable": self.undecodable_lines(),
            "texts": self.texts,
            "timeline_dropped": self.timeline_dropped,
            "distinct_dropped": self.distinct_dropped,
            "reader": {
                "buffers": self.stats.buffers,
                "skipped": self.stats.skipped,
                "lost_buffers": self.stats.lost_buffers,
                "out_of_order": self.stats.out_of_order,
                "warnings": list(self.stats.warnings),
            },
            "decode_errors": self.decode_errors,
            "notes": list(self.notes),
        }


# --- classification and decoding of one event ------------------------------------------------------------


def _kind_of(event: EtlEvent) -> str:
    hk = event.header_kind
    if hk == L.HeaderKind.MESSAGE:
        return Kind.WPP
    if hk in (L.HeaderKind.SYSTEM, L.HeaderKind.COMPACT, L.HeaderKind.PERFINFO):
        return Kind.SYSTEM
    if hk in (L.HeaderKind.FULL, L.HeaderKind.INSTANCE):
        return Kind.SYSTEM if event.provider == EVENTTRACE_GUID else Kind.CLASSIC
    if event.flags & L.EVENT_FLAG_TRACE_MESSAGE:
        return Kind.WPP  # WPP message delivered in an EVENT_HEADER: ProviderId is the message GUID
    if event.flags & L.EVENT_FLAG_STRING_ONLY:
        return Kind.STRING
    return Kind.TRACELOGGING if schema_item(event) is not None else Kind.MANIFEST


def _utf16z(raw: bytes) -> str:
    """A NUL-terminated (or payload-long) UTF-16LE string: the payload of an EventWriteString event."""
    end = 0
    while True:
        end = raw.find(b"\x00\x00", end)
        if end < 0:
            end = len(raw) & ~1
            break
        if end % 2 == 0:
            break
        end += 1
    return raw[:end].decode("utf-16-le", errors="replace").strip()


def _text_of_fields(event_name: str, fields: tuple[tuple[str, Any], ...]) -> str:
    """The message text of a decoded event.

    A field named like a message (Message, Msg, Text, Description...) is the text on its own, so helper
    fields (function names, file paths) do not run into the grammar's free-text captures; without one,
    all string fields are joined; without strings, the fields are rendered as ``name=value``.
    """
    named = string_values(fields)
    messages = [v.strip() for n, v in named if n.rsplit(".", 1)[-1].lower() in MESSAGE_FIELDS and v.strip()]
    strings = messages or [value.strip() for _name, value in named if value.strip()]
    if strings:
        return " ".join(strings)
    if not fields:
        return ""
    return f"{event_name}: " + ", ".join(f"{name}={render_value(value)}" for name, value in fields)


def to_record(index: int, event: EtlEvent) -> NpsExtRecord:
    """Classify and decode one event; never raises for bad content."""
    kind = _kind_of(event)
    provider = provider_label(event.provider)
    level = None if kind in (Kind.WPP, Kind.SYSTEM) else event.level
    if kind == Kind.SYSTEM:
        return NpsExtRecord(index, event.timestamp, provider, event.provider, "", kind, event.event_id, level, "",
                            (), (), "")  # fmt: skip
    if kind == Kind.STRING:
        text = _utf16z(event.payload)
        return NpsExtRecord(index, event.timestamp, provider, event.provider, "", kind, event.event_id, level, "",
                            (("String", text),), (), text)  # fmt: skip
    if kind == Kind.TRACELOGGING:
        try:
            tl = decode_event(event)
        except TlDecodeError as exc:
            strings = tuple(printable_strings(event.payload))
            return NpsExtRecord(
                index, event.timestamp, provider, event.provider, "", Kind.TRACELOGGING_DAMAGED, event.event_id,
                level, "", (), strings, " ".join(strings), str(exc),
            )  # fmt: skip
        if tl is not None:
            rendered = tuple((name, render_value(value)) for name, value in tl.fields)
            return NpsExtRecord(
                index, event.timestamp, provider, event.provider, tl.provider_name, kind, event.event_id, level,
                tl.name, rendered, (), _text_of_fields(tl.name, tl.fields),
            )  # fmt: skip
    strings = tuple(printable_strings(event.payload))
    return NpsExtRecord(index, event.timestamp, provider, event.provider, "", kind, event.event_id, level, "", (),
                        strings, " ".join(strings))  # fmt: skip


# --- the summary -----------------------------------------------------------------------------------------


_UNIX_EPOCH: Final = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _bucket(when: datetime, seconds: int) -> datetime:
    """Start of the ``seconds``-long bucket holding ``when`` (timedelta arithmetic: works before 1970 too)."""
    stamp = (when - _UNIX_EPOCH) // timedelta(seconds=1)
    return _UNIX_EPOCH + timedelta(seconds=stamp - stamp % seconds)


def _count_capped(counter: Counter[str], key: str, trace: NpsExtTrace) -> None:
    if key in counter or len(counter) < MAX_DISTINCT:
        counter[key] += 1
    else:
        trace.distinct_dropped += 1


class NpsExtSummarizer:
    """Accumulates :class:`NpsExtTrace` from records; :meth:`finish` writes the notes."""

    def __init__(self, trace: NpsExtTrace) -> None:
        self.trace = trace

    def add(self, rec: NpsExtRecord) -> None:
        """Count one record (its text is read by the extract stage, not here)."""
        t = self.trace
        t.events += 1
        lvl = level_name(rec.level)
        t.per_provider[rec.provider] += 1
        t.per_level[lvl] += 1
        t.per_kind[rec.kind] += 1
        t.per_provider_level[(rec.provider, lvl)] += 1
        if t.first_time is None or rec.time < t.first_time:
            t.first_time = rec.time
        if t.last_time is None or rec.time > t.last_time:
            t.last_time = rec.time
        start = _bucket(rec.time, t.bucket_seconds)
        counts = t.timeline.get(start)
        if counts is None and len(t.timeline) < MAX_BUCKETS:
            counts = t.timeline[start] = Counter()
        if counts is None:
            t.timeline_dropped += 1
        else:
            counts[(rec.provider, lvl)] += 1
        if rec.provider_name and rec.provider not in t.provider_names:
            t.provider_names[rec.provider] = rec.provider_name
        if rec.kind == Kind.STRING:
            pass  # decoded: the payload is the text
        elif rec.kind == Kind.TRACELOGGING:
            key = (rec.provider, rec.event_name)
            t.tl_events[key] += 1
            if key not in t.tl_fields and len(t.tl_fields) < MAX_DISTINCT:
                t.tl_fields[key] = tuple(name for name, _ in rec.fields)
        elif rec.kind != Kind.SYSTEM:
            self._undecoded(rec)
        if rec.text:
            t.texts += 1

    def _undecoded(self, rec: NpsExtRecord) -> None:
        t = self.trace
        if rec.kind == Kind.WPP:
            _count_capped(t.wpp_message_guids, rec.provider, t)
        provider = "WPP message GUIDs" if rec.kind == Kind.WPP else rec.provider
        group = t.undecoded.get((provider, rec.kind))
        if group is None:
            group = t.undecoded[(provider, rec.kind)] = UndecodedGroup(
                provider, rec.kind, UNDECODABLE_REASONS.get(rec.kind, "not decodable")
            )
        group.count += 1
        if rec.strings:
            group.with_strings += 1
            for text in rec.strings:
                if len(group.samples) < MAX_SAMPLES and text not in group.samples:
                    group.samples.append(text[:200])
        if rec.error:
            t.decode_errors += 1
            if len(group.errors) < MAX_SAMPLES:
                group.errors.append(rec.error)

    def finish(self) -> NpsExtTrace:
        """Write the plain-language notes once every record has been added (the note on the summary caps is
        written with the extract stage's counts: :func:`summary_caps_note`)."""
        t = self.trace
        t.notes.clear()
        nps = t.nps_provider_counts()
        first, second = (provider_label(g) for g in NPS_PROVIDERS)
        wpp = t.per_kind.get(Kind.WPP, 0)
        if not any(nps.values()) and not wpp:
            t.notes.append(
                f"No event of {first} or {second}: the trace holds only session records "
                "(was the extension loaded and tracing while the problem was reproduced?)."
            )
        elif nps[first] and not nps[second]:
            t.notes.append(
                f"No event of {second}: the health-check script's 'logman update trace' bug can leave that "
                "provider out of the session, or it logged nothing."
            )
        if wpp:
            t.notes.append(
                f"{wpp} WPP message(s) under {len(t.wpp_message_guids)} message GUID(s) cannot be decoded without "
                "the TMF files; only their printable argument strings were searched."
            )
        manifest = t.per_kind.get(Kind.MANIFEST, 0) + t.per_kind.get(Kind.CLASSIC, 0)
        if manifest:
            t.notes.append(
                f"{manifest} event(s) without a TraceLogging schema: no manifest is available, so only their "
                "printable strings were searched."
            )
        if t.decode_errors:
            t.notes.append(f"{t.decode_errors} TraceLogging event(s) had damaged metadata or payload.")
        if t.events_lost or t.buffers_lost or t.stats.lost_buffers:
            t.notes.append(
                f"The session lost events ({t.events_lost} events, {t.buffers_lost} buffers by the header; "
                f"{t.stats.lost_buffers} buffers flagged): the trace is incomplete."
            )
        if t.circular:
            t.notes.append("Circular log: once full, the oldest events were overwritten.")
        if t.stats.skipped:
            t.notes.append(f"{t.stats.skipped} damaged buffer(s) or record(s) were skipped; reading went on.")
        return t


def summary_caps_note(trace: NpsExtTrace, distinct_dropped: int, matches_dropped: int, max_matches: int) -> str:
    """The note on what the summary caps left out ("" when nothing): ``trace``'s own drops plus the text sieve's
    (``distinct_dropped`` codes/CIDs/users, ``matches_dropped`` matches past ``max_matches``)."""
    distinct = trace.distinct_dropped + distinct_dropped
    if not (trace.timeline_dropped or distinct or matches_dropped):
        return ""
    return (
        f"Summary caps reached (all events were still read and searched): {trace.timeline_dropped} event(s) "
        f"past {MAX_BUCKETS} timeline buckets, {distinct} value(s) past {MAX_DISTINCT} distinct "
        f"codes/CIDs/users/WPP GUIDs per list, {matches_dropped} match(es) past {max_matches} listed."
    )


def new_trace(reader: EtlReader, bucket_seconds: int = 60) -> NpsExtTrace:
    """An empty summary for ``reader``'s file, with the session facts of its logfile header."""
    trace = NpsExtTrace(reader.path, bucket_seconds=max(1, bucket_seconds), stats=reader.stats)
    header = reader.header
    if header is not None:
        trace.logger_name = header.logger_name
        trace.log_file_name = header.log_file_name
        trace.log_file_mode = header.log_file_mode
        trace.os_build = header.provider_version
        trace.session_start = header.start
        trace.session_end = header.end
        trace.events_lost = header.events_lost
        trace.buffers_lost = header.buffers_lost
    return trace


def iter_npsext_records(reader: EtlReader) -> Iterator[NpsExtRecord]:
    """Every event of ``reader``'s file in time order, classified and decoded (bounded memory)."""
    for index, event in enumerate(reader.events_sorted()):
        yield to_record(index, event)


def summarize_npsext(path: str | os.PathLike[str], *, bucket_seconds: int = 60) -> NpsExtTrace:
    """Read one NPSExtension.etl and return its counts (see :class:`NpsExtTrace`; what its texts name is the text
    sieve's, :mod:`nps_trace_analyzer.extract.text_sieve`).

    Raises :class:`OSError` only when the file cannot be opened; damaged content is counted, not raised.
    """
    reader = EtlReader(path)
    summarizer = NpsExtSummarizer(new_trace(reader, bucket_seconds))
    for rec in iter_npsext_records(reader):
        summarizer.add(rec)
    return summarizer.finish()
