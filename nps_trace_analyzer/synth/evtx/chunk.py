"""One 64 KiB chunk: records appended until the next one does not fit, then a header with its CRCs."""

from __future__ import annotations

import zlib

from .layout import (
    CHUNK_FLAGS_VALUE,
    CHUNK_HEADER,
    CHUNK_HEADER_CRC_OFFSET,
    CHUNK_HEADER_CRC_SPANS,
    CHUNK_HEADER_FIELDS_SIZE,
    CHUNK_HEADER_SIZE,
    CHUNK_SIGNATURE,
    CHUNK_SIZE,
    MAX_FREE_SPACE_OFFSET,
    RECORD_ALIGNMENT,
    RECORD_HEADER,
    RECORD_SIGNATURE,
    RECORD_TRAILER,
    STRING_TABLE_OFFSET,
    TABLE_ENTRY,
    TEMPLATE_TABLE_OFFSET,
)
from .record import PreparedEvent
from .tables import ChunkTables

#: The largest record one chunk can take (an empty chunk, the record ending below byte 65536).
MAX_RECORD_SIZE = MAX_FREE_SPACE_OFFSET - CHUNK_HEADER_SIZE


class Chunk:
    """A chunk being filled. Records are laid out in place; tables and CRCs are written by :meth:`finish`."""

    def __init__(self, first_record_number: int) -> None:
        self.tables = ChunkTables()
        self.data = bytearray(CHUNK_SIZE)
        self.free_offset = CHUNK_HEADER_SIZE
        self.last_record_offset = CHUNK_HEADER_SIZE
        self.first_record_number = first_record_number
        self.record_count = 0
        self.first_record_id = 0
        self.last_record_id = 0

    @property
    def is_empty(self) -> bool:
        return self.record_count == 0

    def try_append(self, event: PreparedEvent) -> int | None:
        """Place the record if it fits; returns its size, or None (chunk unchanged) when it does not.

        Raises ValueError when the event cannot be encoded at all (e.g. a value over 64 KiB).
        """
        start = self.free_offset
        try:
            document = event.encode(self.tables, start + RECORD_HEADER.size)
        except ValueError:
            self.tables.rollback()
            raise
        size = _align(RECORD_HEADER.size + len(document) + RECORD_TRAILER.size)
        if start + size > MAX_FREE_SPACE_OFFSET:
            self.tables.rollback()
            return None
        self.tables.commit()
        data = self.data
        data[start : start + RECORD_HEADER.size] = RECORD_HEADER.pack(
            RECORD_SIGNATURE, size, event.record_id, event.written_ticks
        )
        body = start + RECORD_HEADER.size
        data[body : body + len(document)] = document
        # Padding between the document and the size copy is already zero (fresh chunk buffer).
        data[start + size - RECORD_TRAILER.size : start + size] = RECORD_TRAILER.pack(size)
        if self.record_count == 0:
            self.first_record_id = event.record_id
        self.last_record_id = event.record_id
        self.record_count += 1
        self.last_record_offset = start
        self.free_offset = start + size
        return size

    def finish(self) -> bytes:
        """The complete 64 KiB chunk: header fields, string and template tables, both CRC32s."""
        data = self.data
        last_record_number = self.first_record_number + self.record_count - 1
        records_crc = zlib.crc32(data[CHUNK_HEADER_SIZE : self.free_offset])
        data[0:CHUNK_HEADER_FIELDS_SIZE] = CHUNK_HEADER.pack(
            CHUNK_SIGNATURE,
            self.first_record_number,
            last_record_number,
            self.first_record_id,
            self.last_record_id,
            CHUNK_HEADER_FIELDS_SIZE,
            self.last_record_offset,
            self.free_offset,
            records_crc,
            bytes(64),
            CHUNK_FLAGS_VALUE,
            0,
        )
        for bucket, head in enumerate(self.tables.names.heads):
            TABLE_ENTRY.pack_into(data, STRING_TABLE_OFFSET + bucket * TABLE_ENTRY.size, head)
        for bucket, head in enumerate(self.tables.templates.heads):
            TABLE_ENTRY.pack_into(data, TEMPLATE_TABLE_OFFSET + bucket * TABLE_ENTRY.size, head)
        header_crc = 0
        for begin, end in CHUNK_HEADER_CRC_SPANS:
            header_crc = zlib.crc32(data[begin:end], header_crc)
        TABLE_ENTRY.pack_into(data, CHUNK_HEADER_CRC_OFFSET, header_crc)
        return bytes(data)


def _align(size: int) -> int:
    return (size + RECORD_ALIGNMENT - 1) // RECORD_ALIGNMENT * RECORD_ALIGNMENT
