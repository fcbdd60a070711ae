"""Event records of an ETL file: one small decoder per header kind, each building an :class:`EtlEvent` by name.

The binary layouts are declared apart in :mod:`~nps_trace_analyzer.sources.etl.layout` (named fields); the
buffer walking that finds records is in :mod:`~nps_trace_analyzer.sources.etl.reader`, which looks the decoder
of each record's kind up in :data:`DECODERS`.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from nps_trace_analyzer.core.wintime import filetime_to_datetime
from nps_trace_analyzer.sources.etl import layout as L

_I64 = struct.Struct("<q")


@dataclass(slots=True, unsafe_hash=True)
class EtlEvent:
    """One event record with its header decoded and its payload (user data) left as raw bytes.

    Treat it as read-only. It is not ``frozen`` on purpose: one is built per record on the hottest path, and
    a frozen dataclass's ``__init__`` (an ``object.__setattr__`` call per field) cost about six times a plain
    slots ``__init__`` here, more than all the rest of decoding a small record. It stays hashable as before.

    ``provider`` is the provider GUID in its canonical form (read with ``bytes_le``), or None for kernel
    SYSTEM/COMPACT/PERFINFO records, which are identified by ``hook_id`` (group << 8 | type) instead.
    For classic (EVENT_TRACE_HEADER) records ``event_id`` and ``opcode`` are both the class type; for WPP
    messages ``event_id`` is the message number and ``provider`` the message GUID.
    """

    header_kind: str
    header_type: int
    provider: uuid.UUID | None
    event_id: int
    version: int
    level: int
    opcode: int
    task: int
    channel: int
    keywords: int
    filetime: int  # 100 ns ticks since 1601-01-01 UTC
    raw_timestamp: int
    process_id: int | None
    thread_id: int | None
    processor: int
    flags: int  # EVENT_HEADER.Flags, MarkerFlags for classic records, option flags for WPP
    hook_id: int | None
    payload: bytes
    activity_id: uuid.UUID | None = None
    related_activity_id: uuid.UUID | None = None
    extended: tuple[tuple[int, bytes], ...] = ()
    pointer_size: int = 8
    buffer_index: int = 0

    @property
    def timestamp(self) -> datetime:
        """The event time as an aware UTC datetime (microsecond precision; ``filetime`` keeps 100 ns)."""
        return filetime_to_datetime(self.filetime)


_GUID_CACHE: dict[bytes, uuid.UUID] = {}
_NULL_GUID = bytes(16)


def _guid(raw: bytes) -> uuid.UUID:
    """Decode a Windows GUID (first three fields little-endian), caching the few distinct values."""
    value = _GUID_CACHE.get(raw)
    if value is None:
        value = uuid.UUID(bytes_le=raw)
        if len(_GUID_CACHE) < 4096:
            _GUID_CACHE[raw] = value
    return value


#: A decoder turns one record of its header kind into an event: ``(kind, htype, data, pos, size, to_filetime,
#: processor, buffer_index)``; None when the record is shorter than its own header. One decoder per kind,
#: each reading a :class:`~nps_trace_analyzer.sources.etl.layout.Layout` by field name and building the
#: event by keyword, so adding a field to a layout or to :class:`EtlEvent` cannot shift another's value.
Decoder = Callable[[str, int, bytes, int, int, Callable[[int], int], int, int], "EtlEvent | None"]


def _pointer_size(htype: int) -> int:
    return 8 if htype in L.POINTER64_TYPES else 4


def _decode_event_header(
    kind: str,
    htype: int,
    data: bytes,
    pos: int,
    size: int,
    to_filetime: Callable[[int], int],
    processor: int,
    bindex: int,
) -> EtlEvent | None:
    """EVENT_HEADER records (manifest and TraceLogging providers; also ERROR records, which share it)."""
    if size < L.EVENT_HEADER_SIZE:
        return None
    h = L.EVENT_HEADER.read(data, pos)
    start = pos + L.EVENT_HEADER_SIZE
    end = pos + size
    flags = h.flags
    extended: tuple[tuple[int, bytes], ...] = ()
    related = None
    if flags & L.EVENT_FLAG_EXTENDED_INFO:
        extended, related, start = _extended_items(data, pos, start, end)
    if flags & L.EVENT_FLAG_32_BIT_HEADER:
        ptr = 4
    elif flags & L.EVENT_FLAG_64_BIT_HEADER:
        ptr = 8
    else:
        ptr = _pointer_size(htype)
    ts = h.timestamp
    return EtlEvent(
        header_kind=kind,
        header_type=htype,
        provider=_guid(h.provider_id),
        event_id=h.id,
        version=h.version,
        level=h.level,
        opcode=h.opcode,
        task=h.task,
        channel=h.channel,
        keywords=h.keyword,
        filetime=to_filetime(ts),
        raw_timestamp=ts,
        process_id=h.process_id,
        thread_id=h.thread_id,
        processor=processor,
        flags=flags,
        hook_id=None,
        payload=data[start:end],
        activity_id=None if h.activity_id == _NULL_GUID else _guid(h.activity_id),
        related_activity_id=related,
        extended=extended,
        pointer_size=ptr,
        buffer_index=bindex,
    )


def _extended_items(
    data: bytes, pos: int, start: int, end: int
) -> tuple[tuple[tuple[int, bytes], ...], uuid.UUID | None, int]:
    """Read the extended data items after an EVENT_HEADER: (items, related activity id, payload start)."""
    items = []
    related = None
    while start + 8 <= end:
        item = L.EXTENDED_ITEM.read(data, start)
        total, dsize = item.total_size, item.data_size
        if total < 8 or start + total > end or dsize > total - 8:
            raise ValueError(f"extended data item at +{start - pos:#x} is inconsistent")
        blob = data[start + 8 : start + 8 + dsize]
        items.append((item.ext_type, blob))
        if item.ext_type == L.EXT_RELATED_ACTIVITYID and dsize == 16:
            related = _guid(blob)
        start += total
        if not item.linkage & 1:
            break
    return tuple(items), related, start


def _kernel_event(
    kind: str,
    htype: int,
    hook: int,
    version: int,
    ts: int,
    pid: int | None,
    tid: int | None,
    payload: bytes,
    to_filetime: Callable[[int], int],
    processor: int,
    bindex: int,
) -> EtlEvent:
    """A kernel (SYSTEM/COMPACT/PERFINFO) record: no provider; identified by its hook id."""
    return EtlEvent(
        header_kind=kind,
        header_type=htype,
        provider=None,
        event_id=hook,
        version=version,
        level=0,
        opcode=hook & 0xFF,
        task=0,
        channel=0,
        keywords=0,
        filetime=to_filetime(ts),
        raw_timestamp=ts,
        process_id=pid,
        thread_id=tid,
        processor=processor,
        flags=0,
        hook_id=hook,
        payload=payload,
        pointer_size=_pointer_size(htype),
        buffer_index=bindex,
    )


def _decode_system_header(
    kind: str,
    htype: int,
    data: bytes,
    pos: int,
    size: int,
    to_filetime: Callable[[int], int],
    processor: int,
    bindex: int,
) -> EtlEvent | None:
    """SYSTEM_TRACE_HEADER records and their COMPACT form (the same fields without Kernel/UserTime)."""
    hsize = L.SYSTEM_HEADER_SIZE if kind == L.HeaderKind.SYSTEM else L.COMPACT_HEADER_SIZE
    if size < hsize:
        return None
    h = L.SYSTEM_HEADER.read(data, pos)
    payload = data[pos + hsize : pos + size]
    return _kernel_event(
        kind,
        htype,
        h.hook_id,
        h.version,
        h.timestamp,
        h.process_id,
        h.thread_id,
        payload,
        to_filetime,
        processor,
        bindex,
    )


def _decode_perfinfo_header(
    kind: str,
    htype: int,
    data: bytes,
    pos: int,
    size: int,
    to_filetime: Callable[[int], int],
    processor: int,
    bindex: int,
) -> EtlEvent | None:
    """PERFINFO_TRACE_HEADER records: kernel performance events, without process or thread id."""
    if size < L.PERFINFO_HEADER_SIZE:
        return None
    h = L.PERFINFO_HEADER.read(data, pos)
    payload = data[pos + L.PERFINFO_HEADER_SIZE : pos + size]
    return _kernel_event(
        kind, htype, h.hook_id, h.version, h.timestamp, None, None, payload, to_filetime, processor, bindex
    )


def _decode_classic_header(
    kind: str,
    htype: int,
    data: bytes,
    pos: int,
    size: int,
    to_filetime: Callable[[int], int],
    processor: int,
    bindex: int,
) -> EtlEvent | None:
    """EVENT_TRACE_HEADER (FULL) and EVENT_INSTANCE_GUID_HEADER records of classic (MOF) providers.

    A classic event has no separate id or opcode: both are its class type.
    """
    layout = L.FULL_HEADER if kind == L.HeaderKind.FULL else L.INSTANCE_HEADER
    if size < layout.size:
        return None
    h = layout.read(data, pos)
    ts = h.timestamp
    return EtlEvent(
        header_kind=kind,
        header_type=htype,
        provider=_guid(h.guid),
        event_id=h.class_type,
        version=h.class_version,
        level=h.class_level,
        opcode=h.class_type,
        task=0,
        channel=0,
        keywords=0,
        filetime=to_filetime(ts),
        raw_timestamp=ts,
        process_id=h.process_id,
        thread_id=h.thread_id,
        processor=processor,
        flags=h.marker_flags,
        hook_id=None,
        payload=data[pos + layout.size : pos + size],
        pointer_size=_pointer_size(htype),
        buffer_index=bindex,
    )


def _decode_message_header(
    kind: str,
    htype: int,
    data: bytes,
    pos: int,
    size: int,
    to_filetime: Callable[[int], int],
    processor: int,
    bindex: int,
) -> EtlEvent | None:
    """MESSAGE_TRACE_HEADER records (WPP): a fixed header, then optional fields named by its option flags."""
    h = L.MESSAGE_HEADER.read(data, pos)
    options = h.option_flags
    at = pos + L.MESSAGE_HEADER_SIZE
    end = pos + size
    guid_value = None
    ts = 0
    tid = pid = None
    if options & L.TRACE_MESSAGE_SEQUENCE:
        at += 4
    if options & L.TRACE_MESSAGE_COMPONENTID:
        at += 4
    elif options & L.TRACE_MESSAGE_GUID:
        guid_value = _guid(data[at : at + 16])
        at += 16
    if options & L.TRACE_MESSAGE_TIMESTAMP:
        ts = _I64.unpack_from(data, at)[0]
        at += 8
    if options & L.TRACE_MESSAGE_SYSTEMINFO:
        tid, pid = struct.unpack_from("<II", data, at)
        at += 8
    if at > end:
        return None
    return EtlEvent(
        header_kind=kind,
        header_type=htype,
        provider=guid_value,
        event_id=h.message_number,
        version=0,
        level=0,
        opcode=0,
        task=0,
        channel=0,
        keywords=0,
        filetime=to_filetime(ts),
        raw_timestamp=ts,
        process_id=pid,
        thread_id=tid,
        processor=processor,
        flags=options,
        hook_id=None,
        payload=data[at:end],
        pointer_size=_pointer_size(htype),
        buffer_index=bindex,
    )


#: The decoder of each header kind; :meth:`EtlReader._decode_buffer` looks the kind up here.
DECODERS: dict[str, Decoder] = {
    L.HeaderKind.EVENT: _decode_event_header,
    L.HeaderKind.ERROR: _decode_event_header,
    L.HeaderKind.SYSTEM: _decode_system_header,
    L.HeaderKind.COMPACT: _decode_system_header,
    L.HeaderKind.PERFINFO: _decode_perfinfo_header,
    L.HeaderKind.FULL: _decode_classic_header,
    L.HeaderKind.INSTANCE: _decode_classic_header,
    L.HeaderKind.MESSAGE: _decode_message_header,
}
assert set(DECODERS) >= set(L.HEADER_KIND_BY_TYPE.values()) | {L.HeaderKind.MESSAGE}
