"""NDIS-PacketCapture and PktMon events to Packet records: fragments, direction, link types, duplicates."""

from __future__ import annotations

import struct
from datetime import datetime, timezone

import pytest

from nps_trace_analyzer.sources.etl.packets import (
    KW_PACKET_END,
    KW_PACKET_START,
    KW_RECEIVE,
    LINKTYPE_ETHERNET,
    LINKTYPE_IEEE802_11,
    LINKTYPE_RAW,
    NDIS_EVENT_VMSWITCH_FRAGMENT,
    NDIS_PACKET_CAPTURE,
    PacketStats,
    iter_file_packets,
    iter_packets,
)
from nps_trace_analyzer.sources.etl.reader import EtlEvent
from nps_trace_analyzer.synth.etl import frames as F
from nps_trace_analyzer.synth.etl.capture import ndis_events, pktmon_event
from nps_trace_analyzer.synth.etl.writer import EtlEventSpec, EtlWriter, datetime_to_filetime

T0 = datetime_to_filetime(datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
FRAME = F.udp_frame("10.0.0.1", "10.0.0.10", 50000, 1812, F.radius(1, 1, bytes(16), [(1, b"u")]))


def _packets(tmp_path, specs, stats=None):
    writer = EtlWriter(T0)
    writer.extend(specs)
    path = tmp_path / "p.etl"
    with open(path, "wb") as fh:
        writer.write(fh)
    return list(iter_file_packets(str(path), stats=stats))


def _event(spec: EtlEventSpec) -> EtlEvent:
    """An EtlEvent as the reader would produce it (for feeding the extractor without a file)."""
    return EtlEvent(
        "event", 19, spec.provider, spec.event_id, 0, 4, 0, 0, 0, spec.keywords,
        spec.filetime, spec.filetime, 4, 8, spec.processor, 0, None, spec.payload,
    )  # fmt: skip


def test_fragments_are_assembled_in_order(tmp_path):
    stats = PacketStats()
    (packet,) = _packets(tmp_path, ndis_events(FRAME, T0, fragment_size=16, direction="out"), stats)
    assert packet.data == FRAME and packet.fragments == (len(FRAME) + 15) // 16
    assert (packet.direction, packet.link_type, packet.first, packet.truncated) == (
        "out",
        LINKTYPE_ETHERNET,
        True,
        False,
    )
    assert (packet.miniport_if_index, packet.lower_if_index, packet.interface) == (7, 7, "ndis:7/7")
    assert packet.filetime == T0 and packet.time == datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert (stats.ndis_events, stats.packets, stats.incomplete) == (packet.fragments, 1, 0)


def test_link_types_and_direction(tmp_path):
    raw_ip = FRAME[14:]
    specs = [
        *ndis_events(raw_ip, T0, link_type=LINKTYPE_RAW, direction="in"),
        *ndis_events(b"\x08\x02" + bytes(30), T0 + 10, link_type=LINKTYPE_IEEE802_11),
    ]
    ip, wifi = _packets(tmp_path, specs)
    assert (ip.link_type, ip.direction, ip.data) == (LINKTYPE_RAW, "in", raw_ip)
    assert wifi.link_type == LINKTYPE_IEEE802_11


def test_truncated_packet_gets_its_wire_length_from_ip(tmp_path):
    (packet,) = _packets(tmp_path, ndis_events(FRAME[:40], T0, truncated=True))
    assert packet.truncated and len(packet.data) == 40 and packet.original_length == len(FRAME)


def test_same_frame_at_two_layers_counts_once_but_retransmission_counts(tmp_path):
    stats = PacketStats()
    specs = [
        *ndis_events(FRAME, T0, lower=7),
        *ndis_events(FRAME, T0 + 50, lower=3),  # same frame, NIC layer, 5 us later
        *ndis_events(FRAME, T0 + 30_000_000, lower=7),  # 3 s later: a retransmission
    ]
    packets = _packets(tmp_path, specs, stats)
    assert [p.first for p in packets] == [True, False, True]
    assert (stats.unique_packets, stats.duplicates) == (2, 1)


def test_missing_packet_end_and_orphan_continuation():
    start_only = EtlEventSpec(NDIS_PACKET_CAPTURE, 1001, T0, struct.pack("<III", 7, 7, 4) + b"abcd",
                           keywords=KW_PACKET_START | KW_RECEIVE)  # fmt: skip
    orphan = EtlEventSpec(NDIS_PACKET_CAPTURE, 1001, T0 + 5, struct.pack("<III", 8, 8, 2) + b"zz", keywords=KW_RECEIVE)
    end_only = EtlEventSpec(NDIS_PACKET_CAPTURE, 1001, T0 + 6, struct.pack("<III", 9, 9, 2) + b"yy",
                         keywords=KW_PACKET_END | KW_RECEIVE)  # fmt: skip
    restart = EtlEventSpec(NDIS_PACKET_CAPTURE, 1001, T0 + 7, struct.pack("<III", 7, 7, 2) + b"ef",
                        keywords=KW_PACKET_START | KW_PACKET_END | KW_RECEIVE)  # fmt: skip
    stats = PacketStats()
    packets = list(iter_packets([_event(s) for s in (start_only, orphan, end_only, restart)], stats))
    # start_only is flushed (incomplete) when its interface restarts; orphan is a lone single-event packet
    # (no Start/End bits at all), end_only has no start and is dropped.
    assert sorted(p.data for p in packets) == [b"abcd", b"ef", b"zz"]
    assert next(p for p in packets if p.data == b"abcd").truncated
    assert stats.incomplete == 2 and len(stats.warnings) == 2


def test_unterminated_packet_is_flushed_at_the_end():
    spec = EtlEventSpec(NDIS_PACKET_CAPTURE, 1001, T0, struct.pack("<III", 1, 1, 3) + b"abc", keywords=KW_PACKET_START)
    stats = PacketStats()
    (packet,) = iter_packets([_event(spec)], stats)
    assert packet.data == b"abc" and packet.truncated and stats.incomplete == 1


def test_vmswitch_fragment_event():
    def text(s):
        return (s + "\x00").encode("utf-16-le")

    payload = (
        struct.pack("<III", 5, 6, 42) + text("port-A") + text("nic-A") + text("Synthetic")
        + struct.pack("<I", 2) + bytes(16) + struct.pack("<I", len(FRAME)) + FRAME + struct.pack("<I", 0)
    )  # fmt: skip
    spec = EtlEventSpec(NDIS_PACKET_CAPTURE, NDIS_EVENT_VMSWITCH_FRAGMENT, T0, payload,
                     keywords=KW_PACKET_START | KW_PACKET_END | KW_RECEIVE)  # fmt: skip
    (packet,) = iter_packets([_event(spec)])
    assert packet.data == FRAME and (packet.miniport_if_index, packet.lower_if_index) == (5, 6)


@pytest.mark.parametrize("payload", [b"", b"\x01\x00", struct.pack("<III", 1, 1, 500) + b"short"])
def test_malformed_ndis_payload_is_counted(payload):
    stats = PacketStats()
    spec = EtlEventSpec(NDIS_PACKET_CAPTURE, 1001, T0, payload, keywords=KW_PACKET_START | KW_PACKET_END)
    assert list(iter_packets([_event(spec)], stats)) == []
    assert stats.malformed == 1


def test_pktmon_windows11_style_appearances_deduplicated(tmp_path):
    """AppearanceCount 0 and a new PktGroupId per appearance: identical bytes elsewhere = same packet."""
    specs = [
        pktmon_event(FRAME, T0, group=100, appearance=0, component=13, edge=1, packet_type=1),
        pktmon_event(FRAME, T0 + 20, group=101, appearance=0, component=40, edge=1, packet_type=1),
        pktmon_event(FRAME[14:], T0 + 30, group=102, appearance=0, component=98, edge=1, packet_type=3),
        pktmon_event(b"\x08\x02" + FRAME, T0 + 40, group=103, appearance=0, component=42, edge=2, packet_type=2),
    ]
    packets = _packets(tmp_path, specs)
    assert [p.first for p in packets] == [True, False, False, False]
    assert [p.link_type for p in packets] == [LINKTYPE_ETHERNET, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_IEEE802_11]


def test_pktmon_short_payload_is_malformed(tmp_path):
    stats = PacketStats()
    spec = pktmon_event(FRAME, T0, group=1)
    broken = EtlEventSpec(spec.provider, spec.event_id, T0, spec.payload[:20])
    assert _packets(tmp_path, [broken], stats) == [] and stats.malformed == 1
