"""Builders for packet-capture events, the inverse of :mod:`nps_trace_analyzer.sources.etl.packets`.

``ndis_events`` splits one frame into NDIS-PacketCapture 1001 events the way ``netsh trace capture=yes``
logs them (PacketStart on the first fragment, PacketEnd on the last, Send/Receive and media keywords);
``pktmon_event`` builds one PktMon 160 appearance. Payload layouts come from the providers' manifests.
"""

from __future__ import annotations

import struct

from nps_trace_analyzer.sources.etl.packets import (
    KW_ETHERNET,
    KW_NATIVE_802_11,
    KW_PACKET_END,
    KW_PACKET_START,
    KW_PACKET_TRUNCATED,
    KW_RECEIVE,
    KW_SEND,
    KW_WIRELESS_WAN,
    LINKTYPE_IEEE802_11,
    LINKTYPE_RAW,
    NDIS_EVENT_FRAGMENT,
    NDIS_PACKET_CAPTURE,
    PKTMON,
    PKTMON_DIR_RX,
    PKTMON_DIR_TX,
    PKTMON_EVENT_PACKET,
    PKTMON_HEADER,
)
from nps_trace_analyzer.synth.etl.writer import EtlEventSpec


def ndis_events(
    frame: bytes,
    filetime: int,
    *,
    miniport: int = 7,
    lower: int = 7,
    direction: str = "in",
    link_type: int = 1,
    fragment_size: int | None = None,
    truncated: bool = False,
    processor: int = 0,
    gft_fields: bool = True,
) -> list[EtlEventSpec]:
    """One frame as NDIS-PacketCapture 1001 events (several when ``fragment_size`` splits it)."""
    media = {LINKTYPE_RAW: KW_WIRELESS_WAN, LINKTYPE_IEEE802_11: KW_NATIVE_802_11}.get(link_type, KW_ETHERNET)
    base = media | (KW_SEND if direction == "out" else KW_RECEIVE)
    if truncated:
        base |= KW_PACKET_TRUNCATED
    step = fragment_size or max(1, len(frame))
    pieces = [frame[i : i + step] for i in range(0, len(frame), step)] or [b""]
    events = []
    for index, piece in enumerate(pieces):
        kw = base
        if index == 0:
            kw |= KW_PACKET_START
        if index == len(pieces) - 1:
            kw |= KW_PACKET_END
        payload = struct.pack("<III", miniport, lower, len(piece)) + piece
        if gft_fields:  # newer Windows appends GftFlowEntryId and GftOffloadInformation
            payload += struct.pack("<QQ", 0, 0)
        events.append(
            EtlEventSpec(
                provider=NDIS_PACKET_CAPTURE,
                event_id=NDIS_EVENT_FRAGMENT,
                filetime=filetime + index,
                payload=payload,
                keywords=kw,
                processor=processor,
            )
        )
    return events


def pktmon_event(
    frame: bytes,
    filetime: int,
    *,
    group: int,
    number: int = 1,
    appearance: int = 1,
    direction: str = "in",
    packet_type: int = 1,
    component: int = 10,
    edge: int = 1,
    original_size: int | None = None,
    processor: int = 0,
) -> EtlEventSpec:
    """One PktMon 160 event (one appearance of a packet at one component edge)."""
    dir_tag = PKTMON_DIR_TX if direction == "out" else PKTMON_DIR_RX
    header = PKTMON_HEADER.pack(
        group, number, appearance, dir_tag, packet_type, component, edge, 0, 0, 0,
        original_size if original_size is not None else len(frame), len(frame),
    )  # fmt: skip
    return EtlEventSpec(
        provider=PKTMON, event_id=PKTMON_EVENT_PACKET, filetime=filetime, payload=header + frame, processor=processor
    )
