"""Binary layouts of an ETL (Event Trace Log) file, declared apart from the logic that walks them.

An .etl file is a run of *buffers*. Each buffer starts with a 72-byte ``WMI_BUFFER_HEADER`` and holds
8-byte-aligned event records. Every record starts with a 32-bit marker whose top byte says which header
follows (``TRACE_HEADER_FLAG`` 0x80, ``TRACE_HEADER_EVENT_TRACE`` 0x40 plus a header type in byte 2, or
``TRACE_MESSAGE`` 0x10 for WPP messages). The first buffer carries the logfile header as a SYSTEM event
(hook 0x0000) whose payload is a ``TRACE_LOGFILE_HEADER``: it names the clock (QPC, system time or CPU
cycles) and gives the anchors needed to turn raw timestamps into wall-clock time.

Sources for the offsets: Microsoft's public ``evntrace.h``/``evntcons.h`` documentation (EVENT_TRACE_HEADER,
EVENT_HEADER, ETW_BUFFER_CONTEXT, TRACE_LOGFILE_HEADER), the ``ntwmi.h`` constants (header types, marker
flags, buffer flags) and the ``_WMI_BUFFER_HEADER`` layout published for every Windows build. Everything is
little-endian. Only :mod:`struct` is used so the reader has no parsing dependency.
"""

from __future__ import annotations

import struct
from collections import namedtuple
from enum import IntEnum
from typing import Any, Final

#: What :meth:`Layout.read` returns: a named tuple whose fields are the layout's declared names.
Record = Any


class Layout(struct.Struct):
    """A little-endian record declared as ``(name, struct format)`` pairs, dissect ``cstruct``-style.

    Why: a header unpacked into a long tuple of local names silently shifts every later value when a field
    is added or moved. Declaring the names beside the formats keeps them in one place; :meth:`read` returns
    a named tuple, so decoders say ``header.process_id`` instead of counting positions. Padding fields (a
    format ending in ``x``) take no name in the result. ``pack`` is plain :class:`struct.Struct` (the synth
    writers use it positionally, in declaration order).
    """

    def __init__(self, name: str, *fields: tuple[str, str]) -> None:
        super().__init__("<" + "".join(fmt for _, fmt in fields))
        self.name = name
        self.names: tuple[str, ...] = tuple(field for field, fmt in fields if not fmt.endswith("x"))
        self._make = namedtuple(name, self.names)._make  # type: ignore[misc]

    def read(self, data: bytes, pos: int = 0) -> Any:
        """Decode one record at ``pos`` into a named tuple of its declared fields."""
        return self._make(self.unpack_from(data, pos))


# --- WMI_BUFFER_HEADER (0x48 bytes) --------------------------------------------------------------------
#: BufferSize, SavedOffset, CurrentOffset, ReferenceCount, TimeStamp, SequenceNumber, ClockType/Frequency,
#: ProcessorNumber, Alignment, LoggerId, State, Offset, BufferFlag, BufferType, 16 bytes of padding/pointers.
BUFFER_HEADER: Final = Layout(
    "WmiBufferHeader",
    ("buffer_size", "I"),
    ("saved_offset", "I"),
    ("current_offset", "I"),
    ("reference_count", "i"),
    ("timestamp", "q"),
    ("sequence_number", "q"),
    ("clock_type_frequency", "Q"),
    ("processor_number", "B"),
    ("alignment", "B"),
    ("logger_id", "H"),
    ("state", "I"),
    ("offset", "I"),
    ("buffer_flag", "H"),
    ("buffer_type", "H"),
    ("_pointers", "16x"),
)
BUFFER_HEADER_SIZE: Final = 0x48
assert BUFFER_HEADER.size == BUFFER_HEADER_SIZE

# BufferFlag bits (ETW_BUFFER_FLAG_*).
BUFFER_FLAG_FLUSH_MARKER: Final = 0x0001
BUFFER_FLAG_EVENTS_LOST: Final = 0x0002
BUFFER_FLAG_BUFFER_LOST: Final = 0x0004
BUFFER_FLAG_RTBACKUP_CORRUPT: Final = 0x0008
BUFFER_FLAG_RTBACKUP: Final = 0x0010
BUFFER_FLAG_PROC_INDEX: Final = 0x0020
#: Set by loggers in EVENT_TRACE_COMPRESSED_MODE (pktmon): the bytes after the header are plain LZXpress
#: ([MS-XCA] LZ77) and decompress to ``SavedOffset - 0x48`` bytes of ordinary buffer content.
BUFFER_FLAG_COMPRESSED: Final = 0x0040

#: BufferType of the first buffer, the one holding the logfile header.
BUFFER_TYPE_HEADER: Final = 4

