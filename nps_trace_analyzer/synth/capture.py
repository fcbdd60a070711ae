"""The bundle's nettrace.etl: the NPS server's packets during the day, as ``netsh trace capture=yes`` logs them.

Input is what the scenarios recorded (:mod:`nps_trace_analyzer.synth.scenarios.wire`): RADIUS rounds
between clients and NPS, and the HTTPS calls the extension made. This module adds what the network does on
its own and turns everything into Ethernet frames, one NDIS-PacketCapture 1001 event each
(:func:`~nps_trace_analyzer.synth.etl.capture.ndis_events`), written by the project's ETL writer:

* RADIUS (UDP 1812): every Access-Request, its retransmissions (the client's timeout elapsed before NPS
  answered) and NPS's answer, built by :mod:`nps_trace_analyzer.synth.capture_radius`.
* DNS: before a call, a query for the host when the cached answer (TTL 300 s) has expired.
* TCP/TLS: SYN, SYN-ACK, ACK, ClientHello with SNI offering TLS 1.2, ServerHello; or the failure the
  scenario asked for (a ClientHello limited to TLS 1.0/1.1 answered by a ``protocol_version`` alert; SYNs
  resent after 3 and 9 seconds and never answered).
* The extension's access token: fetched from the STS host when NPS starts and every 55 minutes after, as
  long as the extension is loaded.

Randomness (ports, identifiers, authenticators, round-trip times) comes from a generator seeded apart from
the event logs' one, so the trace is reproducible and does not move any event.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from nps_trace_analyzer.synth import capture_radius
from nps_trace_analyzer.synth.etl import frames as F
from nps_trace_analyzer.synth.etl.capture import ndis_events
from nps_trace_analyzer.synth.etl.writer import EtlEventSpec, EtlWriter, datetime_to_filetime
from nps_trace_analyzer.synth.scenarios.settings import ServerSettings
from nps_trace_analyzer.synth.scenarios.wire import (
    CALL_OK,
    CALL_TCP_NO_ANSWER,
    CALL_TLS_LEGACY,
    Attempt,
    MfaCall,
)
from nps_trace_analyzer.synth.scenarios.world import DNS_SERVER, ENDPOINT_ADDRESSES, NPS_ADDRESS

CAPTURE_NAME = "nettrace.etl"
LOGGER_NAME = "NetTrace"  # netsh trace's session name
DNS_TTL = timedelta(seconds=300)
TOKEN_LIFETIME = timedelta(minutes=55)
SYN_RETRIES = (3.0, 9.0)  # Windows resends an unanswered SYN after 3 s, then 6 s more
TLS_ALERT_PROTOCOL_VERSION = 70

NPS_MAC = bytes.fromhex("00155d0a0014")
GATEWAY_MAC = bytes.fromhex("00155d0a0001")
DNS_MAC = bytes.fromhex("00155d0a000a")
MINIPORT_IF_INDEX = 7


@dataclass(frozen=True)
class Frame:
    """One captured frame: when, which way (``"in"`` to NPS, ``"out"`` from it), the bytes, and what it is."""

    time: datetime
    direction: str
    data: bytes
    what: str


@dataclass
class CaptureTrace:
    """A capture ready to write: the frames (for tests) and their ETL events."""

    start: datetime
    frames: list[Frame] = field(default_factory=list)
    events: list[EtlEventSpec] = field(default_factory=list)

    @property
    def start_filetime(self) -> int:
        return datetime_to_filetime(self.start)


class _Builder:
    """Turns wire records into frames; keeps per-host counters (IP ids, ports, RADIUS identifiers, DNS cache)."""

    def __init__(self, settings: ServerSettings, rng: random.Random) -> None:
        self.settings = settings
        self.rng = rng
        self.frames: list[Frame] = []
        self.ip_ids: dict[str, int] = {}
        self.next_port = 49_800 + rng.randrange(2_000)
        self.radius_ids: dict[str, int] = {}
        self.dns_valid_until: dict[str, datetime] = {}

    # -- low level ---------------------------------------------------------------------------------------

    def _ip_id(self, host: str) -> int:
        value = self.ip_ids.get(host, self.rng.randrange(1, 0xFFFF))
        self.ip_ids[host] = (value + 1) & 0xFFFF
        return value

    def _frame(self, when: datetime, src: str, dst: str, proto: int, segment: bytes, what: str) -> None:
        outgoing = src == NPS_ADDRESS
        peer = dst if outgoing else src
        peer_mac = DNS_MAC if peer == DNS_SERVER else GATEWAY_MAC
        ttl = 128 if outgoing or peer == DNS_SERVER else (112 if peer in ENDPOINT_ADDRESSES.values() else 127)
        packet = F.ip_packet(src, dst, proto, segment, ip_id=self._ip_id(src), ttl=ttl)
        data = F.ethernet(packet, src_mac=NPS_MAC if outgoing else peer_mac, dst_mac=peer_mac if outgoing else NPS_MAC)
        self.frames.append(Frame(when, "out" if outgoing else "in", data, what))

    def _udp(self, when: datetime, src: str, dst: str, sport: int, dport: int, payload: bytes, what: str) -> None:
        self._frame(when, src, dst, 17, F.udp(src, dst, sport, dport, payload), what)

    def _tcp(
        self, when: datetime, src: str, dst: str, ports: tuple[int, int], flags: int, seq: int, ack: int, what: str,
        payload: bytes = b"",
    ) -> None:  # fmt: skip
        self._frame(when, src, dst, 6, F.tcp(src, dst, ports[0], ports[1], flags, payload, seq=seq, ack=ack), what)

    def _port(self) -> int:
        port = self.next_port
        self.next_port = 49_152 + (self.next_port - 49_152 + 1) % 16_000
        return port

    def _rtt(self, host: str) -> timedelta:
        low, high = (0.0004, 0.002) if host == DNS_SERVER else (0.008, 0.03)
        return timedelta(microseconds=round(self.rng.uniform(low, high) * 1_000_000))

    # -- RADIUS ------------------------------------------------------------------------------------------

    def attempt(self, attempt: Attempt) -> None:
        nas = attempt.nas
        wireless = nas.port_type.startswith("Wireless")
        if wireless:
            calling = "-".join(f"{self.rng.randrange(256):02X}" for _ in range(6))
        else:
            calling = f"198.51.100.{self.rng.randrange(2, 250)}"
        for round_ in attempt.rounds:
            identifier = self.radius_ids.get(nas.ip, self.rng.randrange(256))
            self.radius_ids[nas.ip] = (identifier + 1) & 0xFF
            authenticator = self.rng.randbytes(16)
            message = capture_radius.request(attempt, round_, identifier, authenticator, calling, self.rng)
            ports = (nas.port, 1812)
            self._udp(round_.sent, nas.ip, NPS_ADDRESS, *ports, message, f"Access-Request {attempt.user}")
            for again in round_.retransmissions(nas):
                self._udp(again, nas.ip, NPS_ADDRESS, *ports, message, f"Access-Request {attempt.user} (resent)")
            if round_.answer is not None and round_.answered is not None:
                reply = capture_radius.answer(attempt, round_, identifier, authenticator, self.rng)
                self._udp(round_.answered, NPS_ADDRESS, nas.ip, 1812, nas.port, reply, f"answer {round_.answer}")

    # -- DNS, TCP, TLS -----------------------------------------------------------------------------------

    def _resolve(self, when: datetime, host: str) -> tuple[datetime, str]:
        """Query ``host`` unless cached; return when the address is known and the address."""
        address = ENDPOINT_ADDRESSES[host]
        if when < self.dns_valid_until.get(host, when):
            return when, address
        query_id = self.rng.randrange(0x10000)
        port = self._port()
        self._udp(when, NPS_ADDRESS, DNS_SERVER, port, 53, F.dns_query(query_id, host), f"DNS query {host}")
        answered = when + self._rtt(DNS_SERVER)
        reply = F.dns_response(query_id, host, [address])
        self._udp(answered, DNS_SERVER, NPS_ADDRESS, 53, port, reply, f"DNS answer {host}")
        self.dns_valid_until[host] = answered + DNS_TTL
        return answered + timedelta(microseconds=150), address

    def call(self, call: MfaCall) -> None:
        when, address = self._resolve(call.time, call.host)
        ports = (self._port(), 443)
        back = (ports[1], ports[0])
        seq, server_seq = self.rng.getrandbits(32), self.rng.getrandbits(32)
        self._tcp(when, NPS_ADDRESS, address, ports, 0x02, seq, 0, f"SYN {call.host}")
        if call.outcome == CALL_TCP_NO_ANSWER:
            for delay in SYN_RETRIES:
                self._tcp(when + timedelta(seconds=delay), NPS_ADDRESS, address, ports, 0x02, seq, 0, "SYN (resent)")
            return
        rtt = self._rtt(call.host)
        synack = when + rtt
        self._tcp(synack, address, NPS_ADDRESS, back, 0x12, server_seq, seq + 1, f"SYN-ACK {call.host}")
        ack_time = synack + timedelta(microseconds=90)
        self._tcp(ack_time, NPS_ADDRESS, address, ports, 0x10, seq + 1, server_seq + 1, "ACK")
        if call.outcome == CALL_TLS_LEGACY:
            hello = F.tls_client_hello(call.host, (), legacy_version=0x0302)
        else:
            hello = F.tls_client_hello(call.host, (), legacy_version=0x0303)
        hello_time = ack_time + timedelta(microseconds=220)
        self._tcp(hello_time, NPS_ADDRESS, address, ports, 0x18, seq + 1, server_seq + 1, "ClientHello", hello)
        answered = hello_time + rtt + timedelta(microseconds=self.rng.randrange(300, 3_000))
        if call.outcome == CALL_TLS_LEGACY:
            alert = F.tls_alert(TLS_ALERT_PROTOCOL_VERSION)
            self._tcp(answered, address, NPS_ADDRESS, back, 0x18, server_seq + 1, seq + 1 + len(hello), "alert", alert)
            return
        server_hello = F.tls_server_hello(0x0303)
        self._tcp(
            answered, address, NPS_ADDRESS, back, 0x18, server_seq + 1, seq + 1 + len(hello), "ServerHello",
            server_hello,
        )  # fmt: skip


def _token_refreshes(settings: ServerSettings, start: datetime, end: datetime) -> list[MfaCall]:
    """The extension's token fetches (STS host) from ``start`` to ``end``, while it is loaded."""
    if not settings.extension_active:
        return []
    calls = []
    when = start + timedelta(seconds=20)
    while when <= end:
        calls.append(MfaCall(when, settings.sts_host, CALL_OK))
        when += TOKEN_LIFETIME
    return calls


