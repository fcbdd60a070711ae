"""Captured packets inside ETL traces: NDIS-PacketCapture (netsh trace) and PktMon events to Packet records.

Two providers log frames:

* **Microsoft-Windows-NDIS-PacketCapture** ``{2ED6006E-4729-4609-B423-3EE7BCD678EF}`` (``netsh trace start
  capture=yes``, the bundle's nettrace.etl). Event 1001 = MiniportIfIndex u32, LowerIfIndex u32,
  FragmentSize u32, Fragment; event 1003 (Hyper-V switch) adds source port/NIC strings, destinations and
  out-of-band data around the fragment. The event *keywords* carry the rest: PacketStart/PacketEnd delimit
  a packet spread over several events, Send/Receive give the direction, WirelessWAN means the frame starts
  at the IP header and Native802.11 means an 802.11 frame; PacketTruncated means the snap length cut it.
  One frame is usually logged at several NDIS layers (a filter stack, a vSwitch and the NIC): the extra
  sightings are marked ``first=False`` so that decoding counts each packet once.
* **Microsoft-Windows-PktMon** ``{4D4F80D9-C8BD-4D73-BB5B-19C90402C5AC}`` event 160 (and 170 for drops):
  PktGroupId u64, PktNumber u16, AppearanceCount u16, DirTag u16, PacketType u16, ComponentId u16,
  EdgeId u16, FilterId u16, DropReason u32, DropLocation u32, OriginalPayloadSize u16,
  LoggedPayloadSize u16, Payload. Every component a packet crosses logs it again (AppearanceCount 1..n);
  (PktGroupId, PktNumber) identifies the packet, and its first Ethernet appearance is the ``first`` one.

Everything is streamed; the only state is a bounded map of recently seen packets for the de-duplication.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from nps_trace_analyzer.sources.etl.reader import EtlEvent, EtlStats, filetime_to_datetime, iter_events_sorted

NDIS_PACKET_CAPTURE: Final = uuid.UUID("2ed6006e-4729-4609-b423-3ee7bcd678ef")
PKTMON: Final = uuid.UUID("4d4f80d9-c8bd-4d73-bb5b-19c90402c5ac")

# NDIS-PacketCapture event ids and keyword bits (from its manifest).
NDIS_EVENT_FRAGMENT: Final = 1001
NDIS_EVENT_METADATA: Final = 1002
NDIS_EVENT_VMSWITCH_FRAGMENT: Final = 1003
KW_ETHERNET: Final = 0x1
KW_WIRELESS_WAN: Final = 0x200
KW_TUNNEL: Final = 0x8000
KW_NATIVE_802_11: Final = 0x10000
KW_VMSWITCH: Final = 0x1000000
KW_PACKET_TRUNCATED: Final = 0x2000000
KW_PACKET_START: Final = 0x40000000
KW_PACKET_END: Final = 0x80000000
KW_SEND: Final = 0x100000000
KW_RECEIVE: Final = 0x200000000

# PktMon.
PKTMON_EVENT_PACKET: Final = 160
PKTMON_EVENT_DROP: Final = 170
PKTMON_HEADER: Final = struct.Struct("<QHHHHHHHIIHH")
PKTMON_DIR_RX: Final = 3
PKTMON_DIR_TX: Final = 4
#: PktMon PacketType -> pcap link type. 1 Ethernet and 2 Wi-Fi (native 802.11) are seen in real captures;
#: 3 (mobile broadband) carries bare IP packets.
PKTMON_LINK_TYPES: Final[dict[int, int]] = {1: 1, 2: 105, 3: 101}
PKTMON_TYPE_NAMES: Final[dict[int, str]] = {1: "Ethernet", 2: "WiFi", 3: "MBB"}

# pcap link types used here.
LINKTYPE_ETHERNET: Final = 1
LINKTYPE_RAW: Final = 101
LINKTYPE_IEEE802_11: Final = 105

NDIS_FRAGMENT_HEADER: Final = struct.Struct("<III")

#: Sightings of one frame at several NDIS layers fall within this many 100 ns ticks (50 ms).
DUPLICATE_WINDOW_TICKS: Final = 500_000
#: Packets remembered for de-duplication (bounded memory).
DEDUP_MEMORY: Final = 65_536


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


@dataclass
class PacketStats:
    """Counts for the report: what was extracted and what could not be."""

    ndis_events: int = 0
    pktmon_events: int = 0
    packets: int = 0
    unique_packets: int = 0
    duplicates: int = 0
    incomplete: int = 0  # NDIS fragments that never reached PacketEnd, or continuations without a start
    malformed: int = 0
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        """Keep the first 100 warning texts."""
        if len(self.warnings) < 100:
            self.warnings.append(message)


def _read_utf16z(payload: bytes, pos: int) -> tuple[str, int]:
    """Read a NUL-terminated UTF-16LE string at ``pos``; return it and the offset after the terminator."""
    end = pos
    size = len(payload)
    while end + 1 < size:
        if payload[end] == 0 and payload[end + 1] == 0:
            return payload[pos:end].decode("utf-16-le", errors="replace"), end + 2
        end += 2
    raise ValueError("unterminated UTF-16 string")


def _ndis_fragment(event: EtlEvent) -> tuple[int, int, bytes]:
    """Return (MiniportIfIndex, LowerIfIndex, fragment bytes) of an NDIS 1001/1003 event."""
    payload = event.payload
    miniport, lower, third = NDIS_FRAGMENT_HEADER.unpack_from(payload, 0)
    if event.event_id == NDIS_EVENT_FRAGMENT:
        start = 12
        size = third
    else:  # 1003: SourcePortId (third), three strings, DestinationCount + 8-byte destinations, fragment
        pos = 12
        for _ in range(3):
            _text, pos = _read_utf16z(payload, pos)
        (count,) = struct.unpack_from("<I", payload, pos)
        pos += 4 + 8 * count
        (size,) = struct.unpack_from("<I", payload, pos)
        start = pos + 4
    if start + size > len(payload):
        raise ValueError(f"fragment of {size} bytes runs past the {len(payload)}-byte payload")
    return miniport, lower, payload[start : start + size]


def _ndis_link_type(keywords: int) -> int:
    if keywords & KW_WIRELESS_WAN:
        return LINKTYPE_RAW
    if keywords & KW_NATIVE_802_11:
        return LINKTYPE_IEEE802_11
    return LINKTYPE_ETHERNET


def ip_offset(data: bytes, link_type: int) -> int | None:
    """Offset of the IP header in a frame (Ethernet with up to two VLAN tags, or raw IP), else None."""
    if link_type == LINKTYPE_RAW:
        return 0 if data and data[0] >> 4 in (4, 6) else None
    if link_type != LINKTYPE_ETHERNET or len(data) < 14:
        return None
    pos = 12
    ethertype = int.from_bytes(data[pos : pos + 2], "big")
    tags = 0
    while ethertype in (0x8100, 0x88A8) and tags < 2 and len(data) >= pos + 6:
        pos += 4
        ethertype = int.from_bytes(data[pos : pos + 2], "big")
        tags += 1
    if ethertype in (0x0800, 0x86DD):
        return pos + 2
    return None


def _original_length(data: bytes, link_type: int) -> int:
    """Infer a truncated frame's wire length from its IPv4 Total Length / IPv6 Payload Length."""
    off = ip_offset(data, link_type)
    if off is None or len(data) < off + 8:
        return len(data)
    version = data[off] >> 4
    if version == 4 and len(data) >= off + 4:
        return max(len(data), off + int.from_bytes(data[off + 2 : off + 4], "big"))
    if version == 6 and len(data) >= off + 6:
        return max(len(data), off + 40 + int.from_bytes(data[off + 4 : off + 6], "big"))
    return len(data)


