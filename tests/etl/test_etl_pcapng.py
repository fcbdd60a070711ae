"""pcapng output read back by independent readers: dpkt's pcapng reader and tshark (each skipped if absent)."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import datetime, timezone

import click
import pytest
from click.testing import CliRunner
from etl_corpus import corpus_file

from nps_trace_analyzer.cli.etl import register
from nps_trace_analyzer.report.pcapng import packet_comment, write_pcapng
from nps_trace_analyzer.sources.etl.layout import FILETIME_UNIX_EPOCH
from nps_trace_analyzer.sources.etl.packets import LINKTYPE_ETHERNET, LINKTYPE_RAW, Packet, iter_file_packets
from nps_trace_analyzer.synth.etl import frames as F
from nps_trace_analyzer.synth.etl.capture import ndis_events
from nps_trace_analyzer.synth.etl.writer import EtlWriter, datetime_to_filetime

T0 = datetime_to_filetime(datetime(2025, 3, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)) + 7  # sub-µs part
TSHARK = shutil.which("tshark")


def _sample_packets():
    radius = F.udp_frame("10.0.0.1", "10.0.0.10", 50000, 1812, F.radius(1, 5, bytes(16), [(1, b"alice")]))
    dns = F.udp_frame("10.0.0.10", "10.0.0.53", 53000, 53, F.dns_query(9, "login.microsoftonline.com"))
    return [
        Packet(
            T0, radius, LINKTYPE_ETHERNET, len(radius), "ndis", "ndis:7/7", "in", miniport_if_index=7, lower_if_index=7
        ),
        Packet(T0 + 15, dns[14:], LINKTYPE_RAW, len(dns) - 14 + 100, "ndis", "ndis:9/9", "out", truncated=True),
        Packet(T0 + 30, radius, LINKTYPE_ETHERNET, len(radius), "ndis", "ndis:7/3", "in", first=False),
        Packet(T0 + 40, b"\x00" * 20, 0, 20, "pktmon", "pktmon:1:?"),  # unknown link type: skipped
    ]


def test_written_file_read_by_dpkt():
    dpkt = pytest.importorskip("dpkt", reason="dpkt (test-only reader) is not installed")
    buf = io.BytesIO()
    stats = write_pcapng(_sample_packets(), buf, all_sightings=True)
    assert (stats.written, stats.skipped, stats.interfaces) == (3, 1, ["ndis:7/7", "ndis:9/9", "ndis:7/3"])
    buf.seek(0)
    frames = list(dpkt.pcapng.Reader(buf))
    expected = [p for p in _sample_packets() if p.link_type]
    assert [bytes(data) for _ts, data in frames] == [p.data for p in expected]
    for (ts, _data), packet in zip(frames, expected, strict=True):
        assert abs(float(ts) - (packet.filetime - FILETIME_UNIX_EPOCH) / 1e7) < 1e-6


def test_first_sightings_only_by_default():
    buf = io.BytesIO()
    assert write_pcapng(_sample_packets(), buf).written == 2


def _tshark(path, *fields):
    out = subprocess.run(
        [TSHARK, "-r", str(path), "-T", "fields", *(x for f in fields for x in ("-e", f)), "-E", "separator=|"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return [line.split("|") for line in out.splitlines()]


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_tshark_reads_times_directions_lengths_and_radius(tmp_path):
    path = tmp_path / "s.pcapng"
    with open(path, "wb") as fh:
        write_pcapng(_sample_packets(), fh, all_sightings=True)
    rows = _tshark(
        path, "frame.time_epoch", "frame.len", "frame.cap_len", "frame.interface_id",
        "frame.packet_flags_direction", "frame.comment", "radius.User_Name", "dns.qry.name",
    )  # fmt: skip
    assert len(rows) == 3
    first, second, _third = rows
    assert first[0] == "1740823200.123456700" and second[0] == "1740823200.123458200"  # 100 ns kept
    sample = _sample_packets()
    assert (first[1], first[2]) == (str(len(sample[0].data)), str(len(sample[0].data)))
    assert (second[1], second[2]) == (str(sample[1].original_length), str(len(sample[1].data)))
    assert [r[3] for r in rows] == ["0", "1", "2"]
    assert [int(r[4], 0) for r in rows] == [1, 2, 1]  # inbound, outbound, inbound
    assert first[5] == packet_comment(sample[0])
    assert first[6] == "alice" and second[7] == "login.microsoftonline.com"


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
@pytest.mark.corpus
def test_tshark_reads_every_pktmon_sighting(tmp_path):
    etl = corpus_file("vpn_a9cce3bc_PktMon.etl")
    path = tmp_path / "vpn.pcapng"
    packets = list(iter_file_packets(str(etl)))
    with open(path, "wb") as fh:
        stats = write_pcapng(packets, fh, all_sightings=True)
    assert stats.written == len(packets) == 2705
    rows = _tshark(path, "frame.cap_len", "eth.src", "ip.src")
    assert len(rows) == 2705
    for row, packet in zip(rows, packets, strict=True):
        assert int(row[0]) == len(packet.data)
        if packet.link_type == LINKTYPE_ETHERNET:
            assert row[1] == ":".join(f"{b:02x}" for b in packet.data[6:12])


def test_cli_pcap_on_synthetic_trace(tmp_path):
    writer = EtlWriter(T0)
    frame = F.udp_frame("10.0.0.1", "10.0.0.10", 50000, 1812, F.radius(1, 5, bytes(16), [(1, b"bob"), (2, bytes(16))]))
    writer.extend(ndis_events(frame, T0, lower=7))
    writer.extend(ndis_events(frame, T0 + 40, lower=3))
    etl = tmp_path / "nettrace.etl"
    with open(etl, "wb") as fh:
        writer.write(fh)
    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["pcap", str(etl), "--summary"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "nettrace.pcapng").stat().st_size > 100
    assert "2 packet sightings, 1 distinct packets; wrote 1" in result.output
    assert "10.0.0.1:50000 -> 10.0.0.10:1812 id 5 Access-Request PAP user=bob: no answer" in result.output


def test_cli_pcap_on_garbage_fails_cleanly(tmp_path):
    bad = tmp_path / "bad.etl"
    bad.write_bytes(b"not an etl file" * 100)
    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["pcap", str(bad), "-o", str(tmp_path / "o.pcapng")])
    assert result.exit_code == 1 and "no events could be read" in result.output
    assert "Traceback" not in result.output
