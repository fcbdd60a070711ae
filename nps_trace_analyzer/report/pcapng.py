"""A small streaming pcapng writer for packets pulled out of ETL traces (read by Wireshark/tshark).

pcapng rather than classic pcap because a trace mixes link types (Ethernet, raw IP, 802.11) and capture
points, and because it can carry the direction (``epb_flags``) and per-packet comments (PktMon component
and edge, NDIS interface indexes). Timestamps keep the ETW 100 ns resolution (``if_tsresol`` = 7).
One Interface Description Block is written per (capture point, link type) the first time it is used;
pcapng allows IDBs anywhere in a section, so nothing needs to be buffered.

Block layouts follow the pcapng specification (IETF draft-ietf-opsawg-pcapng): Section Header Block
0x0A0D0D0A, Interface Description Block 1, Enhanced Packet Block 6, options as code/length/value padded to
32 bits and closed by opt_endofopt.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO, Final

from nps_trace_analyzer.sources.etl.layout import FILETIME_UNIX_EPOCH
from nps_trace_analyzer.sources.etl.packets import Packet

BLOCK_SHB: Final = 0x0A0D0D0A
BLOCK_IDB: Final = 0x00000001
BLOCK_EPB: Final = 0x00000006
BYTE_ORDER_MAGIC: Final = 0x1A2B3C4D

OPT_ENDOFOPT: Final = 0
OPT_COMMENT: Final = 1
SHB_USERAPPL: Final = 4
IF_NAME: Final = 2
IF_DESCRIPTION: Final = 3
IF_TSRESOL: Final = 9
EPB_FLAGS: Final = 2
EPB_FLAG_INBOUND: Final = 0x1
EPB_FLAG_OUTBOUND: Final = 0x2

SNAPLEN: Final = 262_144


def _option(code: int, value: bytes) -> bytes:
    pad = (-len(value)) % 4
    return struct.pack("<HH", code, len(value)) + value + b"\x00" * pad


def _block(block_type: int, body: bytes) -> bytes:
    total = 12 + len(body)
    return struct.pack("<II", block_type, total) + body + struct.pack("<I", total)


@dataclass
class PcapngStats:
    """What the writer did: packets written, skipped (no usable link type) and interfaces declared."""

    written: int = 0
    skipped: int = 0
    interfaces: list[str] = field(default_factory=list)


class PcapngWriter:
    """Write packets to an open binary file as one pcapng section."""

    def __init__(self, fh: BinaryIO, application: str = "nps-trace-analyzer", *, comments: bool = True) -> None:
        self.fh = fh
        self.comments = comments
        self.stats = PcapngStats()
        self._interfaces: dict[tuple[str, int], int] = {}
        body = struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1)
        body += _option(SHB_USERAPPL, application.encode("utf-8")) + _option(OPT_ENDOFOPT, b"")
        fh.write(_block(BLOCK_SHB, body))

    def _interface(self, packet: Packet) -> int:
        key = (packet.interface, packet.link_type)
        index = self._interfaces.get(key)
        if index is None:
            index = len(self._interfaces)
            self._interfaces[key] = index
            body = struct.pack("<HHI", packet.link_type, 0, SNAPLEN)
            body += _option(IF_NAME, packet.interface.encode("utf-8"))
            body += _option(IF_DESCRIPTION, _describe_interface(packet).encode("utf-8"))
            body += _option(IF_TSRESOL, b"\x07")  # 10^-7 s: ETW's 100 ns ticks
            body += _option(OPT_ENDOFOPT, b"")
            self.fh.write(_block(BLOCK_IDB, body))
            self.stats.interfaces.append(packet.interface)
        return index

    def write(self, packet: Packet) -> bool:
        """Append one packet; False (and counted as skipped) when its link type is unknown."""
        if packet.link_type <= 0:
            self.stats.skipped += 1
            return False
        index = self._interface(packet)
        ticks = max(0, packet.filetime - FILETIME_UNIX_EPOCH)
        data = packet.data[:SNAPLEN]
        body = struct.pack(
            "<IIIII",
            index,
            (ticks >> 32) & 0xFFFFFFFF,
            ticks & 0xFFFFFFFF,
            len(data),
            max(packet.original_length, len(data)),
        )
        body += data + b"\x00" * ((-len(data)) % 4)
        options = b""
        if packet.direction == "in":
            options += _option(EPB_FLAGS, struct.pack("<I", EPB_FLAG_INBOUND))
        elif packet.direction == "out":
            options += _option(EPB_FLAGS, struct.pack("<I", EPB_FLAG_OUTBOUND))
        if self.comments:
            options += _option(OPT_COMMENT, packet_comment(packet).encode("utf-8"))
        if options:
            body += options + _option(OPT_ENDOFOPT, b"")
        self.fh.write(_block(BLOCK_EPB, body))
        self.stats.written += 1
        return True


def _describe_interface(packet: Packet) -> str:
    if packet.source == "pktmon":
        return f"PktMon component {packet.component_id} ({packet.interface.rsplit(':', 1)[-1]})"
    return f"NDIS MiniportIfIndex {packet.miniport_if_index}, LowerIfIndex {packet.lower_if_index}"


def packet_comment(packet: Packet) -> str:
    """The provider metadata of one packet as a short text (shown as frame comment in Wireshark)."""
    if packet.source == "pktmon":
        text = (
            f"PktMon PktGroupId {packet.pkt_group_id} PktNumber {packet.pkt_number} "
            f"Appearance {packet.appearance} Component {packet.component_id} Edge {packet.edge_id} "
            f"Filter {packet.filter_id}"
        )
        if packet.dropped:
            text += f" DROPPED reason {packet.drop_reason} location {packet.drop_location:#x}"
        return text
    text = f"NDIS MiniportIfIndex {packet.miniport_if_index} LowerIfIndex {packet.lower_if_index}"
    if packet.fragments > 1:
        text += f" ({packet.fragments} fragments)"
    if packet.truncated:
        text += " truncated"
    return text


def write_pcapng(
    packets: Iterable[Packet], fh: BinaryIO, *, all_sightings: bool = False, comments: bool = True
) -> PcapngStats:
    """Write ``packets`` to ``fh``; by default only each packet's first sighting (see Packet.first)."""
    writer = PcapngWriter(fh, comments=comments)
    for packet in packets:
        if all_sightings or packet.first:
            writer.write(packet)
    return writer.stats
