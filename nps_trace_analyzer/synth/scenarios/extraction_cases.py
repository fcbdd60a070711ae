"""Scenarios for the extraction failure classes of issue #9: the same failures, written the ways real logs and
real copies of them differ from the verbatim grammar.

- class 2, ``insertion-strings``: the events that carry a code arrive as bare insertion strings (CID, user,
  code and message text as separate <Data> values in an order of their own, no sentence), as from a provider
  whose message template lives in a manifest nobody outside Microsoft has;
- class 4, ``marker-less-code``: the extension's error code stands in the text without its ``ErrorCode::``
  marker and without the "NPS Extension for Azure MFA:" prefix, as in trace lines and pasted fragments;
- class 5, ``message-without-code``: only the documented message is there (the alternate login ID errors),
  no ``ErrorCode::`` and no ``Msg::`` wrapper; the catalog's documented messages must name the code.

The episodes reuse the kinds of :mod:`episodes` and only reword the AzureMfa text they write, so every other
record of the bundle (Security 6273, the capture, the extension trace) and the expected incidents stay exactly
those of the verbatim form: the analyzer must reach the same diagnosis from the reworded text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from nps_trace_analyzer.synth.scenarios.context import BuildContext
from nps_trace_analyzer.synth.scenarios.definitions import Scenario
from nps_trace_analyzer.synth.scenarios.episodes import Cycle, Episode, Placement, ep, mfa_exception, register_kind
from nps_trace_analyzer.synth.scenarios.texts import ALTERNATE_LOGIN_ID_MESSAGES, PREFIX
from nps_trace_analyzer.synth.scenarios.world import User

_ERRORCODE_WRAPPER = re.compile(r"ErrorCode:: CID :\S+ \S+ Msg:: ")


def without_markers(message: str) -> str:
    """The message with neither the prefix nor any ``ErrorCode::`` marker (class 4)."""
    return message.replace(PREFIX, "", 1).replace("ErrorCode:: ", "").strip()


def without_code(message: str) -> str:
    """The message with its ``ErrorCode:: CID :<cid> <CODE> Msg::`` wrapper gone: only the documented text (class 5)."""
    return _ERRORCODE_WRAPPER.sub("", message, count=1)


def _reworded(transform: Callable[[str], str]) -> Callable[..., None]:
    """An ``mfa-exception`` episode whose AzureMfa text goes through ``transform`` before it is written."""

    def episode(ctx: BuildContext, spec: Episode, i: int, place: Placement, user: User) -> None:
        write = ctx.mfa

        def reworded(log: str, event_id: int, level: int, when: datetime, message: str) -> None:
            write(log, event_id, level, when, transform(message))

        ctx.mfa = reworded  # type: ignore[method-assign]
        try:
            mfa_exception(ctx, spec, i, place, user)
        finally:
            del ctx.mfa  # back to the class's method

    return episode


register_kind("mfa-exception-marker-less", True, _reworded(without_markers))
register_kind("mfa-exception-message-only", True, _reworded(without_code))

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "insertion-strings",
        "Class 2: extension errors and MFA responses logged as bare insertion strings in any order.",
        "The AzureMfa events that carry a code hold only their values (CID, user, code, message text) as separate "
        "<Data> elements, in an order of their own and without the sentence; events without a code keep their "
        "sentence. A disabled service principal (ESTS_TOKEN_ERROR with AADSTS7000112), a user missing in Entra ID "
        "(UserNotFound) and a failed on-premises lookup (USERNAME_CANONICALIZATION_ERROR) must be diagnosed as "
        "from the rendered messages.",
        "insertion",
        (
            ep("mfa-exception", 2, code="ESTS_TOKEN_ERROR", body="ests-sp-disabled", expect="AADSTS7000112"),
            ep("mfa-reject", 1, response="UserNotFound", user="new.hire@contoso.com"),
            ep(
                "mfa-exception",
                1,
                code="USERNAME_CANONICALIZATION_ERROR",
                body="canonicalization",
                user="CONTOSO\\x.legacy",
            ),
        ),
    ),
    Scenario(
        "marker-less-code",
        "Class 4: HTTPS_COMMUNICATION_ERROR written without 'ErrorCode::' and without the extension prefix.",
        "The extension's exception events reach the log as trace-style lines: the CID, the user and the error "
        "code HTTPS_COMMUNICATION_ERROR are there, the 'NPS Extension for Azure MFA:' prefix and the "
        "'ErrorCode::' marker are not. The code standing as a token is the code: each sign-in is one incident "
        "with it, as with the marked form.",
        "split",
        (
            ep(
                "mfa-exception-marker-less",
                2,
                bounds=("17:00", "18:00"),
                code="HTTPS_COMMUNICATION_ERROR",
                body="https",
            ),
        ),
    ),
    Scenario(
        "message-without-code",
        "Class 5: the three alternate login ID failures logged by their documented message alone, no code.",
        "LDAP_ALTERNATE_LOGINID_ATTRIBUTE is set and three lookups fail; each event names the CID and the user but "
        "carries only the documented message ('Error: userObjectSid lookup failed', 'Error: Alternate LoginId "
        "lookup failed', 'Error: Alternate LoginId value is empty') without 'ErrorCode:: ALTERNATE_LOGIN_ID_ERROR "
        "Msg::'. The catalog's documented messages name the code: three ALTERNATE_LOGIN_ID_ERROR sign-ins.",
        "single",
        (
            ep(
                "mfa-exception-message-only",
                3,
                code="ALTERNATE_LOGIN_ID_ERROR",
                body="alternate-login-id",
                message=Cycle(ALTERNATE_LOGIN_ID_MESSAGES),
            ),
        ),
        {"alternate_login_id": "mail"},
    ),
)
