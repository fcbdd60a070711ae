"""Builders for the frames a synthetic capture carries: Ethernet/IPv4/IPv6 with UDP or TCP, RADIUS, DNS, TLS.

The inverse of :mod:`nps_trace_analyzer.net`, kept apart from it (and built from the RFC layouts, not from
the decoders) so tests compare two independent implementations. Checksums are computed so Wireshark shows
no errors.
"""

from __future__ import annotations

import ipaddress
import struct

ETH_SRC = bytes.fromhex("00155d010203")
ETH_DST = bytes.fromhex("00155d0a0b0c")


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _pseudo(src: str, dst: str, proto: int, length: int) -> bytes:
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if s.version == 4:
        return s.packed + d.packed + struct.pack("!BBH", 0, proto, length)
    return s.packed + d.packed + struct.pack("!IxxxB", length, proto)


def udp(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    """A UDP header plus payload, with the checksum over the pseudo-header."""
    header = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    csum = _checksum(_pseudo(src, dst, 17, 8 + len(payload)) + header + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), csum) + payload


def tcp(
    src: str, dst: str, sport: int, dport: int, flags: int, payload: bytes = b"", seq: int = 1000, ack: int = 0
) -> bytes:
    """A 20-byte TCP header plus payload (flags: 0x02 SYN, 0x12 SYN-ACK, 0x04 RST, 0x18 PSH-ACK...)."""
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64_240, 0, 0)
    csum = _checksum(_pseudo(src, dst, 6, len(header) + len(payload)) + header + payload)
    return header[:16] + struct.pack("!H", csum) + header[18:] + payload


def ip_packet(src: str, dst: str, proto: int, transport: bytes, ip_id: int = 1, ttl: int = 128) -> bytes:
    """An IPv4 or IPv6 packet around a transport segment (version from the address)."""
    if ipaddress.ip_address(src).version == 6:
        return (
            struct.pack("!IHBB", 6 << 28, len(transport), proto, ttl)
            + ipaddress.IPv6Address(src).packed
            + ipaddress.IPv6Address(dst).packed
            + transport
        )
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(transport), ip_id, 0, ttl, proto, 0,
        ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed,
    )  # fmt: skip
    return header[:10] + struct.pack("!H", _checksum(header)) + header[12:] + transport


