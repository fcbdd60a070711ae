"""Scenarios for the failure classes of issue #9 that the incident rules must get right on bundles we did not write.

- class 1: a one-time-code sign-in answered by the extension's own "Access Accepted ... Success" event, with NPS
  auditing off (no 6272 anywhere): a normal sign-in, no "challenge without result";
- class 3: a redacted CID ("xxxx", "<CID>", "{guid}") on an event holding two codes (ESTS_TOKEN_ERROR and its
  nested AADSTS7000112): one incident per fault with both codes, never one per code;
- class 6: extension events no grammar can place: shown, and unrelated ones not merged into one incident.

The episode kinds are registered with :func:`episodes.register_kind`; the scenarios are appended to
``definitions.SCENARIOS`` like the others. Expected incidents follow docs/diagnosis-contract.md.
"""

from __future__ import annotations

from datetime import timedelta

from nps_trace_analyzer.synth.scenarios import texts
from nps_trace_analyzer.synth.scenarios.context import BuildContext
from nps_trace_analyzer.synth.scenarios.episodes import (
    Cycle,
    Episode,
    Placement,
    _answer,
    _attempt,
    _call,
    _otp,
    _record,
    _secs,
    _user_key,
    ep,
    register_kind,
)
from nps_trace_analyzer.synth.scenarios.scenario import Scenario
from nps_trace_analyzer.synth.scenarios.scenario import make_scenario as _s
from nps_trace_analyzer.synth.scenarios.wire import (
    ACCESS_ACCEPT,
    ACCESS_CHALLENGE,
    ACCESS_REJECT,
    CALL_OK,
    MfaCall,
    Round,
)
from nps_trace_analyzer.synth.scenarios.world import NAS_CLIENTS, User

# Redactions seen in public posts of real events, where the poster hid the CID.
REDACTED_CIDS = ("xxxx", "<CID>", "{guid}", "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")

# Extension texts that carry no code, no user and no CID (our own wording, shaped like the extension's errors).
UNPLACEABLE = {
    "policy-cache": "Unexpected state {n} in the policy cache of tenant {tid}; request dropped",
    # no GUID: a lone GUID in an insertion string is a CID by content (issue #9, class 2)
    "telemetry": "Could not open the telemetry channel after {n} attempts",
}


def access_accepted(cid: str | None, user: str) -> str:
    """The extension's success event as issue #9 describes it (no verbatim public copy is known)."""
    head = f"{texts.PREFIX} CID: {cid} : " if cid else f"{texts.PREFIX} "
    return f"{head}Access Accepted for user {user} with Azure MFA response: Success and message: Approved"


def otp_accepted_by_extension(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User) -> None:
    """Class 1: "Challenge requested", the user types the code, the extension logs "Access Accepted ... Success".

    NPS grants (6272) only when auditing is on; with ``legacy`` the older wording without CID is used.
    """
    nas = NAS_CLIENTS[str(episode.param("nas", i, "citrix"))]
    start = place.place(_user_key(user), timedelta(seconds=90))
    attempt = _attempt(ctx, nas, user, start - ctx.net_secs(0.2, 0.9))
    _call(ctx, attempt, attempt.start)
    cid, state = ctx.guid(), ctx.guid()
    legacy = bool(episode.param("legacy", i))
    challenge = (
        texts.challenge_requested_legacy(user.name) if legacy else texts.challenge_requested(cid, user.name, state)
    )
    ctx.mfa("AuthZOptCh", 1, 4, start, challenge)
    _answer(ctx, attempt, ACCESS_CHALLENGE, start)
    attempt.rounds[-1].state_out = ctx.state_bytes(state)
    cursor = start + _secs(ctx, 8, 40)
    reply = Round(sent=cursor - ctx.net_secs(0.3, 1.2), state_in=ctx.state_bytes(state), secret=_otp(ctx))
    attempt.rounds.append(reply)
    _call(ctx, attempt, reply.sent)
    ctx.mfa("AuthZOptCh", 1, 4, cursor, access_accepted(None if legacy else cid, user.name))
    ctx.security(6272, cursor + _secs(ctx, 0.01, 0.2), user, nas)
    _answer(ctx, attempt, ACCESS_ACCEPT, cursor)
    _record(ctx, attempt)


