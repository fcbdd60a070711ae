"""TLS records seen in TCP payloads: ClientHello SNI/versions, ServerHello version, alerts (RFC 5246/8446).

The NPS extension talks HTTPS to the Entra endpoints and needs TLS 1.2; a failing handshake shows up as a
ClientHello without ServerHello, a fatal alert, or an old negotiated version. Only the first record(s) of
a segment are read (a ClientHello fits one segment in practice); no TCP stream reassembly. Anything
inconsistent returns what was understood so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

CONTENT_ALERT: Final = 21
CONTENT_HANDSHAKE: Final = 22
HANDSHAKE_CLIENT_HELLO: Final = 1
HANDSHAKE_SERVER_HELLO: Final = 2
EXT_SERVER_NAME: Final = 0
EXT_SUPPORTED_VERSIONS: Final = 43

VERSION_NAMES: Final[dict[int, str]] = {
    0x0300: "SSL 3.0",
    0x0301: "TLS 1.0",
    0x0302: "TLS 1.1",
    0x0303: "TLS 1.2",
    0x0304: "TLS 1.3",
}
ALERT_NAMES: Final[dict[int, str]] = {
    0: "close_notify",
    10: "unexpected_message",
    20: "bad_record_mac",
    22: "record_overflow",
    40: "handshake_failure",
    42: "bad_certificate",
    43: "unsupported_certificate",
    44: "certificate_revoked",
    45: "certificate_expired",
    46: "certificate_unknown",
    47: "illegal_parameter",
    48: "unknown_ca",
    49: "access_denied",
    50: "decode_error",
    51: "decrypt_error",
    70: "protocol_version",
    71: "insufficient_security",
    80: "internal_error",
    86: "inappropriate_fallback",
    90: "user_canceled",
    109: "missing_extension",
    110: "unsupported_extension",
    112: "unrecognized_name",
    116: "certificate_required",
    120: "no_application_protocol",
}


def version_name(version: int | None) -> str:
    """TLS version number as text ('TLS 1.2'), '' for None."""
    if version is None:
        return ""
    return VERSION_NAMES.get(version, f"0x{version:04x}")


@dataclass(frozen=True, slots=True)
class TlsAlert:
    """A TLS alert (only readable when not encrypted: before ChangeCipherSpec, or TLS 1.2 fatal alerts
    sent in the clear during the handshake)."""

    level: int  # 1 warning, 2 fatal
    description: int

    @property
    def name(self) -> str:
        """Alert description as text."""
        return ALERT_NAMES.get(self.description, str(self.description))

    @property
    def fatal(self) -> bool:
        """True for fatal alerts."""
        return self.level == 2


@dataclass(frozen=True, slots=True)
class TlsInfo:
    """What one TCP payload revealed about a TLS handshake."""

    record_version: int | None = None
    client_hello: bool = False
    server_hello: bool = False
    sni: str | None = None
    client_versions: tuple[int, ...] = ()  # legacy_version plus supported_versions, highest first
    server_version: int | None = None  # negotiated (supported_versions extension wins for TLS 1.3)
    alerts: tuple[TlsAlert, ...] = field(default_factory=tuple)


def _extensions(body: bytes, pos: int) -> dict[int, bytes]:
    if pos + 2 > len(body):
        return {}
    total = int.from_bytes(body[pos : pos + 2], "big")
    pos += 2
    end = min(len(body), pos + total)
    out: dict[int, bytes] = {}
    while pos + 4 <= end:
        etype = int.from_bytes(body[pos : pos + 2], "big")
        elen = int.from_bytes(body[pos + 2 : pos + 4], "big")
        out.setdefault(etype, body[pos + 4 : pos + 4 + elen])
        pos += 4 + elen
    return out


def _sni(ext: bytes) -> str | None:
    pos = 2  # server_name_list length
    while pos + 3 <= len(ext):
        ntype = ext[pos]
        nlen = int.from_bytes(ext[pos + 1 : pos + 3], "big")
        if ntype == 0:
            return ext[pos + 3 : pos + 3 + nlen].decode("ascii", errors="replace")
        pos += 3 + nlen
    return None


def _client_hello(body: bytes) -> tuple[str | None, tuple[int, ...]]:
    if len(body) < 38:
        return None, ()
    legacy = int.from_bytes(body[0:2], "big")
    pos = 34
    pos += 1 + body[pos]  # session id
    if pos + 2 > len(body):
        return None, (legacy,)
    pos += 2 + int.from_bytes(body[pos : pos + 2], "big")  # cipher suites
    if pos + 1 > len(body):
        return None, (legacy,)
    pos += 1 + body[pos]  # compression methods
    ext = _extensions(body, pos)
    versions = [legacy]
    sv = ext.get(EXT_SUPPORTED_VERSIONS)
    if sv:
        end = min(len(sv), 1 + sv[0])
        versions += [int.from_bytes(sv[i : i + 2], "big") for i in range(1, end - 1, 2)]
    real = sorted({v for v in versions if 0x0300 <= v <= 0x0304}, reverse=True)
    sni_ext = ext.get(EXT_SERVER_NAME)
    return (_sni(sni_ext) if sni_ext else None), tuple(real)


def _server_hello(body: bytes) -> int | None:
    if len(body) < 38:
        return None
    version = int.from_bytes(body[0:2], "big")
    pos = 34
    pos += 1 + body[pos]  # session id
    pos += 2 + 1  # cipher suite, compression method
    sv = _extensions(body, pos).get(EXT_SUPPORTED_VERSIONS)
    if sv and len(sv) == 2:
        return int.from_bytes(sv, "big")
    return version


def decode_tls(payload: bytes) -> TlsInfo | None:
    """Decode the TLS records at the start of a TCP payload; None if it does not start with one."""
    if len(payload) < 5 or payload[0] not in (20, CONTENT_ALERT, CONTENT_HANDSHAKE, 23):
        return None
    if payload[1] != 3 or payload[2] > 4:
        return None
    record_version = int.from_bytes(payload[1:3], "big")
    pos = 0
    client = server = False
    sni = None
    client_versions: tuple[int, ...] = ()
    server_version = None
    alerts = []
    records = 0
    while pos + 5 <= len(payload) and records < 16:
        ctype = payload[pos]
        if payload[pos + 1] != 3:
            break
        rlen = int.from_bytes(payload[pos + 3 : pos + 5], "big")
        body = payload[pos + 5 : pos + 5 + rlen]
        if ctype == CONTENT_HANDSHAKE and len(body) >= 4:
            htype = body[0]
            hlen = int.from_bytes(body[1:4], "big")
            hbody = body[4 : 4 + hlen]
            if htype == HANDSHAKE_CLIENT_HELLO:
                client = True
                sni, client_versions = _client_hello(hbody)
            elif htype == HANDSHAKE_SERVER_HELLO:
                server = True
                server_version = _server_hello(hbody)
        elif ctype == CONTENT_ALERT and len(body) == 2:
            alerts.append(TlsAlert(body[0], body[1]))
        pos += 5 + rlen
        records += 1
    return TlsInfo(
        record_version=record_version,
        client_hello=client,
        server_hello=server,
        sni=sni,
        client_versions=client_versions,
        server_version=server_version,
        alerts=tuple(alerts),
    )
