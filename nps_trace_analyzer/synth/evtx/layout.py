"""Binary layout of an EVTX file: structure formats, tokens, value types and the constants Windows uses.

Declared apart from the encoder so that every byte the writer emits can be traced back to a line of the
format description (libyal's "Windows XML Event Log (EVTX)" document and [MS-EVEN6] BinXml) and to the
facts measured on real Windows logs (``docs/reference/evtx-format-notes.md``). All integers are
little-endian.
"""

from __future__ import annotations

import struct
from datetime import datetime, timezone
from enum import IntEnum

# --- file header (first 4096 bytes of the file) -------------------------------------------------------------

FILE_SIGNATURE = b"ElfFile\x00"
#: signature, first chunk number, last chunk number, next record identifier, header size, minor version,
#: major version, header block size (= offset of the first chunk), number of chunks, 76 unused bytes,
#: file flags, CRC32 of the first 120 bytes.
FILE_HEADER = struct.Struct("<8sQQQIHHHH76sII")
FILE_HEADER_SIZE = 128
FILE_HEADER_BLOCK_SIZE = 4096
FILE_HEADER_CRC_SPAN = 120
FILE_HEADER_CRC_OFFSET = 124
#: Format 3.1 is what Windows Vista .. Windows 10 1909 write; python-evtx refuses any other version.
MAJOR_VERSION = 3
MINOR_VERSION = 1
FILE_FLAG_DIRTY = 0x0001
FILE_FLAG_FULL = 0x0002
#: The number of chunks is a 16-bit field.
MAX_CHUNKS = 0xFFFF

# --- chunk (64 KiB) ---------------------------------------------------------------------------------------

CHUNK_SIGNATURE = b"ElfChnk\x00"
CHUNK_SIZE = 65536
#: signature, first/last event record number (counted from 1 within the file), first/last event record
#: identifier (EventRecordID), header size (128), offset of the last record, free space offset, CRC32 of
#: the records data, 64 unused bytes, the field at offset 120 (1 in every Windows chunk), header CRC32.
CHUNK_HEADER = struct.Struct("<8sQQQQIIII64sII")
CHUNK_HEADER_FIELDS_SIZE = 128
CHUNK_HEADER_SIZE = 512
#: The header CRC covers bytes 0..120 and 128..512 (the string and template tables included).
CHUNK_HEADER_CRC_SPANS = ((0, 120), (128, CHUNK_HEADER_SIZE))
CHUNK_HEADER_CRC_OFFSET = 124
CHUNK_FLAGS_VALUE = 1
#: Common string offset table: 64 buckets (name hash % 64), each the head of a newest-first chain.
STRING_TABLE_OFFSET = 128
STRING_BUCKETS = 64
#: Template pointer table: 32 buckets, newest-first chains through each definition's "next" field.
TEMPLATE_TABLE_OFFSET = 384
TEMPLATE_BUCKETS = 32
TABLE_ENTRY = struct.Struct("<I")

# --- event record -----------------------------------------------------------------------------------------

RECORD_SIGNATURE = b"**\x00\x00"
#: signature, size (whole record incl. the trailing copy), EventRecordID, written time (FILETIME).
RECORD_HEADER = struct.Struct("<4sIQQ")
#: The copy of the size that ends every record.
RECORD_TRAILER = struct.Struct("<I")
#: Records are zero-padded after the end-of-stream token to a multiple of 8 bytes.
RECORD_ALIGNMENT = 8
#: A record never ends exactly at byte 65536 of its chunk (libevtx drops such a record): the highest free
#: space offset Windows leaves is 65528.
MAX_FREE_SPACE_OFFSET = CHUNK_SIZE - RECORD_ALIGNMENT


# --- BinXml -----------------------------------------------------------------------------------------------


class Token(IntEnum):
    """BinXml token bytes ([MS-EVEN6] 3.1.4.1). ``HAS_MORE`` (0x40) is or-ed into some of them."""

    EOF = 0x00
    OPEN_START_ELEMENT = 0x01
    CLOSE_START_ELEMENT = 0x02
    CLOSE_EMPTY_ELEMENT = 0x03
    END_ELEMENT = 0x04
    VALUE = 0x05
    ATTRIBUTE = 0x06
    CDATA_SECTION = 0x07
    CHAR_REF = 0x08
    ENTITY_REF = 0x09
    PI_TARGET = 0x0A
    PI_DATA = 0x0B
    TEMPLATE_INSTANCE = 0x0C
    NORMAL_SUBSTITUTION = 0x0D
    OPTIONAL_SUBSTITUTION = 0x0E
    FRAGMENT_HEADER = 0x0F


#: On OPEN_START_ELEMENT: an attribute list follows. On ATTRIBUTE / VALUE: another one follows.
HAS_MORE = 0x40

