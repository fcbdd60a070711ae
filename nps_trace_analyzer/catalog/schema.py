"""The catalog schema: fixed vocabularies and the checks that turn one raw YAML mapping into an Entry.

Every problem is raised as :class:`CatalogError` naming the file and the entry, because the catalog is
meant to be extended by users with a text editor: the message must lead them to the line to fix, and the
CLI prints it as one line instead of a traceback.
"""

from __future__ import annotations

import re
from typing import Any

from nps_trace_analyzer.catalog.linear_regex import NotLinear, compile_linear
from nps_trace_analyzer.catalog.model import Entry
from nps_trace_analyzer.catalog.textmatch import message_regex

CATEGORIES: tuple[str, ...] = (
    "configuration",
    "certificate-token",
    "connectivity",
    "installation",
    "directory",
    "user-enrollment",
    "user-action",
    "not-an-error",
    "needs-support",
    "nps-policy",
    "primary-auth",
    "radius-client",
)
SEVERITIES: tuple[str, ...] = ("critical", "error", "warning", "info")
AUDIENCES: tuple[str, ...] = ("admin", "end-user", "microsoft-support")
# What the incident rules do with a code (``roles:`` on an entry). The rules name roles, never codes, so that
# which code plays which part is written once, here in the catalog data (docs/diagnosis-contract.md).
ROLES: dict[str, str] = {
    "challenge": "the extension asked for a one-time code; waits for a result (CHALLENGE_REQUESTED)",
    "challenge-no-result": "the derived code of a challenge nothing answered",
    "extension-success": "the extension's own success result: answers a challenge, a healthy sign-in",
    "grant": "NPS granted access: answers a challenge, never an incident",
    "extension-reject-reason": "an NPS reject reason meaning the extension rejected: joins the sign-in",
    "secondary-reject": "the extension ignored an already rejected request: joins the NPS reject",
    "https-failure": "the HTTPS call to the MFA service failed (TLS): Schannel and capture failures join it",
    "connect-failure": "the MFA service could not be reached: capture failures join it",
    "tls-client-failure": "Windows could not build a TLS client credential: joins an https-failure",
    "needs-code": "the request had no one-time code: a non-PAP protocol in the capture joins it",
    "session-expired": "the MFA session expired: NAS retransmissions in the capture join it",
    "capture-protocol": "a capture finding about the RADIUS protocol: evidence only, joins challenges",
    "nas-retransmission": "the NAS resent its request: one server incident per NAS, joins session-expired",
    "missing-message-authenticator": "requests without Message-Authenticator: joins proxy-state-rejected",
    "proxy-state-rejected": "NPS dropped requests with Proxy-State but no Message-Authenticator",
    "unrecognised": "an event no grammar could place: grouped by its text signature, never by code",
}

REQUIRED_KEYS: tuple[str, ...] = (
    "code",
    "title",
    "category",
    "severity",
    "audience",
    "meaning",
    "steps",
)
OPTIONAL_KEYS: tuple[str, ...] = (
    "examples",
    "examples_synthetic",
    "source",
    "source_name",
    "slug",
    "messages",
    "patterns",
    "doc_links",
    "doc_versions",
    "benign",
    "benign_condition",
    "related",
    "reason_code",
    "event_id",
    "provider",
    "provider_aliases",
    "code_pattern",
    "derived",
    "merge",
    "roles",
)
KNOWN_KEYS = frozenset(REQUIRED_KEYS + OPTIONAL_KEYS)

CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9\-]*$")
_REASON_CODE_RE = re.compile(r"^NPS-REASON-(\d+)$")
_EVENT_CODE_RE = re.compile(r"^(?:SECURITY|SYSTEM-[A-Z]+)-(\d+)$")

# Provenance: where an entry's facts come from. One item is ``kind`` or ``kind: value``.
SOURCE_KINDS: tuple[str, ...] = ("doc", "technet", "kb", "script", "observed", "inferred")
_SOURCE_RE = re.compile(r"^(?P<kind>[a-z]+)(?:\s*:\s*(?P<value>\S.*))?$")
_SOURCE_VALUE_RULES: dict[str, tuple[re.Pattern[str] | None, str]] = {
    # kind: (value pattern, or None when the value is optional free text; what a value must look like)
    # a doc read in its source repository (pinned version), or a live page whose version was not pinned
    "doc": (
        re.compile(r"^(?:[\w.\-]+/\S+@\d{4}(?:-\d{2})?|https://\S+)$"),
        "'doc: <repo>/<path>@<YYYY or YYYY-MM>' or 'doc: https://<live page>'",
    ),
    "technet": (re.compile(r"^\S.*$"), "'technet: <page name>'"),
    "kb": (re.compile(r"^KB\d{6,7}$"), "'kb: KB<number>'"),
    "script": (re.compile(r"^[\w.\-]+/\S+$"), "'script: <repo>/<path>'"),
    "observed": (None, "'observed' or 'observed: <where>'"),
    "inferred": (None, "'inferred' or 'inferred: <what>'"),
}


