"""What an .evtx file announces about itself, so that nothing read short goes unsaid.

pyevtx-rs in ``skip_errors`` mode reads what it can and says nothing about a chunk cut off by a truncation or a
chunk header wiped by zeros: Security.evtx cut at 90 % read 114 of 135 records with "0 skipped". The file header
(chunk count, next record id) and each chunk header (first/last EventRecordID) announce what should be there;
:func:`account` compares that with the record ids actually read and names the difference.

Layout facts (libyal's "Windows XML Event Log (EVTX)" and ``docs/reference/evtx-format-notes.md``): a
4096-byte file header block, then 64 KiB chunks, each starting with a 512-byte header block whose first 128 bytes
are described below. Structures are declared as data, apart from the logic, so a reader that shards a file by
chunk (issue #12) can reuse them and call :func:`account` per range of chunks.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

FILE_SIGNATURE = b"ElfFile\x00"
CHUNK_SIGNATURE = b"ElfChnk\x00"
FILE_HEADER_BLOCK = 4096
CHUNK_SIZE = 65536
CHUNK_HEADER_BLOCK = 512
# The smallest record is a 24-byte header plus its trailing size copy and a minimal BinXml body; 24 bytes per
# record over the chunk's payload is a safe upper bound for "how many records can one chunk announce".
MAX_RECORDS_PER_CHUNK = (CHUNK_SIZE - CHUNK_HEADER_BLOCK) // 24


def _struct(fields: Sequence[tuple[str, str]]) -> tuple[struct.Struct, tuple[str, ...]]:
    return struct.Struct("<" + "".join(fmt for _name, fmt in fields)), tuple(name for name, _fmt in fields)


# (field name, struct format) in file order; unknown/reserved areas are not declared.
FILE_HEADER_FIELDS = (
    ("signature", "8s"),
    ("first_chunk_number", "Q"),
    ("last_chunk_number", "Q"),
    ("next_record_id", "Q"),
    ("header_size", "I"),  # 128
    ("minor_version", "H"),
    ("major_version", "H"),  # 3
    ("header_block_size", "H"),  # 4096
    ("chunk_count", "H"),
)
CHUNK_HEADER_FIELDS = (
    ("signature", "8s"),
    ("first_record_number", "Q"),  # counted within the file from 1
    ("last_record_number", "Q"),
    ("first_record_id", "Q"),  # EventRecordID
    ("last_record_id", "Q"),
    ("header_size", "I"),  # 128
    ("last_record_offset", "I"),
    ("free_space_offset", "I"),
)
_FILE_HEADER, _FILE_NAMES = _struct(FILE_HEADER_FIELDS)
_CHUNK_HEADER, _CHUNK_NAMES = _struct(CHUNK_HEADER_FIELDS)


@dataclass(frozen=True)
class ChunkSlot:
    """One 64 KiB slot of the file: its header's record-id range, or why that header is unusable."""

    index: int
    offset: int
    first_record_id: int = 0
    last_record_id: int = 0
    problem: str = ""  # "" when the header is usable
    unused: bool = False  # a slot past the file's last chunk (preallocated zeros, stale bytes): not a loss

    @property
    def usable(self) -> bool:
        return not self.problem and not self.unused

    @property
    def announced(self) -> int:
        return self.last_record_id - self.first_record_id + 1 if self.usable else 0


@dataclass(frozen=True)
class EvtxLayout:
    """The file header and every chunk header of one .evtx file (only headers are read: 640 bytes per chunk)."""

    size: int
    header_problem: str = ""
    chunk_count: int = 0  # as the file header says
    next_record_id: int = 0
    slots: tuple[ChunkSlot, ...] = ()

    @property
    def damaged_slots(self) -> int:
        return sum(bool(s.problem) for s in self.slots) + max(0, self.chunk_count - len(self.slots))


def parse_file_header(block: bytes) -> dict[str, int | bytes]:
    return dict(zip(_FILE_NAMES, _FILE_HEADER.unpack_from(block), strict=True))


def parse_chunk_header(block: bytes) -> dict[str, int | bytes]:
    return dict(zip(_CHUNK_NAMES, _CHUNK_HEADER.unpack_from(block), strict=True))


def _slot(index: int, offset: int, head: bytes) -> ChunkSlot:
    if len(head) < _CHUNK_HEADER.size:
        return ChunkSlot(index, offset, problem="cut off inside its header (file truncated)")
    if head.count(0) == len(head):
        return ChunkSlot(index, offset, problem="header is all zeros")
    fields = parse_chunk_header(head)
    if fields["signature"] != CHUNK_SIGNATURE:
        return ChunkSlot(index, offset, problem="no chunk signature (ElfChnk): header damaged")
    first, last = int(fields["first_record_id"]), int(fields["last_record_id"])
    if first <= 0 or last < first or last - first >= MAX_RECORDS_PER_CHUNK:
        return ChunkSlot(index, offset, problem=f"implausible record-id range {first}-{last}: header damaged")
    return ChunkSlot(index, offset, first, last)


