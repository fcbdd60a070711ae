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
   module holds no code list of its own).

Documented messages without any code (class 5 of issue #9) are matched by the findings stage against the
catalog (:meth:`nps_trace_analyzer.catalog.Catalog.codes_by_message`).

Why every pattern here is linear in the text length (issue #10 item 1): the text is collapsed to single
spaces first, so no ``\\s*`` can rescan a long run of blanks; each sentence grammar is applied once, at the
first occurrence of its fixed head, to a bounded window after it; user names and code tokens have bounded
lengths; ``Msg::`` texts are cut with plain index arithmetic instead of a lazy ``.*?`` before a look-ahead.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

_GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
GUID_VALUE_RE = re.compile(r"\{?(" + _GUID + r")\}?")
#: The "Azure Multi-Factor Auth Client" application id: quoted in AADSTS messages, never a request's CID.
MFA_CLIENT_APP_ID = "981f26a1-7f43-403b-a875-f8b09b8cd720"
#: Longest user name the grammar accepts (RADIUS User-Name is at most 253 octets).
MAX_USER = 256
#: At most this many codes and Msg:: texts are taken from one event (a real event holds two or three); a text
#: with more is hostile or garbage, and the cut is noted in the finding (``extract_note``).
MAX_CODES = 50
#: More Data values than this are read as the words of a sentence rather than as insertion strings.
MAX_INSERTION_STRINGS = 12
#: Longest event text read (characters, after whitespace runs are collapsed). Real AzureMfa events are under
#: 10 KB; every pattern is linear, and this cap keeps a hostile 100 MB "event" to a fraction of a second.
MAX_TEXT = 262_144
#: Longest Msg:: text kept (the service's messages are a few hundred characters).
MAX_MESSAGE = 4000
#: How far after a sentence head the rest of the sentence (user, state, response) is looked for.
WINDOW = 700

PREFIX_RE = re.compile(
    r"NPS Extension for (?:Azure AD MFA|Azure MFA|Microsoft Entra(?: [\w-]{1,40}){0,4}? authentication) ?:?",
    re.IGNORECASE,
)
CID_RE = re.compile(r"\bCID ?[:=] ?\{?(" + _GUID + r")")
CHALLENGE_HEAD_RE = re.compile(
    r"Challenge requested in Authentication Ext(?:ension)? for (?:the )?user\b", re.IGNORECASE
)
VERDICT_HEAD_RE = re.compile(r"Access (?P<verdict>Rejected|Accepted) for (?:the )?user\b", re.IGNORECASE)
STATE_RE = re.compile(r"with state \{?(" + _GUID + r")", re.IGNORECASE)
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
NAS_MISSING_RE = re.compile(r"missing NAS Identifier and Nas IpAddress", re.IGNORECASE)
ERRORCODE_RE = re.compile(r"ErrorCode ?::? ?(?:CID ?: ?[^ ]{1,80} )?(?P<code>[A-Za-z][A-Za-z0-9_]{0,99})")
MSG_MARK_RE = re.compile(r"\bMsg ?::? ?")
MSG_END_RE = re.compile(r"ErrorCode ?::?|\bMsg ?::?|Enter ERROR_CODE ?@|Trace ID ?:")
WARNING_CODE_RE = re.compile(r"\b(?P<code>[A-Z][A-Z0-9_]{0,80}_WARNING) ?::")
AADSTS_RE = re.compile(r"\bAADSTS(\d{4,9})\b")
TRACE_ID_RE = re.compile(r"Trace ID ?: ?(" + _GUID + r")")
CORRELATION_ID_RE = re.compile(r"Correlation ID ?: ?(" + _GUID + r")")
TIMESTAMP_RE = re.compile(r"Timestamp ?: ?(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d{1,9})?Z?)")
REGISTRY_KEY_RE = re.compile(r"\bkey ?: ?(?P<key>[A-Z][A-Z0-9_]{1,80})")
#: Code-shaped words of the text (see below); a catalog code must be one of them, whole and case-exact.
WORD_RE = re.compile(r"\b(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+)\b")
#: Code-shaped tokens: UPPER_SNAKE with at least one underscore, or CamelCase with at least two humps. A bare
#: word ("Success", "Error") stands for a code only as a whole Data value or after a marker.
UPPER_SNAKE_RE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
CAMEL_RE = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+")

# Users: what a whole Data value (or one lone address in a text) may be.
UPN_RE = re.compile(r"(?<![\w.*%+'-])[\w.*%+'#$!&-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[^\W\d_]{2,24}\b")
DOWN_LEVEL_RE = re.compile(r"[^\W_][\w.-]{0,63}\\[^\\\s:@]{1,64}")
PLACEHOLDER_USER_RE = re.compile(r"[<\[{(]?(?:user(?:name)?|upn|user ?principal ?name)[>\]})]?", re.IGNORECASE)
BARE_USER_RE = re.compile(r"[^\W\d_][\w.$'-]{0,63}")
REDACTED_RE = re.compile(r"[xX*#?.-]+|<[^<>]{0,20}>|\{[^{}]{0,20}\}")
USER_CONTEXT_RE = re.compile(r"\bfor (?:the )?user\b", re.IGNORECASE)
DATA_ELEMENT_RE = re.compile(r"<Data(?: Name=['\"]([^'\"<>]*)['\"])? ?>([^<]*)</Data>")
HTML_ENTITY_RE = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{1,7}|#x[0-9A-Fa-f]{1,6});")
#: Quotes, markdown backticks and sentence punctuation around a user name in posts and docs.
_USER_PUNCTUATION = " .,;`'\"\u2018\u2019\u201c\u201d"
_NOT_A_USER = re.compile(r"::|\bCID ?:|NPS Extension for|" + _GUID, re.IGNORECASE)
_USER_STOPS = (" with state ", " with Azure MFA response", " with response state ", " CID:", " CID :", " NPS Extension")

_NOT_CODES = frozenset({"CID", "Msg"})

#: What a named Data value holds, by its name lower-cased with non-letters removed.
FIELD_NAMES: dict[str, str] = {
    **dict.fromkeys(("cid", "correlationid", "requestid", "clientrequestid"), "cid"),
    **dict.fromkeys(("user", "username", "upn", "userprincipalname", "useridentity", "account"), "user"),
    **dict.fromkeys(("errorcode", "code", "error", "response", "mfaresponse", "responsecode", "result"), "code"),
    **dict.fromkeys(("msg", "message", "errormessage", "responsemessage", "details"), "message"),
    **dict.fromkeys(("state", "challengestate"), "state"),
}
CODE_VALUE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,99}")
#: Values a code field holds when there is no code (compared lower-cased).
NO_CODE_VALUES = frozenset({"s_ok", "ok", "none", "null", "na", "xxxx", "code", "error_code"})

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


def collapse(text: str) -> str:
    """``text`` with every whitespace run (line breaks, tabs, doubled spaces) made one space, ends trimmed, and
    HTML character references (``&lt;USERNAME&gt;`` in a copy taken from a web page) decoded."""
    if "&" in text and HTML_ENTITY_RE.search(text):
        text = html.unescape(text)
    return " ".join(text.split())


def _clean_user(raw: str) -> str | None:
    """A captured user name without sentence punctuation, or None if it cannot be one."""
    user = raw.strip(_USER_PUNCTUATION)
    if user.startswith("<") and user.endswith(">") and UPN_RE.fullmatch(user[1:-1]):
        user = user[1:-1]  # "<alice@contoso.com>": the address, not a placeholder
    if not user or len(user) > MAX_USER or user.count(" ") > 3 or _NOT_A_USER.search(user):
        return None
    return user


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
    return _clean_user(tail[:cut])


def _add(ex: MfaExtraction, code: str, message: str, kind: str | None = None) -> bool:
    """Record ``code`` once; False when it was already known or the event already holds :data:`MAX_CODES`."""
    if code in ex.kinds:
        return False
    if len(ex.codes) >= MAX_CODES:
        ex.note = f"more than {MAX_CODES} codes in one event; the rest were not read"
        return False
    ex.codes.append((code, message))
    ex.kinds[code] = kind or code_kind(code)
    return True


def _grammar(ex: MfaExtraction, whole: str) -> None:
    """The sentence grammar of the verbatim events, each sentence read at its first occurrence."""
    if m := CHALLENGE_HEAD_RE.search(whole):
        ex.user = _user_after(whole, m.end())
        if s := STATE_RE.search(whole):  # anywhere: Data values may come in any order
            ex.state = s.group(1).lower()
        _add(ex, CHALLENGE_REQUESTED, whole, "challenge")

    if m := VERDICT_HEAD_RE.search(whole):
        ex.outcome = m.group("verdict").lower()
        ex.user = ex.user or _user_after(whole, m.end())
        if r := RESPONSE_RE.search(whole, m.end(), m.end() + MAX_USER + 60):
            ex.mfa_response = r.group("code")
            rest = r.group("message")
            if rest is None:  # the window cut the message off: read it from the whole text
                r = RESPONSE_RE.match(whole, r.start())
                rest = r.group("message") if r else None
            ex.mfa_message = (rest or "").strip() or None
            _add(ex, ex.mfa_response, ex.mfa_message or whole, "response")

    if m := SECONDARY_HEAD_RE.search(whole):
        # The "Request received for User ..." sentence may come before the head when Data values are out of order.
        if s := SECONDARY_TAIL_RE.search(whole):
            ex.user = ex.user or _clean_user(s.group("user"))
            ex.response_state = s.group("state")
        elif s := RESPONSE_STATE_RE.search(whole):  # the state token on its own
            ex.response_state = s.group("state")
        if ex.response_state:
            _add(ex, SECONDARY_AUTH_CODES[ex.response_state.lower()], whole, "secondary")

    if m := EXCEPTION_HEAD_RE.search(whole):
        ex.user = ex.user or _user_after(whole, m.end())


def _markers(ex: MfaExtraction, whole: str) -> None:
    """``CID:``, ``ErrorCode::``/``Msg::``, warnings, ``AADSTS<n>`` and the labelled ids of eSTS answers."""
    for m in CID_RE.finditer(whole):
        if m.group(1).strip("0-"):  # the nil GUID is a redaction, not a request
            ex.cid = m.group(1).lower()
            break

    ends = [m.start() for m in MSG_END_RE.finditer(whole)]
    messages: list[str] = []
    for m in MSG_MARK_RE.finditer(whole):
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
        if _add(ex, code, messages[index] if index < len(messages) else (ex.message or whole), "error"):
            ex.error_codes.append(code)
        elif ex.note:
            break

    for m in WARNING_CODE_RE.finditer(whole):
        if not _add(ex, m.group("code"), whole, "warning") and ex.note:
            break
    if NAS_MISSING_RE.search(whole):
        _add(ex, NAS_ATTRIBUTES_MISSING, whole, "warning")

    for m in AADSTS_RE.finditer(whole):
        code = "AADSTS" + m.group(1)
        if _add(ex, code, whole, "aadsts"):
            ex.aadsts.append(code)
        elif ex.note:
            break
    if m := TRACE_ID_RE.search(whole):
        ex.trace_id = m.group(1).lower()
    if m := CORRELATION_ID_RE.search(whole):
        ex.correlation_id = m.group(1).lower()
    if m := TIMESTAMP_RE.search(whole):
        ex.service_timestamp = m.group(1)
    if m := REGISTRY_KEY_RE.search(whole):
        ex.registry_key = m.group("key")


def user_shape(value: str) -> bool:
    """True for a whole value that can only be a user: UPN, DOMAIN\\user or a redaction placeholder."""
    return bool(UPN_RE.fullmatch(value) or DOWN_LEVEL_RE.fullmatch(value) or PLACEHOLDER_USER_RE.fullmatch(value))


def _note_kind(ex: MfaExtraction, code: str, kind: str) -> None:
    """Keep the typed lists in step with a code found by its shape."""
    if kind == "error":
        ex.error_codes.append(code)
    elif kind == "response" and ex.mfa_response is None:
        ex.mfa_response = code
    elif kind == "aadsts":
        ex.aadsts.append(code)


def _known(token: str, known_codes: Collection[str]) -> bool:
    return token in known_codes or bool(AADSTS_RE.fullmatch(token))


def _shapes(ex: MfaExtraction, whole: str, parts: Sequence[str], known_codes: Collection[str]) -> None:
    """Decide by content what the grammar could not place: codes, CID and user in Data values and tokens."""
    values = [v for v in (collapse(p).rstrip(".") for p in parts) if v]
    taken = {g for g in (ex.state, ex.trace_id, ex.correlation_id, MFA_CLIENT_APP_ID) if g}
    guids: list[str] = []
    bare_users: list[str] = []
    # Insertion strings are few; dozens of values are the words of a sentence, where "userName\Identifier" or
    # "username" is prose, not a user. Only an address is then a user by its shape alone.
    few = len(values) <= MAX_INSERTION_STRINGS
    for value in values:
        if m := GUID_VALUE_RE.fullmatch(value):
            guid = m.group(1).lower()
            if guid not in taken and guid not in guids and guid.strip("0-"):
                guids.append(guid)
        elif _known(value, known_codes):
            kind = code_kind(value)
            if _add(ex, value, whole, kind):
                _note_kind(ex, value, kind)
        elif ex.user is None and (UPN_RE.fullmatch(value) or (few and user_shape(value))):
            ex.user = value
        elif (
            BARE_USER_RE.fullmatch(value)
            and not REDACTED_RE.fullmatch(value)
            and not is_code_shaped(value)
            and value.lower() not in SECONDARY_AUTH_CODES
            and few
        ):
            bare_users.append(value)
    if ex.cid is None and guids:
        ex.cid = guids.pop(0)
    if ex.state is None and guids and CHALLENGE_REQUESTED in ex.kinds:
        ex.state = guids[0]
    if ex.user is None and len(bare_users) == 1 and USER_CONTEXT_RE.search(whole):
        ex.user = bare_users[0]  # "for User" is in the text, the name stands alone in a Data value

    if known_codes:
        for m in WORD_RE.finditer(whole):
            token = m.group(0)
            if token in known_codes and token not in ex.kinds and is_code_shaped(token):
                kind = code_kind(token)
                if _add(ex, token, ex.message or whole, kind):
                    _note_kind(ex, token, kind)
                elif ex.note:
                    break

    if ex.user is None:
        found = {u.lower(): u for u in (m.group(0) for m in UPN_RE.finditer(whole))}
        if len(found) == 1:  # one address in the whole event: nobody else it could be
            ex.user = next(iter(found.values()))


def _names(ex: MfaExtraction, whole: str, named: Sequence[tuple[str, str]]) -> None:
    """Named Data values (``<Data Name="User">``) say what they hold: take what the text did not already say."""
    for name, raw in named:
        value = collapse(raw)
        field_name = re.sub(r"[^a-z]", "", name.lower())
        if not value or field_name not in FIELD_NAMES:
            continue
        role = FIELD_NAMES[field_name]
        if role in ("cid", "state") and (m := GUID_VALUE_RE.fullmatch(value)) and m.group(1).strip("0-"):
            if getattr(ex, role) is None:
                setattr(ex, role, m.group(1).lower())
        elif role == "user" and ex.user is None:
            ex.user = _clean_user(value)
        elif role == "code" and CODE_VALUE_RE.fullmatch(value) and value.lower() not in NO_CODE_VALUES:
            kind = code_kind(value)
            if _add(ex, value, ex.message or whole, kind):
                _note_kind(ex, value, kind)
        elif role == "message" and ex.message is None:
            ex.message = value[:MAX_MESSAGE]


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
        elements = [(m.group(1), html.unescape(m.group(2))) for m in DATA_ELEMENT_RE.finditer(text)]
        parts = [value for _name, value in elements]
        named = [(name, value) for name, value in elements if name]
    whole = collapse(text or " ".join(parts or ()))
    if len(whole) > max_text:
        ex.note = f"text of {len(whole)} characters: only the first {max_text} were read"
        whole = whole[:max_text]
        parts = [p[:max_text] for p in (parts or ())[:MAX_CODES]]
    ex.is_extension_text = bool(PREFIX_RE.search(whole))
    _grammar(ex, whole)
    _markers(ex, whole)
    _names(ex, whole, named[:MAX_CODES])
    _shapes(ex, whole, parts or (), known_codes)
    return ex


def extract_codes(text: str, known_codes: Collection[str] = frozenset()) -> list[tuple[str, str]]:
    """Return the ``(code, message)`` pairs found in an AzureMfa event text, in order of discovery."""
    return extract_azuremfa(text, known_codes=known_codes).codes
