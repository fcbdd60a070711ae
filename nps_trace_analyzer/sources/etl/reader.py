"""Streaming reader for .etl files: buffers, every event-header kind, wall-clock timestamps, compression.

Why a reader of our own: the only Python reader that handles pktmon's compressed buffers, dissect.etl, is
AGPL (it stays a test oracle) and reads provider GUIDs byte-swapped; etl-parser silently returns nothing
for compressed files and loads whole files into memory. This module needs only :mod:`struct` plus
dissect.util's LZXpress decoder (Apache-2.0).

Design:

* The file is read one buffer at a time (bounded memory: one buffer, at most a few MiB, per open stream).
* A damaged buffer header, a failed decompression or a record whose size runs past its buffer is counted in
  :class:`EtlStats` and reading goes on with the next buffer (found again by scanning when its size field
  cannot be trusted). Nothing here raises for bad input; :class:`OSError` for an unreadable path does.
* Raw timestamps are converted with the logfile header's clock (QPC, system time or CPU cycles) anchored
  at the header event, giving FILETIME ticks (100 ns, UTC) and an aware UTC datetime.
* Events come out in file order (:func:`iter_events`) or merged by time (:func:`iter_events_sorted`): each
  processor's buffers are already in time order, so a k-way merge over processors, plus a short reorder
  window for the rare inversion inside one buffer, sorts the file while holding one buffer per processor.
"""

from __future__ import annotations

import heapq
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from dissect.util.compression import lzxpress

from nps_trace_analyzer.core.wintime import FILETIME_EPOCH, filetime_to_datetime
from nps_trace_analyzer.sources.etl import layout as L
from nps_trace_analyzer.sources.etl.records import DECODERS, EtlEvent

_U32 = struct.Struct("<I")
_U16 = struct.Struct("<H")

#: Largest buffer we accept (ETW allows up to 16 MiB; a little slack for odd writers).
MAX_BUFFER_SIZE = 64 * 1024 * 1024
#: How far past a damaged buffer header we look for the next good one.
MAX_RESYNC_SCAN = 64 * 1024 * 1024
#: Warnings kept verbatim in :class:`EtlStats` (the rest are only counted).
MAX_WARNINGS = 200
#: Events held back by the sorted reader to repair small inversions inside one processor's stream.
REORDER_WINDOW = 2048

_FILETIME_EPOCH = FILETIME_EPOCH


@dataclass
class EtlStats:
    """What happened while reading one file: counts plus the first warnings, for the report's file table."""

    buffers: int = 0
    compressed_buffers: int = 0
    events: int = 0
    skipped: int = 0  # buffers or records that could not be decoded
    bytes_read: int = 0  # bytes of the file consumed (compressed size for compressed buffers)
    lost_buffers: int = 0  # buffers flagged EVENTS_LOST/BUFFER_LOST by the logger
    out_of_order: int = 0  # events the sorted reader emitted earlier than one already emitted
    warnings: list[str] = field(default_factory=list)
    warnings_dropped: int = 0

    def warn(self, message: str) -> None:
        """Record a warning, keeping only the first :data:`MAX_WARNINGS` texts."""
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)
        else:
            self.warnings_dropped += 1


@dataclass(frozen=True, slots=True)
class LogfileHeader:
    """The TRACE_LOGFILE_HEADER of the first buffer: session facts and the clock anchors."""

    buffer_size: int
    version: int
    provider_version: int  # Windows build number of the logging machine
    number_of_processors: int
    end_time: int  # FILETIME ticks
    timer_resolution: int
    maximum_file_size: int
    log_file_mode: int
    buffers_written: int
    pointer_size: int
    events_lost: int
    cpu_speed_mhz: int
    boot_time: int  # FILETIME ticks
    perf_freq: int
    start_time: int  # FILETIME ticks
    clock_type: int
    buffers_lost: int
    timezone_bias_minutes: int  # UTC = local time + bias
    logger_name: str
    log_file_name: str
    reference_clock: int  # raw timestamp of the header event: the clock value at ``start_time``

    @property
    def start(self) -> datetime:
        """Session start as an aware UTC datetime."""
        return filetime_to_datetime(self.start_time)

    @property
    def end(self) -> datetime:
        """Session end as an aware UTC datetime (as the logger wrote it)."""
        return filetime_to_datetime(self.end_time)