def ipv4_fragments(packet: bytes, mtu: int = 1500) -> list[bytes]:
    """Split an IPv4 packet into fragments that fit ``mtu`` (payload pieces are multiples of 8 bytes)."""
    header, body = packet[:20], packet[20:]
    step = ((mtu - 20) // 8) * 8
    out = []
    for offset in range(0, len(body), step):
        piece = body[offset : offset + step]
        more = 0x2000 if offset + step < len(body) else 0
        h = bytearray(header)
        struct.pack_into("!H", h, 2, 20 + len(piece))
        struct.pack_into("!H", h, 6, more | (offset // 8))
        struct.pack_into("!H", h, 10, 0)
        struct.pack_into("!H", h, 10, _checksum(bytes(h)))
        out.append(bytes(h) + piece)
    return out


def ethernet(packet: bytes, *, src_mac: bytes = ETH_SRC, dst_mac: bytes = ETH_DST) -> bytes:
    """Wrap an IP packet in an Ethernet II header."""
    ethertype = 0x86DD if packet[0] >> 4 == 6 else 0x0800
    return dst_mac + src_mac + struct.pack("!H", ethertype) + packet


def udp_frame(src: str, dst: str, sport: int, dport: int, payload: bytes, ip_id: int = 1) -> bytes:
    """Ethernet + IP + UDP in one call."""
    return ethernet(ip_packet(src, dst, 17, udp(src, dst, sport, dport, payload), ip_id))


def tcp_frame(src: str, dst: str, sport: int, dport: int, flags: int, payload: bytes = b"", ip_id: int = 1) -> bytes:
    """Ethernet + IP + TCP in one call."""
    return ethernet(ip_packet(src, dst, 6, tcp(src, dst, sport, dport, flags, payload), ip_id))


# --- application payloads --------------------------------------------------------------------------------


def radius(code: int, identifier: int, authenticator: bytes, attributes: list[tuple[int, bytes]]) -> bytes:
    """A RADIUS message from (type, value) attributes; values over 253 bytes must be split by the caller."""
    body = b"".join(struct.pack("!BB", t, 2 + len(v)) + v for t, v in attributes)
    return struct.pack("!BBH", code, identifier, 20 + len(body)) + authenticator + body


def vsa(vendor: int, vendor_type: int, value: bytes) -> tuple[int, bytes]:
    """A Vendor-Specific (26) attribute with one sub-attribute."""
    return 26, struct.pack("!IBB", vendor, vendor_type, 2 + len(value)) + value


def eap_attributes(eap: bytes) -> list[tuple[int, bytes]]:
    """EAP-Message (79) attributes carrying ``eap`` in 253-byte pieces."""
    return [(79, eap[i : i + 253]) for i in range(0, len(eap), 253)] or [(79, b"")]


def dns_query(ident: int, name: str, qtype: int = 1) -> bytes:
    """A recursive DNS query for one name."""
    qname = b"".join(bytes([len(p)]) + p.encode("ascii") for p in name.split(".")) + b"\x00"
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + qname + struct.pack("!HH", qtype, 1)


def dns_response(ident: int, name: str, addresses: list[str], rcode: int = 0, qtype: int = 1) -> bytes:
    """A response with A/AAAA answers that point back to the question name (compression pointer 0xC00C)."""
    query = dns_query(ident, name, qtype)
    answers = b""
    for address in addresses:
        packed = ipaddress.ip_address(address).packed
        rtype = 1 if len(packed) == 4 else 28
        answers += struct.pack("!HHHIH", 0xC00C, rtype, 1, 300, len(packed)) + packed
    flags = 0x8180 | rcode
    return struct.pack("!HHHHHH", ident, flags, 1, len(addresses), 0, 0) + query[12:] + answers


def tls_client_hello(
    sni: str | None, versions: tuple[int, ...] = (0x0304, 0x0303), *, legacy_version: int = 0x0303
) -> bytes:
    """A TLS record holding a ClientHello with an SNI and a supported_versions extension (none when
    ``versions`` is empty). ``legacy_version`` is the ClientHello's own version field: 0x0302 for a client
    limited to TLS 1.1, which offers no supported_versions."""
    extensions = b""
    if sni:
        name = sni.encode("ascii")
        entry = struct.pack("!BH", 0, len(name)) + name
        extensions += struct.pack("!HHH", 0, len(entry) + 2, len(entry)) + entry
    if versions:
        listed = b"".join(struct.pack("!H", v) for v in versions)
        extensions += struct.pack("!HHB", 43, len(listed) + 1, len(listed)) + listed
    body = (
        struct.pack("!H", legacy_version) + bytes(32) + b"\x00" + struct.pack("!HH", 2, 0x1301) + b"\x01\x00"
        + struct.pack("!H", len(extensions)) + extensions
    )  # fmt: skip
    handshake = struct.pack("!B", 1) + len(body).to_bytes(3, "big") + body
    return struct.pack("!BHH", 22, 0x0301, len(handshake)) + handshake


def tls_server_hello(version: int = 0x0303) -> bytes:
    """A TLS record holding a ServerHello (TLS 1.3 is signalled in supported_versions)."""
    extensions = struct.pack("!HHH", 43, 2, version) if version == 0x0304 else b""
    body = (
        struct.pack("!H", 0x0303) + bytes(32) + b"\x00" + struct.pack("!H", 0xC02F) + b"\x00"
        + struct.pack("!H", len(extensions)) + extensions
    )  # fmt: skip
    handshake = struct.pack("!B", 2) + len(body).to_bytes(3, "big") + body
    return struct.pack("!BHH", 22, 0x0303, len(handshake)) + handshake


def tls_alert(description: int, level: int = 2) -> bytes:
    """A plaintext TLS alert record."""
    return struct.pack("!BHHBB", 21, 0x0303, 2, level, description)