class _Dedup:
    """Remembers recent packets (bounded) to decide which sighting of a packet is the first one."""

    def __init__(self) -> None:
        self.seen: OrderedDict[object, tuple[int, str]] = OrderedDict()

    def remember(self, key: object, filetime: int, place: str) -> None:
        self.seen[key] = (filetime, place)
        self.seen.move_to_end(key)
        if len(self.seen) > DEDUP_MEMORY:
            self.seen.popitem(last=False)

    def get(self, key: object) -> tuple[int, str] | None:
        return self.seen.get(key)

    def is_repeat(self, key: object, filetime: int, place: str) -> bool:
        """True if the same frame was seen at another capture point within the duplicate window.

        The same bytes at the *same* point (or later than the window) is a new packet: a retransmission.
        """
        prior = self.seen.get(key)
        if prior is not None and 0 <= filetime - prior[0] <= DUPLICATE_WINDOW_TICKS and prior[1] != place:
            return True
        self.remember(key, filetime, place)
        return False


def _frame_key(data: bytes, link_type: int) -> bytes:
    """Identity of a frame across NDIS layers: a digest of its IP packet (or whole frame if not IP)."""
    off = ip_offset(data, link_type)
    body = data[off:] if off is not None else data
    return hashlib.blake2b(body, digest_size=16).digest()


