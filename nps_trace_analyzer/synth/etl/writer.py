"""A minimal ETL writer: a logfile-header buffer plus per-processor buffers of EVENT_HEADER64 events.

Why: no public trace holds NDIS-PacketCapture events and no Python package writes ETL, so tests (and later
the sample generator) need to build traces themselves. The writer uses the same declared layouts as the
reader (:mod:`nps_trace_analyzer.sources.etl.layout`) but its own packing code, and it can store buffers
*compressed* (pktmon style) with a literal-only LZXpress encoder, so the reader's decompression path is
exercised too.

Scope: QPC clock at 10 MHz anchored at the session start, 64-bit pointers, EVENT_HEADER64 records only
(plus the logfile header as a SYSTEM64 record). Enough for Windows-style readers of the header and events;
not validated against Windows consumers (tracerpt, netsh trace convert).
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import BinaryIO

from nps_trace_analyzer.sources.etl import layout as L

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)


def datetime_to_filetime(value: datetime) -> int:
    """Aware datetime to FILETIME ticks (100 ns since 1601 UTC)."""
    delta = value.astimezone(timezone.utc) - _FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


@dataclass(frozen=True)
class EtlEventSpec:
    """One manifest-style event to write (the writer fills in the header's size and marker)."""

    provider: uuid.UUID
    event_id: int
    filetime: int
    payload: bytes = b""
    version: int = 0
    level: int = 4
    opcode: int = 0
    task: int = 0
    keywords: int = 0
    channel: int = 0
    process_id: int = 4
    thread_id: int = 8
    processor: int = 0
    activity_id: uuid.UUID | None = None


def lzxpress_literal_encode(data: bytes) -> bytes:
    """Encode ``data`` as [MS-XCA] plain LZ77 using literals only (valid, just not smaller).

    Each group of up to 32 bytes is preceded by a 32-bit flag word; a 0 bit means "literal byte". The last
    group's unused flag bits are set to 1, as the format's end-of-stream convention.
    """
    out = bytearray()
    for start in range(0, len(data), 32):
        chunk = data[start : start + 32]
        flags = 0 if len(chunk) == 32 else (1 << (32 - len(chunk))) - 1
        out += struct.pack("<I", flags) + chunk
    if len(data) % 32 == 0:
        out += struct.pack("<I", 0xFFFFFFFF)
    return bytes(out)


class EtlWriter:
    """Collects events, then writes them as an .etl file (buffers per processor, in time order)."""

    def __init__(
        self,
        start_filetime: int,
        *,
        buffer_size: int = 64 * 1024,
        processors: int = 2,
        compressed: bool = False,
        logger_name: str = "nps-trace-analyzer",
        build: int = 20348,
        perf_freq: int = 10_000_000,
        log_file_name: str = "C:\\NPS\\nettrace.etl",
        log_file_mode: int = 0x1,  # EVENT_TRACE_FILE_MODE_SEQUENTIAL; logman's bincirc is 0x2 (CIRCULAR)
    ) -> None:
        self.start = start_filetime
        self.buffer_size = buffer_size
        self.processors = processors
        self.compressed = compressed
        self.logger_name = logger_name
        self.build = build
        self.perf_freq = perf_freq
        self.log_file_name = log_file_name
        self.log_file_mode = log_file_mode
        self.reference_qpc = 123_456_789  # the QPC value at start_filetime
        self.events: list[EtlEventSpec] = []

    def add(self, event: EtlEventSpec) -> None:
        """Queue one event (any order; each processor's buffers are written in time order)."""
        self.events.append(event)

    def extend(self, events: Iterable[EtlEventSpec]) -> None:
        """Queue several events."""
        self.events.extend(events)

    def _qpc(self, filetime: int) -> int:
        return self.reference_qpc + (filetime - self.start) * self.perf_freq // 10_000_000

    def _record(self, ev: EtlEventSpec) -> bytes:
        size = L.EVENT_HEADER_SIZE + len(ev.payload)
        if size > 0xFFFF:
            raise ValueError(f"event of {size} bytes does not fit a 16-bit record size")
        marker = (L.MARKER_TRACE_HEADER_FLAG | L.MARKER_EVENT_TRACE) << 8 | L.HeaderType.EVENT_HEADER64
        header = L.EVENT_HEADER.pack(
            size,
            marker,
            L.EVENT_FLAG_64_BIT_HEADER,
            0,
            ev.thread_id,
            ev.process_id,
            self._qpc(ev.filetime),
            ev.provider.bytes_le,
            ev.event_id,
            ev.version,
            ev.channel,
            ev.level,
            ev.opcode,
            ev.task,
            ev.keywords,
            0,
            0,
            ev.activity_id.bytes_le if ev.activity_id else bytes(16),
        )
        record = header + ev.payload
        return record + b"\x00" * ((-len(record)) % L.EVENT_ALIGNMENT)

    def _logfile_header_record(self, buffers_written: int, end_filetime: int) -> bytes:
        body = bytearray(L.LOGFILE_STRINGS_OFFSET_PTR64)
        L.LOGFILE_HEADER_FIXED.pack_into(
            body,
            0,
            self.buffer_size,
            0x0002000A,  # version 10.0 / layout 2.0
            self.build,
            self.processors,
            end_filetime,
            156_250,
            0,
            self.log_file_mode,
            buffers_written,
            1,
            8,
            0,
            2_400,
        )
        L.LOGFILE_HEADER_TAIL.pack_into(
            body,
            L.LOGFILE_TAIL_OFFSET_PTR64,
            self.start - 36_000_000_000,  # booted an hour earlier
            self.perf_freq,
            self.start,
            L.ClockType.QPC,
            0,
        )
        body += (self.logger_name + "\x00" + self.log_file_name + "\x00").encode("utf-16-le")
        size = L.SYSTEM_HEADER_SIZE + len(body)
        header = L.SYSTEM_HEADER.pack(
            2,
            L.HeaderType.SYSTEM64,
            L.MARKER_TRACE_HEADER_FLAG | L.MARKER_EVENT_TRACE,
            size,
            L.HOOK_LOGFILE_HEADER,
            8,
            4,
            self.reference_qpc,
        )
        record = header + struct.pack("<II", 0, 0) + bytes(body)
        return record + b"\x00" * ((-len(record)) % L.EVENT_ALIGNMENT)

    def _buffer(self, records: list[bytes], processor: int, sequence: int, buffer_type: int = 0) -> bytes:
        content = b"".join(records)
        filled = L.BUFFER_HEADER_SIZE + len(content)
        flags = L.BUFFER_FLAG_PROC_INDEX if buffer_type == 0 else L.BUFFER_FLAG_FLUSH_MARKER
        if self.compressed and buffer_type == 0:
            packed = lzxpress_literal_encode(content)
            header = L.BUFFER_HEADER.pack(
                L.BUFFER_HEADER_SIZE + len(packed), filled, filled, 0, 0, sequence, 0,
                processor & 0xFF, processor >> 8, 1, 3, filled,
                flags | L.BUFFER_FLAG_COMPRESSED, buffer_type,
            )  # fmt: skip
            return header + packed
        header = L.BUFFER_HEADER.pack(
            self.buffer_size, filled, filled, 0, 0, sequence, 0,
            processor & 0xFF, processor >> 8, 1, 3, filled, flags, buffer_type,
        )  # fmt: skip
        filler = b"\xff" * (self.buffer_size - filled)
        return header + content + filler

    def write_stream(self, fh: BinaryIO, events: Iterable[EtlEventSpec]) -> int:
        """Write time-ordered ``events`` without holding them: for multi-GB benchmark traces.

        Each processor fills its own buffer, which is flushed when full (so buffers interleave as in a
        live session). The header buffer is written first with placeholders and patched at the end, so
        ``fh`` must be seekable. Queued events (:meth:`add`) are ignored. Returns the buffer count.
        """
        capacity = self.buffer_size - L.BUFFER_HEADER_SIZE
        start = fh.tell()
        fh.write(self._buffer([self._logfile_header_record(0, self.start)], 0, 0, L.BUFFER_TYPE_HEADER))
        pending: dict[int, list[bytes]] = {}
        used: dict[int, int] = {}
        written = 1
        end = self.start
        for ev in events:
            record = self._record(ev)
            if len(record) > capacity:
                raise ValueError(f"event of {len(record)} bytes does not fit a {self.buffer_size}-byte buffer")
            cpu = ev.processor % max(1, self.processors)
            if used.get(cpu, 0) + len(record) > capacity:
                fh.write(self._buffer(pending.pop(cpu), cpu, written))
                written += 1
                used[cpu] = 0
            pending.setdefault(cpu, []).append(record)
            used[cpu] = used.get(cpu, 0) + len(record)
            end = max(end, ev.filetime)
        for cpu in sorted(pending):
            fh.write(self._buffer(pending[cpu], cpu, written))
            written += 1
        stop = fh.tell()
        fh.seek(start)
        fh.write(self._buffer([self._logfile_header_record(written, end)], 0, 0, L.BUFFER_TYPE_HEADER))
        fh.seek(stop)
        return written

    def write(self, fh: BinaryIO) -> int:
        """Write the file; return the number of buffers written (header buffer included)."""
        capacity = self.buffer_size - L.BUFFER_HEADER_SIZE
        per_cpu: dict[int, list[list[bytes]]] = {}
        for ev in sorted(self.events, key=lambda e: e.filetime):
            record = self._record(ev)
            if len(record) > capacity:
                raise ValueError(f"event of {len(record)} bytes does not fit a {self.buffer_size}-byte buffer")
            cpu = ev.processor % max(1, self.processors)
            buffers = per_cpu.setdefault(cpu, [[]])
            if sum(len(r) for r in buffers[-1]) + len(record) > capacity:
                buffers.append([])
            buffers[-1].append(record)
        # Interleave the processors' buffers the way a live session flushes them: round robin.
        ordered: list[tuple[int, list[bytes]]] = []
        queues = {cpu: list(bufs) for cpu, bufs in sorted(per_cpu.items())}
        while any(queues.values()):
            for cpu in list(queues):
                if queues[cpu]:
                    ordered.append((cpu, queues[cpu].pop(0)))
        end = max((e.filetime for e in self.events), default=self.start)
        blobs = [self._buffer([self._logfile_header_record(len(ordered) + 1, end)], 0, 0, L.BUFFER_TYPE_HEADER)]
        blobs += [self._buffer(records, cpu, seq + 1) for seq, (cpu, records) in enumerate(ordered)]
        for blob in blobs:
            fh.write(blob)
        return len(blobs)
