"""TraceLogging decoder: self-describing ETW events whose schema travels in the event's extended data.

A TraceLogging event is an ordinary EVENT_HEADER record (usually channel 11) that carries two extended data
items: ``EVENT_HEADER_EXT_TYPE_PROV_TRAITS`` (the provider's name and optional traits) and
``EVENT_HEADER_EXT_TYPE_EVENT_SCHEMA_TL`` (the event's name and the name and type of every field). With both
the payload can be decoded without any manifest, TMF or PDB, which is what makes an NPSExtension.etl
readable on Linux *if* the extension's providers use TraceLogging (nobody outside Microsoft knows; see
``docs/reference/domain-facts.md`` §5.2).

Format (written from the TraceLogging documentation: ``TraceLoggingProvider.h`` comments, the
``microsoft/tracelogging`` encoders' descriptions of InType/OutType and the metadata layout):

* Provider traits: ``UINT16 TotalSize`` (including itself), NUL-terminated UTF-8 provider name, then traits
  chunks ``UINT16 ChunkSize, UINT8 TraitType, data`` (type 1 = provider group GUID).
* Event metadata: ``UINT16 TotalSize`` (including itself), 1+ *extension* bytes (7 bits each, chained by
  the high bit; the first bits are the event's 28-bit tag), the NUL-terminated UTF-8 event name, then fields.
* Field metadata: NUL-terminated UTF-8 name, ``UINT8 InType`` (low 5 bits type, 0x20 constant count,
  0x40 variable count, 0x60 custom serializer, 0x80 = an OutType byte follows), ``[UINT8 OutType]`` (low
  7 bits, 0x80 = tag bytes follow), ``[tag bytes]`` (chained like the event tag), ``[UINT16 Count]`` for a
  constant count or ``[UINT16 TypeInfoSize, TypeInfo]`` for a custom serializer. A STRUCT field stores its
  member count in the OutType slot; the next that-many logical fields are its members.
* Payload: the fields' values back to back, no alignment. Variable-count arrays start with a ``UINT16``
  element count; BINARY, counted strings and custom fields start with a ``UINT16`` byte count.

Everything here is pure computation on bytes; every failure is a :class:`TlDecodeError` (a ``ValueError``)
so a caller can count it and move on to the next event.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import IntEnum
from typing import Any, Final

from nps_trace_analyzer.sources.etl import layout as L
from nps_trace_analyzer.sources.etl.reader import EtlEvent, filetime_to_datetime

#: TraceLogging events normally use this channel (WINEVENT_CHANNEL_TRACELOGGING).
TRACELOGGING_CHANNEL: Final = 11


class InType(IntEnum):
    """TlgIn_t: the binary encoding of a field (low 5 bits of the InType byte)."""

    NULL = 0
    UNICODESTRING = 1  # NUL-terminated UTF-16LE
    ANSISTRING = 2  # NUL-terminated 8-bit (CP1252 unless OutType says UTF-8/XML/JSON)
    INT8 = 3
    UINT8 = 4
    INT16 = 5
    UINT16 = 6
    INT32 = 7
    UINT32 = 8
    INT64 = 9
    UINT64 = 10
    FLOAT = 11
    DOUBLE = 12
    BOOL32 = 13
    BINARY = 14  # UINT16 byte count + bytes
    GUID = 15  # Windows byte order (first three fields little-endian)
    POINTER = 16  # pointer-sized (not emitted by current headers; the event header says the size)
    FILETIME = 17
    SYSTEMTIME = 18
    SID = 19  # 8 + 4 * SubAuthorityCount bytes
    HEXINT32 = 20
    HEXINT64 = 21
    COUNTEDSTRING = 22  # UINT16 byte count + UTF-16LE
    COUNTEDANSISTRING = 23  # UINT16 byte count + 8-bit
    STRUCT = 24  # no data; OutType slot = number of member fields
    COUNTEDBINARY = 25  # UINT16 byte count + bytes


class OutType(IntEnum):
    """TlgOut_t: formatting hints. Only the ones that change decoding or rendering are used here."""

    NULL = 0
    NOPRINT = 1
    STRING = 2
    BOOLEAN = 3
    HEX = 4
    PID = 5
    TID = 6
    PORT = 7
    IPV4 = 8
    IPV6 = 9
    SOCKETADDRESS = 10
    XML = 11
    JSON = 12
    WIN32ERROR = 13
    NTSTATUS = 14
    HRESULT = 15
    FILETIME = 16
    SIGNED = 17
    UNSIGNED = 18
    DATETIME_CULTURE_INSENSITIVE = 33
    UTF8 = 35
    PKCS7_WITH_TYPE_INFO = 36
    CODE_POINTER = 37
    DATETIME_UTC = 38


IN_TYPE_MASK: Final = 0x1F
IN_CCOUNT: Final = 0x20
IN_VCOUNT: Final = 0x40
IN_CUSTOM: Final = 0x60
IN_COUNT_MASK: Final = 0x60
IN_CHAIN: Final = 0x80
OUT_TYPE_MASK: Final = 0x7F
OUT_CHAIN: Final = 0x80

#: Provider trait type carrying the provider group GUID.
TRAIT_GROUP: Final = 1

_FIXED: Final[dict[int, struct.Struct]] = {
    InType.INT8: struct.Struct("<b"),
    InType.UINT8: struct.Struct("<B"),
    InType.INT16: struct.Struct("<h"),
    InType.UINT16: struct.Struct("<H"),
    InType.INT32: struct.Struct("<i"),
    InType.UINT32: struct.Struct("<I"),
    InType.INT64: struct.Struct("<q"),
    InType.UINT64: struct.Struct("<Q"),
    InType.FLOAT: struct.Struct("<f"),
    InType.DOUBLE: struct.Struct("<d"),
    InType.BOOL32: struct.Struct("<i"),
    InType.HEXINT32: struct.Struct("<I"),
    InType.HEXINT64: struct.Struct("<Q"),
    InType.FILETIME: struct.Struct("<Q"),
}
_U16: Final = struct.Struct("<H")
_SYSTEMTIME: Final = struct.Struct("<8H")
_UTF8_OUT: Final = frozenset({OutType.UTF8, OutType.XML, OutType.JSON})
#: Deeper struct nesting is refused (no real schema comes near; a damaged one could recurse without end).
MAX_STRUCT_DEPTH: Final = 32
#: Distinct schema blobs kept parsed (events of one name repeat the same blob).
SCHEMA_CACHE_SIZE: Final = 1024


class TlDecodeError(ValueError):
    """The metadata or the payload of a TraceLogging event does not decode."""


@dataclass(frozen=True, slots=True)
class TlField:
    """One field of an event schema. ``members`` is non-empty only for STRUCT fields."""

    name: str
    in_type: int  # InType value (masked)
    out_type: int  # OutType value (masked); member count for STRUCT
    count: int  # 0, IN_CCOUNT, IN_VCOUNT or IN_CUSTOM
    fixed_count: int = 0  # element count of a constant-count array
    tag: int = 0
    type_info: bytes = b""  # schema of a custom-serialized field
    members: tuple[TlField, ...] = ()

    @property
    def is_array(self) -> bool:
        """True for constant- and variable-count arrays (custom fields are single values)."""
        return self.count in (IN_CCOUNT, IN_VCOUNT)


@dataclass(frozen=True, slots=True)
class TlSchema:
    """An event's TraceLogging metadata: its name, tag and fields (structs nested)."""

    name: str
    tag: int
    fields: tuple[TlField, ...]