#: Events end where the remaining bytes are this filler (an unused marker).
END_MARKER: Final = 0xFFFFFFFF
EVENT_ALIGNMENT: Final = 8

# --- Record markers ------------------------------------------------------------------------------------
MARKER_TRACE_HEADER_FLAG: Final = 0x80  # top byte of the first dword
MARKER_EVENT_TRACE: Final = 0x40
MARKER_TRACE_MESSAGE: Final = 0x10


class HeaderType(IntEnum):
    """TRACE_HEADER_TYPE_* in byte 2 of a record whose marker has TRACE_HEADER_EVENT_TRACE set."""

    SYSTEM32 = 1
    SYSTEM64 = 2
    COMPACT32 = 3
    COMPACT64 = 4
    FULL_HEADER32 = 10
    INSTANCE32 = 11
    TIMED = 12
    ERROR = 13
    WNODE_HEADER = 14
    MESSAGE = 15
    PERFINFO32 = 16
    PERFINFO64 = 17
    EVENT_HEADER32 = 18
    EVENT_HEADER64 = 19
    FULL_HEADER64 = 20
    INSTANCE64 = 21


class HeaderKind:
    """The record shapes a reader must tell apart (string constants, stable for reports and tests)."""

    SYSTEM = "system"  # SYSTEM_TRACE_HEADER: kernel events, the logfile header itself
    COMPACT = "compact"  # SYSTEM_TRACE_HEADER without Kernel/UserTime
    PERFINFO = "perfinfo"  # PERFINFO_TRACE_HEADER: kernel perf events, no pid/tid
    FULL = "full"  # EVENT_TRACE_HEADER: classic (MOF) providers
    INSTANCE = "instance"  # EVENT_INSTANCE_GUID_HEADER: classic providers with instance ids
    EVENT = "event"  # EVENT_HEADER: manifest and TraceLogging providers
    MESSAGE = "message"  # MESSAGE_TRACE_HEADER: WPP software tracing
    ERROR = "error"  # TRACE_HEADER_TYPE_ERROR: an event that failed to log


HEADER_KIND_BY_TYPE: Final[dict[int, str]] = {
    HeaderType.SYSTEM32: HeaderKind.SYSTEM,
    HeaderType.SYSTEM64: HeaderKind.SYSTEM,
    HeaderType.COMPACT32: HeaderKind.COMPACT,
    HeaderType.COMPACT64: HeaderKind.COMPACT,
    HeaderType.PERFINFO32: HeaderKind.PERFINFO,
    HeaderType.PERFINFO64: HeaderKind.PERFINFO,
    HeaderType.FULL_HEADER32: HeaderKind.FULL,
    HeaderType.FULL_HEADER64: HeaderKind.FULL,
    HeaderType.INSTANCE32: HeaderKind.INSTANCE,
    HeaderType.INSTANCE64: HeaderKind.INSTANCE,
    HeaderType.EVENT_HEADER32: HeaderKind.EVENT,
    HeaderType.EVENT_HEADER64: HeaderKind.EVENT,
    HeaderType.ERROR: HeaderKind.ERROR,
}

#: Header types whose payload was written by a 64-bit logger (pointer-sized fields are 8 bytes).
POINTER64_TYPES: Final = frozenset(
    {
        HeaderType.SYSTEM64,
        HeaderType.COMPACT64,
        HeaderType.PERFINFO64,
        HeaderType.EVENT_HEADER64,
        HeaderType.FULL_HEADER64,
        HeaderType.INSTANCE64,
    }
)

# --- SYSTEM_TRACE_HEADER (32 bytes) / compact (24 bytes) ------------------------------------------------
#: Version u16, HeaderType u8, Flags u8, Packet.Size u16, Packet.HookId u16, ThreadId, ProcessId, SystemTime.
SYSTEM_HEADER: Final = Layout(
    "SystemTraceHeader",
    ("version", "H"),
    ("header_type", "B"),
    ("flags", "B"),
    ("size", "H"),
    ("hook_id", "H"),
    ("thread_id", "I"),
    ("process_id", "I"),
    ("timestamp", "q"),
)
SYSTEM_HEADER_SIZE: Final = 32  # + KernelTime u32, UserTime u32
COMPACT_HEADER_SIZE: Final = 24
assert SYSTEM_HEADER.size == COMPACT_HEADER_SIZE

# --- PERFINFO_TRACE_HEADER (16 bytes) -------------------------------------------------------------------
#: Version u16, HeaderType u8, Flags u8, Packet.Size u16, Packet.HookId u16, SystemTime.
PERFINFO_HEADER: Final = Layout(
    "PerfinfoTraceHeader",
    ("version", "H"),
    ("header_type", "B"),
    ("flags", "B"),
    ("size", "H"),
    ("hook_id", "H"),
    ("timestamp", "q"),
)
PERFINFO_HEADER_SIZE: Final = 16
assert PERFINFO_HEADER.size == PERFINFO_HEADER_SIZE

