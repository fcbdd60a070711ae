"""Content rules of the AzureMfa extractor: what a value *is*, decided by its shape or its name, never its place.

A Data value that is a GUID is a CID candidate (the first one not already named as state, trace or correlation
id); one shaped like a user (UPN, DOMAIN\\user, a redaction placeholder, a lone word where the text says
"for User") is the user; one equal to a catalog code is that code; a named value (``<Data Name="User">``) is
what its name says. A catalog code standing as a whole, code-shaped word anywhere in the text is a code.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Sequence

from nps_trace_analyzer.extract.mfa_result import (
    AADSTS_RE,
    CHALLENGE_REQUESTED,
    MAX_MESSAGE,
    SECONDARY_AUTH_CODES,
    MfaExtraction,
    add_code,
    code_kind,
    is_code_shaped,
    note_kind,
)

GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
GUID_VALUE_RE = re.compile(r"\{?(" + GUID + r")\}?")
#: The "Azure Multi-Factor Auth Client" application id: quoted in AADSTS messages, never a request's CID.
MFA_CLIENT_APP_ID = "981f26a1-7f43-403b-a875-f8b09b8cd720"
#: Longest user name accepted (RADIUS User-Name is at most 253 octets).
MAX_USER = 256
#: More Data values than this are read as the words of a sentence rather than as insertion strings.
MAX_INSERTION_STRINGS = 12

#: Code-shaped words of the text (see below); a catalog code must be one of them, whole and case-exact.
WORD_RE = re.compile(r"\b(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+)\b")
# Users: what a whole Data value (or one lone address in a text) may be.
# A name starts with neither a quote nor a dot: "Resource 'bob@contoso.com' does not exist" names bob (the bounded
# local part keeps a run of quotes linear).
UPN_RE = re.compile(
    r"(?<![\w.*%+-])[\w*%+#$!&-][\w.*%+'#$!&-]{0,63}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.[^\W\d_]{2,24}\b"
)
DOWN_LEVEL_RE = re.compile(r"[^\W_][\w.-]{0,63}\\[^\\\s:@]{1,64}")
PLACEHOLDER_USER_RE = re.compile(r"[<\[{(]?(?:user(?:name)?|upn|user ?principal ?name)[>\]})]?", re.IGNORECASE)
BARE_USER_RE = re.compile(r"[^\W\d_][\w.$'-]{0,63}")
REDACTED_RE = re.compile(r"[xX*#?.-]+|<[^<>]{0,20}>|\{[^{}]{0,20}\}")
USER_CONTEXT_RE = re.compile(r"\bfor (?:the )?user\b", re.IGNORECASE)
DATA_ELEMENT_RE = re.compile(r"<Data(?: Name=['\"]([^'\"<>]*)['\"])? ?>([^<]*)</Data>")
HTML_ENTITY_RE = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{1,7}|#x[0-9A-Fa-f]{1,6});")
#: Quotes, markdown backticks and sentence punctuation around a user name in posts and docs.
_USER_PUNCTUATION = " .,;`'\"\u2018\u2019\u201c\u201d"
_SENTENCE_END_RE = re.compile(r"\.\s|```")
_NOT_A_USER = re.compile(r"::|\bCID ?:|NPS Extension for|" + GUID, re.IGNORECASE)
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


def collapse(text: str) -> str:
    """``text`` with every whitespace run (line breaks, tabs, doubled spaces) made one space, ends trimmed, and
    HTML character references (``&lt;USERNAME&gt;`` in a copy taken from a web page) decoded."""
    if "&" in text and HTML_ENTITY_RE.search(text):
        text = html.unescape(text)
    return " ".join(text.split())


def clean_user(raw: str) -> str | None:
    """A captured user name without sentence punctuation, or None if it cannot be one."""
    # The event's sentence ends at its full stop or at a markdown fence: what a post writes after it is no name
    # ("for User alice. Any idea?", "for User alice\n```\nThanks").
    user = _SENTENCE_END_RE.split(raw, maxsplit=1)[0].strip(_USER_PUNCTUATION)
    if user.startswith("<") and user.endswith(">") and UPN_RE.fullmatch(user[1:-1]):
        user = user[1:-1]  # "<alice@contoso.com>": the address, not a placeholder
    first, space, _rest = user.partition(" ")
    if space and UPN_RE.fullmatch(first.strip(_USER_PUNCTUATION)):
        # An address has no spaces: "bob@contoso.com with response X" (a wording the stops do not know) is bob.
        user = first.strip(_USER_PUNCTUATION)
    if not user or len(user) > MAX_USER or user.count(" ") > 3 or _NOT_A_USER.search(user):
        return None
    return user


def user_shape(value: str) -> bool:
    """True for a whole value that can only be a user: UPN, DOMAIN\\user or a redaction placeholder."""
    return bool(UPN_RE.fullmatch(value) or DOWN_LEVEL_RE.fullmatch(value) or PLACEHOLDER_USER_RE.fullmatch(value))


def data_elements(text: str) -> list[tuple[str | None, str]]:
    """The ``<Data>`` elements of an event's XML view pasted as text, as (name, value) pairs."""
    return [(m.group(1), html.unescape(m.group(2))) for m in DATA_ELEMENT_RE.finditer(text)]


def _known(token: str, known_codes: Collection[str]) -> bool:
    return token in known_codes or bool(AADSTS_RE.fullmatch(token))


def place_by_shape(ex: MfaExtraction, whole: str, parts: Sequence[str], known_codes: Collection[str]) -> None:
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
            if add_code(ex, value, whole, kind):
                note_kind(ex, value, kind)
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
                if add_code(ex, token, ex.message or whole, kind):
                    note_kind(ex, token, kind)
                elif ex.note:
                    break

    if ex.user is None:
        found = {u.lower(): u for u in (m.group(0) for m in UPN_RE.finditer(whole))}
        if len(found) == 1:  # one address in the whole event: nobody else it could be
            ex.user = next(iter(found.values()))


def place_by_name(ex: MfaExtraction, whole: str, named: Sequence[tuple[str, str]]) -> None:
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
            ex.user = clean_user(value)
        elif role == "code" and CODE_VALUE_RE.fullmatch(value) and value.lower() not in NO_CODE_VALUES:
            kind = code_kind(value)
            if add_code(ex, value, ex.message or whole, kind):
                note_kind(ex, value, kind)
        elif role == "message" and ex.message is None:
            ex.message = value[:MAX_MESSAGE]