@dataclass(frozen=True, slots=True)
class TlProviderTraits:
    """The provider traits item: the provider's name and, if set, its group GUID."""

    name: str
    group: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class TlEvent:
    """A decoded TraceLogging event.

    ``fields`` keeps the top-level fields in order as ``(name, value)``. Values are Python objects: ``str``,
    ``int``, ``float``, ``bool``, :class:`uuid.UUID`, :class:`datetime.datetime` (UTC), ``bytes``, ``list``
    for arrays and ``dict`` for structs. ``trailing`` counts payload bytes no field accounted for.
    """

    provider_name: str
    name: str
    fields: tuple[tuple[str, Any], ...]
    trailing: int = 0

    def get(self, name: str, default: Any = None) -> Any:
        """The value of the first top-level field called ``name`` (case-insensitive)."""
        lname = name.lower()
        for key, value in self.fields:
            if key.lower() == lname:
                return value
        return default


# --- metadata --------------------------------------------------------------------------------------------


def _cstring(blob: bytes, pos: int, end: int, what: str) -> tuple[str, int]:
    nul = blob.find(b"\x00", pos, end)
    if nul < 0:
        raise TlDecodeError(f"{what} is not NUL-terminated")
    return blob[pos:nul].decode("utf-8", errors="replace"), nul + 1


def _chained(blob: bytes, pos: int, end: int, what: str) -> tuple[int, int]:
    """Read 7-bit groups chained by the high bit; return the 28-bit tag (first groups) and the new position."""
    value = 0
    shift = 21
    while True:
        if pos >= end:
            raise TlDecodeError(f"{what} runs past the metadata")
        byte = blob[pos]
        pos += 1
        if shift >= 0:
            value |= (byte & 0x7F) << shift
            shift -= 7
        if not byte & 0x80:
            return value, pos


