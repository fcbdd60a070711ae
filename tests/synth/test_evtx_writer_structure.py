"""Structural walk of files written by the EVTX writer: what readers do not check, this test does.

pyevtx-rs and python-evtx ignore the name hashes, mostly ignore the chunk's string and template tables and do
not care whether a record ends exactly at byte 65536 — but Windows and libevtx do. This walker is written
independently of the writer (its own hash, its own token parser) from the format description:

* file header: signature, CRC32 of bytes 0..120, version 3.1, chunk count matching the file size, next record
  identifier, clean flags;
* every chunk: header CRC32 (bytes 0..120 + 128..512), records CRC32, field 120 == 1, record numbers and
  identifiers, last-record and free-space offsets, zero slack;
* every record: signature, size copy, 8-byte padding, never ending at byte 65536, header time == TimeCreated,
  header identifier == EventRecordID;
* BinXml: every token parsed, element/attribute/template sizes exact, every name reference resolving to a
  name structure registered in the string table under hash % 64 with the right hash, every template reference
  resolving to a definition in the template pointer table, chains newest-first, substitution indexes and
  types consistent with the value descriptors (NULL only for optional substitutions).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from nps_trace_analyzer.synth.evtx import EvtxWriter, write_evtx
from nps_trace_analyzer.synth.spec import EventSpec, UserData

from .test_evtx_writer import filetime_ticks, make_specs

CHUNK = 65536
FILETIME_TYPE, UINT64_TYPE, BINXML_TYPE, NULL_TYPE = 0x11, 0x0A, 0x21, 0x00


def reference_hash(name: str) -> int:
    """[MS-EVEN6] name hash, written here independently of the writer."""
    value = 0
    for (unit,) in struct.iter_unpack("<H", name.encode("utf-16-le")):
        value = (value * 65599 + unit) % 2**32
    return value % 2**16


def test_reference_hash_matches_windows():
    # Hashes read from name structures in real Windows logs (system.evtx of the public corpus).
    assert reference_hash("Event") == 0x0CBA
    assert reference_hash("xmlns") == 0x0FBC
    assert reference_hash("System") == 0x546F


class WalkError(AssertionError):
    pass


@dataclass
class ChunkWalk:
    """State of one chunk's walk: names and templates found inline, in order of appearance."""

    data: bytes
    names: dict[int, str] = field(default_factory=dict)  # offset of name structure -> name
    templates: dict[int, bytes] = field(default_factory=dict)  # offset of definition -> GUID bytes
    name_refs: int = 0
    template_refs: int = 0


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise WalkError(message)


