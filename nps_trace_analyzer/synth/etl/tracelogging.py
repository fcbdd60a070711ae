"""TraceLogging encoder for synthetic traces: event metadata, provider traits and payload from typed fields.

Why a separate encoder: the decoder (:mod:`nps_trace_analyzer.sources.etl.tracelogging`) must be tested
against bytes it did not produce itself. This module packs the documented layout directly (field by field,
with its own small writers) and is used by tests and by the NPSExtension.etl generator. The InType/OutType
numbers are shared with the decoder because they are the format's vocabulary, not its logic.

Layout summary (see the decoder's module docstring for the full description): metadata =
``UINT16 size | tag bytes | event name NUL | fields``, field = ``name NUL | InType [| OutType [| tags]]
[| UINT16 count | type info]``; payload = the values back to back.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from nps_trace_analyzer.sources.etl.tracelogging import (
    IN_CCOUNT,
    IN_CHAIN,
    IN_CUSTOM,
    IN_VCOUNT,
    OUT_CHAIN,
    TRAIT_GROUP,
    InType,
    OutType,
)

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)
_PACK = {
    InType.INT8: "<b",
    InType.UINT8: "<B",
    InType.INT16: "<h",
    InType.UINT16: "<H",
    InType.INT32: "<i",
    InType.UINT32: "<I",
    InType.INT64: "<q",
    InType.UINT64: "<Q",
    InType.FLOAT: "<f",
    InType.DOUBLE: "<d",
    InType.BOOL32: "<i",
    InType.HEXINT32: "<I",
    InType.HEXINT64: "<Q",
}


@dataclass(frozen=True)
class TlFieldSpec:
    """One field to encode.

    ``count`` is "" (single value), "vcount" (``value`` is a sequence, count in the payload) or "ccount"
    (``value`` is a sequence of exactly ``len(value)`` elements, count in the metadata). For STRUCT fields
    ``members`` are the member specs and ``value`` is a mapping (or a sequence of mappings for arrays).
    ``type_info`` makes a custom-serialized field (``value`` is bytes).
    """

    name: str
    in_type: int
    value: Any = None
    out_type: int = 0
    tag: int = 0
    count: str = ""
    members: tuple[TlFieldSpec, ...] = field(default=())
    type_info: bytes | None = None


def _tag_bytes(tag: int, *, force: bool = False) -> bytes:
    """Encode a 28-bit tag as 1, 2 or 4 chained 7-bit groups (most significant first)."""
    if not 0 <= tag < 1 << 28:
        raise ValueError("tag must fit in 28 bits")
    groups = [(tag >> shift) & 0x7F for shift in (21, 14, 7, 0)]
    while len(groups) > 1 and groups[-1] == 0:
        groups.pop()
    if len(groups) == 3:
        groups.append(0)  # the format knows 1, 2 or 4 bytes
    if not force and tag == 0:
        groups = [0]
    return bytes([g | 0x80 for g in groups[:-1]] + [groups[-1]])


def _field_metadata(spec: TlFieldSpec) -> bytes:
    in_byte = spec.in_type
    if spec.type_info is not None:
        in_byte |= IN_CUSTOM
    elif spec.count == "vcount":
        in_byte |= IN_VCOUNT
    elif spec.count == "ccount":
        in_byte |= IN_CCOUNT
    out = bytearray(spec.name.encode("utf-8") + b"\x00")
    out_type = len(spec.members) if spec.in_type == InType.STRUCT else spec.out_type
    if spec.tag:
        out += bytes([in_byte | IN_CHAIN, out_type | OUT_CHAIN]) + _tag_bytes(spec.tag, force=True)
    elif out_type:
        out += bytes([in_byte | IN_CHAIN, out_type])
    else:
        out.append(in_byte)
    if spec.type_info is not None:
        out += struct.pack("<H", len(spec.type_info)) + spec.type_info
    elif spec.count == "ccount":
        out += struct.pack("<H", _element_count(spec))
    for member in spec.members:
        out += _field_metadata(member)
    return bytes(out)


def _element_count(spec: TlFieldSpec) -> int:
    """Elements of an array field (a character array given as ``str`` counts code units)."""
    if isinstance(spec.value, str):
        return len(spec.value.encode("utf-16-le")) // 2 if spec.in_type == InType.UINT16 else len(spec.value)
    return len(spec.value)


def _string8(value: str, out_type: int) -> bytes:
    return value.encode("utf-8" if out_type in (OutType.UTF8, OutType.XML, OutType.JSON) else "cp1252")


def _one_value(spec: TlFieldSpec, value: Any) -> bytes:
    it = spec.in_type
    if spec.type_info is not None:
        return struct.pack("<H", len(value)) + bytes(value)
    if it in _PACK:
        return struct.pack(_PACK[InType(it)], int(value) if it == InType.BOOL32 else value)
    if it == InType.FILETIME:
        if isinstance(value, datetime):
            delta = value.astimezone(timezone.utc) - _FILETIME_EPOCH
            value = (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10
        return struct.pack("<Q", value)
    if it == InType.UNICODESTRING:
        return value.encode("utf-16-le") + b"\x00\x00"
    if it == InType.ANSISTRING:
        return _string8(value, spec.out_type) + b"\x00"
    if it == InType.COUNTEDSTRING:
        raw = value.encode("utf-16-le")
        return struct.pack("<H", len(raw)) + raw
    if it == InType.COUNTEDANSISTRING:
        raw = _string8(value, spec.out_type)
        return struct.pack("<H", len(raw)) + raw
    if it in (InType.BINARY, InType.COUNTEDBINARY):
        return struct.pack("<H", len(value)) + bytes(value)
    if it == InType.GUID:
        return value.bytes_le
    if it == InType.SYSTEMTIME:
        dt: datetime = value
        return struct.pack(
            "<8H", dt.year, dt.month, dt.isoweekday() % 7, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond // 1000
        )
    if it == InType.SID:
        return _sid_bytes(value)
    if it == InType.STRUCT:
        return b"".join(_field_payload(m, value[m.name]) for m in spec.members)
    raise ValueError(f"cannot encode InType {it}")


def _sid_bytes(text: str) -> bytes:
    parts = text.split("-")
    if parts[0] != "S":
        raise ValueError(f"not a SID: {text}")
    revision, authority, *subs = (int(p) for p in parts[1:])
    return bytes([revision, len(subs)]) + authority.to_bytes(6, "big") + struct.pack(f"<{len(subs)}I", *subs)


def _field_payload(spec: TlFieldSpec, value: Any) -> bytes:
    if spec.type_info is None and spec.count in ("vcount", "ccount"):
        items: Sequence[Any] = value
        head = struct.pack("<H", len(items)) if spec.count == "vcount" else b""
        if spec.out_type == OutType.STRING and isinstance(items, str):
            raw = items.encode("utf-16-le" if spec.in_type == InType.UINT16 else "cp1252")
            return (struct.pack("<H", _element_count(spec)) if spec.count == "vcount" else b"") + raw
        return head + b"".join(_one_value(spec, v) for v in items)
    return _one_value(spec, value)


def encode_event(name: str, fields: Sequence[TlFieldSpec], tag: int = 0) -> tuple[bytes, bytes]:
    """Return ``(metadata, payload)`` for one event: the EVENT_SCHEMA_TL item and the user data."""
    body = _tag_bytes(tag) + name.encode("utf-8") + b"\x00"
    body += b"".join(_field_metadata(spec) for spec in fields)
    metadata = struct.pack("<H", len(body) + 2) + body
    payload = b"".join(_field_payload(spec, spec.value) for spec in fields)
    return metadata, payload


def encode_provider_traits(name: str, group: uuid.UUID | None = None) -> bytes:
    """Return the PROV_TRAITS item: size, provider name, optional group trait."""
    body = name.encode("utf-8") + b"\x00"
    if group is not None:
        body += struct.pack("<HB", 19, TRAIT_GROUP) + group.bytes_le
    return struct.pack("<H", len(body) + 2) + body


# Short constructors for the common field kinds (they read like TraceLoggingXxx macros).


def tl_wstr(name: str, value: str, *, counted: bool = False) -> TlFieldSpec:
    return TlFieldSpec(name, InType.COUNTEDSTRING if counted else InType.UNICODESTRING, value)


def tl_str(name: str, value: str, *, utf8: bool = False, counted: bool = False) -> TlFieldSpec:
    it = InType.COUNTEDANSISTRING if counted else InType.ANSISTRING
    return TlFieldSpec(name, it, value, OutType.UTF8 if utf8 else 0)


def tl_int(name: str, in_type: int, value: int, out_type: int = 0) -> TlFieldSpec:
    return TlFieldSpec(name, in_type, value, out_type)


def tl_guid(name: str, value: uuid.UUID) -> TlFieldSpec:
    return TlFieldSpec(name, InType.GUID, value)


def tl_filetime(name: str, value: datetime) -> TlFieldSpec:
    return TlFieldSpec(name, InType.FILETIME, value)


def tl_binary(name: str, value: bytes, *, counted: bool = False) -> TlFieldSpec:
    return TlFieldSpec(name, InType.COUNTEDBINARY if counted else InType.BINARY, value)