def _read_field(blob: bytes, pos: int, end: int) -> tuple[TlField, int]:
    name, pos = _cstring(blob, pos, end, "field name")
    if pos >= end:
        raise TlDecodeError(f"field {name!r} has no InType byte")
    raw_in = blob[pos]
    pos += 1
    in_type = raw_in & IN_TYPE_MASK
    count = raw_in & IN_COUNT_MASK
    out_type = 0
    tag = 0
    if raw_in & IN_CHAIN:
        if pos >= end:
            raise TlDecodeError(f"field {name!r} has no OutType byte")
        raw_out = blob[pos]
        pos += 1
        out_type = raw_out & OUT_TYPE_MASK
        if raw_out & OUT_CHAIN:
            tag, pos = _chained(blob, pos, end, f"tag of field {name!r}")
    fixed_count = 0
    type_info = b""
    if count & IN_CCOUNT:
        if pos + 2 > end:
            raise TlDecodeError(f"field {name!r} has no count")
        fixed_count = _U16.unpack_from(blob, pos)[0]
        pos += 2
        if count == IN_CUSTOM:
            if pos + fixed_count > end:
                raise TlDecodeError(f"type info of custom field {name!r} runs past the metadata")
            type_info = blob[pos : pos + fixed_count]
            pos += fixed_count
            fixed_count = 0
        elif in_type == InType.NULL:
            # Obsolete struct encoding: InType NULL with a constant count = struct of that many members.
            in_type, out_type, count, fixed_count = InType.STRUCT, fixed_count, 0, 0
    return TlField(name, in_type, out_type, count, fixed_count, tag, type_info), pos


def _nest(flat: list[TlField], start: int, wanted: int | None, depth: int = 0) -> tuple[list[TlField], int]:
    """Group the flat field list into structs: a STRUCT takes the next ``out_type`` logical fields."""
    if depth > MAX_STRUCT_DEPTH:
        raise TlDecodeError(f"structs nested deeper than {MAX_STRUCT_DEPTH} levels")
    out: list[TlField] = []
    i = start
    while i < len(flat) and (wanted is None or len(out) < wanted):
        f = flat[i]
        i += 1
        if f.in_type == InType.STRUCT:
            if f.out_type == 0:
                raise TlDecodeError(f"struct {f.name!r} declares no members")
            members, i = _nest(flat, i, f.out_type, depth + 1)
            if len(members) < f.out_type:
                raise TlDecodeError(f"struct {f.name!r} declares {f.out_type} members, metadata has {len(members)}")
            f = TlField(f.name, f.in_type, f.out_type, f.count, f.fixed_count, f.tag, f.type_info, tuple(members))
        out.append(f)
    return out, i


def parse_event_schema(blob: bytes) -> TlSchema:
    """Parse the EVENT_SCHEMA_TL extended data item (event name, tag, fields)."""
    if len(blob) < 4:
        raise TlDecodeError("event metadata is shorter than its header")
    size = _U16.unpack_from(blob, 0)[0]
    if size < 4 or size > len(blob):
        raise TlDecodeError(f"event metadata size {size} does not fit the {len(blob)}-byte item")
    tag, pos = _chained(blob, 2, size, "event extension bytes")
    name, pos = _cstring(blob, pos, size, "event name")
    flat: list[TlField] = []
    while pos < size:
        field, pos = _read_field(blob, pos, size)
        flat.append(field)
    fields, _ = _nest(flat, 0, None)
    return TlSchema(name, tag, tuple(fields))


def parse_provider_traits(blob: bytes) -> TlProviderTraits:
    """Parse the PROV_TRAITS extended data item (provider name, optional group GUID)."""
    if len(blob) < 3:
        raise TlDecodeError("provider traits are shorter than their header")
    size = _U16.unpack_from(blob, 0)[0]
    if size < 3 or size > len(blob):
        raise TlDecodeError(f"provider traits size {size} does not fit the {len(blob)}-byte item")
    name, pos = _cstring(blob, 2, size, "provider name")
    group = None
    while pos + 3 <= size:
        chunk = _U16.unpack_from(blob, pos)[0]
        if chunk < 3 or pos + chunk > size:
            raise TlDecodeError(f"provider trait chunk of {chunk} bytes is inconsistent")
        if blob[pos + 2] == TRAIT_GROUP and chunk >= 19:
            group = uuid.UUID(bytes_le=blob[pos + 3 : pos + 19])
        pos += chunk
    return TlProviderTraits(name, group)


