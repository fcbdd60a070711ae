"""Split an .evtx file into shards that pyevtx-rs reads exactly as it reads the whole file.

An EVTX file is a 4 KiB file header followed by 64 KiB ``ElfChnk`` chunks; every chunk carries its own string
and template tables, so a record never needs another chunk to be decoded. The file header plus any run of
chunks is therefore itself a valid EVTX file, and pyevtx-rs reads it chunk by chunk up to the end of the data
(it does not trust the header's chunk count: a header that lies about it changes nothing, measured). A shard is
such a run; the last one also carries a trailing partial chunk, so whatever pyevtx-rs makes of the cut-off end
happens in one shard only, as it would in the whole file.

The split depends on the file size alone — never on the number of processes — so the records read, the items
skipped and the order of everything are the same for any ``--jobs``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, BinaryIO

FILE_HEADER_BLOCK = 4096  # the file header block: chunks start here
CHUNK_SIZE = 65536
DEFAULT_SHARD_CHUNKS = 64  # 4 MiB: enough shards to keep 2-16 processes busy, few enough to cost little
#: AzureMfa logs are read as XML and every record is normalised and extracted: a chunk costs ~30 times what a
#: pre-filtered Security chunk does. A 49-chunk AuthZOptCh read as one shard kept one process busy while the
#: other waited for the parent, which takes results in order (measured on the busy-server bundle).
XML_SHARD_CHUNKS = 8


def chunks_per_shard(as_xml: bool, shard_chunks: int = DEFAULT_SHARD_CHUNKS) -> int:
    """Chunks per shard for a file read as XML (AzureMfa) or as JSON; from the file's kind, never from --jobs."""
    return min(shard_chunks, XML_SHARD_CHUNKS) if as_xml else shard_chunks


@dataclass(frozen=True)
class Shard:
    """Bytes ``[start, end)`` of the file (whole chunks, the last shard to the end of the file) after the header.

    ``first_chunk`` is the number of the shard's first chunk in the file, for pyevtx-rs messages that name chunks.
    """

    path: str
    first_chunk: int
    start: int
    end: int
    whole_file: bool

    @property
    def file_bytes(self) -> int:
        """Bytes of the file this shard stands for (the shards of a file add up to its size)."""
        return self.end - self.start + (FILE_HEADER_BLOCK if self.first_chunk == 0 and not self.whole_file else 0)

    def open(self) -> str | BinaryIO:
        """What to give PyEvtxParser: the path for a whole file, else a view of the header and the chunk run."""
        if self.whole_file:
            return self.path
        return ShardFile(self.path, self.start, self.end)


class ShardFile(io.RawIOBase):
    """A read-only file object that shows the file header followed directly by bytes ``[start, end)`` of the file.

    pyevtx-rs reads a file object a few kilobytes at a time, so this view costs a few hundred small reads per
    shard instead of copying the shard into memory first (measured: the copy was 9 % of a busy server's run).
    """

    def __init__(self, path: str, start: int, end: int) -> None:
        super().__init__()
        self._fh = open(path, "rb")  # closed by close(), which pyevtx-rs's release of the object triggers
        self._start = start
        self._size = FILE_HEADER_BLOCK + end - start
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        end = self._size if size is None or size < 0 else min(self._size, self._pos + size)
        parts = []
        while self._pos < end:
            if self._pos < FILE_HEADER_BLOCK:
                self._fh.seek(self._pos)
                piece = self._fh.read(min(end, FILE_HEADER_BLOCK) - self._pos)
            else:
                self._fh.seek(self._start + self._pos - FILE_HEADER_BLOCK)
                piece = self._fh.read(end - self._pos)
            if not piece:
                break
            parts.append(piece)
            self._pos += len(piece)
        return b"".join(parts)

    def close(self) -> None:
        self._fh.close()
        super().close()


def plan_shards(path: str, size: int, shard_chunks: int = DEFAULT_SHARD_CHUNKS) -> list[Shard]:
    """Cut a file of ``size`` bytes into runs of ``shard_chunks`` chunks (one shard when it is not larger)."""
    if shard_chunks < 1:
        raise ValueError("shard_chunks must be at least 1")
    chunks = max(0, size - FILE_HEADER_BLOCK) // CHUNK_SIZE
    if chunks <= shard_chunks:
        return [Shard(path, 0, 0, size, whole_file=True)]
    shards = []
    for first in range(0, chunks, shard_chunks):
        start = FILE_HEADER_BLOCK + first * CHUNK_SIZE
        last = first + shard_chunks >= chunks
        end = size if last else start + shard_chunks * CHUNK_SIZE
        shards.append(Shard(path, first, start, end, whole_file=False))
    return shards
