"""Link, IP and transport headers of captured frames, enough to find RADIUS, DNS, TCP and TLS in them.

Written by hand rather than with dpkt/scapy because only a few header fields are needed, captured frames
may be truncated or odd, and nothing here may raise on bad bytes: :func:`decode_frame` returns None for
anything it cannot follow. IPv4 fragments (large EAP-TLS RADIUS messages exceed the MTU) are put back
together by :class:`Ipv4Reassembler`, which keeps a bounded number of partial datagrams.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

LINKTYPE_ETHERNET: Final = 1
LINKTYPE_RAW: Final = 101
LINKTYPE_IPV4: Final = 228
LINKTYPE_IPV6: Final = 229

PROTO_TCP: Final = 6
PROTO_UDP: Final = 17

TCP_FIN: Final = 0x01
TCP_SYN: Final = 0x02
TCP_RST: Final = 0x04
TCP_PSH: Final = 0x08
TCP_ACK: Final = 0x10

_IPV6_EXTENSIONS: Final = {0, 43, 60, 51}  # hop-by-hop, routing, destination options, AH
_IPV6_FRAGMENT: Final = 44


@dataclass(frozen=True, slots=True)
class Datagram:
    """An IP datagram's addressing plus its transport header fields and payload."""

    src: str
    dst: str
    proto: int
    sport: int = 0
    dport: int = 0
    payload: bytes = b""
    ip_id: int = 0
    ttl: int = 0
    tcp_flags: int = 0
    seq: int = 0
    ack: int = 0
    fragment: tuple[int, int, bool] | None = None  # (ip id, offset in bytes, more fragments) if a fragment

    @property
    def is_tcp(self) -> bool:
        """True for TCP segments."""
        return self.proto == PROTO_TCP

    @property
    def is_udp(self) -> bool:
        """True for UDP datagrams."""
        return self.proto == PROTO_UDP


def _ip_offset(data: bytes, link_type: int) -> int | None:
    if link_type in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        return 0
    if link_type != LINKTYPE_ETHERNET or len(data) < 14:
        return None
    pos = 12
    ethertype = int.from_bytes(data[12:14], "big")
    tags = 0
    while ethertype in (0x8100, 0x88A8) and tags < 2 and len(data) >= pos + 6:
        pos += 4
        ethertype = int.from_bytes(data[pos : pos + 2], "big")
        tags += 1
    return pos + 2 if ethertype in (0x0800, 0x86DD) else None


def _transport(proto: int, body: bytes, src: str, dst: str, ip_id: int = 0, ttl: int = 0) -> Datagram | None:
    if proto == PROTO_UDP:
        if len(body) < 8:
            return None
        length = int.from_bytes(body[4:6], "big")
        end = length if 8 <= length <= len(body) else len(body)
        return Datagram(
            src,
            dst,
            proto,
            sport=int.from_bytes(body[0:2], "big"),
            dport=int.from_bytes(body[2:4], "big"),
            payload=body[8:end],
            ip_id=ip_id,
            ttl=ttl,
        )
    if proto == PROTO_TCP:
        if len(body) < 20:
            return None
        offset = (body[12] >> 4) * 4
        if offset < 20:
            return None
        return Datagram(
            src,
            dst,
            proto,
            sport=int.from_bytes(body[0:2], "big"),
            dport=int.from_bytes(body[2:4], "big"),
            seq=int.from_bytes(body[4:8], "big"),
            ack=int.from_bytes(body[8:12], "big"),
            tcp_flags=body[13],
            payload=body[offset:],
            ip_id=ip_id,
            ttl=ttl,
        )
    return Datagram(src, dst, proto, payload=body, ip_id=ip_id, ttl=ttl)


def decode_ip(packet: bytes) -> Datagram | None:
    """Decode an IPv4/IPv6 packet (a fragment comes back with ``fragment`` set and its raw payload)."""
    if not packet:
        return None
    version = packet[0] >> 4
    if version == 4:
        ihl = (packet[0] & 0x0F) * 4
        if ihl < 20 or len(packet) < ihl:
            return None
        total = int.from_bytes(packet[2:4], "big")
        end = total if ihl <= total <= len(packet) else len(packet)
        ip_id = int.from_bytes(packet[4:6], "big")
        frag = int.from_bytes(packet[6:8], "big")
        more = bool(frag & 0x2000)
        offset = (frag & 0x1FFF) * 8
        proto = packet[9]
        src = str(ipaddress.IPv4Address(packet[12:16]))
        dst = str(ipaddress.IPv4Address(packet[16:20]))
        body = packet[ihl:end]
        if more or offset:
            return Datagram(src, dst, proto, payload=body, ip_id=ip_id, ttl=packet[8], fragment=(ip_id, offset, more))
        return _transport(proto, body, src, dst, ip_id, packet[8])
    if version == 6:
        if len(packet) < 40:
            return None
        plen = int.from_bytes(packet[4:6], "big")
        end = min(len(packet), 40 + plen) if plen else len(packet)
        proto = packet[6]
        src = str(ipaddress.IPv6Address(packet[8:24]))
        dst = str(ipaddress.IPv6Address(packet[24:40]))
        pos = 40
        hops = 0
        while proto in _IPV6_EXTENSIONS and pos + 8 <= end and hops < 8:
            nxt = packet[pos]
            length = (packet[pos + 1] + 2) * 4 if proto == 51 else (packet[pos + 1] + 1) * 8
            proto, pos, hops = nxt, pos + length, hops + 1
        if proto == _IPV6_FRAGMENT:
            return None  # IPv6 fragments are rare for RADIUS/DNS; not reassembled
        if pos > end:
            return None
        return _transport(proto, packet[pos:end], src, dst, 0, packet[7])
    return None


def decode_frame(data: bytes, link_type: int) -> Datagram | None:
    """Decode a captured frame down to its transport payload; None if it carries no IP we can read."""
    off = _ip_offset(data, link_type)
    if off is None:
        return None
    try:
        return decode_ip(data[off:])
    except (ValueError, IndexError):
        return None


class Ipv4Reassembler:
    """Collect IPv4 fragments until a datagram is complete (bounded: oldest partial datagrams are dropped)."""

    def __init__(self, max_pending: int = 1024, max_size: int = 65_535) -> None:
        self.max_pending = max_pending
        self.max_size = max_size
        self._pending: OrderedDict[tuple[str, str, int, int], dict[int, tuple[bytes, bool]]] = OrderedDict()
        self.dropped = 0

    def feed(self, dgram: Datagram) -> Datagram | None:
        """Return the whole datagram once its last missing fragment arrives, else None."""
        if dgram.fragment is None:
            return dgram
        ip_id, offset, more = dgram.fragment
        key = (dgram.src, dgram.dst, dgram.proto, ip_id)
        parts = self._pending.get(key)
        if parts is None:
            parts = {}
            self._pending[key] = parts
            if len(self._pending) > self.max_pending:
                self._pending.popitem(last=False)
                self.dropped += 1
        parts[offset] = (dgram.payload, more)
        # complete when contiguous from 0 to a fragment without "more"
        pos = 0
        chunks = []
        while pos in parts:
            chunk, has_more = parts[pos]
            chunks.append(chunk)
            if not chunk and has_more:
                return None
            pos += len(chunk)
            if not has_more:
                del self._pending[key]
                body = b"".join(chunks)
                if len(body) > self.max_size:
                    self.dropped += 1
                    return None
                return _transport(dgram.proto, body, dgram.src, dgram.dst, ip_id, dgram.ttl)
        return None
