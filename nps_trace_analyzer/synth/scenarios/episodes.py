"""Episode kinds: the building blocks scenario definitions are made of.

An episode is one thing that happens on the server (a healthy sign-in, a sign-in that fails with an extension
error code, a burst of System events...). Each kind writes the events Windows and the extension would log for
it and records the incident the analyzer is expected to make of it, following the incident rules of the
diagnosis contract. Scenario definitions (``definitions.py``) only combine kinds with parameters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nps_trace_analyzer.synth.scenarios import texts
from nps_trace_analyzer.synth.scenarios.context import BuildContext
from nps_trace_analyzer.synth.scenarios.world import MFA_HOSTS, NAS_CLIENTS, POOL, SPECIAL, TENANT_ID, User

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


# --- kinds ------------------------------------------------------------------------------------------------


def healthy(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User) -> None:
    """A successful sign-in: 6272, preceded by an answered OTP challenge for code users on PAP clients.

    A client that sends neither NAS-Identifier nor NAS-IP-Address also gets the extension's E7 warning
    (and E8 when ``ip_whitelist`` says an IP_WHITELIST is configured).
    """
    nas_key = episode.param("nas", i)
    nas = NAS_CLIENTS[str(nas_key)] if nas_key else ctx.pick_healthy_nas(user)
    start = place.place(_user_key(user), timedelta(seconds=60))
    cursor = start
    if nas.nas_ip == "-" and nas.nas_id == "-":
        ctx.mfa("AuthZOptCh", 4, 3, cursor, texts.NAS_ATTRIBUTES_MISSING)
        ctx.expect_server("NAS_ATTRIBUTES_MISSING")
        if episode.param("ip_whitelist", i):
            cursor += _secs(ctx, 0.001, 0.02)
            ctx.mfa("AuthZOptCh", 4, 3, cursor, texts.IP_WHITE_LIST_WARNING)
            ctx.expect_server("IP_WHITE_LIST_WARNING")
    rounds = int(str(episode.param("eap_rounds", i, 0)))
    for _ in range(rounds):
        # Each inner EAP round trip is an Access-Challenge the extension sees and lets pass (E10).
        cursor += _secs(ctx, 0.05, 0.4)
        ctx.mfa("AuthZOptCh", 1, 4, cursor, texts.secondary_auth_ignored(user.name, "AccessChallenge"))
    if rounds:
        ctx.expect_server("SECONDARY_AUTH_ACCESS_CHALLENGE")
    if user.method in ("otp", "sms") and nas.pap:
        cursor += _secs(ctx, 0.2, 0.9)
        ctx.mfa("AuthZOptCh", 1, 4, cursor, texts.challenge_requested(ctx.guid(), user.name, ctx.guid()))
        cursor += _secs(ctx, 8, 40)
    else:
        cursor += _secs(ctx, 3, 20)
    ctx.security(6272, cursor, user, nas)


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
    "https": lambda _c, _e, _i, _u, _t: texts.https_communication_error(MFA_HOSTS[0]),
    "http-connect": lambda _c, _e, _i, _u, _t: texts.http_connect_error(MFA_HOSTS[0]),
    "request-missing-code": lambda _c, _e, _i, _u, _t: texts.REQUEST_MISSING_CODE_BODY,
    "canonicalization": lambda _c, _e, _i, user, _t: texts.username_canonicalization_error(user.name),
    "alternate-login-id": lambda _c, episode, i, _u, _t: str(episode.param("message", i)),
}


def mfa_exception(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User) -> None:
    """A sign-in the extension fails with an error code ("Exception in Authentication Ext", E4/E5).

    NPS then rejects it (6273 reason 21) or discards it (6274 reason 9); with ``schannel`` a TLS client
    credential failure (Schannel 36871) is logged just before, as when TLS 1.2 is disabled.
    """
    code = str(episode.param("code", i))
    nas = NAS_CLIENTS[str(episode.param("nas", i, "vpn"))]
    schannel = bool(episode.param("schannel", i))
    # TLS failures stay more than 5 minutes apart, so each Schannel event has exactly one error to join.
    keys = (*_user_key(user), "schannel") if schannel else _user_key(user)
    start = place.place(keys, timedelta(seconds=30))
    cid = ctx.guid()
    codes = [code]
    if schannel:
        ctx.schannel(start - _secs(ctx, 0.05, 1.5))
        codes.append("SYSTEM-SCHANNEL-36871")
    body = _BODIES[str(episode.param("body", i))](ctx, episode, i, user, start)
    double = bool(episode.param("double_space", i, True))
    message = texts.exception_in_authentication(cid, user.name, code, body, double_space=double)
    ctx.mfa(str(episode.param("log", i, "AuthZAdminCh")), 2, 2, start, message)
    outcome = str(episode.param("nps", i, "6273"))
    reason = 21 if outcome == "6273" else 9
    ctx.security(int(outcome), start + _secs(ctx, 0.01, 0.8), user, nas, reason=reason)
    codes.append(f"NPS-REASON-{reason}")
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
    codes = ["NPS-REASON-21"]
    cursor = start
    if challenge:
        ctx.mfa("AuthZOptCh", 1, 4, cursor, texts.challenge_requested(cid, user.name, ctx.guid()))
        cursor += _secs(ctx, 12, 60)
        codes.append("CHALLENGE_REQUESTED")
    if response == "UserNotFound":
        message = texts.user_not_found_message(user.name)
    else:
        message = texts.RESPONSE_MESSAGES[response]
    ctx.mfa("AuthZOptCh", 1, 4, cursor, texts.access_rejected(cid, user.name, response, message))
    ctx.security(6273, cursor + _secs(ctx, 0.01, 0.8), user, nas, reason=21)
    ctx.expect_sign_in(cid, response, tuple(codes))


def challenge_no_result(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User) -> None:
    """An OTP challenge (E1) that nothing follows: the NAS (MS-CHAPv2/EAP) cannot answer Access-Challenge.

    ``legacy`` writes the older extension's wording without CID or state (E2).
    """
    start = place.place(_user_key(user), timedelta(seconds=60))
    if episode.param("legacy", i):
        ctx.mfa("AuthZOptCh", 1, 4, start, texts.challenge_requested_legacy(user.name))
        ctx.expect_challenge_no_result(None, user)
        return
    cid = ctx.guid()
    ctx.mfa("AuthZOptCh", 1, 4, start, texts.challenge_requested(cid, user.name, ctx.guid()))
    ctx.expect_challenge_no_result(cid, user)


def primary_reject(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User) -> None:
    """NPS rejects before MFA (6273 with a non-extension reason); the extension says it ignored the request.

    ``notice`` (default on) writes E9 "only performs Secondary Auth ... AccessReject" just before the 6273.
    ``user_known`` False logs the NULL SID, as NPS does when it could not resolve the account.
    """
    reason = int(str(episode.param("reason", i)))
    nas = NAS_CLIENTS[str(episode.param("nas", i, "vpn"))]
    start = place.place(_user_key(user), timedelta(seconds=30))
    codes: tuple[str, ...] = ()
    if episode.param("notice", i, True):
        ctx.mfa("AuthZOptCh", 1, 4, start, texts.secondary_auth_ignored(user.name, "AccessReject"))
        codes = ("SECONDARY_AUTH_ACCESS_REJECT",)
    user_known = bool(episode.param("user_known", i, True))
    ctx.security(6273, start + _secs(ctx, 0.005, 0.3), user, nas, reason=reason, user_known=user_known, policy="-")
    ctx.expect_nps_reject(user, reason, codes)


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
    for n in range(count):
        when = start + timedelta(seconds=interval * n) + _secs(ctx, 0, 3)
        ctx.system(event_id, level, when, tuple(str(value) for value in data))
    if level <= 3:
        ctx.expect_server(f"SYSTEM-NPS-{event_id}")


# Kinds that act for a user get one; the others (server faults) get None.
KINDS: Mapping[str, tuple[bool, Callable[..., None]]] = {
    "healthy": (True, healthy),
    "mfa-exception": (True, mfa_exception),
    "mfa-reject": (True, mfa_reject),
    "challenge-no-result": (True, challenge_no_result),
    "primary-reject": (True, primary_reject),
    "service-start": (False, service_start),
    "mfa-server": (False, mfa_server),
    "system": (False, system),
}


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
    """``count`` healthy sign-ins of everyday users, kept out of outages and away from failure episodes."""
    episode = Episode("healthy")
    for _ in range(count):
        healthy(ctx, episode, 0, Placement(ctx, episode, avoid_outages=True), ctx.pick_user())