#: Fragment header: token, major version 1, minor version 1, flags 0.
FRAGMENT_HEADER = bytes((Token.FRAGMENT_HEADER, 1, 1, 0))

#: token, dependency identifier, data size (counted from the name offset to the end tag inclusive); then a
#: name reference (NAME_OFFSET).
ELEMENT_START = struct.Struct("<BHI")
#: Bytes of the element start that its data size does not cover (token, dependency id, data size).
ELEMENT_START_UNCOUNTED = 7
#: Dependency identifier of an element that does not depend on one optional substitution.
NO_DEPENDENCY = 0xFFFF
#: Attribute list size (excluding these 4 bytes).
ATTRIBUTE_LIST_SIZE = struct.Struct("<I")
#: token; then a name reference (NAME_OFFSET).
ATTRIBUTE = struct.Struct("<B")
#: token, value type (always StringType for literal text), number of UTF-16 code units (no terminator).
VALUE_TEXT = struct.Struct("<BBH")
#: token, substitution index, value type.
SUBSTITUTION = struct.Struct("<BHB")
#: Name structure stored once per chunk: offset of the next name in the same hash bucket, name hash,
#: number of UTF-16 code units; then the UTF-16LE characters and a NUL code unit.
NAME_HEADER = struct.Struct("<IHH")
NAME_TERMINATOR = b"\x00\x00"
NAME_HASH_MULTIPLIER = 65599
#: A name reference: chunk offset of the name structure. When the name is new to the chunk the structure
#: follows immediately, i.e. the offset points just past this field.
NAME_OFFSET = struct.Struct("<I")
#: token, unknown byte (1), template identifier (first 32 bits of the template GUID), definition offset.
TEMPLATE_INSTANCE = struct.Struct("<BBII")
TEMPLATE_INSTANCE_UNKNOWN = 1
#: Template definition: offset of the next definition in the same bucket, template GUID, data size (the
#: fragment header, element and EOF token that follow). Pointer-table entries point at its first byte.
TEMPLATE_DEFINITION = struct.Struct("<I16sI")
TEMPLATE_VALUE_COUNT = struct.Struct("<I")
#: Template value descriptor: value size, value type, unused byte.
TEMPLATE_VALUE_DESCRIPTOR = struct.Struct("<HBB")
MAX_VALUE_SIZE = 0xFFFF


class ValueType(IntEnum):
    """Substitution value types ([MS-EVEN6] 2.2.13; 0x80 or-ed in marks an array)."""

    NULL = 0x00
    STRING = 0x01
    ANSI_STRING = 0x02
    INT8 = 0x03
    UINT8 = 0x04
    INT16 = 0x05
    UINT16 = 0x06
    INT32 = 0x07
    UINT32 = 0x08
    INT64 = 0x09
    UINT64 = 0x0A
    REAL32 = 0x0B
    REAL64 = 0x0C
    BOOL = 0x0D
    BINARY = 0x0E
    GUID = 0x0F
    SIZE_T = 0x10
    FILETIME = 0x11
    SYSTEMTIME = 0x12
    SID = 0x13
    HEX_INT32 = 0x14
    HEX_INT64 = 0x15
    EVT_HANDLE = 0x20
    BINXML = 0x21
    EVT_XML = 0x23


ARRAY_FLAG = 0x80

#: Fixed-size scalar encodings: struct format per value type.
SCALAR_FORMATS: dict[ValueType, struct.Struct] = {
    ValueType.INT8: struct.Struct("<b"),
    ValueType.UINT8: struct.Struct("<B"),
    ValueType.INT16: struct.Struct("<h"),
    ValueType.UINT16: struct.Struct("<H"),
    ValueType.INT32: struct.Struct("<i"),
    ValueType.UINT32: struct.Struct("<I"),
    ValueType.INT64: struct.Struct("<q"),
    ValueType.UINT64: struct.Struct("<Q"),
    ValueType.HEX_INT32: struct.Struct("<I"),
    ValueType.HEX_INT64: struct.Struct("<Q"),
    ValueType.FILETIME: struct.Struct("<Q"),
}

# --- SID ([MS-DTYP] 2.4.2.2) ----------------------------------------------------------------------------------

#: revision, number of sub-authorities, 48-bit identifier authority (big-endian); then 32-bit LE sub-authorities.
SID_HEADER = struct.Struct("<BB6s")
SID_SUB_AUTHORITY = struct.Struct("<I")
SID_MAX_SUB_AUTHORITIES = 15

# --- time ---------------------------------------------------------------------------------------------------

FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)
FILETIME_TICKS_PER_SECOND = 10_000_000
FILETIME_TICKS_PER_MICROSECOND = 10

# --- the Event schema ---------------------------------------------------------------------------------------

EVENT_NAMESPACE = "http://schemas.microsoft.com/win/2004/08/events/event"
