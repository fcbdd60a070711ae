"""EVTX writer: :class:`EventSpec` objects -> a .evtx file as Windows' event log service would write it.

The file is streamed: each chunk is written when full, so memory stays at one chunk however many records
are written. The file header is written first with the dirty flag set (what a crashed writer would leave)
and rewritten at :meth:`EvtxWriter.close` with the final chunk count, next record identifier and clean flags.
Output depends on the input only (no clock, no randomness): the same specs give a byte-identical file.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable
from types import TracebackType

from ..spec import EventSpec
from .chunk import MAX_RECORD_SIZE, Chunk
from .layout import (
    FILE_FLAG_DIRTY,
    FILE_HEADER,
    FILE_HEADER_BLOCK_SIZE,
    FILE_HEADER_CRC_OFFSET,
    FILE_HEADER_CRC_SPAN,
    FILE_HEADER_SIZE,
    FILE_SIGNATURE,
    MAJOR_VERSION,
    MAX_CHUNKS,
    MINOR_VERSION,
    TABLE_ENTRY,
)
from .record import prepare

_MAX_RECORD_ID = 2**64 - 1


class EvtxWriter:
    """Write events to a new .evtx file (truncating an existing one); use as a context manager.

    EventRecordIDs are assigned in order from ``first_record_id``; :meth:`write` returns the one it used.
    """

    def __init__(self, path: str | os.PathLike[str], *, first_record_id: int = 1) -> None:
        if isinstance(first_record_id, bool) or not isinstance(first_record_id, int):
            raise ValueError(f"first_record_id must be an int, got {type(first_record_id).__name__}")
        if not 0 <= first_record_id <= _MAX_RECORD_ID:
            raise ValueError(f"first_record_id must be in 0..{_MAX_RECORD_ID}, got {first_record_id}")
        self._next_record_id = first_record_id
        self._next_record_number = 1
        self._chunks_written = 0
        self._chunk: Chunk | None = None
        self._file = open(path, "wb")  # closed by close() / __exit__
        self._closed = False
        self._file.write(self._file_header(FILE_FLAG_DIRTY))

    def __enter__(self) -> EvtxWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def records_written(self) -> int:
        """Number of records written so far."""
        return self._next_record_number - 1

    def write(self, spec: EventSpec) -> int:
        """Append one event; returns its EventRecordID. Raises ValueError for an invalid or oversized event."""
        if self._closed:
            raise ValueError("write to a closed EvtxWriter")
        if self._next_record_id > _MAX_RECORD_ID:
            raise ValueError("EventRecordID would exceed 64 bits")
        event = prepare(spec, self._next_record_id)
        chunk = self._chunk
        if chunk is None or chunk.try_append(event) is None:
            if chunk is not None:
                self._flush_chunk(chunk)
            if self._chunks_written >= MAX_CHUNKS:
                raise ValueError(f"an EVTX file holds at most {MAX_CHUNKS} chunks")
            chunk = Chunk(self._next_record_number)
            if chunk.try_append(event) is None:
                raise ValueError(
                    f"event {spec.provider}/{spec.event_id} does not fit in one 64 KiB chunk even alone (at most "
                    f"{MAX_RECORD_SIZE} bytes per record); shorten its values"
                )
            self._chunk = chunk
        self._next_record_id += 1
        self._next_record_number += 1
        return event.record_id

    def close(self) -> None:
        """Write the last chunk and the final file header (clean flags); closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._chunk is not None and not self._chunk.is_empty:
                self._flush_chunk(self._chunk)
            self._chunk = None
            self._file.seek(0)
            self._file.write(self._file_header(0))
        finally:
            self._file.close()

    def _flush_chunk(self, chunk: Chunk) -> None:
        self._file.write(chunk.finish())
        self._chunks_written += 1
        self._chunk = None

    def _file_header(self, flags: int) -> bytes:
        chunks = self._chunks_written
        header = bytearray(FILE_HEADER_BLOCK_SIZE)
        header[:FILE_HEADER_SIZE] = FILE_HEADER.pack(
            FILE_SIGNATURE,
            0,
            max(chunks - 1, 0),
            self._next_record_id,
            FILE_HEADER_SIZE,
            MINOR_VERSION,
            MAJOR_VERSION,
            FILE_HEADER_BLOCK_SIZE,
            chunks,
            bytes(76),
            flags,
            0,
        )
        TABLE_ENTRY.pack_into(header, FILE_HEADER_CRC_OFFSET, zlib.crc32(header[:FILE_HEADER_CRC_SPAN]))
        return bytes(header)


def write_evtx(path: str | os.PathLike[str], specs: Iterable[EventSpec], *, first_record_id: int = 1) -> int:
    """Write ``specs`` to a new .evtx file at ``path``; returns the number of records written."""
    with EvtxWriter(path, first_record_id=first_record_id) as writer:
        for spec in specs:
            writer.write(spec)
        return writer.records_written
