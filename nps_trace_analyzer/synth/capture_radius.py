"""RADIUS messages for the synthetic capture, with the cryptography a real client and NPS would apply.

Why real crypto: a capture is only convincing (and only tests a reader honestly) when Wireshark, given the
shared secret, verifies it: the PAP User-Password is hidden with the secret and the Request Authenticator
(RFC 2865 §5.2), Message-Authenticator is HMAC-MD5 over the message (RFC 3579 §3.2), and an answer's
Response Authenticator is MD5 over the answer, the request's authenticator and the secret (RFC 2865 §3).
The secrets are fictional (:func:`shared_secret`); a client configured with the wrong one (System NPS 18)
signs its requests with another.

Attribute layouts come from RFC 2865/2548/3579 and the bundle's RADIUS clients (``world.NAS_CLIENTS``); the
byte-level packing is :func:`nps_trace_analyzer.synth.etl.frames.radius`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import random
import struct

from nps_trace_analyzer.synth.etl import frames as F
from nps_trace_analyzer.synth.scenarios.wire import ACCESS_ACCEPT, ACCESS_CHALLENGE, Attempt, Round
from nps_trace_analyzer.synth.scenarios.world import Nas

USER_NAME, USER_PASSWORD, NAS_IP_ADDRESS, NAS_PORT, SERVICE_TYPE = 1, 2, 4, 5, 6
STATE, CALLED_STATION_ID, CALLING_STATION_ID, NAS_IDENTIFIER, PROXY_STATE = 24, 30, 31, 32, 33
NAS_PORT_TYPE, EAP_MESSAGE, MESSAGE_AUTHENTICATOR = 61, 79, 80
MICROSOFT = 311
MS_CHAP_CHALLENGE, MS_CHAP2_RESPONSE = 11, 25
EAP_REQUEST, EAP_RESPONSE, EAP_SUCCESS, EAP_FAILURE = 1, 2, 3, 4
EAP_IDENTITY, EAP_PEAP = 1, 25

NAS_PORT_TYPES = {"Virtual": 5, "Ethernet": 15, "Wireless - IEEE 802.11": 19}


def shared_secret(nas: Nas) -> bytes:
    """The secret NPS has for ``nas`` (fictional; the same for every bundle)."""
    return f"{nas.key}-Radius-Secret-2025".encode()


def client_secret(nas: Nas) -> bytes:
    """The secret the client actually uses: another one when it was configured wrong."""
    return shared_secret(nas) if nas.secret_matches else f"{nas.key}-old-secret".encode()


def hide_password(password: bytes, secret: bytes, authenticator: bytes) -> bytes:
    """RFC 2865 §5.2 User-Password: pad to 16n, XOR each block with MD5(secret + previous cipher block)."""
    padding = 16 if not password else -len(password) % 16
    padded = password + b"\x00" * padding
    out = b""
    previous = authenticator
    for start in range(0, len(padded), 16):
        digest = hashlib.md5(secret + previous, usedforsecurity=False).digest()
        block = bytes(a ^ b for a, b in zip(padded[start : start + 16], digest, strict=True))
        out += block
        previous = block
    return out


def _with_message_authenticator(
    code: int, identifier: int, authenticator: bytes, attributes: list[tuple[int, bytes]], secret: bytes
) -> list[tuple[int, bytes]]:
    """Fill the (zeroed) Message-Authenticator: HMAC-MD5 over the message with ``authenticator`` in place."""
    if not any(t == MESSAGE_AUTHENTICATOR for t, _ in attributes):
        return attributes
    zeroed = F.radius(code, identifier, authenticator, attributes)
    digest = hmac.new(secret, zeroed, hashlib.md5).digest()
    return [(t, digest if t == MESSAGE_AUTHENTICATOR else v) for t, v in attributes]


def request(
    attempt: Attempt, round_: Round, identifier: int, authenticator: bytes, calling_station: str, rng: random.Random
) -> bytes:
    """The Access-Request of ``round_`` as ``attempt``'s client builds it."""
    nas = attempt.nas
    secret = client_secret(nas)
    attrs: list[tuple[int, bytes]] = [(USER_NAME, attempt.user.encode("utf-8"))]
    protocol = nas.protocol
    if protocol == "PAP":
        attrs.append((USER_PASSWORD, hide_password(round_.secret.encode("utf-8"), secret, authenticator)))
    elif protocol == "MS-CHAPv2":
        peer_challenge = rng.randbytes(16)
        response = bytes([identifier, 0]) + peer_challenge + bytes(8) + rng.randbytes(24)
        attrs.append(F.vsa(MICROSOFT, MS_CHAP_CHALLENGE, rng.randbytes(16)))
        attrs.append(F.vsa(MICROSOFT, MS_CHAP2_RESPONSE, response))
    if nas.nas_ip != "-":
        attrs.append((NAS_IP_ADDRESS, ipaddress.IPv4Address(nas.nas_ip).packed))
    attrs.append((NAS_PORT, struct.pack("!I", rng.randrange(1, 2048))))
    attrs.append((NAS_PORT_TYPE, struct.pack("!I", NAS_PORT_TYPES.get(nas.port_type, 5))))
    if nas.port_type == "Virtual":
        attrs.append((SERVICE_TYPE, struct.pack("!I", 2)))  # Framed
    if nas.called != "-":
        attrs.append((CALLED_STATION_ID, nas.called.encode("utf-8")))
    attrs.append((CALLING_STATION_ID, calling_station.encode("ascii")))
    if nas.nas_id != "-":
        attrs.append((NAS_IDENTIFIER, nas.nas_id.encode("utf-8")))
    if protocol == "EAP":
        attrs.extend(F.eap_attributes(_eap_response(attempt, round_, identifier, rng)))
    if round_.state_in is not None:
        attrs.append((STATE, round_.state_in))
    if nas.proxy_state:
        attrs.append((PROXY_STATE, b"\x00\x00\x00" + bytes([identifier])))
    if nas.message_authenticator or protocol == "EAP":
        attrs.append((MESSAGE_AUTHENTICATOR, bytes(16)))
    attrs = _with_message_authenticator(1, identifier, authenticator, attrs, secret)
    return F.radius(1, identifier, authenticator, attrs)


