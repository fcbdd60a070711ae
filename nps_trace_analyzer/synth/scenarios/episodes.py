"""Episode kinds: the building blocks scenario definitions are made of.

An episode is one thing that happens on the server (a healthy sign-in, a sign-in that fails with an extension
error code, a burst of System events...). Each kind writes the events Windows and the extension would log for
it and records the incident the analyzer is expected to make of it, following the incident rules of the
diagnosis contract. Scenario definitions (``definitions.py``) only combine kinds with parameters.

Size: about 600 lines, kept whole on purpose: the shared sign-in steps (attempt, MFA call, answer, accounting
record) and the built-in kinds made of them are read together when a kind is added or changed; kinds of their
own topic live beside it (``failure_classes.py``) and register themselves with :func:`register_kind`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nps_trace_analyzer.synth.scenarios import texts
from nps_trace_analyzer.synth.scenarios.context import BookingError, BuildContext
from nps_trace_analyzer.synth.scenarios.wire import (
    ACCESS_ACCEPT,
    ACCESS_CHALLENGE,
    ACCESS_REJECT,
    CALL_OK,
    CALL_TCP_NO_ANSWER,
    CALL_TLS_LEGACY,
    Attempt,
    MfaCall,
    Round,
)
from nps_trace_analyzer.synth.scenarios.world import NAS_CLIENTS, POOL, SPECIAL, TENANT_ID, Nas, User

ALL_USERS: dict[str, User] = {user.name: user for user in (*POOL, *SPECIAL.values())}
RESERVED_USERS: frozenset[str] = frozenset(user.name for user in SPECIAL.values())


@dataclass(frozen=True)
class Cycle:
    """A parameter that takes the next of ``values`` on each repetition of an episode."""

    values: tuple[object, ...]


@dataclass(frozen=True)
class Episode:
    """One entry of a scenario: ``kind`` run ``repeat`` times with ``params``.

    ``spacing`` (seconds) books all repetitions as one block so that they happen in order (a user retrying);
    ``bounds`` ("HH:MM", "HH:MM") keeps the episode inside part of the day; ``outage`` marks that part of the
    day as an outage, which healthy traffic then avoids (nobody signs in fine while TLS 1.2 is off).
    """

    kind: str
    repeat: int = 1
    spacing: float | None = None
    bounds: tuple[str, str] | None = None
    outage: bool = False
    params: tuple[tuple[str, object], ...] = field(default=())

    def param(self, name: str, index: int, default: object = None) -> object:
        value = dict(self.params).get(name, default)
        if isinstance(value, Cycle):
            return value.values[index % len(value.values)]
        return value

    def users(self) -> set[str]:
        """Names of the users this episode names explicitly."""
        value = dict(self.params).get("user")
        values = value.values if isinstance(value, Cycle) else (value,)
        return {v for v in values if isinstance(v, str)}


def ep(
    kind: str,
    repeat: int = 1,
    *,
    spacing: float | None = None,
    bounds: tuple[str, str] | None = None,
    outage: bool = False,
    **params: object,
) -> Episode:
    """Shorthand for :class:`Episode` with keyword parameters."""
    if kind not in KINDS:
        raise ValueError(f"unknown episode kind {kind!r}")
    return Episode(kind, repeat, spacing, bounds, outage, tuple(sorted(params.items())))


class Placement:
    """Gives each repetition of an episode its start time (see :class:`Episode` for the rules)."""

    def __init__(self, ctx: BuildContext, episode: Episode, *, avoid_outages: bool = False) -> None:
        self.ctx = ctx
        self.episode = episode
        self.index = 0
        self.avoid_outages = avoid_outages
        self._block: datetime | None = None

    def place(self, keys: tuple[str, ...], span: timedelta) -> datetime:
        episode = self.episode
        if episode.spacing is None:
            return self.ctx.book(keys, span, bounds=episode.bounds, avoid_outages=self.avoid_outages)
        step = timedelta(seconds=episode.spacing)
        if self._block is None:
            total = step * (episode.repeat - 1) + span
            self._block = self.ctx.book(keys, total, bounds=episode.bounds, avoid_outages=self.avoid_outages)
        jitter = timedelta(seconds=self.ctx.rng.uniform(0, 8)) if self.index else timedelta()
        return self._block + step * self.index + jitter


def _secs(ctx: BuildContext, lo: float, hi: float) -> timedelta:
    return timedelta(seconds=round(ctx.rng.uniform(lo, hi), 6))


def _user_key(user: User) -> tuple[str, ...]:
    return (f"user:{user.name}",)


# --- the wire: what each kind sends, recorded for nettrace.etl and the accounting log ----------------------

# Seconds the extension waits for a TCP connection before HTTP_CONNECT_ERROR (Windows: SYN, +3 s, +6 s, give up).
TCP_CONNECT_TIMEOUT = 21.0


def _attempt(ctx: BuildContext, nas: Nas, user: User, first_request: datetime) -> Attempt:
    """Start recording one authentication; its first Access-Request goes out at ``first_request``."""
    attempt = Attempt(nas=nas, user=user.name, sam=user.sam, policy=nas.policy)
    attempt.rounds.append(Round(sent=first_request, secret=_password(user)))
    return attempt


def _password(user: User) -> str:
    return f"{user.sam.capitalize()}-2025!"


def _otp(ctx: BuildContext) -> str:
    return f"{ctx.net_rng.randrange(1_000_000):06d}"


def _call(ctx: BuildContext, attempt: Attempt, after: datetime) -> None:
    """The extension calls the MFA service (a new HTTPS connection) shortly after ``after``, when a request
    reached it."""
    attempt.calls.append(MfaCall(after + ctx.net_secs(0.02, 0.08), ctx.settings.mfa_host, CALL_OK))


def _eap_rounds(ctx: BuildContext, attempt: Attempt, challenges: list[datetime]) -> None:
    """EAP method rounds: each Access-Challenge at one of ``challenges``, the client's next request soon after.

    The first round (already recorded) is the EAP-Response/Identity. On return the last round is the
    request that completes the method; the caller answers it.
    """
    for n, when in enumerate(challenges):
        current = attempt.rounds[-1]
        current.answer, current.answered = ACCESS_CHALLENGE, when + ctx.net_secs(0.0005, 0.003)
        current.state_out = bytes(ctx.net_rng.getrandbits(8) for _ in range(16))
        attempt.rounds.append(
            Round(
                sent=current.answered + ctx.net_secs(0.005, 0.03),
                state_in=current.state_out,
                eap_step=n + 1,
            )
        )


def _wire_only_challenges(ctx: BuildContext, first_request: datetime, rounds: int = 2) -> list[datetime]:
    """Times of EAP Access-Challenges no event shows (PEAP's TLS tunnel set-up), tens of ms apart."""
    out: list[datetime] = []
    when = first_request
    for _ in range(rounds):
        when += ctx.net_secs(0.04, 0.09)
        out.append(when)
    return out


def _answer(ctx: BuildContext, attempt: Attempt, code: int, when: datetime) -> None:
    """NPS answers the last request just after ``when`` (the moment it logged its decision)."""
    last = attempt.rounds[-1]
    last.answer, last.answered = code, when + ctx.net_secs(0.0005, 0.004)


def _record(ctx: BuildContext, attempt: Attempt) -> bool:
    """Keep ``attempt``; True when its client resent a request before NPS answered.

    The contract makes that a "server" incident per RADIUS client (CAPTURE-NAS-RETRANSMISSION).
    """
    ctx.attempts.append(attempt)
    resent = any(r.retransmissions(attempt.nas) for r in attempt.rounds)
    if resent and ctx.capture:
        ctx.expect_server("CAPTURE-NAS-RETRANSMISSION", nas=attempt.nas.ip)
    return resent


# --- kinds ------------------------------------------------------------------------------------------------


def healthy(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User) -> None:
    """A successful sign-in: 6272, preceded by an answered OTP challenge for code users on PAP clients.

    A client that sends neither NAS-Identifier nor NAS-IP-Address also gets the extension's E7 warning
    (and E8 when ``ip_whitelist`` says an IP_WHITELIST is configured).
    """
    nas_key = episode.param("nas", i)
    nas = NAS_CLIENTS[str(nas_key)] if nas_key else ctx.pick_healthy_nas(user)
    start = place.place(_user_key(user), timedelta(seconds=60))
    attempt = _attempt(ctx, nas, user, start - ctx.net_secs(0.01, 0.08))
    if not ctx.settings.extension_active:
        _healthy_without_extension(ctx, attempt, user, nas, start)
        return
    cursor = start
    if nas.nas_ip == "-" and nas.nas_id == "-":
        ctx.mfa("AuthZOptCh", 4, 3, cursor, texts.NAS_ATTRIBUTES_MISSING)
        ctx.expect_server("NAS_ATTRIBUTES_MISSING")
        if episode.param("ip_whitelist", i):
            cursor += _secs(ctx, 0.001, 0.02)
            ctx.mfa("AuthZOptCh", 4, 3, cursor, texts.IP_WHITE_LIST_WARNING)
            ctx.expect_server("IP_WHITE_LIST_WARNING")
    rounds = int(str(episode.param("eap_rounds", i, 0)))
    challenges: list[datetime] = []
    for _ in range(rounds):
        # Each inner EAP round trip is an Access-Challenge the extension sees and lets pass (E10).
        cursor += _secs(ctx, 0.05, 0.4)
        ctx.mfa("AuthZOptCh", 1, 4, cursor, texts.secondary_auth_ignored(user.name, "AccessChallenge"))
        challenges.append(cursor)
    if rounds:
        ctx.expect_server("SECONDARY_AUTH_ACCESS_CHALLENGE")
    elif nas.protocol == "EAP":
        # PEAP always takes a few round trips; without the E10 events the extension simply did not log them.
        challenges = _wire_only_challenges(ctx, attempt.start)
    _eap_rounds(ctx, attempt, challenges)
    if user.method in ("otp", "sms") and nas.pap:
        _call(ctx, attempt, attempt.rounds[-1].sent)
        cursor += _secs(ctx, 0.2, 0.9)
        cid, state = ctx.guid(), ctx.guid()
        ctx.mfa("AuthZOptCh", 1, 4, cursor, texts.challenge_requested(cid, user.name, state))
        _answer(ctx, attempt, ACCESS_CHALLENGE, cursor)
        attempt.rounds[-1].state_out = ctx.state_bytes(state)
        cursor += _secs(ctx, 8, 40)
        reply = Round(sent=cursor - ctx.net_secs(0.3, 1.2), state_in=ctx.state_bytes(state), secret=_otp(ctx))
        attempt.rounds.append(reply)
        _call(ctx, attempt, reply.sent)
    else:
        _call(ctx, attempt, attempt.rounds[-1].sent)
        low, high = episode.param("approve", i, (3, 20))  # type: ignore[misc]
        cursor += _secs(ctx, float(low), float(high))
    ctx.security(6272, cursor, user, nas)
    _answer(ctx, attempt, ACCESS_ACCEPT, cursor)
    _record(ctx, attempt)


def _healthy_without_extension(ctx: BuildContext, attempt: Attempt, user: User, nas: Nas, start: datetime) -> None:
    """NPS does not load the extension: no AzureMfa event, no MFA call; access on primary authentication."""
    if nas.protocol == "EAP":
        _eap_rounds(ctx, attempt, _wire_only_challenges(ctx, attempt.start))
    granted = attempt.rounds[-1].sent + _secs(ctx, 0.02, 0.3)
    ctx.security(6272, granted, user, nas)
    _answer(ctx, attempt, ACCESS_ACCEPT, granted)
    _record(ctx, attempt)


_BODIES: dict[str, Callable[[BuildContext, Episode, int, User, datetime], str]] = {
    "ests-sp-disabled": lambda ctx, _e, _i, _u, t: texts.ests_service_principal_disabled(
        ctx.guid(), ctx.guid(), t - timedelta(seconds=1)
    ),
    "ests-cert-expired": lambda ctx, _e, _i, _u, t: texts.ests_certificate_expired(
        ctx.guid(),
        ctx.guid(),
        t - timedelta(seconds=1),
        hashlib.sha1(ctx.computer.encode(), usedforsecurity=False).hexdigest().upper(),
        (ctx.day - timedelta(days=731)).strftime("%m/%d/%Y 09:14:02"),
        (ctx.day - timedelta(days=1)).strftime("%m/%d/%Y 09:14:02"),
    ),
    "ests-cert-missing": lambda ctx, _e, _i, _u, _t: texts.ests_certificate_missing(TENANT_ID),
    "ests-aadsts": lambda ctx, episode, i, _u, t: texts.ests_nested_aadsts(
        str(episode.param("aadsts", i)),
        str(episode.param("detail", i)),
        ctx.guid(),
        ctx.guid(),
        t - timedelta(seconds=1),
    ),
    "https": lambda ctx, _e, _i, _u, _t: texts.https_communication_error(ctx.settings.mfa_host),
    "http-connect": lambda ctx, _e, _i, _u, _t: texts.http_connect_error(ctx.settings.mfa_host),
    "request-missing-code": lambda _c, _e, _i, _u, _t: texts.REQUEST_MISSING_CODE_BODY,
    "canonicalization": lambda _c, _e, _i, user, _t: texts.username_canonicalization_error(user.name),
    "alternate-login-id": lambda _c, episode, i, _u, _t: str(episode.param("message", i)),
}


# Which HTTPS call (host, outcome) a failing extension made before logging each error body; None: it failed
# before reaching the network (no certificate, an on-premises directory lookup).
_BODY_CALLS: dict[str, tuple[str, str] | None] = {
    "ests-sp-disabled": ("sts", CALL_OK),
    "ests-cert-expired": ("sts", CALL_OK),
    "ests-cert-missing": None,
    "ests-aadsts": ("sts", CALL_OK),
    "https": ("mfa", CALL_TLS_LEGACY),
    "http-connect": ("mfa", CALL_TCP_NO_ANSWER),
    "request-missing-code": ("mfa", CALL_OK),
    "canonicalization": None,
    "alternate-login-id": None,
}
_CALL_CODES: dict[str, tuple[str, ...]] = {
    CALL_OK: (),
    CALL_TLS_LEGACY: ("CAPTURE-TLS-LEGACY-ONLY", "CAPTURE-TLS-ALERT"),
    CALL_TCP_NO_ANSWER: ("CAPTURE-TCP-NO-ANSWER",),
}


def mfa_exception(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User) -> None:
    """A sign-in the extension fails with an error code ("Exception in Authentication Ext", E4/E5).

    NPS then rejects it (6273 reason 21) or discards it (6274 reason 9); with ``schannel`` a TLS client
    credential failure (Schannel 36871) is logged just before, as when TLS 1.2 is disabled.
    On the wire the failing call shows: a ClientHello offering only TLS 1.0/1.1 answered by a
    protocol_version alert, or SYNs never answered for 21 s before HTTP_CONNECT_ERROR.
    """
    code = str(episode.param("code", i))
    nas = NAS_CLIENTS[str(episode.param("nas", i, "vpn"))]
    schannel = bool(episode.param("schannel", i))
    body_name = str(episode.param("body", i))
    # TLS failures stay more than 5 minutes apart, so each Schannel event has exactly one error to join.
    keys = (*_user_key(user), "schannel") if schannel else _user_key(user)
    start = place.place(keys, timedelta(seconds=30))
    cid = ctx.guid()
    codes = [code]
    call = _BODY_CALLS[body_name]
    if call is None:
        attempt = _attempt(ctx, nas, user, start - ctx.net_secs(0.02, 0.2))
    else:
        host = ctx.settings.sts_host if call[0] == "sts" else ctx.settings.mfa_host
        if call[1] == CALL_TCP_NO_ANSWER:
            connect = start - timedelta(seconds=TCP_CONNECT_TIMEOUT) - ctx.net_secs(0.05, 0.5)
        else:
            connect = start - ctx.net_secs(0.3, 1.2)
        attempt = _attempt(ctx, nas, user, connect - ctx.net_secs(0.02, 0.1))
        attempt.calls.append(MfaCall(connect, host, call[1]))
        codes.extend(ctx.capture_codes(*_CALL_CODES[call[1]]))
    if schannel:
        failed = start - _secs(ctx, 0.05, 1.5)
        ctx.schannel(failed)
        codes.append("SYSTEM-SCHANNEL-36871")
        if attempt.calls:  # the connection and its ClientHello go out just before Schannel logs the failure
            attempt.calls[-1].time = failed - ctx.net_secs(0.005, 0.03)
            attempt.rounds[0].sent = attempt.calls[-1].time - ctx.net_secs(0.02, 0.1)
    if code == "REQUEST_MISSING_CODE" and nas.protocol != "PAP":
        codes.extend(ctx.capture_codes("CAPTURE-NON-PAP-PROTOCOL"))
    body = _BODIES[body_name](ctx, episode, i, user, start)
    double = bool(episode.param("double_space", i, True))
    message = texts.exception_in_authentication(cid, user.name, code, body, double_space=double)
    ctx.mfa(str(episode.param("log", i, "AuthZAdminCh")), 2, 2, start, message)
    outcome = str(episode.param("nps", i, "6273"))
    reason = 21 if outcome == "6273" else 9
    decided = start + _secs(ctx, 0.01, 0.8)
    ctx.security(int(outcome), decided, user, nas, reason=reason)
    codes.extend(ctx.audit_codes(f"NPS-REASON-{reason}"))
    if outcome == "6273":  # a discarded request (6274) gets no answer at all
        _answer(ctx, attempt, ACCESS_REJECT, decided)
    attempt.reason = reason
    _record(ctx, attempt)
    ctx.expect_sign_in(cid, str(episode.param("expect", i, code)), tuple(codes))


def mfa_reject(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User) -> None:
    """The cloud MFA service answers with a response code (E3); NPS rejects with 6273 reason 21.

    With ``challenge`` the user first got an OTP challenge (E1) under the same CID and answered it.
    """
    response = str(episode.param("response", i))
    nas = NAS_CLIENTS[str(episode.param("nas", i, "vpn"))]
    challenge = bool(episode.param("challenge", i))
    start = place.place(_user_key(user), timedelta(seconds=90 if challenge else 30))
    cid = ctx.guid()
    codes = list(ctx.audit_codes("NPS-REASON-21"))
    cursor = start
    if challenge:
        attempt = _attempt(ctx, nas, user, start - ctx.net_secs(0.2, 0.9))
        _call(ctx, attempt, attempt.start)
        state = ctx.guid()
        ctx.mfa("AuthZOptCh", 1, 4, cursor, texts.challenge_requested(cid, user.name, state))
        _answer(ctx, attempt, ACCESS_CHALLENGE, cursor)
        attempt.rounds[-1].state_out = ctx.state_bytes(state)
        cursor += _secs(ctx, 12, 60)
        reply = Round(sent=cursor - ctx.net_secs(0.3, 1.2), state_in=ctx.state_bytes(state), secret=_otp(ctx))
        attempt.rounds.append(reply)
        _call(ctx, attempt, reply.sent)
        codes.append("CHALLENGE_REQUESTED")
    else:
        # InvalidSession: the push was approved after the 3-minute session; the request waited that long.
        waited = (185.0, 230.0) if response == "InvalidSession" else (1.0, 6.0)
        attempt = _attempt(ctx, nas, user, start - ctx.net_secs(*waited))
        _call(ctx, attempt, attempt.start)
    if response == "UserNotFound":
        message = texts.user_not_found_message(user.name)
    else:
        message = texts.RESPONSE_MESSAGES[response]
    ctx.mfa("AuthZOptCh", 1, 4, cursor, texts.access_rejected(cid, user.name, response, message))
    decided = cursor + _secs(ctx, 0.01, 0.8)
    ctx.security(6273, decided, user, nas, reason=21)
    _answer(ctx, attempt, ACCESS_REJECT, decided)
    attempt.reason = 21
    if _record(ctx, attempt) and response == "InvalidSession":
        codes.extend(ctx.capture_codes("CAPTURE-NAS-RETRANSMISSION"))
    ctx.expect_sign_in(cid, response, tuple(codes))


def challenge_no_result(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User) -> None:
    """An OTP challenge (E1) that nothing follows: the NAS (MS-CHAPv2/EAP) cannot answer Access-Challenge.

    ``legacy`` writes the older extension's wording without CID or state (E2).
    """
    nas = NAS_CLIENTS[str(episode.param("nas", i, "rdg"))]
    start = place.place(_user_key(user), timedelta(seconds=60))
    attempt = _attempt(ctx, nas, user, start - ctx.net_secs(0.2, 0.9))
    _call(ctx, attempt, attempt.start)
    codes = ctx.capture_codes("CAPTURE-NON-PAP-PROTOCOL") if nas.protocol != "PAP" else ()
    if episode.param("legacy", i):
        ctx.mfa("AuthZOptCh", 1, 4, start, texts.challenge_requested_legacy(user.name))
        state = str(uuid.UUID(int=ctx.net_rng.getrandbits(128), version=4))  # logged nowhere by this version
        cid = None
    else:
        cid, state = ctx.guid(), ctx.guid()
        ctx.mfa("AuthZOptCh", 1, 4, start, texts.challenge_requested(cid, user.name, state))
    _answer(ctx, attempt, ACCESS_CHALLENGE, start)
    attempt.rounds[-1].state_out = ctx.state_bytes(state)
    _record(ctx, attempt)
    ctx.expect_challenge_no_result(cid, user, codes)


def primary_reject(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User) -> None:
    """NPS rejects before MFA (6273 with a non-extension reason); the extension says it ignored the request.

    ``notice`` (default on) writes E9 "only performs Secondary Auth ... AccessReject" just before the 6273.
    ``user_known`` False logs the NULL SID, as NPS does when it could not resolve the account.
    """
    reason = int(str(episode.param("reason", i)))
    nas = NAS_CLIENTS[str(episode.param("nas", i, "vpn"))]
    start = place.place(_user_key(user), timedelta(seconds=30))
    attempt = _attempt(ctx, nas, user, start - ctx.net_secs(0.02, 0.3))
    attempt.policy = ""
    codes: tuple[str, ...] = ()
    notice = bool(episode.param("notice", i, True))
    if notice and ctx.settings.extension_active:
        ctx.mfa("AuthZOptCh", 1, 4, start, texts.secondary_auth_ignored(user.name, "AccessReject"))
        codes = ("SECONDARY_AUTH_ACCESS_REJECT",)
    user_known = bool(episode.param("user_known", i, True))
    decided = start + _secs(ctx, 0.005, 0.3)
    ctx.security(6273, decided, user, nas, reason=reason, user_known=user_known, policy="-")
    _answer(ctx, attempt, ACCESS_REJECT, decided)
    attempt.reason = reason
    _record(ctx, attempt)
    if ctx.settings.auditing:
        ctx.expect_nps_reject(user, f"NPS-REASON-{reason}", codes)
    elif codes:  # rule 5: the extension's notice alone is its own nps-reject incident
        ctx.expect_nps_reject(user, "SECONDARY_AUTH_ACCESS_REJECT")


def service_start(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User | None) -> None:
    """NPS (re)starts: the LDAP connection to a DC comes up (4400) and the extension reads its registry.

    By default the IP_WHITELIST value is missing, which the extension reports as REGISTRY_CONFIG_ERROR (E6,
    benign); ``key``/``context`` name another missing value instead.
    """
    start = place.place(("service",), timedelta(seconds=120))
    ctx.system(4400, 4, start, ("DC01.contoso.local", "CONTOSO"))
    key = str(episode.param("key", i, "IP_WHITELIST"))
    if key == "IP_WHITELIST":
        message = texts.IP_WHITELIST_NOT_INITIALIZED
    else:
        message = texts.registry_config_error(key, str(episode.param("context", i)))
    ctx.mfa("AuthZOptCh", 2, 2, start + _secs(ctx, 1, 4), message)
    ctx.expect_server("REGISTRY_CONFIG_ERROR", registry_key=key)


_SERVER_MESSAGES: dict[str, str] = {
    "request-format": texts.non_request_error(
        "Radius request validation failed", "REQUEST_FORMAT_ERROR", texts.REQUEST_FORMAT_MESSAGE
    ),
}


def mfa_server(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User | None) -> None:
    """A burst of ``count`` CID-less extension events (``message``), ``interval`` seconds apart."""
    count = int(str(episode.param("count", i, 1)))
    interval = float(str(episode.param("interval", i, 60)))
    code = str(episode.param("code", i))
    start = place.place((f"mfa-server:{code}",), timedelta(seconds=interval * count + 1))
    message = _SERVER_MESSAGES[str(episode.param("message", i))]
    log = str(episode.param("log", i, "AuthZOptCh"))
    for n in range(count):
        when = start + timedelta(seconds=interval * n) + _secs(ctx, 0, 2)
        ctx.mfa(log, int(str(episode.param("event_id", i, 2))), int(str(episode.param("level", i, 2))), when, message)
    ctx.expect_server(code)


def system(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User | None) -> None:
    """A burst of ``count`` System-log NPS events ``event_id`` with insertion strings ``data``."""
    event_id = int(str(episode.param("event_id", i)))
    count = int(str(episode.param("count", i, 1)))
    interval = float(str(episode.param("interval", i, 60)))
    level = int(str(episode.param("level", i, 2)))
    data = episode.param("data", i)
    if not isinstance(data, tuple):
        raise TypeError("system episode needs a tuple of insertion strings")
    start = place.place((f"system:{event_id}",), timedelta(seconds=interval * count + 1))
    dropped_from = _DROPPING_CLIENTS.get(event_id)
    for n in range(count):
        when = start + timedelta(seconds=interval * n) + _secs(ctx, 0, 3)
        ctx.system(event_id, level, when, tuple(str(value) for value in data))
        if dropped_from is not None:
            _dropped_request(ctx, _client_at(str(data[0])), when)
    codes: tuple[str, ...] = ()
    if event_id == 4418:  # the capture shows why: Proxy-State without Message-Authenticator
        codes = ctx.capture_codes("CAPTURE-NO-MESSAGE-AUTHENTICATOR")
    if level <= 3:
        ctx.expect_server(f"SYSTEM-NPS-{event_id}", codes)


# System events that mean "NPS dropped a request from this client": each event is one request on the wire.
_DROPPING_CLIENTS: dict[int, str] = {
    13: "not a RADIUS client",
    18: "Message-Authenticator made with another shared secret",
    4418: "Proxy-State without Message-Authenticator",
}


def _client_at(address: str) -> Nas:
    for nas in NAS_CLIENTS.values():
        if nas.ip == address:
            return nas
    raise KeyError(f"no RADIUS client with address {address} in world.NAS_CLIENTS")


def _dropped_request(ctx: BuildContext, nas: Nas, logged: datetime) -> None:
    """One Access-Request NPS dropped before processing (and logged at ``logged``): no answer, no accounting."""
    user = ctx.net_rng.choice(POOL)
    attempt = _attempt(ctx, nas, user, logged - ctx.net_secs(0.0005, 0.005))
    attempt.logged = False
    _record(ctx, attempt)


# Kinds that act for a user get one; the others (server faults) get None.
KINDS: dict[str, tuple[bool, Callable[..., None]]] = {
    "healthy": (True, healthy),
    "mfa-exception": (True, mfa_exception),
    "mfa-reject": (True, mfa_reject),
    "challenge-no-result": (True, challenge_no_result),
    "primary-reject": (True, primary_reject),
    "service-start": (False, service_start),
    "mfa-server": (False, mfa_server),
    "system": (False, system),
}


def register_kind(name: str, wants_user: bool, function: Callable[..., None]) -> None:
    """Add an episode kind defined in another module (scenario modules built on the kinds above)."""
    if name in KINDS:
        raise ValueError(f"episode kind {name!r} exists already")
    KINDS[name] = (wants_user, function)


def run(ctx: BuildContext, episode: Episode) -> None:
    """Run every repetition of ``episode`` in ``ctx``."""
    wants_user, function = KINDS[episode.kind]
    if episode.outage and episode.bounds is not None:
        ctx.outages.append(ctx.window(episode.bounds))
    place = Placement(ctx, episode)
    fixed: User | None = None
    for i in range(episode.repeat):
        place.index = i
        user: User | None = None
        if wants_user:
            name = episode.param("user", i)
            if isinstance(name, str):
                user = ALL_USERS[name]
            elif episode.spacing is not None:
                fixed = fixed or ctx.pick_user()
                user = fixed
            else:
                user = ctx.pick_user()
        function(ctx, episode, i, place, user)


def add_healthy(ctx: BuildContext, count: int) -> None:
    """``count`` healthy sign-ins of everyday users, kept out of outages and away from failure episodes.

    Each sign-in keeps its user's next 6 minutes clear, so the 14 everyday users fill their working day after a
    few hundred sign-ins. The rest then goes to extra everyday users (``user001@contoso.com``...), created as
    needed, so every count the ``--healthy`` option accepts fits; smaller counts are generated exactly as before.
    """
    episode = Episode("healthy")
    extra: list[User] = []
    for _ in range(count):
        try:
            healthy(ctx, episode, 0, Placement(ctx, episode, avoid_outages=True), ctx.pick_user())
            continue
        except BookingError:
            pass
        for _attempt in range(2):
            if not extra or _attempt:
                number = len(extra) + 1
                extra.append(User(f"user{number:03d}@contoso.com", f"user{number:03d}", 5000 + number, "push"))
            try:
                healthy(ctx, episode, 0, Placement(ctx, episode, avoid_outages=True), extra[-1])
                break
            except BookingError:
                continue
        else:
            raise BookingError("no free slot for a healthy sign-in even for a new everyday user")