class BinXmlWalker:
    """Parses one BinXml document of a chunk, checking every offset and size on the way."""

    def __init__(self, walk: ChunkWalk, start: int, end: int) -> None:
        self.walk = walk
        self.data = walk.data
        self.pos = start
        self.end = end
        self.values: list[tuple[int, bytes]] = []  # last instance's values (type, data), for the caller
        self.substitutions: list[tuple[int, int, bool]] = []

    def u8(self) -> int:
        _check(self.pos < self.end, f"read past the end at {self.pos}")
        self.pos += 1
        return self.data[self.pos - 1]

    def unpack(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        _check(self.pos + size <= self.end, f"read past the end at {self.pos}")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def document(self) -> None:
        """Fragment header, template instance, EOF (what every record and nested payload holds)."""
        _check(self.data[self.pos : self.pos + 4] == b"\x0f\x01\x01\x00", f"no fragment header at {self.pos}")
        self.pos += 4
        _check(self.data[self.pos] == 0x0C, f"no template instance at {self.pos}")
        self.template_instance()
        _check(self.u8() == 0x00, f"no EOF after the template instance at {self.pos - 1}")

    def template_instance(self) -> None:
        token, unknown, template_id, definition = self.unpack("<BBII")
        _check(token == 0x0C and unknown == 1, "bad template instance header")
        if definition == self.pos:
            next_link, guid, size = self.unpack("<I16sI")
            _check(definition not in self.walk.templates, f"template defined twice at {definition}")
            _check(guid[:4] == struct.pack("<I", template_id), "template id is not the GUID's first 32 bits")
            _check(next_link < definition, "template chain is not newest-first")
            self.walk.templates[definition] = guid
            body_end = self.pos + size
            _check(self.data[self.pos : self.pos + 4] == b"\x0f\x01\x01\x00", "template without fragment header")
            self.pos += 4
            self.substitutions = []
            self.element()
            _check(self.u8() == 0x00, "template body without EOF")
            _check(self.pos == body_end, f"template data size {size} wrong (ends at {self.pos}, not {body_end})")
            substitutions = TEMPLATE_SUBSTITUTIONS.setdefault(guid, self.substitutions)
            _check(substitutions == self.substitutions, "one template GUID with two different bodies")
        else:
            _check(definition < self.pos, "template reference points forward")
            _check(definition in self.walk.templates, f"template reference {definition} to no known definition")
            guid = self.walk.templates[definition]
            _check(guid[:4] == struct.pack("<I", template_id), "template id does not match the definition")
            self.walk.template_refs += 1
            substitutions = TEMPLATE_SUBSTITUTIONS[guid]
        (count,) = self.unpack("<I")
        descriptors = [self.unpack("<HBB") for _ in range(count)]
        values = []
        for size, value_type, zero in descriptors:
            _check(zero == 0, "descriptor padding byte is not 0")
            value_start = self.pos
            _check(value_start + size <= self.end, "value runs past the document")
            if value_type == BINXML_TYPE:
                nested = BinXmlWalker(self.walk, value_start, value_start + size)
                nested.document()
                _check(nested.pos == value_start + size, "nested BinXml size mismatch")
            self.pos = value_start + size
            values.append((value_type, self.data[value_start : value_start + size]))
        for index, value_type, optional in substitutions:
            _check(index < count, f"substitution {index} beyond {count} values")
            actual = descriptors[index][1]
            _check(actual == value_type or (optional and actual == NULL_TYPE), f"value {index} type {actual}")
        self.values = values

    def name(self) -> str:
        (offset,) = self.unpack("<I")
        if offset == self.pos:
            next_link, hashed, units = self.unpack("<IHH")
            text = self.data[self.pos : self.pos + 2 * units].decode("utf-16-le")
            self.pos += 2 * units
            _check(self.unpack("<H") == (0,), "name without NUL terminator")
            _check(offset not in self.walk.names, "name stored twice")
            _check(text not in self.walk.names.values(), f"name {text!r} stored twice in one chunk")
            _check(hashed == reference_hash(text), f"wrong hash for {text!r}")
            _check(next_link < offset, "string chain is not newest-first")
            self.walk.names[offset] = text
            return text
        _check(offset < self.pos and offset in self.walk.names, f"name reference {offset} to no known name")
        self.walk.name_refs += 1
        return self.walk.names[offset]

    def element(self) -> None:
        start = self.pos
        token, _dependency, size = self.unpack("<BHI")
        _check(token in (0x01, 0x41), f"not an element start at {start}")
        self.name()
        if token & 0x40:
            (attributes_size,) = self.unpack("<I")
            attributes_end = self.pos + attributes_size
            while True:
                attribute = self.u8()
                _check(attribute in (0x06, 0x46), f"bad attribute token {attribute:#x}")
                self.name()
                self.content_item()
                if attribute == 0x06:
                    break
            _check(self.pos == attributes_end, "attribute list size mismatch")
        closing = self.u8()
        if closing == 0x02:
            while self.data[self.pos] != 0x04:
                if self.data[self.pos] in (0x01, 0x41):
                    self.element()
                else:
                    self.content_item()
            self.pos += 1
        else:
            _check(closing == 0x03, f"bad close token {closing:#x}")
        _check(self.pos - start - 7 == size, f"element data size {size} != {self.pos - start - 7}")

    def content_item(self) -> None:
        token = self.u8()
        if token == 0x05:
            value_type, units = self.unpack("<BH")
            _check(value_type == 0x01, "literal text that is not a string")
            self.data[self.pos : self.pos + 2 * units].decode("utf-16-le")
            self.pos += 2 * units
        elif token in (0x0D, 0x0E):
            index, value_type = self.unpack("<HB")
            self.substitutions.append((index, value_type, token == 0x0E))
        else:
            raise WalkError(f"unexpected token {token:#x} at {self.pos - 1}")


#: Substitution list per template GUID, learnt from definitions (templates are shared across chunks).
TEMPLATE_SUBSTITUTIONS: dict[bytes, list[tuple[int, int, bool]]] = {}


def walk_table(data: bytes, table_offset: int, buckets: int) -> list[list[int]]:
    chains = []
    for bucket in range(buckets):
        (offset,) = struct.unpack_from("<I", data, table_offset + 4 * bucket)
        chain = []
        while offset:
            _check(offset not in chain, "cycle in a table chain")
            chain.append(offset)
            (offset,) = struct.unpack_from("<I", data, offset)
        chains.append(chain)
    return chains


@dataclass
class FileWalk:
    records: list[tuple[int, int, int]]  # (record id, header time, chunk index)
    chunks: int
    names_checked: int
    templates_checked: int
    name_refs: int
    template_refs: int


def walk_file(path: Path) -> FileWalk:
    data = path.read_bytes()
    _check(data[:8] == b"ElfFile\x00", "file signature")
    first, last, next_id, header_size, minor, major, block, count = struct.unpack_from("<QQQIHHHH", data, 8)
    flags, crc = struct.unpack_from("<II", data, 120)
    _check(crc == zlib.crc32(data[:120]), "file header CRC")
    _check((header_size, major, minor, block, flags) == (128, 3, 1, 4096, 0), "file header constants/flags")
    _check(not any(data[128:4096]), "file header slack is not zero")
    _check(len(data) == 4096 + count * CHUNK, f"{count} chunks in the header, file size {len(data)}")
    _check(first == 0 and last == max(count - 1, 0), "first/last chunk numbers")
    records: list[tuple[int, int, int]] = []
    names_checked = templates_checked = name_refs = template_refs = 0
    record_number = 1
    for index in range(count):
        chunk = data[4096 + index * CHUNK : 4096 + (index + 1) * CHUNK]
        _check(chunk[:8] == b"ElfChnk\x00", f"chunk {index} signature")
        fields = struct.unpack_from("<QQQQIIII", chunk, 8)
        first_no, last_no, first_id, last_id, size128, last_offset, free, records_crc = fields
        (flag120, header_crc) = struct.unpack_from("<II", chunk, 120)
        _check(header_crc == zlib.crc32(chunk[:120] + chunk[128:512]), f"chunk {index} header CRC")
        _check(records_crc == zlib.crc32(chunk[512:free]), f"chunk {index} records CRC")
        _check(size128 == 128 and flag120 == 1, f"chunk {index} header constants")
        _check(free % 8 == 0 and free <= CHUNK - 8, f"chunk {index} free offset {free}")
        _check(not any(chunk[free:]), f"chunk {index} slack is not zero")
        walk = ChunkWalk(chunk)
        offset = 512
        chunk_records = []
        while offset < free:
            signature, size, record_id, written = struct.unpack_from("<4sIQQ", chunk, offset)
            _check(signature == b"**\x00\x00", f"record signature at {offset}")
            _check(size % 8 == 0 and offset + size <= free, f"record size {size} at {offset}")
            _check(offset + size != CHUNK, "record ends exactly at byte 65536")
            (copy,) = struct.unpack_from("<I", chunk, offset + size - 4)
            _check(copy == size, "record size copy")
            walker = BinXmlWalker(walk, offset + 24, offset + size - 4)
            walker.document()
            _check(not any(chunk[walker.pos : offset + size - 4]), "record padding is not zero")
            _check(offset + size - 4 - walker.pos < 8, "more padding than alignment needs")
            value_types = [value_type for value_type, _ in walker.values]
            # System template: TimeCreated is value 6 (FILETIME), EventRecordID value 10 (UInt64).
            _check(value_types[6] == FILETIME_TYPE and value_types[10] == UINT64_TYPE, "System value types")
            _check(struct.unpack("<Q", walker.values[6][1])[0] == written, "header time != TimeCreated")
            _check(struct.unpack("<Q", walker.values[10][1])[0] == record_id, "header id != EventRecordID")
            chunk_records.append((record_id, written, index))
            last_seen = offset
            offset += size
        _check(offset == free, f"chunk {index}: records end at {offset}, free offset says {free}")
        _check(len(chunk_records) > 0, f"chunk {index} is empty")
        _check(last_offset == last_seen, f"chunk {index} last record offset")
        _check((first_no, last_no) == (record_number, record_number + len(chunk_records) - 1), "record numbers")
        _check((first_id, last_id) == (chunk_records[0][0], chunk_records[-1][0]), "record identifiers")
        record_number += len(chunk_records)
        # The tables hold exactly the names / templates stored inline, in the right buckets, newest first.
        string_chains = walk_table(chunk, 128, 64)
        for bucket, chain in enumerate(string_chains):
            _check(chain == sorted(chain, reverse=True), "string chain not newest-first")
            for name_offset in chain:
                _check(name_offset in walk.names, f"string table entry {name_offset} is not a stored name")
                _check(reference_hash(walk.names[name_offset]) % 64 == bucket, "name in the wrong bucket")
        _check(
            sorted(offset for chain in string_chains for offset in chain) == sorted(walk.names),
            "string table misses names",
        )
        template_chains = walk_table(chunk, 384, 32)
        for chain in template_chains:
            _check(chain == sorted(chain, reverse=True), "template chain not newest-first")
            for definition in chain:
                _check(chunk[definition - 10] == 0x0C, "template pointer not after an instance token")
                _check(struct.unpack_from("<I", chunk, definition - 4)[0] == definition, "template pointer")
        _check(
            sorted(offset for chain in template_chains for offset in chain) == sorted(walk.templates),
            "template table misses definitions",
        )
        names_checked += len(walk.names)
        templates_checked += len(walk.templates)
        name_refs += walk.name_refs
        template_refs += walk.template_refs
        records += chunk_records
    _check(next_id == (records[-1][0] + 1 if records else next_id), "next record identifier")
    return FileWalk(records, count, names_checked, templates_checked, name_refs, template_refs)


def test_structure_of_a_multi_chunk_file(tmp_path):
    specs = make_specs(2500, seed=31)
    path = tmp_path / "walk.evtx"
    write_evtx(path, specs, first_record_id=10)
    result = walk_file(path)
    assert [record_id for record_id, _, _ in result.records] == list(range(10, 10 + len(specs)))
    assert [written for _, written, _ in result.records] == [filetime_ticks(spec) for spec in specs]
    assert result.chunks >= 20
    # Shared names and templates are really shared: stored once per chunk (checked by the walk), referenced
    # by later records far more often than stored.
    assert result.name_refs > 2 * result.names_checked  # 16.8k references to 5.5k stored names
    assert result.template_refs > result.templates_checked


def test_structure_after_rolled_back_events(tmp_path):
    """Events that fail half-way through encoding leave no trace in the tables."""
    path = tmp_path / "rollback.evtx"
    good = make_specs(60, seed=5)
    bad = replace(good[0], event_data=None, user_data=UserData("Unseen", "n" * 70_000, (("NeverStored", "v"),)))
    with EvtxWriter(path) as writer:
        for index, spec in enumerate(good):
            writer.write(spec)
            if index % 10 == 0:
                with pytest.raises(ValueError):
                    writer.write(bad)
    result = walk_file(path)
    assert len(result.records) == len(good)
    assert b"U\x00n\x00s\x00e\x00e\x00n\x00" not in path.read_bytes()


def _filler(index: int, length: int) -> EventSpec:
    return EventSpec(
        provider="Filler",
        event_id=1,
        time=datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=index),
        channel="Application",
        computer="host",
        event_data=(("Text", "f" * length),),
    )


