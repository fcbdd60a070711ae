"""What the AzureMfa extractor finds in one event, and how a code's kind follows from its name.

Shared by the grammar (:mod:`.azuremfa`) and the content rules (:mod:`.mfa_content`), so neither imports the
other's internals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

AADSTS_RE = re.compile(r"\bAADSTS(\d{4,9})\b")
#: Code-shaped tokens: UPPER_SNAKE with at least one underscore, or CamelCase with at least two humps. A bare
#: word ("Success", "Error") stands for a code only as a whole Data value or after a marker.
UPPER_SNAKE_RE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
CAMEL_RE = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+")
#: At most this many codes and Msg:: texts are taken from one event (a real event holds two or three); a text
#: with more is hostile or garbage, and the cut is noted in the finding (``extract_note``).
MAX_CODES = 50
#: Longest Msg:: text kept (the service's messages are a few hundred characters).
MAX_MESSAGE = 4000

# Codes named by the messages themselves (the extension prints no code token for these).
CHALLENGE_REQUESTED = "CHALLENGE_REQUESTED"
SECONDARY_AUTH_CODES = {
    "accessreject": "SECONDARY_AUTH_ACCESS_REJECT",
    "accesschallenge": "SECONDARY_AUTH_ACCESS_CHALLENGE",
    "accessaccept": "SECONDARY_AUTH_ACCESS_ACCEPT",
}
NAS_ATTRIBUTES_MISSING = "NAS_ATTRIBUTES_MISSING"


def code_kind(code: str) -> str:
    """What kind of code ``code`` is, from its name alone (the product's own naming conventions).

    Extension-side errors are UPPER_SNAKE (``ESTS_TOKEN_ERROR``), warnings end in ``_WARNING``, the cloud MFA
    service's responses are CamelCase (``UserNotFound``, ``Success``), Entra ID errors are ``AADSTS<n>``.
    """
    if code == CHALLENGE_REQUESTED:
        return "challenge"
    if code in SECONDARY_AUTH_CODES.values():
        return "secondary"
    if code == NAS_ATTRIBUTES_MISSING or code.endswith("_WARNING"):
        return "warning"
    if AADSTS_RE.fullmatch(code):
        return "aadsts"
    if UPPER_SNAKE_RE.fullmatch(code):
        return "error"
    if code[:1].isupper() and not code.isupper():
        return "response"
    return "info"


def is_code_shaped(token: str) -> bool:
    """True for a token that can only be a code name, never an ordinary word of prose."""
    return bool(UPPER_SNAKE_RE.fullmatch(token) or CAMEL_RE.fullmatch(token) or AADSTS_RE.fullmatch(token))


@dataclass
class MfaExtraction:
    """Everything the extractor found in one AzureMfa event.

    ``codes`` keeps each distinct code once, in order of discovery (grammar and markers first, then whole
    Data values, then bare tokens), with the message that explains it (the ``Msg::`` text, the MFA
    response message, or the whole text); ``kinds`` says what each code is (see :func:`code_kind`).
    """

    is_extension_text: bool = False
    cid: str | None = None
    user: str | None = None
    state: str | None = None
    response_state: str | None = None  # AccessReject / AccessChallenge from "only performs Secondary Auth"
    mfa_response: str | None = None  # e.g. UserNotFound, Success
    mfa_message: str | None = None
    outcome: str | None = None  # "rejected" / "accepted": the extension's own verdict sentence
    error_codes: list[str] = field(default_factory=list)
    message: str | None = None  # first Msg:: text
    aadsts: list[str] = field(default_factory=list)  # "AADSTS7000112"
    trace_id: str | None = None
    correlation_id: str | None = None
    service_timestamp: str | None = None
    registry_key: str | None = None
    codes: list[tuple[str, str]] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    note: str | None = None  # what was cut from a text too big to read whole

    def attrs(self) -> dict[str, str]:
        """The non-empty scalar fields, as the string map a Finding carries."""
        out: dict[str, str] = {}
        for key in (
            "cid",
            "user",
            "state",
            "response_state",
            "mfa_response",
            "mfa_message",
            "outcome",
            "message",
            "trace_id",
            "correlation_id",
            "service_timestamp",
            "registry_key",
            "note",
        ):
            value = getattr(self, key)
            if value:
                out["extract_note" if key == "note" else key] = value
        if self.aadsts:
            out["aadsts"] = ", ".join(self.aadsts)
        return out

    def kind_of(self, code: str) -> str:
        """The kind of a code found in this event (``error``, ``response``, ``aadsts``, ...)."""
        return self.kinds.get(code) or code_kind(code)


def add_code(ex: MfaExtraction, code: str, message: str, kind: str | None = None) -> bool:
    """Record ``code`` once; False when it was already known or the event already holds :data:`MAX_CODES`."""
    if code in ex.kinds:
        return False
    if len(ex.codes) >= MAX_CODES:
        ex.note = f"more than {MAX_CODES} codes in one event; the rest were not read"
        return False
    ex.codes.append((code, message))
    ex.kinds[code] = kind or code_kind(code)
    return True


def note_kind(ex: MfaExtraction, code: str, kind: str) -> None:
    """Keep the typed lists in step with a code found by its shape."""
    if kind == "error":
        ex.error_codes.append(code)
    elif kind == "response" and ex.mfa_response is None:
        ex.mfa_response = code
    elif kind == "aadsts":
        ex.aadsts.append(code)
