"""Parse the NPS extension's (AzureMfa) event texts.

Exported .evtx files carry no rendered message: the text is rebuilt from the ``<Data>`` strings, and
nobody outside Microsoft knows whether the extension writes the whole message into one string or spreads it
over several. So the grammar here works on the joined text and tolerates any whitespace between the tokens,
the product's own typos ("retreiving", "intialized") and the doubled spaces seen in real events
(``../shared/reference/domain-facts.md`` §1.2).

Grammar (verbatim examples E1-E13):

- ``CID: <guid> : Challenge requested in Authentication Ext for User <user> with state <guid>``
- ``CID: <guid> : Access Rejected for user <user> with Azure MFA response: <Code> and message: <text>``
- ``CID: <guid> :Exception in Authentication Ext for User <user> :: ErrorCode:: CID :<guid> <CODE> Msg:: ...``
- ``<context>::  ErrorCode:: <CODE> Msg:: <text>`` (errors outside a request)
- ``<WARNING_CODE>::<text>`` and the plain "missing NAS Identifier" warning
- ``only performs Secondary Auth ... with response state AccessReject|AccessChallenge, ignoring request``
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"

PREFIX_RE = re.compile(
    r"NPS\s+Extension\s+for\s+(?:Azure\s+AD\s+MFA|Azure\s+MFA|Microsoft\s+Entra[\w\s-]*?authentication)\s*:?",
    re.IGNORECASE,
)
CID_RE = re.compile(r"\bCID\s*:\s*(" + _GUID + r")")
CHALLENGE_RE = re.compile(
    r"Challenge\s+requested\s+in\s+Authentication\s+[Ee]xt(?:ension)?\s+for\s+(?:the\s+)?[Uu]ser\s+(?P<user>.+?)"
    r"(?:\s+with\s+state\s+(?P<state>" + _GUID + r")|\.?\s*$)",
    re.DOTALL,
)
REJECT_RE = re.compile(
    r"Access\s+(?:Rejected|Accepted)\s+for\s+user\s+(?P<user>.+?)\s+with\s+Azure\s+MFA\s+response\s*:\s*(?P<code>\w+)"
    r"(?:\s+and\s+message\s*:\s*(?P<message>.*))?",
    re.DOTALL,
)
EXCEPTION_USER_RE = re.compile(
    r"Exception\s+in\s+Authentication\s+Ext(?:ension)?\s+for\s+[Uu]ser\s+(?P<user>.+?)\s*::", re.DOTALL
)
ERRORCODE_RE = re.compile(r"ErrorCode\s*::\s*(?:CID\s*:\s*\S+\s+)?(?P<code>[A-Za-z][A-Za-z0-9_]*)")
MSG_RE = re.compile(r"Msg\s*::\s*(?P<msg>.*?)\s*(?=ErrorCode\s*::|Enter\s+ERROR_CODE\s*@|Trace\s+ID\s*:|$)", re.DOTALL)
SECONDARY_RE = re.compile(
    r"only\s+performs\s+Secondary\s+Auth.*?for\s+User\s+(?P<user>.+?)\s+with\s+response\s+state\s+"
    r"(?P<state>AccessReject|AccessChallenge|AccessAccept)",
    re.DOTALL | re.IGNORECASE,
)
NAS_MISSING_RE = re.compile(r"missing\s+NAS\s+Identifier\s+and\s+Nas\s+IpAddress", re.IGNORECASE)
WARNING_CODE_RE = re.compile(r"\b(?P<code>[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_WARNING)\s*::")
AADSTS_RE = re.compile(r"\bAADSTS(\d{4,9})\b")
TRACE_ID_RE = re.compile(r"Trace\s+ID\s*:\s*(" + _GUID + r")")
CORRELATION_ID_RE = re.compile(r"Correlation\s+ID\s*:\s*(" + _GUID + r")")
TIMESTAMP_RE = re.compile(r"Timestamp\s*:\s*(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?Z?)")
REGISTRY_KEY_RE = re.compile(r"(?:for\s+key|key)\s*:\s*(?P<key>[A-Z][A-Z0-9_]+)")

# Codes named by the messages themselves (the extension prints no code token for these).
CHALLENGE_REQUESTED = "CHALLENGE_REQUESTED"
SECONDARY_AUTH_CODES = {
    "accessreject": "SECONDARY_AUTH_ACCESS_REJECT",
    "accesschallenge": "SECONDARY_AUTH_ACCESS_CHALLENGE",
    "accessaccept": "SECONDARY_AUTH_ACCESS_ACCEPT",
}
NAS_ATTRIBUTES_MISSING = "NAS_ATTRIBUTES_MISSING"


@dataclass
class MfaExtraction:
    """Everything the grammar found in one AzureMfa event text.

    ``codes`` keeps each distinct code once, in order of appearance, with the message that explains it
    (the ``Msg::`` text, the MFA response message, or the whole text).
    """

    is_extension_text: bool = False
    cid: str | None = None
    user: str | None = None
    state: str | None = None
    response_state: str | None = None  # AccessReject / AccessChallenge from "only performs Secondary Auth"
    mfa_response: str | None = None  # e.g. UserNotFound
    mfa_message: str | None = None
    error_codes: list[str] = field(default_factory=list)
    message: str | None = None  # first Msg:: text
    aadsts: list[str] = field(default_factory=list)  # "AADSTS7000112"
    trace_id: str | None = None
    correlation_id: str | None = None
    service_timestamp: str | None = None
    registry_key: str | None = None
    codes: list[tuple[str, str]] = field(default_factory=list)

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
            "message",
            "trace_id",
            "correlation_id",
            "service_timestamp",
            "registry_key",
        ):
            value = getattr(self, key)
            if value:
                out[key] = value
        if self.aadsts:
            out["aadsts"] = ", ".join(self.aadsts)
        return out


def _clean_user(raw: str) -> str:
    return raw.strip().strip(".").strip()


def _add(ex: MfaExtraction, code: str, message: str) -> None:
    if all(code != seen for seen, _ in ex.codes):
        ex.codes.append((code, message))


def extract_azuremfa(text: str) -> MfaExtraction:
    """Extract codes and identifiers from one NPS-extension event text (data strings joined by spaces)."""
    ex = MfaExtraction()
    if not text:
        return ex
    ex.is_extension_text = bool(PREFIX_RE.search(text))
    whole = " ".join(text.split())

    if m := CID_RE.search(text):
        ex.cid = m.group(1).lower()

    if m := CHALLENGE_RE.search(text):
        ex.user = _clean_user(m.group("user"))
        if m.group("state"):
            ex.state = m.group("state").lower()
        _add(ex, CHALLENGE_REQUESTED, whole)

    if m := REJECT_RE.search(text):
        ex.user = ex.user or _clean_user(m.group("user"))
        ex.mfa_response = m.group("code")
        ex.mfa_message = " ".join((m.group("message") or "").split()) or None
        _add(ex, ex.mfa_response, ex.mfa_message or whole)

    if m := SECONDARY_RE.search(text):
        ex.user = ex.user or _clean_user(m.group("user"))
        ex.response_state = m.group("state")
        _add(ex, SECONDARY_AUTH_CODES[ex.response_state.lower()], whole)

    if m := EXCEPTION_USER_RE.search(text):
        ex.user = ex.user or _clean_user(m.group("user"))

    messages = [" ".join(m.group("msg").split()) for m in MSG_RE.finditer(text)]
    if messages:
        ex.message = messages[0]
    for index, m in enumerate(ERRORCODE_RE.finditer(text)):
        code = m.group("code")
        if code not in ex.error_codes:
            ex.error_codes.append(code)
        _add(ex, code, messages[index] if index < len(messages) else (ex.message or whole))

    for m in WARNING_CODE_RE.finditer(text):
        _add(ex, m.group("code"), whole)
    if NAS_MISSING_RE.search(text):
        _add(ex, NAS_ATTRIBUTES_MISSING, whole)

    for m in AADSTS_RE.finditer(text):
        code = "AADSTS" + m.group(1)
        if code not in ex.aadsts:
            ex.aadsts.append(code)
            _add(ex, code, whole)
    if m := TRACE_ID_RE.search(text):
        ex.trace_id = m.group(1).lower()
    if m := CORRELATION_ID_RE.search(text):
        ex.correlation_id = m.group(1).lower()
    if m := TIMESTAMP_RE.search(text):
        ex.service_timestamp = m.group(1)
    if m := REGISTRY_KEY_RE.search(text):
        ex.registry_key = m.group("key")
    return ex


def extract_codes(text: str) -> list[tuple[str, str]]:
    """Return the ``(code, message)`` pairs found in an AzureMfa event text, in order of appearance."""
    return extract_azuremfa(text).codes