# --- EVENT_TRACE_HEADER (48 bytes, classic) --------------------------------------------------------------
#: Size u16, HeaderType u8, MarkerFlags u8, Class.Type u8, Class.Level u8, Class.Version u16, ThreadId,
#: ProcessId, TimeStamp, Guid (16 raw bytes), KernelTime/ClientContext u32, UserTime/Flags u32.
_CLASSIC_FIELDS: Final = (
    ("size", "H"),
    ("header_type", "B"),
    ("marker_flags", "B"),
    ("class_type", "B"),
    ("class_level", "B"),
    ("class_version", "H"),
    ("thread_id", "I"),
    ("process_id", "I"),
    ("timestamp", "q"),
    ("guid", "16s"),
    ("kernel_time", "I"),
    ("user_time", "I"),
)
FULL_HEADER: Final = Layout("EventTraceHeader", *_CLASSIC_FIELDS)
FULL_HEADER_SIZE: Final = 48
assert FULL_HEADER.size == FULL_HEADER_SIZE

# --- EVENT_INSTANCE_GUID_HEADER (72 bytes) ---------------------------------------------------------------
#: as FULL_HEADER, then InstanceId u32, ParentInstanceId u32, ParentGuid (16 raw bytes).
INSTANCE_HEADER: Final = Layout(
    "EventInstanceGuidHeader",
    *_CLASSIC_FIELDS,
    ("instance_id", "I"),
    ("parent_instance_id", "I"),
    ("parent_guid", "16s"),
)
INSTANCE_HEADER_SIZE: Final = 72
assert INSTANCE_HEADER.size == INSTANCE_HEADER_SIZE

# --- EVENT_HEADER (80 bytes, manifest/TraceLogging) ------------------------------------------------------
#: Size u16, HeaderType u16, Flags u16, EventProperty u16, ThreadId, ProcessId, TimeStamp, ProviderId (16),
#: EVENT_DESCRIPTOR {Id u16, Version u8, Channel u8, Level u8, Opcode u8, Task u16, Keyword u64},
#: KernelTime u32, UserTime u32 (or ProcessorTime u64), ActivityId (16).
EVENT_HEADER: Final = Layout(
    "EventHeader",
    ("size", "H"),
    ("header_type", "H"),
    ("flags", "H"),
    ("event_property", "H"),
    ("thread_id", "I"),
    ("process_id", "I"),
    ("timestamp", "q"),
    ("provider_id", "16s"),
    ("id", "H"),
    ("version", "B"),
    ("channel", "B"),
    ("level", "B"),
    ("opcode", "B"),
    ("task", "H"),
    ("keyword", "Q"),
    ("kernel_time", "I"),
    ("user_time", "I"),
    ("activity_id", "16s"),
)
EVENT_HEADER_SIZE: Final = 80
assert EVENT_HEADER.size == EVENT_HEADER_SIZE

# EVENT_HEADER.Flags bits (EVENT_HEADER_FLAG_*).
EVENT_FLAG_EXTENDED_INFO: Final = 0x0001
EVENT_FLAG_PRIVATE_SESSION: Final = 0x0002
EVENT_FLAG_STRING_ONLY: Final = 0x0004
EVENT_FLAG_TRACE_MESSAGE: Final = 0x0008
EVENT_FLAG_NO_CPUTIME: Final = 0x0010
EVENT_FLAG_32_BIT_HEADER: Final = 0x0020
EVENT_FLAG_64_BIT_HEADER: Final = 0x0040
EVENT_FLAG_CLASSIC_HEADER: Final = 0x0100
EVENT_FLAG_PROCESSOR_INDEX: Final = 0x0200

#: Extended data item as stored in a file: total size u16 (8 + DataSize, 8-aligned), ExtType u16,
#: Linkage u16 (bit 0 = another item follows), DataSize u16, then DataSize bytes.
EXTENDED_ITEM: Final = Layout(
    "EventHeaderExtendedItem", ("total_size", "H"), ("ext_type", "H"), ("linkage", "H"), ("data_size", "H")
)

# EVENT_HEADER_EXT_TYPE_* values.
EXT_RELATED_ACTIVITYID: Final = 0x0001
EXT_SID: Final = 0x0002
EXT_TS_ID: Final = 0x0003
EXT_INSTANCE_INFO: Final = 0x0004
EXT_STACK_TRACE32: Final = 0x0005
EXT_STACK_TRACE64: Final = 0x0006
EXT_PEBS_INDEX: Final = 0x0007
EXT_PMC_COUNTERS: Final = 0x0008
EXT_PSM_KEY: Final = 0x0009
EXT_EVENT_KEY: Final = 0x000A
EXT_EVENT_SCHEMA_TL: Final = 0x000B
EXT_PROV_TRAITS: Final = 0x000C
EXT_PROCESS_START_KEY: Final = 0x000D

