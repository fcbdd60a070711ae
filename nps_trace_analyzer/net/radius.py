"""RADIUS packets (RFC 2865/2866/2869/3579, Microsoft VSAs of RFC 2548): decode and classify.

Only what a diagnosis needs: code, identifier, authenticator, attributes, the authentication protocol of
an Access-Request (PAP, CHAP, MS-CHAPv1, MS-CHAPv2, EAP and its method), State, NAS-IP-Address,
NAS-Identifier, Message-Authenticator presence (CVE-2024-3596 hardening drops requests without it).
Passwords are never decoded (they are obfuscated with the shared secret, which a trace does not hold).
pyrad could parse attributes too, but it wants a dictionary file and a secret to build a packet object;
the TLV walk below is a dozen lines and tolerates malformed input.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final

AUTH_PORTS: Final = frozenset({1812, 1645})
ACCT_PORTS: Final = frozenset({1813, 1646})
RADIUS_PORTS: Final = AUTH_PORTS | ACCT_PORTS

ACCESS_REQUEST: Final = 1
ACCESS_ACCEPT: Final = 2
ACCESS_REJECT: Final = 3
ACCOUNTING_REQUEST: Final = 4
ACCOUNTING_RESPONSE: Final = 5
ACCESS_CHALLENGE: Final = 11
STATUS_SERVER: Final = 12

CODE_NAMES: Final[dict[int, str]] = {
    1: "Access-Request",
    2: "Access-Accept",
    3: "Access-Reject",
    4: "Accounting-Request",
    5: "Accounting-Response",
    11: "Access-Challenge",
    12: "Status-Server",
    13: "Status-Client",
    40: "Disconnect-Request",
    41: "Disconnect-ACK",
    42: "Disconnect-NAK",
    43: "CoA-Request",
    44: "CoA-ACK",
    45: "CoA-NAK",
}
REQUEST_CODES: Final = frozenset({ACCESS_REQUEST, ACCOUNTING_REQUEST, STATUS_SERVER, 40, 43})
RESPONSE_CODES: Final = frozenset({ACCESS_ACCEPT, ACCESS_REJECT, ACCESS_CHALLENGE, ACCOUNTING_RESPONSE, 41, 42, 44, 45})

# Attribute types.
USER_NAME: Final = 1
USER_PASSWORD: Final = 2
CHAP_PASSWORD: Final = 3
NAS_IP_ADDRESS: Final = 4
NAS_PORT: Final = 5
SERVICE_TYPE: Final = 6
REPLY_MESSAGE: Final = 18
STATE: Final = 24
CLASS: Final = 25
VENDOR_SPECIFIC: Final = 26
CALLED_STATION_ID: Final = 30
CALLING_STATION_ID: Final = 31
NAS_IDENTIFIER: Final = 32
PROXY_STATE: Final = 33
CHAP_CHALLENGE: Final = 60
NAS_PORT_TYPE: Final = 61
EAP_MESSAGE: Final = 79
MESSAGE_AUTHENTICATOR: Final = 80
NAS_IPV6_ADDRESS: Final = 95

MICROSOFT_VENDOR_ID: Final = 311
MS_CHAP_RESPONSE: Final = 1
MS_CHAP_ERROR: Final = 2
MS_CHAP_CHALLENGE: Final = 11
MS_CHAP2_RESPONSE: Final = 25
MS_CHAP2_SUCCESS: Final = 26

EAP_TYPE_NAMES: Final[dict[int, str]] = {
    1: "Identity",
    2: "Notification",
    3: "Nak",
    4: "MD5-Challenge",
    6: "GTC",
    13: "TLS",
    21: "TTLS",
    25: "PEAP",
    26: "MSCHAPv2",
    29: "EAP-MSCHAPv2 (legacy)",
    43: "FAST",
    55: "TEAP",
}
EAP_CODE_NAMES: Final[dict[int, str]] = {1: "Request", 2: "Response", 3: "Success", 4: "Failure"}


class AuthProtocol:
    """Names for the authentication protocol an Access-Request uses (strings, stable for reports)."""

    PAP = "PAP"
    CHAP = "CHAP"
    MSCHAP = "MS-CHAPv1"
    MSCHAPV2 = "MS-CHAPv2"
    EAP = "EAP"
    NONE = "none"  # e.g. a Status-Server or an Access-Request with no credentials (RD Gateway)


@dataclass(frozen=True, slots=True)
class RadiusPacket:
    """One decoded RADIUS message. ``attributes`` keeps every (type, value) in order; ``vsas`` keeps
    (vendor id, vendor type, value) of Vendor-Specific attributes that follow the RFC 2865 layout."""

    code: int
    identifier: int
    length: int
    authenticator: bytes
    attributes: tuple[tuple[int, bytes], ...]
    vsas: tuple[tuple[int, int, bytes], ...] = ()
    malformed: str = ""  # why decoding stopped early ("" when the whole packet was read)

    @property
    def code_name(self) -> str:
        """Human name of the packet code."""
        return CODE_NAMES.get(self.code, f"Code-{self.code}")

    @property
    def is_request(self) -> bool:
        """True for codes a client sends (Access-/Accounting-Request, Status-Server, CoA/Disconnect)."""
        return self.code in REQUEST_CODES

    def get(self, attr_type: int) -> bytes | None:
        """First value of an attribute type, or None."""
        for t, v in self.attributes:
            if t == attr_type:
                return v
        return None

    def has(self, attr_type: int) -> bool:
        """Whether the attribute is present at least once."""
        return any(t == attr_type for t, _v in self.attributes)

    def has_vsa(self, vendor: int, vendor_type: int) -> bool:
        """Whether a Vendor-Specific sub-attribute is present."""
        return any(v == vendor and t == vendor_type for v, t, _x in self.vsas)

    def _text(self, attr_type: int) -> str | None:
        value = self.get(attr_type)
        return None if value is None else value.decode("utf-8", errors="replace")

    @property
    def user_name(self) -> str | None:
        """User-Name (1)."""
        return self._text(USER_NAME)

    @property
    def nas_identifier(self) -> str | None:
        """NAS-Identifier (32)."""
        return self._text(NAS_IDENTIFIER)

    @property
    def reply_message(self) -> str | None:
        """Reply-Message (18), joined when split over several attributes."""
        parts = [v for t, v in self.attributes if t == REPLY_MESSAGE]
        return b"".join(parts).decode("utf-8", errors="replace") if parts else None

    @property
    def nas_ip(self) -> str | None:
        """NAS-IP-Address (4) or NAS-IPv6-Address (95) as text."""
        value = self.get(NAS_IP_ADDRESS)
        if value is not None and len(value) == 4:
            return str(ipaddress.IPv4Address(value))
        value = self.get(NAS_IPV6_ADDRESS)
        if value is not None and len(value) == 16:
            return str(ipaddress.IPv6Address(value))
        return None

    @property
    def state(self) -> bytes | None:
        """State (24): set on Access-Challenge, echoed by the NAS in the next Access-Request."""
        return self.get(STATE)

    @property
    def state_text(self) -> str | None:
        """State as printable text when it is (NPS uses ASCII GUID-like strings), else hex."""
        value = self.state
        if value is None:
            return None
        if value and all(32 <= b < 127 for b in value):
            return value.decode("ascii")
        return value.hex()

    @property
    def has_message_authenticator(self) -> bool:
        """Message-Authenticator (80) present: required for EAP, and by the July 2024 NPS hardening."""
        return self.has(MESSAGE_AUTHENTICATOR)

    @property
    def has_proxy_state(self) -> bool:
        """Proxy-State (33) present (with no Message-Authenticator, hardened NPS drops the request)."""
        return self.has(PROXY_STATE)

    @property
    def eap_message(self) -> bytes | None:
        """The EAP packet carried in EAP-Message (79) attributes, concatenated as RFC 3579 requires."""
        parts = [v for t, v in self.attributes if t == EAP_MESSAGE]
        return b"".join(parts) if parts else None

    @property
    def eap_code(self) -> int | None:
        """EAP code (1 Request, 2 Response, 3 Success, 4 Failure) of the carried EAP packet."""
        eap = self.eap_message
        return eap[0] if eap else None

    @property
    def eap_type(self) -> int | None:
        """EAP method type (Request/Response only): 1 Identity, 13 TLS, 25 PEAP, 26 MSCHAPv2, ..."""
        eap = self.eap_message
        if eap and len(eap) >= 5 and eap[0] in (1, 2):
            return eap[4]
        return None

    @property
    def auth_protocol(self) -> str:
        """The authentication protocol of an Access-Request, from which credential attributes it carries."""
        if self.has(EAP_MESSAGE):
            return AuthProtocol.EAP
        if self.has_vsa(MICROSOFT_VENDOR_ID, MS_CHAP2_RESPONSE):
            return AuthProtocol.MSCHAPV2
        if self.has_vsa(MICROSOFT_VENDOR_ID, MS_CHAP_RESPONSE):
            return AuthProtocol.MSCHAP
        if self.has(CHAP_PASSWORD):
            return AuthProtocol.CHAP
        if self.has(USER_PASSWORD):
            return AuthProtocol.PAP
        return AuthProtocol.NONE


def _vsas(attributes: tuple[tuple[int, bytes], ...]) -> tuple[tuple[int, int, bytes], ...]:
    out = []
    for t, value in attributes:
        if t != VENDOR_SPECIFIC or len(value) < 6:
            continue
        vendor = int.from_bytes(value[0:4], "big")
        pos = 4
        while pos + 2 <= len(value):
            vtype, vlen = value[pos], value[pos + 1]
            if vlen < 2 or pos + vlen > len(value):
                break
            out.append((vendor, vtype, value[pos + 2 : pos + vlen]))
            pos += vlen
    return tuple(out)


def decode_radius(payload: bytes) -> RadiusPacket | None:
    """Decode a RADIUS message from a UDP payload; None if it cannot be one (too short, bad length).

    A bad attribute stops the walk; what was read so far is kept and ``malformed`` says why.
    """
    if len(payload) < 20:
        return None
    code = payload[0]
    length = int.from_bytes(payload[2:4], "big")
    if length < 20 or length > 4096 or code not in CODE_NAMES:
        return None
    problems = []
    if length > len(payload):
        problems.append(f"length {length} exceeds the {len(payload)} captured bytes")
        length = len(payload)
    attrs = []
    pos = 20
    while pos < length:
        if pos + 2 > length:
            problems.append(f"attribute header cut at offset {pos}")
            break
        atype, alen = payload[pos], payload[pos + 1]
        if alen < 2 or pos + alen > length:
            problems.append(f"attribute {atype} at offset {pos} has bad length {alen}")
            break
        attrs.append((atype, payload[pos + 2 : pos + alen]))
        pos += alen
    attributes = tuple(attrs)
    return RadiusPacket(
        code=code,
        identifier=payload[1],
        length=length,
        authenticator=payload[4:20],
        attributes=attributes,
        vsas=_vsas(attributes),
        malformed="; ".join(problems),
    )


def is_radius_port(sport: int, dport: int) -> bool:
    """Either end on a RADIUS authentication or accounting port (1812/1645/1813/1646)."""
    return sport in RADIUS_PORTS or dport in RADIUS_PORTS