def check_source(items: tuple[str, ...], fail: Any) -> tuple[str, ...]:
    """Validate provenance items (``doc: repo/path@2025-01``, ``kb: KB5040268``, ``observed``, ...).

    ``fail(message)`` returns the exception to raise, so files and entries name themselves in the error.
    """
    for item in items:
        m = _SOURCE_RE.match(item)
        if not m or m.group("kind") not in SOURCE_KINDS:
            raise fail(f"source '{item}' must start with one of: {', '.join(SOURCE_KINDS)}")
        kind, value = m.group("kind"), m.group("value")
        pattern, form = _SOURCE_VALUE_RULES[kind]
        if pattern is not None and not (value and pattern.match(value)):
            raise fail(f"source '{item}' must look like {form}")
    return items


def _source_items(c: _Checker) -> tuple[str, ...]:
    """The entry's ``source`` list. ``- doc: x@2025`` left unquoted is a one-key mapping in YAML: accept it."""
    value = c.raw.get("source")
    if isinstance(value, list):
        value = [mapping_as_text(item) for item in value]
    return _Checker({"source": value}, c.file, c.label).texts("source")


def mapping_as_text(item: Any) -> Any:
    """``{doc: x@2025}`` (an unquoted ``doc: x@2025`` list item) as the text ``doc: x@2025``."""
    if isinstance(item, dict) and len(item) == 1:
        ((kind, value),) = item.items()
        return f"{kind}: {value}" if value is not None else str(kind)
    return item


def source_kind(item: str) -> str:
    """The kind of one provenance item: ``doc: x@2025`` -> ``doc``."""
    return item.split(":", 1)[0].strip()


class CatalogError(Exception):
    """A catalog file or entry that cannot be used. ``str()`` is one line naming file and entry."""

    def __init__(self, file: str, entry: str | None, message: str) -> None:
        super().__init__(file, entry, message)
        self.file = file
        self.entry = entry
        self.message = message

    def __str__(self) -> str:
        where = f"{self.file}: entry {self.entry}" if self.entry else self.file
        return f"{where}: {self.message}"


def entry_label(raw: Any, index: int) -> str:
    """How an entry is named in error messages: its id when it has a usable code, else its position."""
    if isinstance(raw, dict):
        code = raw.get("code")
        slug = raw.get("slug")
        if isinstance(code, str) and code:
            return f"{code}#{slug}" if isinstance(slug, str) and slug else code
    return f"#{index + 1}"


def entry_id(raw: dict[str, Any]) -> str:
    """The unique id of a raw entry: ``CODE`` or ``CODE#slug``."""
    slug = raw.get("slug")
    return f"{raw['code']}#{slug}" if slug else str(raw["code"])


class _Checker:
    """Typed getters over one raw entry that raise CatalogError with file and entry filled in."""

    def __init__(self, raw: dict[str, Any], file: str, label: str, linear_time: bool = False) -> None:
        self.raw = raw
        self.file = file
        self.label = label
        self.linear_time = linear_time

    def fail(self, message: str) -> CatalogError:
        return CatalogError(self.file, self.label, message)

    def text(self, key: str, *, required: bool = False, one_line: bool = False) -> str:
        value = self.raw.get(key)
        if value is None:
            if required:
                raise self.fail(f"missing required key '{key}'")
            return ""
        if not isinstance(value, str):
            raise self.fail(f"'{key}' must be a string, not {type(value).__name__}")
        value = value.strip()
        if required and not value:
            raise self.fail(f"'{key}' must not be empty")
        if one_line and "\n" in value:
            raise self.fail(f"'{key}' must be a single line")
        return value

    def texts(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        value = self.raw.get(key)
        if value is None:
            if required:
                raise self.fail(f"missing required key '{key}'")
            return ()
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list):
            raise self.fail(f"'{key}' must be a list of strings")
        out: list[str] = []
        for position, item in enumerate(value, 1):
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                raise self.fail(f"'{key}' item {position} must be a string")
            item = str(item).strip()
            if not item:
                raise self.fail(f"'{key}' item {position} is empty")
            out.append(item)
        if required and not out:
            raise self.fail(f"'{key}' needs at least one item")
        return tuple(out)

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key, required=True)
        if value not in allowed:
            raise self.fail(f"{key} '{value}' is not one of: {', '.join(allowed)}")
        return value

    def integer(self, key: str) -> int | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(f"'{key}' must be a non-negative integer")
        return value

    def flag(self, key: str) -> bool:
        value = self.raw.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(f"'{key}' must be true or false")
        return value

    def regex(self, source: str, what: str) -> re.Pattern[str]:
        try:
            if self.linear_time:
                return compile_linear(source)  # type: ignore[no-any-return]  # RE2 object, re.Pattern's API
            return re.compile(source)
        except re.error as exc:
            raise self.fail(f"{what} {source!r} is not a valid regular expression: {exc}") from None
        except NotLinear as exc:
            raise self.fail(f"{what} {source!r} {exc}") from None


