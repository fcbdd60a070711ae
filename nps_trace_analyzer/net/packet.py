"""One captured frame with the metadata its capture provider logged: what the capture decoders consume.

It lives in ``net`` (a shared lower layer) rather than beside the ETL packet extractor that builds it, so the
capture analysis (:mod:`nps_trace_analyzer.net.capture_summary`) depends on the record, not on the reader
stage. :mod:`nps_trace_analyzer.sources.etl.packets` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nps_trace_analyzer.wintime import filetime_to_datetime


@dataclass(frozen=True, slots=True)
class Packet:
    """One captured frame as a provider logged it, with the metadata that provider gives.

    ``data`` starts at the link layer named by ``link_type`` (pcap LINKTYPE_*: 1 Ethernet, 101 raw IP,
    105 802.11). ``first`` is False for another sighting of a packet already yielded (another NDIS layer,
    another PktMon component), so decoders can count every packet once while pcapng keeps every sighting.
    """

    filetime: int
    data: bytes
    link_type: int
    original_length: int
    source: str  # "ndis" or "pktmon"
    interface: str  # stable label of the capture point, used for pcapng interfaces
    direction: str | None = None  # "in", "out" or None
    first: bool = True
    truncated: bool = False
    process_id: int | None = None
    thread_id: int | None = None
    processor: int = 0
    # NDIS-PacketCapture
    miniport_if_index: int | None = None
    lower_if_index: int | None = None
    keywords: int = 0
    fragments: int = 1
    # PktMon
    pkt_group_id: int | None = None
    pkt_number: int | None = None
    appearance: int | None = None
    dir_tag: int | None = None
    packet_type: int | None = None
    component_id: int | None = None
    edge_id: int | None = None
    filter_id: int | None = None
    drop_reason: int | None = None
    drop_location: int | None = None
    dropped: bool = False

    @property
    def time(self) -> datetime:
        """Capture time as an aware UTC datetime (microseconds; ``filetime`` keeps 100 ns)."""
        return filetime_to_datetime(self.filetime)
