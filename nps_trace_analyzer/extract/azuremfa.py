"""Parse the NPS extension's (AzureMfa) event texts, whatever shape they arrive in.

Exported .evtx files carry no rendered message: the text is rebuilt from the ``<Data>`` strings, and nobody
outside Microsoft knows whether the extension writes the whole message into one string, spreads it over
several, or logs bare insertion strings (CID, user, code...) for a template we cannot see. Posts on forums
add their own damage: redacted CIDs and users, lost prefixes, fragments of trace lines, line breaks. So the
extractor decides by *content*, never by position:

1. the sentence grammar of the verbatim events (domain-facts.md §1.2, E1-E13; typos "retreiving",
   "intialized" and odd spacing included), read from the text with all whitespace runs made single spaces;
2. markers (``CID:``, ``ErrorCode::``, ``Msg::``, ``AADSTS<n>``, ``<CODE>_WARNING::``);
3. shapes: a Data value that is a GUID is a CID candidate, one that looks like a user (UPN, DOMAIN\\user, a
   redaction placeholder) is the user, one that is a known code is a code; a catalog code standing as a whole,
   code-shaped token anywhere in the text is a code (the caller passes the catalog's code list, so this
   module holds no code list of its own). These content rules live in :mod:`.mfa_content`; the record they
   fill, :class:`~.mfa_result.MfaExtraction`, in :mod:`.mfa_result`.

Documented messages without any code (class 5 of issue #9) are matched by the findings stage against the
catalog (:meth:`nps_trace_analyzer.catalog.Catalog.codes_by_message`).

Why every pattern here is linear in the text length (issue #10 item 1): the text is collapsed to single
spaces first, so no ``\\s*`` can rescan a long run of blanks; each sentence grammar is applied once, at the
first occurrence of its fixed head, to a bounded window after it; user names and code tokens have bounded
lengths; ``Msg::`` texts are cut with plain index arithmetic instead of a lazy ``.*?`` before a look-ahead.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Collection, Sequence

from nps_trace_analyzer.extract.mfa_content import (
    GUID,
    MAX_USER,
    clean_user,
    collapse,
    data_elements,
    place_by_name,
    place_by_shape,
)
from nps_trace_analyzer.extract.mfa_result import (
    AADSTS_RE,
    CHALLENGE_REQUESTED,
    MAX_CODES,
    MAX_MESSAGE,
    NAS_ATTRIBUTES_MISSING,
    SECONDARY_AUTH_CODES,
    MfaExtraction,
    add_code,
    code_kind,
)

__all__ = [
    "CHALLENGE_REQUESTED",
    "MAX_CODES",
    "MAX_TEXT",
    "NAS_ATTRIBUTES_MISSING",
    "SECONDARY_AUTH_CODES",
    "MfaExtraction",
    "code_kind",
    "extract_azuremfa",
    "extract_codes",
]

#: Longest event text read (characters, after whitespace runs are collapsed). Real AzureMfa events are under
#: 10 KB; every pattern is linear, and this cap keeps a hostile 100 MB "event" to a fraction of a second.
MAX_TEXT = 262_144
#: How far after a sentence head the rest of the sentence (user, state, response) is looked for.
WINDOW = 700

PREFIX_RE = re.compile(
    r"NPS Extension for (?:Azure AD MFA|Azure MFA|Microsoft Entra(?: [\w-]{1,40}){0,4}? authentication) ?:?",
    re.IGNORECASE,
)
CID_RE = re.compile(r"\bCID ?[:=] ?\{?(" + GUID + r")")
CHALLENGE_HEAD_RE = re.compile(
    r"Challenge requested in Authentication Ext(?:ension)? for (?:the )?user\b", re.IGNORECASE
)
VERDICT_HEAD_RE = re.compile(r"Access (?P<verdict>Rejected|Accepted) for (?:the )?user\b", re.IGNORECASE)
STATE_RE = re.compile(r"with state \{?(" + GUID + r")", re.IGNORECASE)
RESPONSE_RE = re.compile(
    r"with [\w ]{0,60}?response ?: ?(?P<code>[A-Za-z][A-Za-z0-9_]{0,99})(?: and message ?: ?(?P<message>.*))?",
    re.IGNORECASE,
)
EXCEPTION_HEAD_RE = re.compile(r"Exception in Authentication Ext(?:ension)? for (?:the )?user\b", re.IGNORECASE)
SECONDARY_HEAD_RE = re.compile(r"only performs Secondary Auth", re.IGNORECASE)
SECONDARY_TAIL_RE = re.compile(
    r"for (?:the )?User (?P<user>[^ ].{0,255}?) with response state (?P<state>Access(?:Reject|Challenge|Accept))\b",
    re.IGNORECASE,
)
RESPONSE_STATE_RE = re.compile(r"\b(?P<state>Access(?:Reject|Challenge|Accept))\b(?! State)")
NAS_MISSING_RE = re.compile(r"missing NAS ?Identifier and Nas ?IpAddress", re.IGNORECASE)
ERRORCODE_RE = re.compile(r"ErrorCode ?::? ?(?:CID ?: ?[^ ]{1,80} )?(?P<code>[A-Za-z][A-Za-z0-9_]{0,99})")
MSG_MARK_RE = re.compile(r"\bMsg ?::? ?")
MSG_END_RE = re.compile(r"ErrorCode ?::?|\bMsg ?::?|Enter ERROR_CODE ?@|Trace ID ?:")
WARNING_CODE_RE = re.compile(r"\b(?P<code>[A-Z][A-Z0-9_]{0,80}_WARNING) ?::")
TRACE_ID_RE = re.compile(r"Trace ID ?: ?(" + GUID + r")")
CORRELATION_ID_RE = re.compile(r"Correlation ID ?: ?(" + GUID + r")")
TIMESTAMP_RE = re.compile(r"Timestamp ?: ?(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d{1,9})?Z?)")
REGISTRY_KEY_RE = re.compile(r"\bkey ?: ?(?P<key>[A-Z][A-Z0-9_]{1,80})")
_USER_STOPS = (" with state ", " with Azure MFA response", " with response state ", " CID:", " CID :", " NPS Extension")

_NOT_CODES = frozenset({"CID", "Msg"})

# The keyword gate: patterns that begin with \b, a class or an alternation get no literal-prefix scan from the
# regex engine and cost 2.5-4 us each on an event that holds no match; a substring test costs 0.2 us. Each
# gated pattern below needs its literal in every match (MSG_END_RE only matters where a Msg:: marker is), so
# skipping the search when the literal is absent changes nothing (tests/test_keyword_gate.py checks both ways).
KEYWORD_GATE = True


def _absent(literal: str, whole: str) -> bool:
    return KEYWORD_GATE and literal not in whole


def _folded_absent(literal: str, folded: str | None) -> bool:
    """True when a case-insensitive pattern needing ``literal`` (lower case) cannot match.

    ``folded`` is the ASCII text lower-cased, or None for a text with other characters: Unicode case-insensitive
    matching pairs letters that ``str.lower`` does not (the Kelvin sign with ``k``), so such a text is never gated.
    """
    return KEYWORD_GATE and folded is not None and literal not in folded


def _user_after(whole: str, start: int) -> str | None:
    """The user name that follows a "... for User" head ending at ``start`` (bounded window)."""
    tail = whole[start : start + MAX_USER + 40]
    if not tail.startswith(" "):
        return None
    cut = len(tail)
    for stop in _USER_STOPS:
        at = tail.find(stop)
        if 0 <= at < cut:
            cut = at
    colons = tail.find(" ::")
    if 0 <= colons < cut:
        cut = colons
    colons = tail.find("::")
    if 0 <= colons < cut:
        cut = colons
    return clean_user(tail[:cut])


def _grammar(ex: MfaExtraction, whole: str, folded: str | None) -> None:
    """The sentence grammar of the verbatim events, each sentence read at its first occurrence."""
    if not _folded_absent("challenge requested in authentication ext", folded) and (
        m := CHALLENGE_HEAD_RE.search(whole)
    ):
        ex.user = _user_after(whole, m.end())
        if s := STATE_RE.search(whole):  # anywhere: Data values may come in any order
            ex.state = s.group(1).lower()
        add_code(ex, CHALLENGE_REQUESTED, whole, "challenge")

    if not (_folded_absent("access rejected for ", folded) and _folded_absent("access accepted for ", folded)) and (
        m := VERDICT_HEAD_RE.search(whole)
    ):
        ex.outcome = m.group("verdict").lower()
        ex.user = ex.user or _user_after(whole, m.end())
        if r := RESPONSE_RE.search(whole, m.end(), m.end() + MAX_USER + 60):
            ex.mfa_response = r.group("code")
            rest = r.group("message")
            if rest is None:  # the window cut the message off: read it from the whole text
                r = RESPONSE_RE.match(whole, r.start())
                rest = r.group("message") if r else None
            ex.mfa_message = (rest or "").strip() or None
            add_code(ex, ex.mfa_response, ex.mfa_message or whole, "response")

    if not _folded_absent("only performs secondary auth", folded) and SECONDARY_HEAD_RE.search(whole):
        # The "Request received for User ..." sentence may come before the head when Data values are out of order.
        if s := SECONDARY_TAIL_RE.search(whole):
            ex.user = ex.user or clean_user(s.group("user"))
            ex.response_state = s.group("state")
        elif s := RESPONSE_STATE_RE.search(whole):  # the state token on its own
            ex.response_state = s.group("state")
        if ex.response_state:
            add_code(ex, SECONDARY_AUTH_CODES[ex.response_state.lower()], whole, "secondary")

    if not _folded_absent("exception in authentication ext", folded) and (m := EXCEPTION_HEAD_RE.search(whole)):
        ex.user = ex.user or _user_after(whole, m.end())


def _markers(ex: MfaExtraction, whole: str, folded: str | None) -> None:
    """``CID:``, ``ErrorCode::``/``Msg::``, warnings, ``AADSTS<n>`` and the labelled ids of eSTS answers."""
    for m in () if _absent("CID", whole) else CID_RE.finditer(whole):
        if m.group(1).strip("0-"):  # the nil GUID is a redaction, not a request
            ex.cid = m.group(1).lower()
            break

    no_msg = _absent("Msg", whole)
    ends = [] if no_msg else [m.start() for m in MSG_END_RE.finditer(whole)]
    messages: list[str] = []
    for m in () if no_msg else MSG_MARK_RE.finditer(whole):
        if len(messages) >= MAX_CODES:
            break
        nxt = bisect.bisect_right(ends, m.start())  # the next terminator after this marker (not itself)
        end = ends[nxt] if nxt < len(ends) else len(whole)
        messages.append(whole[m.end() : min(end, m.end() + MAX_MESSAGE)].strip())
    if messages:
        ex.message = messages[0]
    for index, m in enumerate(ERRORCODE_RE.finditer(whole)):
        code = m.group("code")
        if code in _NOT_CODES:  # "ErrorCode:: CID : <redacted CID> CODE": the real code is found as a token
            continue
        if add_code(ex, code, messages[index] if index < len(messages) else (ex.message or whole), "error"):
            ex.error_codes.append(code)
        elif ex.note:
            break

    for m in () if _absent("_WARNING", whole) else WARNING_CODE_RE.finditer(whole):
        if not add_code(ex, m.group("code"), whole, "warning") and ex.note:
            break
    if not _folded_absent("missing nas", folded) and NAS_MISSING_RE.search(whole):
        add_code(ex, NAS_ATTRIBUTES_MISSING, whole, "warning")

    for m in () if _absent("AADSTS", whole) else AADSTS_RE.finditer(whole):
        code = "AADSTS" + m.group(1)
        if add_code(ex, code, whole, "aadsts"):
            ex.aadsts.append(code)
        elif ex.note:
            break
    if m := TRACE_ID_RE.search(whole):
        ex.trace_id = m.group(1).lower()
    if m := CORRELATION_ID_RE.search(whole):
        ex.correlation_id = m.group(1).lower()
    if m := TIMESTAMP_RE.search(whole):
        ex.service_timestamp = m.group(1)
    if not _absent("key", whole) and (m := REGISTRY_KEY_RE.search(whole)):
        ex.registry_key = m.group("key")


def extract_azuremfa(
    text: str,
    parts: Sequence[str] | None = None,
    known_codes: Collection[str] = frozenset(),
    named: Sequence[tuple[str, str]] = (),
    max_text: int = MAX_TEXT,
) -> MfaExtraction:
    """Extract codes and identifiers from one NPS-extension event.

    ``text`` is the event text (Data strings joined by spaces, a rendered message, a trace line or a pasted
    fragment). ``parts`` are the event's separate Data values when known: a value that is a GUID, a user or a
    code on its own is placed by its shape. ``known_codes`` are the catalog's codes; one of them standing as
    a whole code-shaped token in the text (``ESTS_TOKEN_ERROR`` without ``ErrorCode::``) is a code. ``named``
    are the Data values that carry a name (``CID``, ``User``, ``ErrorCode``, ``Message``...): the name says
    what the value is where the text does not. Text past ``max_text`` characters is not read (noted).
    """
    ex = MfaExtraction()
    if not text and not parts:
        return ex
    if not parts and not named and "</Data>" in text:  # the event's XML view pasted as text
        elements = data_elements(text)
        parts = [value for _name, value in elements]
        named = [(name, value) for name, value in elements if name]
    whole = collapse(text or " ".join(parts or ()))
    if len(whole) > max_text:
        ex.note = f"text of {len(whole)} characters: only the first {max_text} were read"
        whole = whole[:max_text]
        parts = [p[:max_text] for p in (parts or ())[:MAX_CODES]]
    ex.is_extension_text = bool(PREFIX_RE.search(whole))
    folded = whole.lower() if whole.isascii() else None  # for the keyword gate of case-insensitive patterns
    _grammar(ex, whole, folded)
    _markers(ex, whole, folded)
    place_by_name(ex, whole, named[:MAX_CODES])
    place_by_shape(ex, whole, parts or (), known_codes)
    return ex


def extract_codes(text: str, known_codes: Collection[str] = frozenset()) -> list[tuple[str, str]]:
    """Return the ``(code, message)`` pairs found in an AzureMfa event text, in order of discovery."""
    return extract_azuremfa(text, known_codes=known_codes).codes