class Clock:
    """Turns raw event timestamps into FILETIME ticks using the logfile header's clock type and anchors."""

    def __init__(self, header: LogfileHeader | None) -> None:
        self.kind = "filetime"
        self._offset = 0
        self._num = 1
        self._den = 1
        self._ref = 0
        self._start = 0
        if header is None:
            return
        if header.clock_type == L.ClockType.SYSTEM_TIME:
            return
        if header.clock_type == L.ClockType.CPU_CYCLES:
            freq = header.cpu_speed_mhz * 1_000_000
        else:  # QPC, and the default for unknown values: every known writer uses QPC
            freq = header.perf_freq
        if freq <= 0:
            return
        self.kind = "qpc" if header.clock_type != L.ClockType.CPU_CYCLES else "cycles"
        self._ref = header.reference_clock
        self._start = header.start_time
        self._num = 10_000_000
        self._den = freq
        if freq == 10_000_000:  # the common case: 1 tick = 100 ns, a plain offset
            self.kind += "-10mhz"
            self._offset = header.start_time - header.reference_clock

    def to_filetime(self, raw: int) -> int:
        """Convert one raw timestamp to FILETIME ticks (100 ns since 1601, UTC)."""
        if self._den == 1 or self._offset:
            return raw + self._offset
        return self._start + (raw - self._ref) * self._num // self._den


@dataclass(frozen=True, slots=True)
class BufferInfo:
    """Where one buffer sits in the file and what its header says."""

    index: int
    offset: int  # file offset of the WMI_BUFFER_HEADER
    size: int  # bytes the buffer occupies in the file
    saved_offset: int
    filled: int  # the header's Offset field
    flags: int
    buffer_type: int
    processor: int
    sequence: int

    @property
    def compressed(self) -> bool:
        """True when the content after the header is LZXpress-compressed."""
        return bool(self.flags & L.BUFFER_FLAG_COMPRESSED)

    @property
    def data_end(self) -> int:
        """End of the event data in the (decompressed) buffer: the larger of SavedOffset and Offset.

        The header buffer keeps extra system events (partition info) between SavedOffset and Offset.
        """
        if self.compressed:
            return self.saved_offset
        end = max(self.saved_offset, self.filled)
        return end if end <= self.size else self.saved_offset


def _plausible_buffer(header: L.Record, file_left: int) -> bool:
    """Does a decoded WMI_BUFFER_HEADER look like a real buffer that fits in what is left of the file?"""
    size, saved, filled = header.buffer_size, header.saved_offset, header.offset
    flags, btype = header.buffer_flag, header.buffer_type
    if size < L.BUFFER_HEADER_SIZE or size > MAX_BUFFER_SIZE or size > file_left:
        return False
    if flags & ~0x7F or btype > 16:
        return False
    if flags & L.BUFFER_FLAG_COMPRESSED:
        return L.BUFFER_HEADER_SIZE <= saved <= MAX_BUFFER_SIZE
    return L.BUFFER_HEADER_SIZE <= saved <= size or L.BUFFER_HEADER_SIZE <= filled <= size


