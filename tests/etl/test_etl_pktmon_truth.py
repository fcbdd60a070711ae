"""Ground truth: two public PktMon captures come with ``pktmon format`` text dumps of the very same files.

Every PktMon event must be found, and every packet event (160) must match its text line field by field:
processor, process/thread id, PktGroupId, PktNumber, Appearance, direction, type, component, edge, filter,
sizes, the Ethernet source/destination MACs, and the time to 100 ns (the dump shows local time; the offset
is taken from the logfile header line, whose time is the session start).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

import pytest
from etl_corpus import corpus_file

from nps_trace_analyzer.sources.etl import EtlStats, iter_events, read_logfile_header
from nps_trace_analyzer.sources.etl.packets import PKTMON, PKTMON_TYPE_NAMES, PacketStats, iter_file_packets

LINE = re.compile(
    r"^\[(?P<cpu>\d+)\](?P<pid>[0-9A-F]+)\.(?P<tid>[0-9A-F]+)::(?P<date>\S+) (?P<time>\S+) \[(?P<provider>[^\]]+)\] "
    r"(?P<rest>.*)$"
)
PACKET = re.compile(
    r"PktGroupId (?P<group>\d+), PktNumber (?P<number>\d+), Appearance (?P<appearance>\d+), "
    r"Direction (?P<dir>\w+) , Type (?P<type>\w+) , Component (?P<component>\d+), Edge (?P<edge>\d+), "
    r"Filter (?P<filter>\d+), OriginalSize (?P<original>\d+), LoggedSize (?P<logged>\d+)"
)
MACS = re.compile(r"^\t(?P<src>[0-9A-F]{2}(?:-[0-9A-F]{2}){5}) > (?P<dst>[0-9A-F]{2}(?:-[0-9A-F]{2}){5}),")

CASES = [("vpn_a9cce3bc", 3651, 2705), ("vpn_7119f517", 4514, 3646)]


def _ticks(date: str, clock: str) -> int:
    """Local 'YYYY-MM-DD HH:MM:SS.fffffffff' to 100 ns ticks since 1601 (still local)."""
    whole, frac = clock.split(".")
    base = datetime.fromisoformat(f"{date} {whole}") - datetime(1601, 1, 1)
    return (base.days * 86_400 + base.seconds) * 10_000_000 + int(frac[:7].ljust(7, "0"))


def _parse_dump(path):
    """Return (first line fields, PktMon event count, packet rows with their MAC line)."""
    header = None
    pktmon_events = 0
    rows = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        match = LINE.match(line)
        if not match:
            continue
        if header is None:
            header = match
        if match["provider"] != "Microsoft-Windows-PktMon":
            continue
        pktmon_events += 1
        packet = PACKET.match(match["rest"])
        if packet:
            macs = MACS.match(lines[index + 1]) if index + 1 < len(lines) else None
            rows.append((match, packet, macs))
    return header, pktmon_events, rows


def _mac(raw: bytes) -> str:
    return "-".join(f"{b:02X}" for b in raw)


@pytest.mark.corpus
@pytest.mark.parametrize(("base", "events_expected", "packets_expected"), CASES)
def test_pktmon_packets_match_text_dump(base, events_expected, packets_expected):
    etl = corpus_file(f"{base}_PktMon.etl")
    dump = corpus_file(f"{base}_PktMon.format.txt")
    header_line, dump_events, rows = _parse_dump(dump)
    assert (dump_events, len(rows)) == (events_expected, packets_expected)  # the dump itself

    stats = EtlStats()
    ours_events = sum(1 for e in iter_events(etl, stats) if e.provider == PKTMON)
    assert ours_events == events_expected
    assert stats.skipped == 0

    header = read_logfile_header(etl)
    local_offset = _ticks(header_line["date"], header_line["time"]) - header.start_time
    assert local_offset == -header.timezone_bias_minutes * 600_000_000  # the dump's zone is the header's

    pstats = PacketStats()
    packets = list(iter_file_packets(str(etl), stats=pstats))
    assert len(packets) == packets_expected == pstats.packets
    by_key = {(p.pkt_group_id, p.pkt_number, p.appearance): p for p in packets}
    assert len(by_key) == len(packets)

    checked_macs = 0
    for line, row, macs in rows:
        key = (int(row["group"]), int(row["number"]), int(row["appearance"]))
        p = by_key.pop(key)
        assert p.filetime + local_offset == _ticks(line["date"], line["time"])
        assert (p.processor, p.process_id, p.thread_id) == (
            int(line["cpu"]),
            int(line["pid"], 16),
            int(line["tid"], 16),
        )
        assert p.direction == {"Rx": "in", "Tx": "out"}[row["dir"]]
        assert PKTMON_TYPE_NAMES[p.packet_type] == row["type"]
        assert (p.component_id, p.edge_id, p.filter_id) == (
            int(row["component"]),
            int(row["edge"]),
            int(row["filter"]),
        )
        assert (p.original_length, len(p.data)) == (int(row["original"]), int(row["logged"]))
        if row["type"] == "Ethernet" and macs:
            assert (_mac(p.data[6:12]), _mac(p.data[0:6])) == (macs["src"], macs["dst"])
            checked_macs += 1
    assert by_key == {}
    assert checked_macs > 1000


@pytest.mark.corpus
@pytest.mark.parametrize(("base", "unique"), [("vpn_a9cce3bc", 260), ("vpn_7119f517", 345)])
def test_each_pktmon_packet_counted_once(base, unique):
    """One ``first`` sighting per (PktGroupId, PktNumber): the count of distinct packets in the dump."""
    etl = corpus_file(f"{base}_PktMon.etl")
    _h, _n, rows = _parse_dump(corpus_file(f"{base}_PktMon.format.txt"))
    distinct = {(r["group"], r["number"]) for _l, r, _m in rows}
    packets = list(iter_file_packets(str(etl)))
    firsts = Counter((p.pkt_group_id, p.pkt_number) for p in packets if p.first)
    assert len(distinct) == unique == len(firsts)
    assert set(firsts.values()) == {1}
    assert all(p.packet_type == 1 for p in packets if p.first)


def test_time_parser_keeps_100ns():
    assert _ticks("1601-01-01", "00:00:01.000000100") == 10_000_001
    assert _ticks("1601-01-02", "00:00:00.5") - _ticks("1601-01-01", "00:00:00.0") == (86_400 * 10 + 5) * 1_000_000