def _eap_response(attempt: Attempt, round_: Round, identifier: int, rng: random.Random) -> bytes:
    """EAP-Response/Identity first, then PEAP (TLS records, opaque here) in later rounds."""
    eap_id = round_.eap_step & 0xFF
    if round_.eap_step == 0:
        body = bytes([EAP_IDENTITY]) + attempt.user.encode("utf-8")
    else:
        body = bytes([EAP_PEAP, 0x00]) + rng.randbytes(rng.randrange(60, 240))
    return struct.pack("!BBH", EAP_RESPONSE, eap_id, 4 + len(body)) + body


def answer(attempt: Attempt, round_: Round, identifier: int, request_authenticator: bytes, rng: random.Random) -> bytes:
    """NPS's answer to ``round_`` (Access-Accept, -Reject or -Challenge), signed with the client's secret."""
    assert round_.answer is not None
    nas = attempt.nas
    secret = shared_secret(nas)
    attrs: list[tuple[int, bytes]] = []
    if round_.answer == ACCESS_CHALLENGE and round_.state_out is not None:
        attrs.append((STATE, round_.state_out))
    if nas.protocol == "EAP":
        eap_id = (round_.eap_step + 1) & 0xFF
        if round_.answer == ACCESS_CHALLENGE:
            body = bytes([EAP_PEAP, 0x00]) + rng.randbytes(rng.randrange(40, 200))
            eap = struct.pack("!BBH", EAP_REQUEST, eap_id, 4 + len(body)) + body
        else:
            eap = struct.pack("!BBH", EAP_SUCCESS if round_.answer == ACCESS_ACCEPT else EAP_FAILURE, eap_id, 4)
        attrs.extend(F.eap_attributes(eap))
    if nas.proxy_state:
        attrs.append((PROXY_STATE, b"\x00\x00\x00" + bytes([identifier])))
    attrs.append((MESSAGE_AUTHENTICATOR, bytes(16)))
    attrs = _with_message_authenticator(round_.answer, identifier, request_authenticator, attrs, secret)
    unsigned = F.radius(round_.answer, identifier, request_authenticator, attrs)
    response_authenticator = hashlib.md5(unsigned + secret, usedforsecurity=False).digest()
    return F.radius(round_.answer, identifier, response_authenticator, attrs)