# --- MESSAGE_TRACE_HEADER (WPP; 8 bytes + optional fields) ----------------------------------------------
#: Size u16, Reserved u8, Marker u8, MessageNumber u16, OptionFlags u16.
MESSAGE_HEADER: Final = Layout(
    "MessageTraceHeader",
    ("size", "H"),
    ("reserved", "B"),
    ("marker", "B"),
    ("message_number", "H"),
    ("option_flags", "H"),
)
MESSAGE_HEADER_SIZE: Final = 8
assert MESSAGE_HEADER.size == MESSAGE_HEADER_SIZE
# Optional fields follow in this order when their flag is set.
TRACE_MESSAGE_SEQUENCE: Final = 0x0001  # u32 sequence number
TRACE_MESSAGE_GUID: Final = 0x0002  # 16-byte message GUID
TRACE_MESSAGE_COMPONENTID: Final = 0x0004  # u32 component id (instead of the GUID)
TRACE_MESSAGE_TIMESTAMP: Final = 0x0008  # i64 timestamp
TRACE_MESSAGE_PERFORMANCE_TIMESTAMP: Final = 0x0010  # obsolete; the logger's clock applies
TRACE_MESSAGE_SYSTEMINFO: Final = 0x0020  # u32 ThreadId, u32 ProcessId

# --- TRACE_LOGFILE_HEADER (payload of the SYSTEM event with hook 0x0000 in the first buffer) ------------
#: BufferSize, Version, ProviderVersion, NumberOfProcessors, EndTime, TimerResolution, MaximumFileSize,
#: LogFileMode, BuffersWritten, StartBuffers, PointerSize, EventsLost, CpuSpeedInMHz.
LOGFILE_HEADER_FIXED: Final = Layout(
    "TraceLogfileHeaderFixed",
    ("buffer_size", "I"),
    ("version", "I"),
    ("provider_version", "I"),
    ("number_of_processors", "I"),
    ("end_time", "q"),
    ("timer_resolution", "I"),
    ("maximum_file_size", "I"),
    ("log_file_mode", "I"),
    ("buffers_written", "I"),
    ("start_buffers", "I"),
    ("pointer_size", "I"),
    ("events_lost", "I"),
    ("cpu_speed_mhz", "I"),
)
#: Offsets (for 8-byte pointers; subtract 8 for 4-byte pointers) of BootTime, PerfFreq, StartTime,
#: ReservedFlags (the clock type) and BuffersLost, after LoggerName/LogFileName pointers and the
#: 172-byte TIME_ZONE_INFORMATION (padded to 8).
LOGFILE_HEADER_TAIL: Final = Layout(
    "TraceLogfileHeaderTail",
    ("boot_time", "q"),
    ("perf_freq", "q"),
    ("start_time", "q"),
    ("clock_type", "I"),
    ("buffers_lost", "I"),
)
LOGFILE_TAIL_OFFSET_PTR64: Final = 0xF8
LOGFILE_TAIL_OFFSET_PTR32: Final = 0xF0
LOGFILE_TIMEZONE_OFFSET_PTR64: Final = 0x48
LOGFILE_TIMEZONE_OFFSET_PTR32: Final = 0x40
#: Bias (minutes, UTC = local + bias), StandardName (32 UTF-16), SYSTEMTIME, StandardBias, DaylightName...
TIMEZONE_BIAS: Final = Layout(
    "TimeZoneInformation",
    ("bias", "i"),
    ("standard_name", "64s"),
    ("standard_date", "16s"),
    ("standard_bias", "i"),
    ("daylight_name", "64s"),
    ("daylight_date", "16s"),
    ("daylight_bias", "i"),
)
LOGFILE_STRINGS_OFFSET_PTR64: Final = 0x118
LOGFILE_STRINGS_OFFSET_PTR32: Final = 0x110

#: Hook id (group | type) of the logfile header event.
HOOK_LOGFILE_HEADER: Final = 0x0000


class ClockType(IntEnum):
    """TRACE_LOGFILE_HEADER.ReservedFlags: which clock raw timestamps come from."""

    QPC = 1  # QueryPerformanceCounter, ticks at PerfFreq
    SYSTEM_TIME = 2  # FILETIME (100 ns since 1601-01-01)
    CPU_CYCLES = 3  # time-stamp counter, ticks at CpuSpeedInMHz


#: 100 ns ticks between 1601-01-01 and 1970-01-01.
FILETIME_UNIX_EPOCH: Final = 116444736000000000
