"""Turn captured packets into typed findings: RADIUS exchanges, DNS queries, TCP attempts, TLS handshakes.

Input is a time-ordered stream of :class:`Frame` (the ETL reader's ``Packet`` is one); only each
packet's first sighting is used (``Packet.first``), so a frame logged at several NDIS layers or PktMon
components counts once. Output is a :class:`CaptureSummary` of plain dataclasses that later stages (the
findings/incidents pipeline, reports) can join with the NPS and extension event logs by time, user and NAS.

What is tracked and why:

* **RadiusExchange** per request, keyed by (NAS address, NAS port, server address, server port, Identifier)
  and told apart from a reused Identifier by its Request Authenticator. A repeat with the same
  authenticator is a *retransmission*: the NAS gave up waiting (its retry interval is the gap to the first
  repeat). The response delay against that interval shows whether NPS (waiting on the MFA extension)
  answered after the NAS had already retried - the classic "VPN times out while the phone rings" case.
* **DnsQuery** per (client, server, DNS id, name, type) with rcode and answers, or no answer at all.
* **TcpAttempt** per connection (SYN): answered with SYN-ACK, refused with RST, or never answered (a
  firewall dropping HTTPS to the Entra endpoints).
* **TlsHandshake** per TCP connection: ClientHello SNI and offered versions, ServerHello version, alerts.

Names of the Entra/MFA endpoints (public cloud, US Government, China) are matched to flag the findings
that matter for the NPS extension.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Protocol

from nps_trace_analyzer.core.domain import MFA_ENDPOINTS
from nps_trace_analyzer.core.wintime import filetime_to_datetime
from nps_trace_analyzer.net import dns as dnsmod
from nps_trace_analyzer.net import radius as rad
from nps_trace_analyzer.net import tcp_tls
from nps_trace_analyzer.net.frames import (
    TCP_ACK,
    TCP_RST,
    TCP_SYN,
    Datagram,
    Ipv4Reassembler,
    decode_frame,
)


class Frame(Protocol):
    """What the summary needs of one captured frame (``sources.etl.packets.Packet`` provides it): net stays free
    of the readers, which import net to decode what they read."""

    @property
    def filetime(self) -> int: ...
    @property
    def data(self) -> bytes: ...
    @property
    def link_type(self) -> int: ...
    @property
    def first(self) -> bool: ...


#: A DNS/TCP question still unanswered after this many 100 ns ticks (10 s) is reported as unanswered.
_TICKS_PER_SECOND: Final = 10_000_000


def is_mfa_endpoint(name: str | None) -> bool:
    """Whether a host name is one of the Entra/MFA endpoints the NPS extension must reach."""
    if not name:
        return False
    host = name.lower().rstrip(".")
    return any(host == ep or host.endswith("." + ep) for ep in MFA_ENDPOINTS)


def _seconds(ticks: int) -> float:
    return ticks / _TICKS_PER_SECOND


@dataclass
class RadiusExchange:
    """One RADIUS request (with its retransmissions) and the response that answered it, if any."""

    nas: str  # source address of the request (the RADIUS client as NPS sees it)
    nas_port: int
    server: str
    server_port: int
    identifier: int
    authenticator: str  # Request Authenticator, hex
    request_code: int
    request_filetime: int
    user_name: str | None
    protocol: str  # rad.AuthProtocol.* for Access-Request, "" for other codes
    eap_code: int | None
    eap_type: int | None
    state: str | None  # State echoed by the NAS (the request answers an earlier Access-Challenge)
    nas_ip: str | None
    nas_identifier: str | None
    has_message_authenticator: bool
    has_proxy_state: bool
    retransmission_filetimes: list[int] = field(default_factory=list)
    response_code: int | None = None
    response_filetime: int | None = None
    response_state: str | None = None  # State set by an Access-Challenge
    reply_message: str | None = None
    response_eap_code: int | None = None
    response_eap_type: int | None = None
    duplicate_responses: int = 0
    follows_challenge: bool = False  # the request's State matches an earlier Access-Challenge's State

    @property
    def request_time(self) -> datetime:
        """First sighting of the request."""
        return filetime_to_datetime(self.request_filetime)

    @property
    def response_time(self) -> datetime | None:
        """When the (first) response was seen."""
        return None if self.response_filetime is None else filetime_to_datetime(self.response_filetime)

    @property
    def retransmissions(self) -> int:
        """How often the NAS repeated the request before (or after) an answer."""
        return len(self.retransmission_filetimes)

    @property
    def response_delay(self) -> float | None:
        """Seconds from the first request to the response (None when unanswered)."""
        if self.response_filetime is None:
            return None
        return _seconds(self.response_filetime - self.request_filetime)

    @property
    def retry_interval(self) -> float | None:
        """Seconds the NAS waited before its first retransmission (its configured timeout), if it retried."""
        if not self.retransmission_filetimes:
            return None
        return _seconds(self.retransmission_filetimes[0] - self.request_filetime)

    @property
    def answered_after_retry(self) -> bool:
        """NPS answered only after the NAS had already retransmitted: the NAS timeout is too short."""
        return bool(
            self.response_filetime is not None
            and self.retransmission_filetimes
            and self.response_filetime > self.retransmission_filetimes[0]
        )

    @property
    def request_name(self) -> str:
        """Request code as text."""
        return rad.CODE_NAMES.get(self.request_code, str(self.request_code))

    @property
    def response_name(self) -> str:
        """Response code as text ('' when unanswered)."""
        if self.response_code is None:
            return ""
        return rad.CODE_NAMES.get(self.response_code, str(self.response_code))

    @property
    def eap_type_name(self) -> str:
        """EAP method of the exchange (the request's, else the server's), '' when not EAP."""
        value = self.eap_type if self.eap_type not in (None, 1) else self.response_eap_type or self.eap_type
        return "" if value is None else rad.EAP_TYPE_NAMES.get(value, str(value))


@dataclass
class DnsQuery:
    """One DNS question and its answer, if one was seen."""

    client: str
    server: str
    client_port: int
    dns_id: int
    name: str
    qtype: int
    query_filetime: int
    retransmissions: int = 0
    response_filetime: int | None = None
    rcode: int | None = None
    answers: list[tuple[str, str]] = field(default_factory=list)  # (type name, data)

    @property
    def query_time(self) -> datetime:
        """First sighting of the query."""
        return filetime_to_datetime(self.query_filetime)

    @property
    def answered(self) -> bool:
        """A response came back."""
        return self.response_filetime is not None

    @property
    def rcode_name(self) -> str:
        """Response code as text ('' when unanswered)."""
        return "" if self.rcode is None else dnsmod.RCODE_NAMES.get(self.rcode, str(self.rcode))

    @property
    def response_delay(self) -> float | None:
        """Seconds to the answer."""
        if self.response_filetime is None:
            return None
        return _seconds(self.response_filetime - self.query_filetime)

    @property
    def mfa_endpoint(self) -> bool:
        """The name is an Entra/MFA endpoint."""
        return is_mfa_endpoint(self.name)


@dataclass
class TcpAttempt:
    """One TCP connection attempt (SYN) and how the server answered."""

    client: str
    client_port: int
    server: str
    server_port: int
    syn_filetime: int
    syn_retransmissions: int = 0
    outcome: str = "no-answer"  # "synack", "rst" or "no-answer"
    answer_filetime: int | None = None
    server_name: str | None = None  # from the TLS SNI or the DNS answer that gave the address

    @property
    def syn_time(self) -> datetime:
        """First SYN."""
        return filetime_to_datetime(self.syn_filetime)

    @property
    def mfa_endpoint(self) -> bool:
        """The server is (by SNI or DNS) an Entra/MFA endpoint."""
        return is_mfa_endpoint(self.server_name)


@dataclass
class TlsHandshake:
    """The visible part of one TLS handshake on a TCP connection."""

    client: str
    client_port: int
    server: str
    server_port: int
    client_hello_filetime: int | None = None
    sni: str | None = None
    client_versions: tuple[int, ...] = ()
    server_hello_filetime: int | None = None
    server_version: int | None = None
    alerts: list[tuple[str, str, bool]] = field(default_factory=list)  # (sender "client"/"server", name, fatal)

    @property
    def server_version_name(self) -> str:
        """Negotiated version as text ('' when no ServerHello was seen)."""
        return tcp_tls.version_name(self.server_version)

    @property
    def completed_hello(self) -> bool:
        """Both hellos seen."""
        return self.client_hello_filetime is not None and self.server_hello_filetime is not None

    @property
    def mfa_endpoint(self) -> bool:
        """The SNI names an Entra/MFA endpoint."""
        return is_mfa_endpoint(self.sni)


@dataclass
class CaptureSummary:
    """Everything found in one capture, plus counts for the report's coverage table."""

    radius: list[RadiusExchange] = field(default_factory=list)
    dns: list[DnsQuery] = field(default_factory=list)
    tcp: list[TcpAttempt] = field(default_factory=list)
    tls: list[TlsHandshake] = field(default_factory=list)
    packets: int = 0
    ip_packets: int = 0
    radius_packets: int = 0
    radius_malformed: int = 0
    orphan_radius_responses: int = 0
    dns_packets: int = 0
    first_filetime: int | None = None
    last_filetime: int | None = None