_SCHEMA_CACHE: dict[bytes, TlSchema] = {}
_TRAITS_CACHE: dict[bytes, TlProviderTraits] = {}


def _cached_schema(blob: bytes) -> TlSchema:
    schema = _SCHEMA_CACHE.get(blob)
    if schema is None:
        schema = parse_event_schema(blob)
        if len(_SCHEMA_CACHE) >= SCHEMA_CACHE_SIZE:
            _SCHEMA_CACHE.clear()
        _SCHEMA_CACHE[blob] = schema
    return schema


def _cached_traits(blob: bytes) -> TlProviderTraits:
    traits = _TRAITS_CACHE.get(blob)
    if traits is None:
        traits = parse_provider_traits(blob)
        if len(_TRAITS_CACHE) >= SCHEMA_CACHE_SIZE:
            _TRAITS_CACHE.clear()
        _TRAITS_CACHE[blob] = traits
    return traits


# --- payload ---------------------------------------------------------------------------------------------


def _decode_8bit(raw: bytes, out_type: int) -> str:
    return raw.decode("utf-8" if out_type in _UTF8_OUT else "cp1252", errors="replace")


def _sid_text(raw: bytes) -> str:
    revision, count = raw[0], raw[1]
    authority = int.from_bytes(raw[2:8], "big")
    subs = struct.unpack_from(f"<{count}I", raw, 8)
    return "S-" + "-".join(str(v) for v in (revision, authority, *subs))


def _systemtime(raw: bytes) -> datetime | str:
    year, month, _dow, day, hour, minute, second, ms = _SYSTEMTIME.unpack(raw)
    try:
        return datetime(year, month, day, hour, minute, second, ms * 1000, tzinfo=timezone.utc)
    except ValueError:
        return f"{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{ms:03}"


def _need(data: bytes, pos: int, size: int, field: TlField) -> None:
    if pos + size > len(data):
        raise TlDecodeError(f"field {field.name!r} needs {size} bytes at +{pos}, payload has {len(data) - pos}")


def _scalar(field: TlField, data: bytes, pos: int, pointer_size: int) -> tuple[Any, int]:
    """Decode one value of ``field`` (not an array) at ``pos``; return it and the position after it."""
    it = field.in_type
    if field.count == IN_CUSTOM:
        _need(data, pos, 2, field)
        n = _U16.unpack_from(data, pos)[0]
        _need(data, pos + 2, n, field)
        return bytes(data[pos + 2 : pos + 2 + n]), pos + 2 + n
    packer = _FIXED.get(it)
    if packer is not None:
        _need(data, pos, packer.size, field)
        value = packer.unpack_from(data, pos)[0]
        pos += packer.size
        if it == InType.BOOL32:
            return value != 0, pos
        if it == InType.FILETIME:
            return filetime_to_datetime(value), pos
        return value, pos
    if it == InType.UNICODESTRING:
        end = pos
        while True:
            end = data.find(b"\x00\x00", end)
            if end < 0:
                raise TlDecodeError(f"string field {field.name!r} is not NUL-terminated")
            if (end - pos) % 2 == 0:
                break
            end += 1
        return data[pos:end].decode("utf-16-le", errors="replace"), end + 2
    if it == InType.ANSISTRING:
        end = data.find(b"\x00", pos)
        if end < 0:
            raise TlDecodeError(f"string field {field.name!r} is not NUL-terminated")
        return _decode_8bit(data[pos:end], field.out_type), end + 1
    if it in (InType.BINARY, InType.COUNTEDBINARY, InType.COUNTEDSTRING, InType.COUNTEDANSISTRING):
        _need(data, pos, 2, field)
        n = _U16.unpack_from(data, pos)[0]
        _need(data, pos + 2, n, field)
        raw = bytes(data[pos + 2 : pos + 2 + n])
        pos += 2 + n
        if it == InType.COUNTEDSTRING:
            return raw.decode("utf-16-le", errors="replace"), pos
        if it == InType.COUNTEDANSISTRING:
            return _decode_8bit(raw, field.out_type), pos
        return raw, pos
    if it == InType.GUID:
        _need(data, pos, 16, field)
        return uuid.UUID(bytes_le=bytes(data[pos : pos + 16])), pos + 16
    if it == InType.POINTER:
        _need(data, pos, pointer_size, field)
        return int.from_bytes(data[pos : pos + pointer_size], "little"), pos + pointer_size
    if it == InType.SYSTEMTIME:
        _need(data, pos, 16, field)
        return _systemtime(bytes(data[pos : pos + 16])), pos + 16
    if it == InType.SID:
        _need(data, pos, 8, field)
        size = 8 + 4 * data[pos + 1]
        _need(data, pos, size, field)
        return _sid_text(bytes(data[pos : pos + size])), pos + size
    if it == InType.STRUCT:
        out: dict[str, Any] = {}
        for member in field.members:
            out[member.name], pos = _value(member, data, pos, pointer_size)
        return out, pos
    raise TlDecodeError(f"field {field.name!r} has unknown InType {it}")


