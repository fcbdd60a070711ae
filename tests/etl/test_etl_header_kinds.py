"""Record kinds no public trace in the corpus has (WPP messages, instance headers, compact and 32-bit
headers, extended data items), packed by hand from the declared layouts into one buffer."""

from __future__ import annotations

import struct
import uuid
from datetime import datetime, timezone

from nps_trace_analyzer.sources.etl import EtlStats, iter_events
from nps_trace_analyzer.sources.etl import layout as L
from nps_trace_analyzer.synth.etl.writer import EtlWriter, datetime_to_filetime

START = datetime_to_filetime(datetime(2024, 1, 1, tzinfo=timezone.utc))
QPC0 = 123_456_789  # EtlWriter's reference QPC at START (10 MHz)
GUID = uuid.UUID("ec2e6d3a-c958-4c76-8ea4-0262520886ff")


def _align(record: bytes) -> bytes:
    return record + b"\x00" * ((-len(record)) % 8)


def _marker(htype: int) -> int:
    return (0xC0 << 8) | htype


def _records() -> list[bytes]:
    out = []
    payload = b"wpp-args"
    body = struct.pack("<I", 77) + GUID.bytes_le + struct.pack("<q", QPC0 + 1000) + struct.pack("<II", 11, 22)
    opts = L.TRACE_MESSAGE_SEQUENCE | L.TRACE_MESSAGE_GUID | L.TRACE_MESSAGE_TIMESTAMP | L.TRACE_MESSAGE_SYSTEMINFO
    size = L.MESSAGE_HEADER_SIZE + len(body) + len(payload)
    out.append(_align(L.MESSAGE_HEADER.pack(size, 0, 0x90, 42, opts) + body + payload))
    full = L.FULL_HEADER.pack(
        48 + 3, L.HeaderType.FULL_HEADER32, 0xC0, 5, 4, 2, 33, 44, QPC0 + 2000, GUID.bytes_le, 0, 0
    )
    out.append(_align(full + b"abc"))
    inst = L.INSTANCE_HEADER.pack(
        72 + 2, L.HeaderType.INSTANCE64, 0xC0, 6, 3, 1, 55, 66, QPC0 + 3000, GUID.bytes_le, 0, 0, 9, 8, bytes(16)
    )
    out.append(_align(inst + b"xy"))
    compact = L.SYSTEM_HEADER.pack(2, L.HeaderType.COMPACT64, 0xC0, 24 + 4, 0x0524, 77, 88, QPC0 + 4000)
    out.append(_align(compact + b"cccc"))
    perf = L.PERFINFO_HEADER.pack(2, L.HeaderType.PERFINFO32, 0xC0, 16 + 1, 0x0F2E, QPC0 + 5000)
    out.append(_align(perf + b"p"))
    related = uuid.UUID("11111111-2222-3333-4444-555555555555")
    items = struct.pack("<HHHH", 24, L.EXT_RELATED_ACTIVITYID, 1, 16) + related.bytes_le
    items += struct.pack("<HHHH", 16, L.EXT_SID, 0, 5) + b"SID!!" + bytes(3)
    ev_payload = b"user-data"
    ev = L.EVENT_HEADER.pack(
        80 + len(items) + len(ev_payload), _marker(L.HeaderType.EVENT_HEADER32),
        L.EVENT_FLAG_EXTENDED_INFO | L.EVENT_FLAG_32_BIT_HEADER, 0, 99, 100, QPC0 + 6000, GUID.bytes_le,
        1001, 1, 2, 3, 4, 5, 0x40000000, 0, 0, related.bytes_le,
    )  # fmt: skip
    out.append(_align(ev + items + ev_payload))
    return out


def test_all_header_kinds(tmp_path):
    path = tmp_path / "kinds.etl"
    with open(path, "wb") as fh:
        EtlWriter(START).write(fh)  # header buffer only
        content = b"".join(_records())
        size = 4096
        filled = L.BUFFER_HEADER_SIZE + len(content)
        fh.write(L.BUFFER_HEADER.pack(size, filled, filled, 0, 0, 1, 0, 1, 0, 1, 3, filled, 0, 0))
        fh.write(content + b"\xff" * (size - filled))
    stats = EtlStats()
    header, wpp, full, inst, compact, perf, ev = iter_events(path, stats)
    assert stats.skipped == 0 and stats.warnings == []
    assert header.hook_id == L.HOOK_LOGFILE_HEADER
    assert (wpp.header_kind, wpp.provider, wpp.event_id, wpp.thread_id, wpp.process_id, wpp.payload) == (
        "message",
        GUID,
        42,
        11,
        22,
        b"wpp-args",
    )
    assert wpp.filetime == START + 1000
    assert (full.header_kind, full.provider, full.opcode, full.level, full.version, full.pointer_size) == (
        "full",
        GUID,
        5,
        4,
        2,
        4,
    )
    assert (full.process_id, full.thread_id, full.payload, full.filetime) == (44, 33, b"abc", START + 2000)
    assert (inst.header_kind, inst.opcode, inst.payload, inst.filetime) == ("instance", 6, b"xy", START + 3000)
    assert (compact.header_kind, compact.hook_id, compact.payload, compact.process_id) == (
        "compact",
        0x0524,
        b"cccc",
        88,
    )
    assert (perf.header_kind, perf.hook_id, perf.payload, perf.process_id, perf.pointer_size) == (
        "perfinfo",
        0x0F2E,
        b"p",
        None,
        4,
    )
    assert (ev.header_kind, ev.event_id, ev.version, ev.channel, ev.level, ev.opcode, ev.task) == (
        "event",
        1001,
        1,
        2,
        3,
        4,
        5,
    )
    assert ev.payload == b"user-data" and ev.pointer_size == 4
    assert ev.related_activity_id == uuid.UUID("11111111-2222-3333-4444-555555555555") == ev.activity_id
    assert [t for t, _b in ev.extended] == [L.EXT_RELATED_ACTIVITYID, L.EXT_SID]
    assert ev.extended[1][1] == b"SID!!"