def build_entry(raw: Any, file: str, index: int, family: str = "", *, user: bool = False) -> Entry:
    """Validate one raw YAML mapping and build its :class:`Entry` (raises :class:`CatalogError`).

    ``user`` entries (from ``--catalog`` files) get their ``patterns`` compiled for linear-time matching
    (:mod:`~nps_trace_analyzer.catalog.linear_regex`)."""
    label = entry_label(raw, index)
    if not isinstance(raw, dict):
        raise CatalogError(file, label, f"an entry must be a mapping of keys, not {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in KNOWN_KEYS)
    if unknown:
        raise CatalogError(file, label, f"unknown key '{unknown[0]}' (known keys: {', '.join(sorted(KNOWN_KEYS))})")
    c = _Checker(raw, file, label, linear_time=user)
    code = c.text("code", required=True, one_line=True)
    if not CODE_RE.match(code):
        raise c.fail(f"code '{code}' may hold only letters, digits, '_' and '-' and must start with a letter")
    slug = c.text("slug", one_line=True) or None
    if slug is not None and not SLUG_RE.match(slug):
        raise c.fail(f"slug '{slug}' may hold only lower-case letters, digits and '-'")

    category = c.choice("category", CATEGORIES)
    severity = c.choice("severity", SEVERITIES)
    audience = c.texts("audience", required=True)
    for who in audience:
        if who not in AUDIENCES:
            raise c.fail(f"audience '{who}' is not one of: {', '.join(AUDIENCES)}")

    title = c.text("title", required=True, one_line=True)
    meaning = c.text("meaning", required=True)
    steps = c.texts("steps", required=True)
    examples = c.texts("examples")
    synthetic = c.texts("examples_synthetic")
    if not examples and not synthetic:
        raise c.fail("needs at least one example in 'examples' (shown by a source) or 'examples_synthetic' (ours)")
    overlap = sorted(set(examples) & set(synthetic))
    if overlap:
        raise c.fail(f"example {overlap[0][:60]!r} is in both 'examples' and 'examples_synthetic'")
    source = check_source(_source_items(c), c.fail)
    source_name = c.text("source_name", one_line=True)
    messages = c.texts("messages")
    patterns = tuple(c.regex(p, "pattern") for p in c.texts("patterns"))
    doc_links = c.texts("doc_links")
    for link in doc_links:
        if not link.startswith("https://"):
            raise c.fail(f"doc link '{link}' must be an https:// URL")
    doc_versions = c.texts("doc_versions")

    benign = c.flag("benign")
    benign_condition = c.text("benign_condition")
    if benign and not benign_condition:
        raise c.fail("'benign: true' needs a 'benign_condition' saying when the message is harmless")

    reason_code = c.integer("reason_code")
    event_id = c.integer("event_id")
    provider = c.text("provider", one_line=True) or None
    provider_aliases = c.texts("provider_aliases")
    if event_id is not None and provider is None:
        raise c.fail("an entry with 'event_id' needs a 'provider'")
    if m := _REASON_CODE_RE.match(code):
        if reason_code != int(m.group(1)):
            raise c.fail(f"code {code} needs 'reason_code: {int(m.group(1))}'")
    if m := _EVENT_CODE_RE.match(code):
        if event_id != int(m.group(1)):
            raise c.fail(f"code {code} needs 'event_id: {int(m.group(1))}'")

    code_pattern_text = c.text("code_pattern", one_line=True)
    code_pattern = c.regex(code_pattern_text, "code_pattern") if code_pattern_text else None

    roles = c.texts("roles")
    for role in roles:
        if role not in ROLES:
            raise c.fail(f"role '{role}' is not one of: {', '.join(ROLES)}")

    regexes = tuple(r for r in (message_regex(m) for m in messages) if r is not None)
    return Entry(
        id=f"{code}#{slug}" if slug else code,
        code=code,
        messages=messages,
        patterns=patterns,
        category=category,
        severity=severity,
        audience=audience,
        title=title,
        meaning=meaning,
        steps=steps,
        doc_links=doc_links,
        doc_versions=doc_versions,
        benign=benign,
        benign_condition=benign_condition,
        related=c.texts("related"),
        examples=examples + synthetic,
        synthetic_examples=synthetic,
        source=source,
        source_name=source_name,
        reason_code=reason_code,
        event_id=event_id,
        provider=provider,
        source_file=file,
        slug=slug,
        family=family,
        provider_aliases=provider_aliases,
        code_pattern=code_pattern,
        derived=c.flag("derived"),
        message_regexes=regexes,
        roles=roles,
    )