def _value(field: TlField, data: bytes, pos: int, pointer_size: int) -> tuple[Any, int]:
    """Decode ``field`` (array or single value) at ``pos``."""
    if not field.is_array:
        return _scalar(field, data, pos, pointer_size)
    if field.count == IN_VCOUNT:
        _need(data, pos, 2, field)
        n = _U16.unpack_from(data, pos)[0]
        pos += 2
    else:
        n = field.fixed_count
    it = field.in_type
    # Character arrays: INT8/UINT8 or UINT16 elements with OutType STRING are text (e.g. AMSI's raw script).
    if field.out_type == OutType.STRING and it in (InType.INT8, InType.UINT8, InType.UINT16):
        width = 2 if it == InType.UINT16 else 1
        _need(data, pos, n * width, field)
        raw = bytes(data[pos : pos + n * width])
        text = raw.decode("utf-16-le", errors="replace") if width == 2 else raw.decode("cp1252", errors="replace")
        return text.rstrip("\x00"), pos + n * width
    if it == InType.UINT8 and field.out_type in (OutType.NULL, OutType.HEX):
        _need(data, pos, n, field)
        return bytes(data[pos : pos + n]), pos + n
    items = []
    for _ in range(n):
        value, pos = _scalar(field, data, pos, pointer_size)
        items.append(value)
    return items, pos


def decode_payload(schema: TlSchema, payload: bytes, pointer_size: int = 8) -> tuple[tuple[tuple[str, Any], ...], int]:
    """Decode ``payload`` with ``schema``; return the top-level ``(name, value)`` pairs and trailing bytes."""
    pos = 0
    out: list[tuple[str, Any]] = []
    try:
        for field in schema.fields:
            value, pos = _value(field, payload, pos, pointer_size)
            out.append((field.name, value))
    except (struct.error, IndexError, OverflowError) as exc:
        raise TlDecodeError(f"payload does not match the schema of {schema.name!r}: {exc}") from exc
    return tuple(out), len(payload) - pos


def schema_item(event: EtlEvent) -> bytes | None:
    """The EVENT_SCHEMA_TL extended data item of ``event``, or None when it has none."""
    for ext_type, blob in event.extended:
        if ext_type == L.EXT_EVENT_SCHEMA_TL:
            return blob
    return None


def is_tracelogging(event: EtlEvent) -> bool:
    """Does ``event`` carry TraceLogging metadata (and so decode without a manifest)?"""
    return event.header_kind == L.HeaderKind.EVENT and schema_item(event) is not None


def decode_event(event: EtlEvent) -> TlEvent | None:
    """Decode a TraceLogging event; None when it carries no schema item.

    Raises :class:`TlDecodeError` for damaged metadata or a payload that does not fit it.
    """
    blob = schema_item(event)
    if blob is None:
        return None
    schema = _cached_schema(bytes(blob))
    provider_name = ""
    for ext_type, item in event.extended:
        if ext_type == L.EXT_PROV_TRAITS:
            provider_name = _cached_traits(bytes(item)).name
            break
    fields, trailing = decode_payload(schema, event.payload, event.pointer_size)
    return TlEvent(provider_name, schema.name, fields, trailing)


# --- rendering -------------------------------------------------------------------------------------------


def render_value(value: Any) -> str:
    """One value as text: ISO 8601 times, canonical GUIDs, hex bytes, lists and structs in brackets."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return value.hex()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={render_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    return str(value)


def string_values(fields: Iterable[tuple[str, Any]]) -> list[tuple[str, str]]:
    """The text-valued fields (strings, also inside structs and string arrays), with dotted names."""
    out: list[tuple[str, str]] = []
    for name, value in fields:
        if isinstance(value, str):
            out.append((name, value))
        elif isinstance(value, dict):
            out.extend(string_values((f"{name}.{k}", v) for k, v in value.items()))
        elif isinstance(value, list):
            out.extend(string_values((f"{name}[{i}]", v) for i, v in enumerate(value)))
    return out
