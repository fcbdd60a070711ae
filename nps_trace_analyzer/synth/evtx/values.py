"""Typed substitution values: Python values -> (value type, bytes), with range checks that name the field.

Every encoder raises ``ValueError`` with the field's name, so a generator bug ("event_id 70000") surfaces as
a clear message instead of a struct error or, worse, a silently truncated value in the file.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from .layout import (
    FILETIME_EPOCH,
    FILETIME_TICKS_PER_MICROSECOND,
    FILETIME_TICKS_PER_SECOND,
    MAX_VALUE_SIZE,
    SCALAR_FORMATS,
    SID_HEADER,
    SID_MAX_SUB_AUTHORITIES,
    SID_SUB_AUTHORITY,
    ValueType,
)


@dataclass(frozen=True)
class Value:
    """One encoded template value: its type (``NULL`` for an absent optional value) and its bytes."""

    value_type: ValueType
    data: bytes


NULL = Value(ValueType.NULL, b"")

_INTEGER_RANGES: dict[ValueType, tuple[int, int]] = {
    ValueType.INT8: (-(2**7), 2**7 - 1),
    ValueType.UINT8: (0, 2**8 - 1),
    ValueType.INT16: (-(2**15), 2**15 - 1),
    ValueType.UINT16: (0, 2**16 - 1),
    ValueType.INT32: (-(2**31), 2**31 - 1),
    ValueType.UINT32: (0, 2**32 - 1),
    ValueType.INT64: (-(2**63), 2**63 - 1),
    ValueType.UINT64: (0, 2**64 - 1),
    ValueType.HEX_INT32: (0, 2**32 - 1),
    ValueType.HEX_INT64: (0, 2**64 - 1),
    ValueType.FILETIME: (0, 2**64 - 1),
}

_SID_PATTERN = re.compile(r"S-(\d+)-(\d+)((?:-\d+)*)", re.IGNORECASE)


def integer(field: str, value: int, value_type: ValueType) -> Value:
    """Encode an integer of one of the fixed-size integer types, checking its range."""
    low, high = _INTEGER_RANGES[value_type]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} must be an int, got {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{field} must be in {low}..{high} for {value_type.name}, got {value}")
    return Value(value_type, SCALAR_FORMATS[value_type].pack(value))


def string(field: str, value: str) -> Value:
    """Encode a StringType value: UTF-16LE without terminator (surrogate pairs for characters beyond BMP)."""
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a str, got {type(value).__name__}")
    data = utf16(field, value)
    if len(data) > MAX_VALUE_SIZE:
        raise ValueError(
            f"{field} is {len(data)} bytes in UTF-16, more than the {MAX_VALUE_SIZE} bytes one EVTX value can hold"
        )
    return Value(ValueType.STRING, data)


def utf16(field: str, value: str) -> bytes:
    """UTF-16LE bytes of ``value``; a lone surrogate (not representable in a valid file) is a ValueError."""
    try:
        return value.encode("utf-16-le")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{field} holds a character that UTF-16 cannot encode: {exc.reason}") from None


def guid(field: str, value: str) -> Value:
    """Encode a GUID given as ``{xxxxxxxx-...}`` or bare, in the mixed-endian Windows byte order."""
    try:
        parsed = uuid.UUID(value.strip())
    except (AttributeError, ValueError):
        raise ValueError(f"{field} is not a GUID: {value!r}") from None
    return Value(ValueType.GUID, parsed.bytes_le)


def sid(field: str, value: str) -> Value:
    """Encode a textual SID (``S-1-5-21-...``) in its binary form ([MS-DTYP] 2.4.2.2)."""
    match = _SID_PATTERN.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{field} is not a SID: {value!r}")
    revision, authority = int(match.group(1)), int(match.group(2))
    subs = [int(part) for part in match.group(3).split("-")[1:]]
    if revision > 0xFF or authority >= 2**48 or len(subs) > SID_MAX_SUB_AUTHORITIES:
        raise ValueError(f"{field} is out of range for a SID: {value!r}")
    if any(sub >= 2**32 for sub in subs):
        raise ValueError(f"{field} has a sub-authority above 32 bits: {value!r}")
    data = SID_HEADER.pack(revision, len(subs), authority.to_bytes(6, "big"))
    data += b"".join(SID_SUB_AUTHORITY.pack(sub) for sub in subs)
    return Value(ValueType.SID, data)


def filetime_ticks(field: str, when: datetime, extra_ticks: int = 0) -> int:
    """100 ns ticks since 1601-01-01 UTC of an aware datetime plus ``extra_ticks`` (0..9, below 1 µs)."""
    if not isinstance(when, datetime):
        raise ValueError(f"{field} must be a datetime, got {type(when).__name__}")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{field} must be timezone-aware (UTC), got naive {when.isoformat()}")
    if isinstance(extra_ticks, bool) or not isinstance(extra_ticks, int) or not 0 <= extra_ticks <= 9:
        raise ValueError(f"{field} sub-microsecond ticks must be an int in 0..9, got {extra_ticks!r}")
    delta = when - FILETIME_EPOCH
    if delta.days < 0:
        raise ValueError(f"{field} is before 1601-01-01, which FILETIME cannot hold: {when.isoformat()}")
    seconds = delta.days * 86_400 + delta.seconds
    return seconds * FILETIME_TICKS_PER_SECOND + delta.microseconds * FILETIME_TICKS_PER_MICROSECOND + extra_ticks


def filetime(field: str, ticks: int) -> Value:
    """Encode a FILETIME value from its 100 ns tick count."""
    return integer(field, ticks, ValueType.FILETIME)