def build_capture(attempts: Iterable[Attempt], settings: ServerSettings, *, day: date, seed: int) -> CaptureTrace:
    """All frames of the day's capture and their NDIS events, in time order."""
    attempts = list(attempts)
    rng = random.Random(f"{seed}:capture")
    day_start = datetime.combine(day, time(7, 0), tzinfo=timezone.utc)
    firsts = [a.start for a in attempts] + [c.time for a in attempts for c in a.calls]
    start = min([day_start, *firsts]) - timedelta(minutes=1)
    lasts = [r.answered or r.sent for a in attempts for r in a.rounds] + [c.time for a in attempts for c in a.calls]
    end = max([start, *lasts])
    builder = _Builder(settings, rng)
    calls = [call for attempt in attempts for call in attempt.calls]
    calls += _token_refreshes(settings, start, end)
    for attempt in sorted(attempts, key=lambda a: a.start):
        builder.attempt(attempt)
    for call in sorted(calls, key=lambda c: c.time):
        builder.call(call)
    return trace_from_frames(builder.frames, start, rng)


def trace_from_frames(frames: Iterable[Frame], start: datetime, rng: random.Random) -> CaptureTrace:
    """A capture of ``frames`` (sorted by time here) starting at ``start``, with their NDIS events."""
    frames = sorted(frames, key=lambda f: f.time)
    trace = CaptureTrace(start=start, frames=frames)
    for frame in frames:
        trace.events.extend(
            ndis_events(
                frame.data,
                datetime_to_filetime(frame.time),
                miniport=MINIPORT_IF_INDEX,
                lower=MINIPORT_IF_INDEX,
                direction=frame.direction,
                processor=rng.randrange(2),
            )
        )
    return trace


def write_capture(path: str | Path, trace: CaptureTrace) -> Path:
    """Write ``trace`` as an .etl file (the project's ETL writer: 64 KB buffers, two processors)."""
    writer = EtlWriter(trace.start_filetime, logger_name=LOGGER_NAME, processors=2)
    writer.extend(trace.events)
    target = Path(path)
    with target.open("wb") as fh:
        writer.write(fh)
    return target
