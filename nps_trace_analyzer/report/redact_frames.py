"""Redaction of captured frames for ``pcap --redact``: the pcapng stays a valid capture, minus the identities.

Why frames need their own redactor: the text redactor (``report/redact.py``) rewrites strings, but a packet is a
set of binary fields whose lengths and checksums must stay consistent or Wireshark shows garbage. What is done:

* MAC, IPv4 and IPv6 addresses (Ethernet, IP headers, RADIUS NAS-IP/Framed-IP, DNS A/AAAA answers) become
  addresses derived from the same keyed token as the report's pseudonym: ``ip-1a2b3c4d`` in report.html is
  ``10.26.43.60`` here (``10.`` + the token's first three bytes), IPv6 ``fd00::`` + token, MAC ``02:`` + token.
  Unspecified, loopback, broadcast and multicast addresses are kept.
* RADIUS (ports 1812/1813/1645/1646): text attributes that name someone (User-Name, NAS-Identifier,
  Called/Calling-Station-Id, NAS-Port-Id, Reply-Message) get the same pseudonyms as the reports; EAP-Message,
  User-Password and Vendor-Specific values (identities, obfuscated passwords, vendor data) are zeroed but keep their
  length; the packet is rebuilt with correct lengths. Message-Authenticator no longer verifies (the content changed).
* DNS (port 53): every name label that is not part of a Microsoft endpoint (or ``in-addr.arpa`` / ``ip6.arpa``) is
  replaced in place by hex of the same length, so compression pointers stay valid.
* TLS on port 443 is kept (its names are the Microsoft endpoints'); any other payload, fragments and link types
  this module cannot parse are zeroed, keeping lengths.

IP and UDP/TCP checksums are recomputed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import struct

from nps_trace_analyzer.report.redact import Redactor, is_kept_host

RADIUS_PORTS = frozenset({1812, 1813, 1645, 1646})
DNS_PORT = 53
TLS_PORT = 443
# RADIUS attribute type -> kind of identifier its text names (RFC 2865/2869/3162 numbers).
_RADIUS_TEXT = {1: "user", 32: "host", 30: "station", 31: "station", 87: "station", 18: ""}
_RADIUS_IPV4 = frozenset({4, 8, 14})  # NAS-IP-Address, Framed-IP-Address, Login-IP-Host
_RADIUS_IPV6 = frozenset({95})  # NAS-IPv6-Address
_RADIUS_ZERO = frozenset({2, 79})  # User-Password, EAP-Message (kept: EAP code, id, length, type)
_KEPT_LABELS = frozenset({"in-addr", "ip6", "arpa"})


def _blank_vsa(value: bytes) -> bytes:
    """A Vendor-Specific value with its vendor id and sub-attribute headers kept and every sub-value zeroed.

    Why keep the headers: the protocol is recognised by them (MS-CHAP-Challenge/-Response are Microsoft VSAs);
    why zero the values: they hold vendor data, names, and MS-CHAP challenge/response pairs that can be attacked
    offline for the password.
    """
    if len(value) < 4:
        return b"\0" * len(value)
    out, pos = bytearray(value[:4]), 4
    while pos + 2 <= len(value):
        size = value[pos + 1]
        if size < 2 or pos + size > len(value):
            break
        out += value[pos : pos + 2] + b"\0" * (size - 2)
        pos += size
    return bytes(out) + b"\0" * (len(value) - len(out))


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class FrameRedactor:
    """Rewrites one frame at a time; all pseudonyms come from (and are recorded in) ``redactor``."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.zeroed = 0  # frames or payloads blanked because they could not be parsed

    # --- addresses -----------------------------------------------------------------------------------------

    def _token(self, kind: str, text: str) -> bytes:
        token = self.redactor.pseudonyms.token(kind, text.lower())
        return bytes.fromhex(token.ljust(16, "0")[:16])

    def ipv4(self, raw: bytes) -> bytes:
        addr = ipaddress.IPv4Address(raw)
        if addr.is_unspecified or addr.is_loopback or addr.is_multicast or raw == b"\xff\xff\xff\xff":
            return raw
        token = self._token("ip", str(addr))
        new = b"\x0a" + token[:3]
        self.redactor.pseudonyms.remember(str(ipaddress.IPv4Address(new)), str(addr))
        return new

    def ipv6(self, raw: bytes) -> bytes:
        addr = ipaddress.IPv6Address(raw)
        if addr.is_unspecified or addr.is_loopback or addr.is_multicast:
            return raw
        new = b"\xfd\x00" + self._token("ip6", str(addr)) + b"\x00" * 6
        self.redactor.pseudonyms.remember(str(ipaddress.IPv6Address(new)), str(addr))
        return new

    def mac(self, raw: bytes) -> bytes:
        if raw[0] & 1 or raw == b"\0" * 6:  # broadcast / multicast / empty
            return raw
        original = ":".join(f"{b:02X}" for b in raw)
        new = b"\x02" + self._token("mac", original)[:5]
        self.redactor.pseudonyms.remember(":".join(f"{b:02x}" for b in new), original)
        return new

    # --- frames --------------------------------------------------------------------------------------------

    def frame(self, data: bytes, link_type: int) -> bytes:
        """The redacted frame (same link type); unknown link types come back zeroed."""
        if link_type == 1 and len(data) >= 14:
            head = bytearray(data[:14])
            head[0:6], head[6:12] = self.mac(data[0:6]), self.mac(data[6:12])
            pos, ethertype = 14, int.from_bytes(data[12:14], "big")
            while ethertype in (0x8100, 0x88A8) and len(data) >= pos + 4:
                head += data[pos : pos + 4]
                ethertype = int.from_bytes(data[pos + 2 : pos + 4], "big")
                pos += 4
            if ethertype in (0x0800, 0x86DD):
                return bytes(head) + self.ip(data[pos:])
            if ethertype == 0x0806:  # ARP: addresses inside
                return bytes(head) + self._arp(data[pos:])
            self.zeroed += 1
            return bytes(head) + b"\0" * (len(data) - pos)
        if link_type in (101, 228, 229):
            return self.ip(data)
        self.zeroed += 1
        return b"\0" * len(data)

    def _arp(self, body: bytes) -> bytes:
        if len(body) < 28 or body[4:6] != b"\x06\x04":
            return b"\0" * len(body)
        return (
            body[:8]
            + self.mac(body[8:14])
            + self.ipv4(body[14:18])
            + self.mac(body[18:24])
            + self.ipv4(body[24:28])
            + body[28:]
        )

    def ip(self, packet: bytes) -> bytes:
        if len(packet) >= 20 and packet[0] >> 4 == 4:
            return self._ipv4(packet)
        if len(packet) >= 40 and packet[0] >> 4 == 6:
            return self._ipv6(packet)
        self.zeroed += 1
        return b"\0" * len(packet)

    def _ipv4(self, packet: bytes) -> bytes:
        ihl = (packet[0] & 0x0F) * 4
        total = int.from_bytes(packet[2:4], "big")
        if ihl < 20 or len(packet) < ihl:
            return b"\0" * len(packet)
        end = total if ihl <= total <= len(packet) else len(packet)
        src, dst = self.ipv4(packet[12:16]), self.ipv4(packet[16:20])
        header = bytearray(packet[:ihl])
        header[12:16], header[16:20] = src, dst
        fragmented = int.from_bytes(packet[6:8], "big") & 0x3FFF
        body = packet[ihl:end]
        body = b"\0" * len(body) if fragmented else self._transport(packet[9], body, src, dst)
        header[2:4] = (ihl + len(body)).to_bytes(2, "big")
        header[10:12] = b"\0\0"
        header[10:12] = _checksum(bytes(header)).to_bytes(2, "big")
        return bytes(header) + body + packet[end:]

    def _ipv6(self, packet: bytes) -> bytes:
        src, dst = self.ipv6(packet[8:24]), self.ipv6(packet[24:40])
        length = int.from_bytes(packet[4:6], "big")
        end = 40 + length if 40 + length <= len(packet) else len(packet)
        body = self._transport(packet[6], packet[40:end], src, dst)
        header = bytearray(packet[:40])
        header[8:24], header[24:40] = src, dst
        header[4:6] = len(body).to_bytes(2, "big")
        return bytes(header) + body + packet[end:]

    def _transport(self, proto: int, body: bytes, src: bytes, dst: bytes) -> bytes:
        if proto == 17 and len(body) >= 8:
            sport, dport = int.from_bytes(body[0:2], "big"), int.from_bytes(body[2:4], "big")
            payload = body[8:]
            if sport in RADIUS_PORTS or dport in RADIUS_PORTS:
                payload = self.radius(payload)
            elif DNS_PORT in (sport, dport):
                payload = self.dns(payload)
            else:
                payload = b"\0" * len(payload)
            head = bytearray(body[:8])
            head[4:6] = (8 + len(payload)).to_bytes(2, "big")
            return self._with_checksum(proto, bytes(head) + payload, src, dst, 6)
        if proto == 6 and len(body) >= 20:
            offset = (body[12] >> 4) * 4
            if offset < 20 or offset > len(body):
                return b"\0" * len(body)
            sport, dport = int.from_bytes(body[0:2], "big"), int.from_bytes(body[2:4], "big")
            payload = body[offset:]
            if TLS_PORT not in (sport, dport):
                payload = b"\0" * len(payload)
            return self._with_checksum(proto, body[:offset] + payload, src, dst, 16)
        self.zeroed += 1
        return b"\0" * len(body)

    @staticmethod
    def _with_checksum(proto: int, segment: bytes, src: bytes, dst: bytes, at: int) -> bytes:
        seg = bytearray(segment)
        seg[at : at + 2] = b"\0\0"
        if len(src) == 4:
            pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
        else:
            pseudo = src + dst + struct.pack("!I3xB", len(seg), proto)
        value = _checksum(pseudo + bytes(seg)) or 0xFFFF
        seg[at : at + 2] = value.to_bytes(2, "big")
        return bytes(seg)

    # --- application payloads ------------------------------------------------------------------------------

    def radius(self, payload: bytes) -> bytes:
        if len(payload) < 20:
            return b"\0" * len(payload)
        length = int.from_bytes(payload[2:4], "big")
        end = length if 20 <= length <= len(payload) else len(payload)
        out = bytearray(payload[:20])
        pos = 20
        while pos + 2 <= end:
            kind, size = payload[pos], payload[pos + 1]
            if size < 2 or pos + size > end:
                out += b"\0" * (end - pos)  # malformed tail: blanked, not guessed at
                break
            new = self._radius_value(kind, payload[pos + 2 : pos + size])[:253]
            out += bytes([kind, len(new) + 2]) + new
            pos += size
        out[2:4] = len(out).to_bytes(2, "big")
        return bytes(out)

    def _radius_value(self, kind: int, value: bytes) -> bytes:
        if kind in _RADIUS_IPV4 and len(value) == 4:
            new = self.ipv4(value)
        elif kind in _RADIUS_IPV6 and len(value) == 16:
            new = self.ipv6(value)
        elif kind == 26:
            new = _blank_vsa(value)
        elif kind in _RADIUS_ZERO:
            new = value[:5] if kind == 79 else b""
            new = new + b"\0" * (len(value) - len(new))
        elif kind in _RADIUS_TEXT:
            text = value.decode("utf-8", "replace")
            if _RADIUS_TEXT[kind]:
                self.redactor.learn(_RADIUS_TEXT[kind], text)
            new = self.redactor.text(text).encode("utf-8")[:253]
        else:
            new = value
        return new

    def dns(self, payload: bytes) -> bytes:
        if len(payload) < 12:
            return b"\0" * len(payload)
        msg = bytearray(payload)
        qd, an, ns, ar = struct.unpack("!4H", payload[4:12])
        pos = 12
        try:
            for _ in range(qd):
                pos = self._dns_name(msg, pos) + 4
            for _ in range(an + ns + ar):
                pos = self._dns_name(msg, pos)
                rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", msg[pos : pos + 10])
                pos += 10
                if rtype == 1 and rdlen == 4:
                    msg[pos : pos + 4] = self.ipv4(bytes(msg[pos : pos + 4]))
                elif rtype == 28 and rdlen == 16:
                    msg[pos : pos + 16] = self.ipv6(bytes(msg[pos : pos + 16]))
                elif rtype in (2, 5, 12):  # NS, CNAME, PTR hold a name
                    self._dns_name(msg, pos)
                elif rdlen:
                    msg[pos : pos + rdlen] = b"\0" * rdlen
                pos += rdlen
        except (struct.error, IndexError, ValueError):
            self.zeroed += 1
            return b"\0" * len(payload)
        return bytes(msg)

    def _dns_name(self, msg: bytearray, pos: int) -> int:
        """Redact the name at ``pos`` in place (labels only, pointers followed for the decision); return its end."""
        labels: list[tuple[int, int]] = []
        names: list[str] = []
        cursor, end, hops = pos, None, 0
        while True:
            size = msg[cursor]
            if size == 0:
                end = cursor + 1 if end is None else end
                break
            if size & 0xC0 == 0xC0:
                end = cursor + 2 if end is None else end
                cursor = ((size & 0x3F) << 8) | msg[cursor + 1]
                hops += 1
                if hops > 20:
                    raise ValueError("DNS pointer loop")
                continue
            labels.append((cursor + 1, size))
            names.append(msg[cursor + 1 : cursor + 1 + size].decode("ascii", "replace"))
            cursor += 1 + size
        if is_kept_host(".".join(names)):
            return end
        for start, size in labels:
            label = msg[start : start + size].decode("ascii", "replace").lower()
            if label in _KEPT_LABELS:
                continue
            digest = hmac.new(b"dns-label", self._token("host", label), hashlib.sha256).hexdigest()
            msg[start : start + size] = (digest * (size // 64 + 1))[:size].encode("ascii")
        return end