def test_record_that_would_end_at_byte_65536_goes_to_the_next_chunk(tmp_path):
    """Craft a record whose size exactly fills the chunk to byte 65536: it must move to a new chunk."""
    probe = tmp_path / "probe.evtx"
    fillers = [_filler(index, 2000) for index in range(14)]
    write_evtx(probe, [*fillers, _filler(99, 0)])
    data = probe.read_bytes()[4096 : 4096 + CHUNK]
    (free,) = struct.unpack_from("<I", data, 48)
    (last_offset,) = struct.unpack_from("<I", data, 44)
    (empty_size,) = struct.unpack_from("<I", data, last_offset + 4)  # a filler with empty text, in-chunk
    remaining = CHUNK - (free - empty_size)
    # Each UTF-16 unit adds 2 bytes; sizes are 8-aligned, so pick a length that lands exactly on `remaining`.
    extra_units = (remaining - empty_size) // 2
    assert extra_units > 0 and (remaining - empty_size) % 8 == 0
    path = tmp_path / "edge.evtx"
    write_evtx(path, [*fillers, _filler(99, extra_units)])
    result = walk_file(path)  # fails if any record ends at 65536
    assert result.chunks == 2
    assert [chunk for _, _, chunk in result.records] == [0] * 14 + [1]
    # One unit less leaves 8 bytes free after rounding: that record still fits in the first chunk.
    write_evtx(path, [*fillers, _filler(99, extra_units - 4)])
    result = walk_file(path)
    assert [chunk for _, _, chunk in result.records] == [0] * 15
