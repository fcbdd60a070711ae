"""Recover the event strings that pyevtx-rs cuts at an embedded NUL (issue #10 item 8).

An EVTX substitution string carries its length, so a NUL inside it is data: Windows renders what follows. The
pyevtx-rs reader decodes such a string as NUL-terminated and silently drops the rest; for an AzureMfa event that
rest holds the ErrorCode, the Msg:: text or the nested AADSTS code. This module reads the substitution values of
each record straight from the file ([MS-EVEN6] 2.2.12 BinXml: a record's fragment is a template instance
followed by its value descriptors and values; EventData sits in a nested BinXml value) and returns, per
EventRecordID, every string value with a NUL before its end, so the reader can put back what was cut.

It is a narrow second look, not a second parser: it only walks template-instance value arrays, never
interprets templates, and gives up quietly on anything damaged (the main reader reports damage).
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Container
from dataclasses import replace

from nps_trace_analyzer.core.model import Event
from nps_trace_analyzer.sources.evtx_layout import CHUNK_HEADER_BLOCK, CHUNK_SIGNATURE, CHUNK_SIZE, FILE_HEADER_BLOCK

RECORD_SIGNATURE = b"**\x00\x00"
CHUNK_ID_RANGE = struct.Struct("<QQ")  # first and last EventRecordID at offset 24 of a chunk header
RECORD_HEADER = struct.Struct("<4sIQQ")
TEMPLATE_INSTANCE = struct.Struct("<BBII")
TEMPLATE_DEFINITION_HEAD = struct.Struct("<I16sI")
DESCRIPTOR = struct.Struct("<HBB")
U32 = struct.Struct("<I")
FRAGMENT_HEADER = 0x0F
TEMPLATE_INSTANCE_TOKEN = 0x0C
STRING = 0x01
BINXML = 0x21
MAX_DEPTH = 4
#: Files above this size are not given the second look (AzureMfa logs are a few MB; the cut is then reported).
MAX_FILE_BYTES = 512 * 1024 * 1024
#: The reader lists at most 50 warnings per file; repairs share that budget.
MAX_WARNINGS = 50


#: The fragment header and template instance of a value array, read by one call in the usual case (the definition
#: elsewhere in the chunk): fragment token, instance token, definition offset and, where the definition is not
#: inline, the value count that follows the instance.
_INSTANCE_AND_COUNT = struct.Struct("<B3xB5xII")
_INSTANCE_END = 4 + TEMPLATE_INSTANCE.size


def _strings(chunk: bytes, pos: int, end: int, depth: int, out: list[str]) -> None:
    """Append to ``out`` the string values of the template instance at ``pos`` (chunk-relative) that may hold a
    NUL, nested BinXml values included (a list, not a generator: this runs for every record of a file).

    A UTF-16 NUL is an aligned pair of zero bytes, so a value without ``00 00`` anywhere cannot hold one and is
    not decoded at all: nearly every value of a busy log is skipped at the cost of one byte search.
    The fragment header, the instance and the value count are read by one ``unpack_from`` (this runs twice per
    record: an event's EventData is a nested instance), the definition's bounds only when it is inline.
    """
    if depth > MAX_DEPTH or pos + _INSTANCE_AND_COUNT.size > end:
        return  # no room for a value count after the instance (nor for an inline definition)
    fragment, token, definition, count = _INSTANCE_AND_COUNT.unpack_from(chunk, pos)
    if fragment != FRAGMENT_HEADER or token & 0x0F != TEMPLATE_INSTANCE_TOKEN:
        return
    pos += _INSTANCE_END
    if definition == pos:  # the definition follows inline the first time a chunk uses the template
        if pos + TEMPLATE_DEFINITION_HEAD.size > end:
            return
        _next, _guid, size = TEMPLATE_DEFINITION_HEAD.unpack_from(chunk, pos)
        pos += TEMPLATE_DEFINITION_HEAD.size + size
        if pos + 4 > end:
            return
        (count,) = U32.unpack_from(chunk, pos)
    pos += 4
    if pos + count * 4 > end:
        return
    descriptors = chunk[pos : pos + count * 4]
    pos += count * 4
    layout, layout_end, runs, nested = _LAYOUTS.get(descriptors) or _layout(descriptors)
    if pos + layout_end <= end:
        # Every value lies inside the record (the usual case): each run of adjacent string values is searched for
        # a zero pair at once. No hit there means no string value holds one (a hit may also straddle two values:
        # then the walk below decides), so only the nested BinXml values are left to look into, in their order.
        for offset, size in runs:
            if chunk.find(b"\x00\x00", pos + offset, pos + offset + size) >= 0:
                break
        else:
            for offset, size in nested:
                _strings(chunk, pos + offset, pos + offset + size, depth + 1, out)
            return
    # The values' ends grow with their index, so stopping at the first one that overruns ``end`` stops where a
    # walk over every descriptor would.
    for offset, size, binxml in layout:
        start = pos + offset
        if start + size > end:
            return
        if binxml:
            _strings(chunk, start, start + size, depth + 1, out)
        elif chunk.find(b"\x00\x00", start, start + size) >= 0:  # searched in place: no copy of each value
            out.append(chunk[start : start + size].decode("utf-16-le", errors="replace"))


#: Value descriptors already read -> (offset, size, is BinXml) of their string and BinXml values, the end of the
#: last one, the runs of adjacent string values as (offset, size) and the BinXml values as (offset, size). A log
#: repeats a few descriptor arrays (same template, same string lengths), so each is walked once; bounded.
_Layout = tuple[tuple[tuple[int, int, bool], ...], int, tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]
_LAYOUTS: dict[bytes, _Layout] = {}
MAX_LAYOUTS = 4096


def _layout(descriptors: bytes) -> _Layout:
    out = []
    offset = 0
    for size, value_type, _pad in DESCRIPTOR.iter_unpack(descriptors):
        if value_type == STRING or value_type == BINXML:
            out.append((offset, size, value_type == BINXML))
        offset += size
    runs: list[list[int]] = []
    for start, size, binxml in out:
        if binxml:
            continue
        if runs and runs[-1][0] + runs[-1][1] == start:
            runs[-1][1] += size
        else:
            runs.append([start, size])
    layout = (
        tuple(out),
        max((start + size for start, size, _binxml in out), default=0),
        tuple((start, size) for start, size in runs),
        tuple((start, size) for start, size, binxml in out if binxml),
    )
    if len(_LAYOUTS) >= MAX_LAYOUTS:
        _LAYOUTS.clear()
    _LAYOUTS[descriptors] = layout
    return layout


def strings_cut_at_nul(
    path: str, start: int = FILE_HEADER_BLOCK, end: int | None = None, only: Container[int] | None = None
) -> dict[int, list[str]]:
    """EventRecordID -> the record's string values that hold a NUL before their end (the whole value).

    ``start``/``end``: only the chunks in this byte range (a shard of the file, read by one worker).
    ``only``: only these records' strings are decoded (the ones the reader keeps; the rest are stepped over).
    """
    found: dict[int, list[str]] = {}
    wanted = sorted(only) if only is not None else None
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            if handle.tell() > MAX_FILE_BYTES:
                return found
            handle.seek(start)
            while (end is None or handle.tell() < end) and len(chunk := handle.read(CHUNK_SIZE)) == CHUNK_SIZE:
                if chunk[:8] != CHUNK_SIGNATURE:
                    continue
                if wanted is not None:
                    # the chunk header names its first and last EventRecordID: skip chunks holding none wanted
                    first, last = CHUNK_ID_RANGE.unpack_from(chunk, 24)
                    at = bisect.bisect_left(wanted, first)
                    if at == len(wanted) or wanted[at] > last:
                        continue
                _scan_chunk(chunk, found, only)
    except OSError:
        return found
    return found


def _scan_chunk(chunk: bytes, found: dict[int, list[str]], only: Container[int] | None = None) -> None:
    pos = CHUNK_HEADER_BLOCK  # records follow the chunk's header block
    header, read_header = RECORD_HEADER.size, RECORD_HEADER.unpack_from  # locals: this loop runs per record
    while pos + header <= CHUNK_SIZE:
        signature, size, record_id, _written = read_header(chunk, pos)
        if signature != RECORD_SIGNATURE or size < header + 4 or pos + size > CHUNK_SIZE:
            return
        if only is not None and record_id not in only:
            pos += size
            continue
        values: list[str] = []
        try:
            _strings(chunk, pos + header, pos + size - 4, 0, values)
        except (struct.error, IndexError):
            values = []
        if values and (cut := [s for s in values if "\x00" in s.rstrip("\x00")]):
            found[record_id] = cut
        pos += size


def restore(values: list[tuple[str | None, str]], full: list[str]) -> tuple[list[tuple[str | None, str]], int]:
    """``values`` with each string pyevtx-rs cut at a NUL replaced by its whole value (NULs made spaces).

    A value is restored when it equals the part before the first NUL of one of ``full``; returns the new list
    and how many values were restored.
    """
    restored = 0
    out: list[tuple[str | None, str]] = []
    pending = list(full)
    for name, value in values:
        match = next((s for s in pending if s.split("\x00", 1)[0] == value), None)
        if match is not None:
            pending.remove(match)
            value = match.rstrip("\x00").replace("\x00", " ")
            restored += 1
        out.append((name, value))
    return out, restored


def restore_event(event: Event, full: list[str], warnings: list[str]) -> Event:
    """``event`` (read as XML) with its NUL-cut Data strings whole again; the repair is noted in ``warnings``."""
    data, restored = restore(list(event.data), full)
    if not restored:
        return event
    if len(warnings) < MAX_WARNINGS:
        warnings.append(
            f"record {event.record_id}: {restored} string(s) held a NUL; the text after it was recovered from the file"
        )
    return replace(event, data=tuple(data), text=" ".join(value for _name, value in data if value))
