"""Binary layout of an EVTX chunk's records and of BinXml templates, declared as data (no parsing logic here).

Facts from libyal's "Windows XML Event Log (EVTX)" document and [MS-EVEN6] 3.1.4 (BinXml); all integers are
little-endian and every offset inside a chunk is relative to the chunk's first byte. The file and chunk headers
are in :mod:`~nps_trace_analyzer.sources.evtx_layout`; the reader that uses these structures is
:mod:`~nps_trace_analyzer.sources.evtx_prefilter`.
"""

from __future__ import annotations

import struct

# --- chunk header fields the record walk needs (byte offsets inside the 512-byte header block) -------------

#: first/last record number (counted from 1 in the file), first/last EventRecordID, header size, offset of the
#: last record, free space offset (where the records end), CRC32 of the records data.
CHUNK_RECORD_FIELDS = struct.Struct("<QQQQIIII")
CHUNK_RECORD_FIELDS_AT = 8
#: CRC32 of header bytes 0..120 and 128..512, stored at 124.
CHUNK_HEADER_CRC_AT = 124
CHUNK_HEADER_CRC_SPANS = ((0, 120), (128, 512))
CHUNK_HEADER_BLOCK = 512

# --- event record -----------------------------------------------------------------------------------------

RECORD_SIGNATURE = b"**\x00\x00"
#: signature, size (whole record, its trailing size copy included), EventRecordID, written time (FILETIME).
RECORD_HEADER = struct.Struct("<4sIQQ")
#: where the size field sits in the record header (patched to merge records, see evtx_prefilter)
RECORD_SIZE_AT = 4
#: the copy of the size that ends every record
RECORD_TRAILER = struct.Struct("<I")

# --- BinXml -----------------------------------------------------------------------------------------------

#: token 0x0f, major version 1, minor version 1, flags 0
FRAGMENT_HEADER = b"\x0f\x01\x01\x00"
#: token 0x0c, unknown byte, template identifier, chunk offset of the template definition
TEMPLATE_INSTANCE = struct.Struct("<BBII")
#: offset of the next definition in the same bucket, template GUID, size of the BinXml that follows
TEMPLATE_DEFINITION = struct.Struct("<I16sI")
#: number of substitution values; then one descriptor (size, type, unused byte) per value, then the values
VALUE_COUNT = struct.Struct("<I")
VALUE_DESCRIPTOR_SIZE = 4

#: Token bytes; 0x40 or-ed into the element, attribute and value tokens means "more follows".
TOKEN_MASK = 0x0F
HAS_MORE = 0x40
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
TEMPLATE_INSTANCE_TOKEN = 0x0C
NORMAL_SUBSTITUTION = 0x0D
OPTIONAL_SUBSTITUTION = 0x0E
FRAGMENT_HEADER_TOKEN = 0x0F

#: after OPEN_START_ELEMENT's token: dependency identifier, data size, name offset
ELEMENT_START = struct.Struct("<HII")
#: after HAS_MORE on OPEN_START_ELEMENT: size of the attribute list
ATTRIBUTE_LIST_SIZE = struct.Struct("<I")
#: a name reference (ATTRIBUTE, ENTITY_REF, PI_TARGET): the chunk offset of a name structure
NAME_OFFSET = struct.Struct("<I")
#: name structure: offset of the next name in the bucket, hash, number of UTF-16 units; the units and a NUL follow
NAME_HEADER = struct.Struct("<IHH")
#: after VALUE's token: value type, number of UTF-16 units (for the string type, the only one templates use)
VALUE_TEXT = struct.Struct("<BH")
#: after a substitution token: value index, declared value type
SUBSTITUTION = struct.Struct("<HB")
#: after CDATA_SECTION / PI_DATA: number of UTF-16 units
TEXT_UNITS = struct.Struct("<H")
#: after CHAR_REF: the character
CHAR_REF_VALUE = struct.Struct("<H")

# --- substitution value types ([MS-EVEN6] 2.2.13) -----------------------------------------------------------

NULL_TYPE = 0x00
STRING_TYPE = 0x01
UINT16_TYPE = 0x06
BINXML_TYPE = 0x21
EVT_XML_TYPE = 0x23
UINT16 = struct.Struct("<H")
