"""What each episode put on the network: RADIUS rounds between a client and NPS, HTTPS calls to the MFA service.

Why: the bundle's nettrace.etl and the NPS accounting log must tell the same story as the event logs, to the
millisecond and the user. Episodes already decide when things happen; they record here *what crossed the
wire* and when, in protocol terms (request, answer, State, which MFA host and how the connection went). The
capture writer (:mod:`nps_trace_analyzer.synth.capture`) and the accounting writer
(:mod:`nps_trace_analyzer.synth.scenarios.accounting`) turn these records into bytes; neither invents timing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nps_trace_analyzer.synth.scenarios.world import Nas

# RADIUS codes an answer can have.
ACCESS_ACCEPT = 2
ACCESS_REJECT = 3
ACCESS_CHALLENGE = 11

# How a call to an MFA/Entra host goes.
CALL_OK = "ok"  # DNS (if not cached), SYN/SYN-ACK, ClientHello (TLS 1.2) / ServerHello
CALL_TLS_LEGACY = "tls-legacy"  # the ClientHello offers only TLS 1.0/1.1; the server answers protocol_version
CALL_TCP_NO_ANSWER = "tcp-no-answer"  # SYN and its retransmissions, no SYN-ACK (a firewall drops 443)
CALL_OUTCOMES = (CALL_OK, CALL_TLS_LEGACY, CALL_TCP_NO_ANSWER)


@dataclass
class Round:
    """One Access-Request and NPS's answer to it (``answer`` None: dropped or discarded, never answered).

    ``state_in`` is the State the client echoes from the previous Access-Challenge; ``state_out`` the State
    NPS sets on an Access-Challenge. ``secret`` is what a PAP User-Password hides (password, then the OTP).
    """

    sent: datetime
    answer: int | None = None
    answered: datetime | None = None
    state_in: bytes | None = None
    state_out: bytes | None = None
    secret: str = ""
    eap_step: int = 0  # EAP: 0 = Identity, then method rounds

    def retransmissions(self, nas: Nas) -> list[datetime]:
        """When the client resends this request: every ``nas.timeout`` seconds until the answer, at most
        ``nas.retries`` times. Unanswered requests are sent once: NPS logs every dropped or discarded packet
        (System 13/18/4418, Security 6274), and the scenarios log one event per request."""
        if self.answered is None:
            return []
        out: list[datetime] = []
        step = self.sent
        for _ in range(nas.retries):
            step = step + timedelta(seconds=nas.timeout)
            if step >= self.answered:
                break
            out.append(step)
        return out


@dataclass
class MfaCall:
    """The NPS server opening an HTTPS connection to ``host`` at ``time`` (one per MFA/token request)."""

    time: datetime
    host: str
    outcome: str = CALL_OK


@dataclass
class Attempt:
    """One authentication by one user through one RADIUS client, as seen on the wire and in the NPS log.

    ``logged`` False: NPS dropped the requests before processing (unknown client, bad Message-Authenticator,
    Proxy-State hardening), so the accounting log has no row for them. ``reason`` is the NPS reason code of a
    final Access-Reject (accounting Reason-Code), ``policy`` the network policy that matched.
    """

    nas: Nas
    user: str
    sam: str
    rounds: list[Round] = field(default_factory=list)
    calls: list[MfaCall] = field(default_factory=list)
    logged: bool = True
    reason: int | None = None
    policy: str = ""

    @property
    def start(self) -> datetime:
        """The first request (every attempt has at least one round)."""
        return self.rounds[0].sent