def redacted_cid_exception(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User) -> None:
    """Class 3: ESTS_TOKEN_ERROR with nested AADSTS7000112, the CID redacted; NPS rejects with reason 21.

    Expected: one server incident (the contract groups CID-less events per server and most specific code) with
    primary AADSTS7000112 and ESTS_TOKEN_ERROR plus the joined NPS-REASON-21 among its codes.
    """
    nas = NAS_CLIENTS[str(episode.param("nas", i, "vpn"))]
    start = place.place(_user_key(user), timedelta(seconds=30))
    connect = start - ctx.net_secs(0.3, 1.2)
    attempt = _attempt(ctx, nas, user, connect - ctx.net_secs(0.02, 0.1))
    attempt.calls.append(MfaCall(connect, ctx.settings.sts_host, CALL_OK))
    redacted = str(episode.param("redaction", i))
    body = texts.ests_service_principal_disabled(ctx.guid(), ctx.guid(), start - timedelta(seconds=1))
    ctx.mfa(
        "AuthZAdminCh", 2, 2, start, texts.exception_in_authentication(redacted, user.name, "ESTS_TOKEN_ERROR", body)
    )
    decided = start + _secs(ctx, 0.01, 0.8)
    ctx.security(6273, decided, user, nas, reason=21)
    _answer(ctx, attempt, ACCESS_REJECT, decided)
    attempt.reason = 21
    _record(ctx, attempt)
    ctx.expect_server("AADSTS7000112", ("ESTS_TOKEN_ERROR", *ctx.audit_codes("NPS-REASON-21")))


def unplaceable_line(ctx: BuildContext, episode: Episode, i: int, place: Placement, user: User | None) -> None:
    """Class 6: an error-level extension event with no code, user or CID; one server incident per wording."""
    name = str(episode.param("text", i))
    start = place.place((f"unplaceable:{name}",), timedelta(seconds=5))
    message = UNPLACEABLE[name].format(n=ctx.rng.randrange(1, 99), tid=f"{ctx.rng.getrandbits(16):04x}")
    ctx.mfa("AuthZOptCh", 3, 2, start, f"{texts.PREFIX} {message}")
    ctx.expect_server("UNRECOGNISED_AZUREMFA_EVENT", distinct=name)


register_kind("otp-accepted-by-extension", True, otp_accepted_by_extension)
register_kind("redacted-cid-exception", True, redacted_cid_exception)
register_kind("unplaceable-line", False, unplaceable_line)


#: The scenarios of this module (``definitions.SCENARIOS`` appends them after its own table).
SCENARIOS: tuple[Scenario, ...] = (
    _s(
        "otp-answered-by-extension",
        "One-time-code sign-ins answered by the extension's own 'Access Accepted ... Success', auditing off.",
        "NPS auditing is off, so no Security 6272 exists; users answer 'Challenge requested' with a code and the "
        "extension logs 'Access Accepted ... with Azure MFA response: Success' for the same CID (or, in the "
        "older wording, the same user). These are normal sign-ins: no challenge-without-result incident; only "
        "the disabled auditing is reported.",
        "single",
        ep("otp-accepted-by-extension", 3),
        ep("otp-accepted-by-extension", 1, legacy=True),
        settings={"auditing": False},
        solo=True,
    ),
    _s(
        "redacted-cid-two-codes",
        "ESTS_TOKEN_ERROR with nested AADSTS7000112 in events whose CID is redacted: one incident, both codes.",
        "The CID of each failing event is redacted ('xxxx', '<CID>', '{guid}') as in copies pasted into forums. "
        "Every event holds ESTS_TOKEN_ERROR and its nested AADSTS7000112 (service principal disabled): one "
        "server incident with both codes, primary AADSTS7000112, the NPS reason-21 rejects joined to it.",
        "single",
        ep(
            "redacted-cid-exception",
            4,
            bounds=("13:00", "14:00"),
            outage=True,
            redaction=Cycle(REDACTED_CIDS),
        ),
    ),
    _s(
        "unplaceable-extension-events",
        "Extension errors without code, user or CID: shown, and two unrelated wordings kept apart.",
        "The extension logs errors the grammar cannot place: no code, no user, no CID. They must be shown (an "
        "UNRECOGNISED_AZUREMFA_EVENT incident, needs support) and two unrelated wordings must stay two incidents, "
        "each counting its own repeats.",
        "single",
        ep("unplaceable-line", 2, text="policy-cache"),
        ep("unplaceable-line", 1, text="telemetry"),
    ),
)