class CaptureAnalyzer:
    """Feed packets in time order with :meth:`feed`; :meth:`summary` returns the findings so far."""

    def __init__(self) -> None:
        self.result = CaptureSummary()
        self._reasm = Ipv4Reassembler()
        self._radius_open: dict[tuple[str, int, str, int, int], RadiusExchange] = {}
        self._challenge_states: set[str] = set()
        self._dns_open: dict[tuple[str, int, str, int], list[DnsQuery]] = {}
        self._tcp: dict[tuple[str, int, str, int], TcpAttempt] = {}
        self._tls: dict[tuple[str, int, str, int], TlsHandshake] = {}
        self._names_by_address: dict[str, str] = {}

    def feed(self, packet: Frame) -> None:
        """Account for one packet (non-first sightings are ignored)."""
        if not packet.first:
            return
        res = self.result
        res.packets += 1
        if res.first_filetime is None:
            res.first_filetime = packet.filetime
        res.last_filetime = packet.filetime
        dgram = decode_frame(packet.data, packet.link_type)
        if dgram is None:
            return
        res.ip_packets += 1
        if dgram.fragment is not None:
            dgram = self._reasm.feed(dgram)
            if dgram is None:
                return
        if dgram.is_udp:
            if rad.is_radius_port(dgram.sport, dgram.dport):
                self._radius(dgram, packet.filetime)
            elif dgram.sport in dnsmod.DNS_PORTS or dgram.dport in dnsmod.DNS_PORTS:
                self._dns(dgram, packet.filetime)
        elif dgram.is_tcp:
            self._tcp_segment(dgram, packet.filetime)

    # -- RADIUS ------------------------------------------------------------------------------------------

    def _radius(self, dgram: Datagram, filetime: int) -> None:
        msg = rad.decode_radius(dgram.payload)
        if msg is None:
            self.result.radius_malformed += 1
            return
        self.result.radius_packets += 1
        if msg.malformed:
            self.result.radius_malformed += 1
        if msg.is_request:
            key = (dgram.src, dgram.sport, dgram.dst, dgram.dport, msg.identifier)
            auth = msg.authenticator.hex()
            current = self._radius_open.get(key)
            if current is not None and current.authenticator == auth and current.request_code == msg.code:
                current.retransmission_filetimes.append(filetime)
                return
            state = msg.state_text
            exchange = RadiusExchange(
                nas=dgram.src,
                nas_port=dgram.sport,
                server=dgram.dst,
                server_port=dgram.dport,
                identifier=msg.identifier,
                authenticator=auth,
                request_code=msg.code,
                request_filetime=filetime,
                user_name=msg.user_name,
                protocol=msg.auth_protocol if msg.code == rad.ACCESS_REQUEST else "",
                eap_code=msg.eap_code,
                eap_type=msg.eap_type,
                state=state,
                nas_ip=msg.nas_ip,
                nas_identifier=msg.nas_identifier,
                has_message_authenticator=msg.has_message_authenticator,
                has_proxy_state=msg.has_proxy_state,
                follows_challenge=state is not None and state in self._challenge_states,
            )
            self._radius_open[key] = exchange
            self.result.radius.append(exchange)
            return
        key = (dgram.dst, dgram.dport, dgram.src, dgram.sport, msg.identifier)
        exchange = self._radius_open.get(key)
        if exchange is None:
            self.result.orphan_radius_responses += 1
            return
        if exchange.response_filetime is not None:
            exchange.duplicate_responses += 1
            return
        exchange.response_code = msg.code
        exchange.response_filetime = filetime
        exchange.response_state = msg.state_text
        exchange.reply_message = msg.reply_message
        exchange.response_eap_code = msg.eap_code
        exchange.response_eap_type = msg.eap_type
        if msg.code == rad.ACCESS_CHALLENGE and exchange.response_state:
            self._challenge_states.add(exchange.response_state)
            if len(self._challenge_states) > 65_536:
                self._challenge_states.pop()

    # -- DNS ---------------------------------------------------------------------------------------------

    def _dns(self, dgram: Datagram, filetime: int) -> None:
        msg = dnsmod.decode_dns(dgram.payload)
        if msg is None or not msg.questions:
            return
        self.result.dns_packets += 1
        name, qtype = msg.questions[0]
        if not msg.is_response:
            key = (dgram.src, dgram.sport, dgram.dst, msg.id)
            pending = self._dns_open.setdefault(key, [])
            for query in pending:
                if query.name == name and query.qtype == qtype and query.response_filetime is None:
                    query.retransmissions += 1
                    return
            query = DnsQuery(dgram.src, dgram.dst, dgram.sport, msg.id, name, qtype, filetime)
            pending.append(query)
            self.result.dns.append(query)
            return
        key = (dgram.dst, dgram.dport, dgram.src, msg.id)
        for query in self._dns_open.get(key, []):
            if query.name.lower() == name.lower() and query.qtype == qtype and query.response_filetime is None:
                query.response_filetime = filetime
                query.rcode = msg.rcode
                query.answers = [(a.type_name, a.data) for a in msg.answers]
                for answer in msg.answers:
                    if answer.rtype in (1, 28):
                        self._names_by_address[answer.data] = name
                break

    # -- TCP / TLS ---------------------------------------------------------------------------------------

    def _tcp_segment(self, dgram: Datagram, filetime: int) -> None:
        flags = dgram.tcp_flags
        forward = (dgram.src, dgram.sport, dgram.dst, dgram.dport)
        reverse = (dgram.dst, dgram.dport, dgram.src, dgram.sport)
        if flags & TCP_SYN and not flags & TCP_ACK:
            attempt = self._tcp.get(forward)
            if attempt is not None and attempt.outcome == "no-answer":
                attempt.syn_retransmissions += 1
            else:
                attempt = TcpAttempt(
                    dgram.src,
                    dgram.sport,
                    dgram.dst,
                    dgram.dport,
                    filetime,
                    server_name=self._names_by_address.get(dgram.dst),
                )
                self._tcp[forward] = attempt
                self.result.tcp.append(attempt)
            return
        attempt = self._tcp.get(reverse)
        if attempt is not None and attempt.outcome == "no-answer":
            if flags & TCP_SYN and flags & TCP_ACK:
                attempt.outcome = "synack"
                attempt.answer_filetime = filetime
            elif flags & TCP_RST:
                attempt.outcome = "rst"
                attempt.answer_filetime = filetime
        if dgram.payload:
            self._tls_segment(dgram, filetime, forward, reverse)

    def _tls_segment(
        self,
        dgram: Datagram,
        filetime: int,
        forward: tuple[str, int, str, int],
        reverse: tuple[str, int, str, int],
    ) -> None:
        info = tcp_tls.decode_tls(dgram.payload)
        if info is None:
            return
        if info.client_hello:
            hs = self._tls.get(forward)
            if hs is None or (hs.client_hello_filetime is not None and hs.server_hello_filetime is not None):
                hs = TlsHandshake(dgram.src, dgram.sport, dgram.dst, dgram.dport)
                self._tls[forward] = hs
                self.result.tls.append(hs)
            if hs.client_hello_filetime is None:
                hs.client_hello_filetime = filetime
                hs.sni = info.sni
                hs.client_versions = info.client_versions
                attempt = self._tcp.get(forward)
                if attempt is not None and info.sni:
                    attempt.server_name = info.sni
        if reverse in self._tls:
            hs, sender = self._tls[reverse], "server"
        elif forward in self._tls:
            hs, sender = self._tls[forward], "client"
        else:
            return
        if info.server_hello and sender == "server" and hs.server_hello_filetime is None:
            hs.server_hello_filetime = filetime
            hs.server_version = info.server_version
        for alert in info.alerts:
            hs.alerts.append((sender, alert.name, alert.fatal))

    def summary(self) -> CaptureSummary:
        """The findings collected so far."""
        return self.result


def summarize(packets: Iterable[Frame]) -> CaptureSummary:
    """Analyse a time-ordered packet stream in one call."""
    analyzer = CaptureAnalyzer()
    for packet in packets:
        analyzer.feed(packet)
    return analyzer.summary()