class PacketExtractor:
    """Turns a stream of ETL events (ideally time-sorted) into Packet records, assembling NDIS fragments."""

    def __init__(self, stats: PacketStats | None = None) -> None:
        self.stats = stats if stats is not None else PacketStats()
        self._pending: dict[tuple[int, int, int], list[tuple[EtlEvent, bytes]]] = {}
        self._ndis_seen = _Dedup()
        self._pktmon_seen = _Dedup()

    def feed(self, event: EtlEvent) -> Iterator[Packet]:
        """Yield the packets completed by ``event`` (none for events of other providers)."""
        provider = event.provider
        if provider == NDIS_PACKET_CAPTURE:
            if event.event_id in (NDIS_EVENT_FRAGMENT, NDIS_EVENT_VMSWITCH_FRAGMENT):
                self.stats.ndis_events += 1
                yield from self._ndis(event)
        elif provider == PKTMON and event.event_id in (PKTMON_EVENT_PACKET, PKTMON_EVENT_DROP):
            self.stats.pktmon_events += 1
            packet = self._pktmon(event)
            if packet is not None:
                yield packet

    def finish(self) -> Iterator[Packet]:
        """Flush NDIS packets whose PacketEnd never came (counted as incomplete, still yielded)."""
        for key in list(self._pending):
            parts = self._pending.pop(key)
            self.stats.incomplete += 1
            self.stats.warn(f"NDIS packet on interface {key[1]}/{key[2]} ended without PacketEnd")
            yield self._assemble(parts, complete=False)

    def _ndis(self, event: EtlEvent) -> Iterator[Packet]:
        try:
            miniport, lower, fragment = _ndis_fragment(event)
        except (struct.error, ValueError) as exc:
            self.stats.malformed += 1
            self.stats.warn(f"NDIS event {event.event_id} at {event.timestamp.isoformat()}: {exc}")
            return
        kw = event.keywords
        key = (event.processor, miniport, lower)
        start = bool(kw & KW_PACKET_START)
        end = bool(kw & KW_PACKET_END)
        pending = self._pending.get(key)
        if start or (not end and pending is None and not kw & (KW_PACKET_START | KW_PACKET_END)):
            if pending is not None:
                self.stats.incomplete += 1
                self.stats.warn(f"NDIS packet on interface {miniport}/{lower} restarted before PacketEnd")
                yield self._assemble(self._pending.pop(key), complete=False)
            if end or not kw & (KW_PACKET_START | KW_PACKET_END):
                yield self._assemble([(event, fragment)], complete=True)
            else:
                self._pending[key] = [(event, fragment)]
            return
        if pending is None:
            self.stats.incomplete += 1
            self.stats.warn(f"NDIS fragment on interface {miniport}/{lower} without PacketStart; dropped")
            return
        pending.append((event, fragment))
        if end:
            yield self._assemble(self._pending.pop(key), complete=True)

    def _assemble(self, parts: list[tuple[EtlEvent, bytes]], *, complete: bool) -> Packet:
        first_event = parts[0][0]
        data = b"".join(fragment for _e, fragment in parts)
        kw = 0
        for ev, _f in parts:
            kw |= ev.keywords
        miniport, lower, _frag = NDIS_FRAGMENT_HEADER.unpack_from(first_event.payload, 0)
        link = _ndis_link_type(kw)
        truncated = bool(kw & KW_PACKET_TRUNCATED) or not complete
        original = _original_length(data, link) if truncated else len(data)
        direction = "out" if kw & KW_SEND else "in" if kw & KW_RECEIVE else None
        interface = f"ndis:{miniport}/{lower}"
        ftime = first_event.filetime
        first = not self._ndis_seen.is_repeat(_frame_key(data, link), ftime, interface)
        if first:
            self.stats.unique_packets += 1
        else:
            self.stats.duplicates += 1
        self.stats.packets += 1
        return Packet(
            filetime=ftime,
            data=data,
            link_type=link,
            original_length=original,
            source="ndis",
            interface=interface,
            direction=direction,
            first=first,
            truncated=truncated,
            process_id=first_event.process_id,
            thread_id=first_event.thread_id,
            processor=first_event.processor,
            miniport_if_index=miniport,
            lower_if_index=lower,
            keywords=kw,
            fragments=len(parts),
        )

    def _pktmon(self, event: EtlEvent) -> Packet | None:
        payload = event.payload
        if len(payload) < PKTMON_HEADER.size:
            self.stats.malformed += 1
            self.stats.warn(f"PktMon event {event.event_id}: payload of {len(payload)} bytes is too short")
            return None
        (
            group,
            number,
            appearance,
            dir_tag,
            ptype,
            component,
            edge,
            filt,
            drop_reason,
            drop_location,
            original,
            logged,
        ) = PKTMON_HEADER.unpack_from(payload, 0)
        body = payload[PKTMON_HEADER.size : PKTMON_HEADER.size + logged]
        if len(body) < logged:
            self.stats.malformed += 1
            self.stats.warn(f"PktMon packet {group}/{number}: {logged} bytes logged, {len(body)} present")
        link = PKTMON_LINK_TYPES.get(ptype, 0)
        first = self._pktmon_first(group, number, appearance, link, body, event.filetime, component, edge)
        if first:
            self.stats.unique_packets += 1
        else:
            self.stats.duplicates += 1
        self.stats.packets += 1
        direction = "in" if dir_tag == PKTMON_DIR_RX else "out" if dir_tag == PKTMON_DIR_TX else None
        return Packet(
            filetime=event.filetime,
            data=body,
            link_type=link,
            original_length=max(original, len(body)),
            source="pktmon",
            interface=f"pktmon:{component}:{PKTMON_TYPE_NAMES.get(ptype, ptype)}",
            direction=direction,
            first=first,
            truncated=len(body) < original,
            process_id=event.process_id,
            thread_id=event.thread_id,
            processor=event.processor,
            keywords=event.keywords,
            pkt_group_id=group,
            pkt_number=number,
            appearance=appearance,
            dir_tag=dir_tag,
            packet_type=ptype,
            component_id=component,
            edge_id=edge,
            filter_id=filt,
            drop_reason=drop_reason,
            drop_location=drop_location,
            dropped=event.event_id == PKTMON_EVENT_DROP,
        )

    def _pktmon_first(
        self,
        group: int,
        number: int,
        appearance: int,
        link: int,
        body: bytes,
        filetime: int,
        component: int,
        edge: int,
    ) -> bool:
        """Is this PktMon sighting the first of its packet that carries IP (or a plain Ethernet frame)?

        Windows 10 numbers every appearance of one packet (AppearanceCount 1..n under one PktGroupId);
        Windows 11 24H2 logs AppearanceCount 0 with a new PktGroupId per appearance, so identical bytes
        at another component/edge within the duplicate window are taken as the same packet too.
        802.11 sightings are never ``first``: the Ethernet or IP sighting of the same packet is.
        """
        if link not in (LINKTYPE_ETHERNET, LINKTYPE_RAW):
            return False
        if appearance:
            gkey = ("group", group, number)
            if self._pktmon_seen.get(gkey) is not None:
                return False
            self._pktmon_seen.remember(gkey, filetime, "")
        return not self._pktmon_seen.is_repeat(_frame_key(body, link), filetime, f"{component}/{edge}")


def iter_packets(events: Iterable[EtlEvent], stats: PacketStats | None = None) -> Iterator[Packet]:
    """Stream the packets carried by ``events`` (pass :func:`iter_events_sorted` for time order)."""
    extractor = PacketExtractor(stats)
    for event in events:
        yield from extractor.feed(event)
    yield from extractor.finish()


def iter_file_packets(
    path: str, etl_stats: EtlStats | None = None, stats: PacketStats | None = None
) -> Iterator[Packet]:
    """Stream the packets of an .etl file in time order."""
    yield from iter_packets(iter_events_sorted(path, etl_stats), stats)