def layout_of(data_at: Iterable[tuple[int, bytes]], size: int, file_header: bytes) -> EvtxLayout:
    """Build the layout from the file header block and ``(offset, first bytes)`` of each chunk slot."""
    header_problem = ""
    chunk_count = next_record_id = 0
    if len(file_header) < _FILE_HEADER.size or not file_header.startswith(FILE_SIGNATURE):
        header_problem = "file header damaged (no ElfFile signature)"
    else:
        fields = parse_file_header(file_header)
        chunk_count, next_record_id = int(fields["chunk_count"]), int(fields["next_record_id"])
    slots = [_slot(i, offset, head) for i, (offset, head) in enumerate(data_at)]
    # Live logs preallocate zeroed slots and keep stale bytes past their last chunk; the file header's chunk count
    # is not always current either (dirty logs), so "past the end" is past both it and the last usable header.
    end = max([chunk_count] + [s.index + 1 for s in slots if s.usable])
    slots = [ChunkSlot(s.index, s.offset, unused=True) if s.index >= end and s.problem else s for s in slots]
    return EvtxLayout(size, header_problem, chunk_count, next_record_id, tuple(slots))


def read_layout(path: str) -> EvtxLayout:
    """Read the file header and each chunk header of ``path`` (a few hundred bytes per 64 KiB chunk)."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(0)
        file_header = fh.read(_FILE_HEADER.size)

        def heads() -> Iterable[tuple[int, bytes]]:
            for offset in range(FILE_HEADER_BLOCK, size, CHUNK_SIZE):
                fh.seek(offset)
                yield offset, fh.read(_CHUNK_HEADER.size)

        return layout_of(list(heads()), size, file_header)


@dataclass
class RecordIds:
    """The EventRecordIDs read from a file, kept as sorted runs (a million records in a few runs, not a set)."""

    runs: list[list[int]] = field(default_factory=list)

    def add(self, record_id: int) -> None:
        if self.runs and self.runs[-1][1] + 1 == record_id:
            self.runs[-1][1] = record_id
        else:
            self.runs.append([record_id, record_id])

    def merged(self) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for start, end in sorted((a, b) for a, b in self.runs):
            if out and start <= out[-1][1] + 1:
                out[-1] = (out[-1][0], max(out[-1][1], end))
            else:
                out.append((start, end))
        return out


@dataclass(frozen=True)
class Accounting:
    """What the headers announce against what was read, for one file (or one range of its chunks)."""

    announced: int  # record ids the headers account for
    read_of_announced: int  # of those, how many were read
    missing: tuple[tuple[int, int], ...]  # record-id ranges announced and not read
    notes: tuple[str, ...]  # damaged headers, missing chunks

    @property
    def lost(self) -> int:
        return self.announced - self.read_of_announced


def _expected_ranges(layout: EvtxLayout, slots: Sequence[ChunkSlot]) -> list[tuple[int, int]]:
    """Record-id ranges the usable headers announce, plus the gaps between them that damaged slots explain."""
    ranges = sorted((s.first_record_id, s.last_record_id) for s in slots if s.usable)
    if not ranges:
        return []
    damaged = layout.damaged_slots
    merged: list[tuple[int, int]] = [ranges[0]]
    for start, end in ranges[1:]:
        prev_start, prev_end = merged[-1]
        gap = start - prev_end - 1
        if gap <= 0 or (damaged and gap <= damaged * MAX_RECORDS_PER_CHUNK):
            merged[-1] = (prev_start, max(prev_end, end))  # contiguous, or a gap a damaged chunk accounts for
        else:
            merged.append((start, end))
    # Records after the last usable chunk that the file header still counts (a chunk cut off or wiped at the end).
    last = merged[-1][1]
    announced_last = layout.next_record_id - 1
    if damaged and last < announced_last <= last + damaged * MAX_RECORDS_PER_CHUNK:
        merged[-1] = (merged[-1][0], announced_last)
    return merged


def account(layout: EvtxLayout, read: RecordIds, slots: Sequence[ChunkSlot] | None = None) -> Accounting:
    """Compare the record ids announced by ``slots`` (default: all chunks) with the ids in ``read``."""
    chosen = layout.slots if slots is None else slots
    expected = _expected_ranges(layout, chosen)
    got = read.merged()
    announced = sum(end - start + 1 for start, end in expected)
    covered = 0
    missing: list[tuple[int, int]] = []
    for start, end in expected:
        cursor = start
        for g_start, g_end in got:
            if g_end < cursor or g_start > end:
                continue
            if g_start > cursor:
                missing.append((cursor, g_start - 1))
            lo, hi = max(g_start, cursor), min(g_end, end)
            covered += hi - lo + 1
            cursor = hi + 1
            if cursor > end:
                break
        if cursor <= end:
            missing.append((cursor, end))
    notes = [f"chunk {s.index} at offset {s.offset}: {s.problem}" for s in chosen if s.problem]
    if slots is None:
        if layout.header_problem:
            notes.insert(0, layout.header_problem)
        if layout.chunk_count > len(layout.slots):
            notes.append(
                f"the file header announces {layout.chunk_count} chunks, the file holds {len(layout.slots)} "
                f"({layout.size} bytes): the file is truncated"
            )
    return Accounting(announced, covered, tuple(missing), tuple(notes))


def describe_loss(acc: Accounting, limit: int = 5) -> str:
    """One line for the report: how many records are missing and which record ids."""
    spans = ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in acc.missing[:limit])
    more = f" and {len(acc.missing) - limit} more range(s)" if len(acc.missing) > limit else ""
    return (
        f"{acc.lost} of {acc.announced} records announced by the chunk headers were not read "
        f"(EventRecordID {spans}{more})"
    )