class EtlReader:
    """Reads one .etl file. Open with a path; iterate :meth:`events` or :meth:`events_sorted`.

    ``header`` is available as soon as the object is created (the first buffer is read eagerly so the
    clock is known before any event is converted). Each iteration opens its own file handle, so the
    object can be iterated several times; ``stats`` accumulates over all iterations.
    """

    def __init__(self, path: str | os.PathLike[str], stats: EtlStats | None = None) -> None:
        self.path = os.fspath(path)
        self.stats = stats if stats is not None else EtlStats()
        self.file_size = os.path.getsize(self.path)
        self.header: LogfileHeader | None = None
        self._signatures: set[bytes] = set()
        self._nominal_size = 0
        self._read_header()
        self.clock = Clock(self.header)

    # -- buffers -----------------------------------------------------------------------------------------

    def _read_header(self) -> None:
        """Find the logfile header in the first buffer and remember the nominal buffer size."""
        with open(self.path, "rb") as fh:
            raw = fh.read(L.BUFFER_HEADER_SIZE)
            if len(raw) < L.BUFFER_HEADER_SIZE:
                self.stats.warn("file is shorter than one buffer header")
                return
            fields = L.BUFFER_HEADER.read(raw)
            if not _plausible_buffer(fields, self.file_size):
                self.stats.warn("first buffer header is not valid; reading without a logfile header")
                return
            info = self._info(0, 0, fields)
            data = self._content(fh, info, count=False)
            if data is None:
                return
            header = _parse_logfile_header(data, info.data_end)
            if header is None:
                self.stats.warn("first buffer holds no logfile header; timestamps are taken as FILETIME")
                return
            self.header = header
            if 0 < header.buffer_size <= MAX_BUFFER_SIZE:
                self._nominal_size = header.buffer_size

    @staticmethod
    def _info(index: int, offset: int, header: L.Record) -> BufferInfo:
        flags, proc = header.buffer_flag, header.processor_number
        processor = proc | (header.alignment << 8) if flags & L.BUFFER_FLAG_PROC_INDEX else proc
        return BufferInfo(
            index=index,
            offset=offset,
            size=header.buffer_size,
            saved_offset=header.saved_offset,
            filled=header.offset,
            flags=flags,
            buffer_type=header.buffer_type,
            processor=processor,
            sequence=header.sequence_number,
        )

    def buffers(self) -> Iterator[BufferInfo]:
        """Yield the header of every buffer in file order, resynchronising after a damaged one."""
        with open(self.path, "rb") as fh:
            yield from self._scan(fh)

    def _scan(self, fh: BinaryIO) -> Iterator[BufferInfo]:
        offset = 0
        index = 0
        size = self.file_size
        while offset + L.BUFFER_HEADER_SIZE <= size:
            fh.seek(offset)
            raw = fh.read(L.BUFFER_HEADER_SIZE)
            if len(raw) < L.BUFFER_HEADER_SIZE:
                break
            fields = L.BUFFER_HEADER.read(raw)
            plausible = _plausible_buffer(fields, size - offset)
            if not plausible and _plausible_buffer(fields, MAX_BUFFER_SIZE):
                # The file ends inside this buffer (a copy cut short): read what is there.
                plausible = True
                self.stats.warn(f"buffer {index} at {offset:#x} is cut off by the end of the file")
            if plausible:
                info = self._info(index, offset, fields)
                self._signatures.add(raw[0x34:0x38])
                yield info
                index += 1
                offset += info.size
                continue
            if raw[:4] == b"\xff\xff\xff\xff" and raw.count(0xFF) == len(raw):
                # Preallocated, never-written space at the end of a circular or fixed-size file.
                nxt = self._resync(fh, offset, quiet=True)
            else:
                nxt = self._resync(fh, offset, quiet=False)
            if nxt is None:
                break
            offset = nxt

    def _resync(self, fh: BinaryIO, offset: int, *, quiet: bool) -> int | None:
        """Find the next plausible buffer header after a damaged one at ``offset``.

        Uncompressed files use one buffer size throughout, so the next header is a nominal size further.
        Compressed buffers vary in size: scan for the BufferFlag/BufferType bytes seen in good headers.
        """
        if not quiet:
            self.stats.skipped += 1
            self.stats.warn(f"damaged buffer header at offset {offset:#x}; looking for the next buffer")
        nominal = self._nominal_size
        if nominal and not any(sig[0] & L.BUFFER_FLAG_COMPRESSED for sig in self._signatures):
            nxt = (offset // nominal + 1) * nominal
            while nxt + L.BUFFER_HEADER_SIZE <= self.file_size:
                fh.seek(nxt)
                fields = L.BUFFER_HEADER.read(fh.read(L.BUFFER_HEADER_SIZE))
                if _plausible_buffer(fields, self.file_size - nxt):
                    return nxt
                nxt += nominal
            return None
        signatures = self._signatures or {b"\x00\x00\x00\x00"}
        chunk = 1024 * 1024
        start = offset + 1
        limit = min(self.file_size, offset + MAX_RESYNC_SCAN)
        while start < limit:
            fh.seek(start)
            block = fh.read(min(chunk + L.BUFFER_HEADER_SIZE, limit - start + L.BUFFER_HEADER_SIZE))
            candidates: list[int] = []
            for sig in signatures:
                pos = block.find(sig, 0x34)
                while pos != -1:
                    candidates.append(pos - 0x34)
                    pos = block.find(sig, pos + 1)
            for cand in sorted(candidates):
                if cand > chunk or cand + L.BUFFER_HEADER_SIZE > len(block):
                    continue
                fields = L.BUFFER_HEADER.read(block, cand)
                if _plausible_buffer(fields, self.file_size - (start + cand)):
                    return start + cand
            start += chunk
        if not quiet:
            self.stats.warn(f"no further buffer found after offset {offset:#x}")
        return None

    def _content(self, fh: BinaryIO, info: BufferInfo, *, count: bool = True) -> bytes | None:
        """Read one buffer's bytes (decompressed if needed); the returned bytes start with its header."""
        fh.seek(info.offset)
        raw = fh.read(info.size)
        if count:
            self.stats.buffers += 1
            self.stats.bytes_read += len(raw)
            if info.flags & (L.BUFFER_FLAG_EVENTS_LOST | L.BUFFER_FLAG_BUFFER_LOST):
                self.stats.lost_buffers += 1
        if len(raw) < info.size:
            if count:
                self.stats.warn(f"buffer {info.index} is truncated ({len(raw)} of {info.size} bytes)")
        if not info.compressed:
            return raw
        if count:
            self.stats.compressed_buffers += 1
        try:
            body = lzxpress.decompress(raw[L.BUFFER_HEADER_SIZE :])
        except Exception as exc:  # any decoder failure costs this buffer only
            if count:
                self.stats.skipped += 1
                self.stats.warn(f"buffer {info.index} at {info.offset:#x}: decompression failed ({exc})")
            return None
        expected = info.saved_offset - L.BUFFER_HEADER_SIZE
        if len(body) < expected and count:
            self.stats.warn(f"buffer {info.index} decompressed to {len(body)} bytes, header says {expected}")
        return raw[: L.BUFFER_HEADER_SIZE] + body

    # -- events ------------------------------------------------------------------------------------------

    def events(self) -> Iterator[EtlEvent]:
        """Every event in file order (buffer by buffer)."""
        with open(self.path, "rb") as fh:
            for info in self._scan_list():
                data = self._content(fh, info)
                if data is not None:
                    yield from self._decode_buffer(info, data)

    def _scan_list(self) -> Iterator[BufferInfo]:
        """Scan with a second handle so reading buffer contents does not move the scanner."""
        with open(self.path, "rb") as scan_fh:
            yield from self._scan(scan_fh)

    def events_sorted(self, window: int = REORDER_WINDOW) -> Iterator[EtlEvent]:
        """Every event in time order, holding one buffer per processor plus ``window`` events in memory."""
        with open(self.path, "rb") as fh:
            per_cpu: dict[int, list[BufferInfo]] = {}
            for info in self._scan(fh):
                per_cpu.setdefault(info.processor, []).append(info)
        streams = [self._cpu_stream(infos) for infos in per_cpu.values()]
        merged = heapq.merge(*streams, key=_sort_key)
        yield from _reorder(merged, window, self.stats)

    def _cpu_stream(self, infos: list[BufferInfo]) -> Iterator[EtlEvent]:
        with open(self.path, "rb") as fh:
            for info in infos:
                data = self._content(fh, info)
                if data is not None:
                    yield from self._decode_buffer(info, data)

    def _decode_buffer(self, info: BufferInfo, data: bytes) -> Iterator[EtlEvent]:
        """Walk the records of one buffer; a bad record ends this buffer only."""
        stats = self.stats
        end = min(len(data), info.data_end)
        pos = L.BUFFER_HEADER_SIZE
        to_filetime = self.clock.to_filetime
        processor = info.processor
        bindex = info.index
        u32 = _U32.unpack_from
        u16 = _U16.unpack_from
        decoders = DECODERS
        while pos + 8 <= end:
            marker = u32(data, pos)[0]
            if marker == L.END_MARKER or marker == 0:
                break
            top = marker >> 24
            if top & 0xC0 == 0xC0:
                htype = (marker >> 16) & 0xFF
                kind = L.HEADER_KIND_BY_TYPE.get(htype)
                if kind is None:
                    stats.skipped += 1
                    stats.warn(f"buffer {bindex} +{pos:#x}: unknown header type {htype}; rest of buffer skipped")
                    break
                if kind in (L.HeaderKind.SYSTEM, L.HeaderKind.COMPACT, L.HeaderKind.PERFINFO):
                    size = u16(data, pos + 4)[0]
                else:
                    size = marker & 0xFFFF
            elif top & 0xE0 == 0x80 and top & 0x10:
                htype = L.HeaderType.MESSAGE
                kind = L.HeaderKind.MESSAGE
                size = marker & 0xFFFF
            else:
                stats.skipped += 1
                stats.warn(f"buffer {bindex} +{pos:#x}: marker {marker:#010x} is not an event; rest skipped")
                break
            if size < 8 or pos + size > end:
                stats.skipped += 1
                stats.warn(f"buffer {bindex} +{pos:#x}: {kind} record size {size} runs past the buffer data")
                break
            try:
                event = decoders[kind](kind, htype, data, pos, size, to_filetime, processor, bindex)
            except (struct.error, ValueError) as exc:
                event = None
                stats.warn(f"buffer {bindex} +{pos:#x}: {kind} record could not be decoded ({exc})")
            if event is None:
                stats.skipped += 1
            else:
                stats.events += 1
                yield event
            pos += (size + 7) & ~7


def _sort_key(event: EtlEvent) -> int:
    return event.filetime


def _reorder(events: Iterable[EtlEvent], window: int, stats: EtlStats) -> Iterator[EtlEvent]:
    """Repair small inversions with a bounded heap; count anything that still comes out of order."""
    heap: list[tuple[int, int, EtlEvent]] = []
    seq = 0
    last = -(1 << 63)
    for event in events:
        heapq.heappush(heap, (event.filetime, seq, event))
        seq += 1
        if len(heap) > window:
            ft, _s, out = heapq.heappop(heap)
            if ft < last:
                stats.out_of_order += 1
            last = ft
            yield out
    while heap:
        ft, _s, out = heapq.heappop(heap)
        if ft < last:
            stats.out_of_order += 1
        last = ft
        yield out


def _parse_logfile_header(data: bytes, end: int) -> LogfileHeader | None:
    """Decode the TRACE_LOGFILE_HEADER carried by the first record of the header buffer."""
    pos = L.BUFFER_HEADER_SIZE
    if end < pos + L.SYSTEM_HEADER_SIZE or len(data) < end:
        return None
    record = L.SYSTEM_HEADER.read(data, pos)
    htype, size = record.header_type, record.size
    if record.flags & 0xC0 != 0xC0 or htype not in (L.HeaderType.SYSTEM32, L.HeaderType.SYSTEM64):
        return None
    if record.hook_id != L.HOOK_LOGFILE_HEADER or pos + size > end:
        return None
    body = data[pos + L.SYSTEM_HEADER_SIZE : pos + size]
    ptr64 = htype == L.HeaderType.SYSTEM64
    tail_at = L.LOGFILE_TAIL_OFFSET_PTR64 if ptr64 else L.LOGFILE_TAIL_OFFSET_PTR32
    strings_at = L.LOGFILE_STRINGS_OFFSET_PTR64 if ptr64 else L.LOGFILE_STRINGS_OFFSET_PTR32
    tz_at = L.LOGFILE_TIMEZONE_OFFSET_PTR64 if ptr64 else L.LOGFILE_TIMEZONE_OFFSET_PTR32
    if len(body) < strings_at:
        return None
    fixed = L.LOGFILE_HEADER_FIXED.read(body, 0)
    tail = L.LOGFILE_HEADER_TAIL.read(body, tail_at)
    bias = L.TIMEZONE_BIAS.read(body, tz_at).bias
    names = body[strings_at:].decode("utf-16-le", errors="replace").split("\x00")
    pointer_size = fixed.pointer_size
    return LogfileHeader(
        buffer_size=fixed.buffer_size,
        version=fixed.version,
        provider_version=fixed.provider_version,
        number_of_processors=fixed.number_of_processors,
        end_time=fixed.end_time,
        timer_resolution=fixed.timer_resolution,
        maximum_file_size=fixed.maximum_file_size,
        log_file_mode=fixed.log_file_mode,
        buffers_written=fixed.buffers_written,
        pointer_size=pointer_size if pointer_size in (4, 8) else (8 if ptr64 else 4),
        events_lost=fixed.events_lost,
        cpu_speed_mhz=fixed.cpu_speed_mhz,
        boot_time=tail.boot_time,
        perf_freq=tail.perf_freq,
        start_time=tail.start_time,
        clock_type=tail.clock_type,
        buffers_lost=tail.buffers_lost,
        timezone_bias_minutes=bias,
        logger_name=names[0] if names else "",
        log_file_name=names[1] if len(names) > 1 else "",
        reference_clock=record.timestamp,
    )


def iter_events(path: str | os.PathLike[str], stats: EtlStats | None = None) -> Iterator[EtlEvent]:
    """Stream every event of ``path`` in file order; damage is counted in ``stats``."""
    yield from EtlReader(path, stats).events()


def iter_events_sorted(
    path: str | os.PathLike[str], stats: EtlStats | None = None, window: int = REORDER_WINDOW
) -> Iterator[EtlEvent]:
    """Stream every event of ``path`` in time order (bounded memory; see :meth:`EtlReader.events_sorted`)."""
    yield from EtlReader(path, stats).events_sorted(window)


def read_logfile_header(path: str | os.PathLike[str]) -> LogfileHeader | None:
    """Return the logfile header of ``path`` (None if the first buffer holds none)."""
    return EtlReader(path).header
