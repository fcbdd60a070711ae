"""DNS messages (RFC 1035; AAAA RFC 3596): questions, answers and the response code.

Enough to see whether the NPS server could resolve the Entra/MFA endpoints: which names were asked, what
came back (A/AAAA/CNAME data), NXDOMAIN/SERVFAIL, and queries that got no answer. Name compression is
followed with a hop limit so crafted loops cannot hang the reader; any inconsistency ends decoding with
None or with what was read so far.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final

DNS_PORTS: Final = frozenset({53, 5353, 5355})  # DNS, mDNS, LLMNR share the message format

RCODE_NAMES: Final[dict[int, str]] = {
    0: "NOERROR",
    1: "FORMERR",
    2: "SERVFAIL",
    3: "NXDOMAIN",
    4: "NOTIMP",
    5: "REFUSED",
}
TYPE_NAMES: Final[dict[int, str]] = {
    1: "A",
    2: "NS",
    5: "CNAME",
    6: "SOA",
    12: "PTR",
    15: "MX",
    16: "TXT",
    28: "AAAA",
    33: "SRV",
    65: "HTTPS",
    255: "ANY",
}


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """One resource record of the answer section; ``data`` is text for A/AAAA/CNAME/PTR, else hex."""

    name: str
    rtype: int
    ttl: int
    data: str

    @property
    def type_name(self) -> str:
        """Record type as text (A, AAAA, CNAME, ...)."""
        return TYPE_NAMES.get(self.rtype, str(self.rtype))


@dataclass(frozen=True, slots=True)
class DnsMessage:
    """A decoded DNS query or response."""

    id: int
    is_response: bool
    opcode: int
    rcode: int
    questions: tuple[tuple[str, int], ...]  # (name, qtype)
    answers: tuple[DnsAnswer, ...] = ()
    truncated: bool = False

    @property
    def rcode_name(self) -> str:
        """Response code as text (NOERROR, NXDOMAIN, SERVFAIL, ...)."""
        return RCODE_NAMES.get(self.rcode, str(self.rcode))


def _name(msg: bytes, pos: int) -> tuple[str, int]:
    """Read a possibly compressed name at ``pos``; return it and the offset after it in the record."""
    labels: list[str] = []
    end = None
    hops = 0
    while True:
        if pos >= len(msg):
            raise ValueError("name runs past the message")
        length = msg[pos]
        if length & 0xC0 == 0xC0:
            if pos + 1 >= len(msg):
                raise ValueError("compression pointer cut")
            if end is None:
                end = pos + 2
            pos = ((length & 0x3F) << 8) | msg[pos + 1]
            hops += 1
            if hops > 32:
                raise ValueError("compression loop")
            continue
        if length & 0xC0:
            raise ValueError("unsupported label type")
        if length == 0:
            return ".".join(labels), end if end is not None else pos + 1
        labels.append(msg[pos + 1 : pos + 1 + length].decode("ascii", errors="replace"))
        pos += 1 + length
        if len(labels) > 127:
            raise ValueError("too many labels")


def _rdata(msg: bytes, rtype: int, start: int, length: int) -> str:
    data = msg[start : start + length]
    if rtype == 1 and length == 4:
        return str(ipaddress.IPv4Address(data))
    if rtype == 28 and length == 16:
        return str(ipaddress.IPv6Address(data))
    if rtype in (2, 5, 12):
        return _name(msg, start)[0]
    return data.hex()


def decode_dns(payload: bytes) -> DnsMessage | None:
    """Decode a DNS message; None when even the header or the questions cannot be read."""
    if len(payload) < 12:
        return None
    ident = int.from_bytes(payload[0:2], "big")
    flags = int.from_bytes(payload[2:4], "big")
    qd, an = int.from_bytes(payload[4:6], "big"), int.from_bytes(payload[6:8], "big")
    if qd > 16:
        return None
    pos = 12
    questions = []
    try:
        for _ in range(qd):
            name, pos = _name(payload, pos)
            if pos + 4 > len(payload):
                return None
            questions.append((name, int.from_bytes(payload[pos : pos + 2], "big")))
            pos += 4
    except ValueError:
        return None
    answers = []
    try:
        for _ in range(min(an, 256)):
            name, pos = _name(payload, pos)
            if pos + 10 > len(payload):
                break
            rtype = int.from_bytes(payload[pos : pos + 2], "big")
            ttl = int.from_bytes(payload[pos + 4 : pos + 8], "big")
            rdlen = int.from_bytes(payload[pos + 8 : pos + 10], "big")
            pos += 10
            if pos + rdlen > len(payload):
                break
            answers.append(DnsAnswer(name, rtype, ttl, _rdata(payload, rtype, pos, rdlen)))
            pos += rdlen
    except ValueError:
        pass
    return DnsMessage(
        id=ident,
        is_response=bool(flags & 0x8000),
        opcode=(flags >> 11) & 0xF,
        rcode=flags & 0xF,
        questions=tuple(questions),
        answers=tuple(answers),
        truncated=bool(flags & 0x0200),
    )
