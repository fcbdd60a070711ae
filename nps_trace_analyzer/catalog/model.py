"""The loaded catalog: immutable entries plus the look-ups the pipeline and the CLI need.

Matching rules (why they are this way):

- Codes are matched case-sensitively first because the logs spell them exactly (``UserNotFound``,
  ``ESTS_TOKEN_ERROR``); case-insensitive equality is a fallback for hand-typed queries and odd sources.
- One code can have several entries (one per documented message, e.g. ``InvalidParameter``). Among them an
  entry whose regex ``patterns`` match the text wins, then one whose documented ``messages`` appear in the
  text (compared wording-tolerantly), then the code's generic entry (the one without a ``slug``). The loader
  guarantees that every code with several entries has exactly one generic entry, so a known code always
  finds an entry.
- ``code_pattern`` lets one entry stand for a family of codes that cannot be listed (``AADSTS<number>``);
  it is used only when no entry has the exact code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from nps_trace_analyzer.catalog.textmatch import normalize


@dataclass(frozen=True)
class Entry:
    """One catalog entry: a code (or a code with one of its documented messages) and what to do about it.

    Sequences are tuples so that entries stay hashable. ``patterns`` are compiled; ``pattern_texts`` keeps
    their source for display and JSON.

    ``examples`` holds every test vector (``catalog --check`` runs them all); ``synthetic_examples`` names
    those we wrote ourselves, which no source shows, so a reader never mistakes them for real event texts.
    ``source`` says where the entry's facts come from (``doc: repo/path@2025-01``, ``technet: ...``,
    ``kb: KB5040268``, ``observed``, ``inferred``); ``source_name`` is the short name the source gives
    the code, where a test holds the entry against a committed copy of that source.
    """

    id: str
    code: str
    messages: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    category: str
    severity: str
    audience: tuple[str, ...]
    title: str
    meaning: str
    steps: tuple[str, ...]
    doc_links: tuple[str, ...]
    doc_versions: tuple[str, ...]
    benign: bool
    benign_condition: str
    related: tuple[str, ...]
    examples: tuple[str, ...]
    reason_code: int | None
    event_id: int | None
    provider: str | None
    source_file: str
    slug: str | None = None
    family: str = ""
    provider_aliases: tuple[str, ...] = ()
    code_pattern: re.Pattern[str] | None = None
    derived: bool = False
    synthetic_examples: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    source_name: str = ""
    message_regexes: tuple[re.Pattern[str], ...] = field(default=(), repr=False, compare=False)
    roles: tuple[str, ...] = ()  # what the incident rules do with this code (schema.ROLES)

    @property
    def pattern_texts(self) -> tuple[str, ...]:
        """The regex sources of ``patterns``."""
        return tuple(p.pattern for p in self.patterns)

    @property
    def is_generic(self) -> bool:
        """True for the entry a code falls back to (the one without a message-specific slug)."""
        return self.slug is None

    @property
    def is_fallback(self) -> bool:
        """True for an entry that stands for a whole family of codes (``code_pattern``, e.g. any ``AADSTS<n>``).

        Such an entry knows nothing about the particular code it matched: incidents must not lend its category or
        steps as if the code were known (findings.json marks them ``generic``).
        """
        return self.code_pattern is not None

    @property
    def sourced_examples(self) -> tuple[str, ...]:
        """The examples a source shows (real event texts or documented messages), not written by us."""
        return tuple(e for e in self.examples if e not in self.synthetic_examples)

    def matches_text(self, text: str) -> bool:
        """True if one of this entry's patterns, or one of its documented messages, is found in ``text``."""
        if not text:
            return False
        if any(p.search(text) for p in self.patterns):
            return True
        norm = normalize(text)
        return any(r.search(norm) for r in self.message_regexes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view with the same keys as the YAML files (plus ``id``, ``source_file`` and ``generic``)."""
        return {
            "id": self.id,
            "code": self.code,
            "slug": self.slug,
            "family": self.family,
            "title": self.title,
            "category": self.category,
            "severity": self.severity,
            "audience": list(self.audience),
            "messages": list(self.messages),
            "patterns": list(self.pattern_texts),
            "meaning": self.meaning,
            "steps": list(self.steps),
            "benign": self.benign,
            "benign_condition": self.benign_condition,
            "related": list(self.related),
            "doc_links": list(self.doc_links),
            "doc_versions": list(self.doc_versions),
            "examples": list(self.sourced_examples),
            "examples_synthetic": list(self.synthetic_examples),
            "source": list(self.source),
            "source_name": self.source_name,
            "reason_code": self.reason_code,
            "event_id": self.event_id,
            "provider": self.provider,
            "provider_aliases": list(self.provider_aliases),
            "code_pattern": self.code_pattern.pattern if self.code_pattern else None,
            "derived": self.derived,
            "roles": list(self.roles),
            "generic": self.is_fallback,
            "source_file": self.source_file,
        }


_WORD_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_REGEX_SYNTAX = re.compile(r"\\.|[.?*+{}()\[\]|^$]")


def _literal_head(regex: re.Pattern[str]) -> str:
    """The literal text a message regex (from :func:`textmatch.message_regex`) starts with ("" if none)."""
    head: list[str] = []
    pos = 0
    source = regex.pattern
    while pos < len(source):
        if source[pos] == "\\" and pos + 1 < len(source) and not source[pos + 1].isalnum():
            head.append(source[pos + 1])
            pos += 2
        elif _REGEX_SYNTAX.match(source, pos):
            break
        else:
            head.append(source[pos])
            pos += 1
    return "".join(head)


_REASON_QUERY = re.compile(r"^(?:reason|reason[-_ ]?code|nps-reason)[:#\- ]?(\d+)$", re.IGNORECASE)
_EVENT_QUERY = re.compile(r"^(?:event|event[-_ ]?id|eid)[:#\- ]?(\d+)$", re.IGNORECASE)


class Catalog:
    """All entries, in file order, with indexes by id, code, reason code and event id."""

    def __init__(self, version: str, entries: Sequence[Entry], sources: Sequence[str] = ()) -> None:
        self.version = version
        self.entries: list[Entry] = list(entries)
        self.sources: list[str] = list(sources)
        self._by_id: dict[str, Entry] = {}
        self._by_code: dict[str, list[Entry]] = {}
        self._by_code_fold: dict[str, list[Entry]] = {}
        self._by_reason: dict[int, Entry] = {}
        self._by_event: dict[int, list[Entry]] = {}
        self._code_families: list[Entry] = []
        self._token_codes: frozenset[str] | None = None
        self._messages: list[tuple[str, re.Pattern[str], str]] | None = None
        self._reason_messages: list[tuple[str, int]] | None = None
        for entry in self.entries:
            self._by_id[entry.id] = entry
            self._by_code.setdefault(entry.code, []).append(entry)
            self._by_code_fold.setdefault(entry.code.casefold(), []).append(entry)
            if entry.reason_code is not None:
                self._by_reason.setdefault(entry.reason_code, entry)
            if entry.event_id is not None:
                self._by_event.setdefault(entry.event_id, []).append(entry)
            if entry.code_pattern is not None:
                self._code_families.append(entry)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def get(self, entry_id: str) -> Entry | None:
        """The entry with this exact id (``CODE`` or ``CODE#slug``)."""
        return self._by_id.get(entry_id)

    def codes(self) -> list[str]:
        """Every distinct code, in catalog order."""
        return list(self._by_code)

    def entries_for_code(self, code: str) -> list[Entry]:
        """All entries of a code (exact case first, then case-insensitive), generic entry first."""
        found = self._by_code.get(code) or self._by_code_fold.get(code.casefold()) or []
        return sorted(found, key=lambda e: not e.is_generic)

    def match(self, code: str, text: str = "") -> Entry | None:
        """The entry that explains ``code`` as seen in ``text``; None if the code is unknown."""
        candidates = self._by_code.get(code) or self._by_code_fold.get(code.casefold())
        if not candidates:
            candidates = [e for e in self._code_families if e.code_pattern and e.code_pattern.fullmatch(code)]
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        if text:
            for entry in candidates:
                if any(p.search(text) for p in entry.patterns):
                    return entry
            norm = normalize(text)
            for entry in candidates:
                if not entry.patterns and any(r.search(norm) for r in entry.message_regexes):
                    return entry
        for entry in candidates:
            if entry.is_generic:
                return entry
        return candidates[0]

    def token_codes(self) -> frozenset[str]:
        """Codes that can be written as one word in a log text (``ESTS_TOKEN_ERROR``, ``UserNotFound``).

        The extractor uses them to recognise a code without its ``ErrorCode::`` marker. Left out: family
        fallbacks (``AADSTS`` stands for any number), codes the pipeline derives itself (never logged), and
        codes with other characters (``NPS-REASON-16``, ``SYSTEM-NPS-4402``: Windows events, not extension text).
        """
        if self._token_codes is None:
            self._token_codes = frozenset(
                e.code for e in self.entries if not e.derived and not e.is_fallback and _WORD_CODE.fullmatch(e.code)
            )
        return self._token_codes

    def codes_by_message(self, text: str) -> list[str]:
        """Codes whose documented message appears in ``text``, in order of appearance, each once.

        The comparison is wording-tolerant (:func:`~nps_trace_analyzer.catalog.textmatch.normalize`: case,
        line breaks, doubled spaces, typographic quotes, "doesn't"/"does not"), so a message copied without
        its ``ErrorCode::``/``Msg::`` wrapper still names its code. A message found only as part of a longer
        documented message found at the same place ("Wrong code and pin entered." inside "... (OneWaySMS)")
        does not count. Only one-word codes take part (see :meth:`token_codes`).
        """
        if not text:
            return []
        norm = normalize(text)
        spans: list[tuple[int, int, str]] = []
        for needle, regex, code in self._message_index():
            if needle in norm and (m := regex.search(norm)):
                spans.append((m.start(), m.end(), code))
        kept = [
            s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and (o[1] - o[0]) > (s[1] - s[0]) for o in spans)
        ]
        out: list[str] = []
        for _start, _end, code in sorted(kept):
            if code not in out:
                out.append(code)
        return out

    def _message_index(self) -> list[tuple[str, re.Pattern[str], str]]:
        """(literal start of the message, its regex, code) for every documented message of a one-word code.

        The literal start lets :meth:`codes_by_message` skip a regex with one substring test (most events
        contain none of the messages).
        """
        if self._messages is None:
            words = self.token_codes()
            self._messages = [
                (_literal_head(regex), regex, entry.code)
                for entry in self.entries
                if entry.code in words
                for regex in entry.message_regexes
            ]
        return self._messages

    def by_reason_code(self, n: int) -> Entry | None:
        """The entry for NPS reason code ``n`` (``NPS-REASON-<n>``)."""
        return self._by_reason.get(n)

    def reason_code_by_message(self, text: str) -> int | None:
        """The NPS reason code whose documented Reason sentence appears in ``text`` (None if none, or if the
        longest sentence found belongs to more than one code).

        Why: copies of a 6273/6274 sometimes keep the Reason sentence and lose the "Reason Code:" line (a post
        quoting only the sentence, a SIEM field holding the text); the sentence is documented per code.
        """
        if not text:
            return None
        if self._reason_messages is None:
            self._reason_messages = sorted(
                (
                    (normalize(message).rstrip(" ."), entry.reason_code)  # quoted without its final full stop
                    for entry in self.entries
                    if entry.reason_code is not None
                    for message in entry.messages
                    if normalize(message).rstrip(" .")
                ),
                key=lambda item: -len(item[0]),
            )
        norm = normalize(text)
        found = [(len(m), code) for m, code in self._reason_messages if m in norm]
        if not found:
            return None
        longest = found[0][0]
        codes = {code for length, code in found if length == longest}
        return codes.pop() if len(codes) == 1 else None

    def by_event_id(self, event_id: int, provider: str | None = None) -> list[Entry]:
        """Entries for a Windows event id, optionally only those of ``provider`` (case-insensitive)."""
        found = self._by_event.get(event_id, [])
        if provider is None:
            return list(found)
        want = provider.casefold()
        return [
            e for e in found if e.provider is None or want in {p.casefold() for p in (e.provider, *e.provider_aliases)}
        ]

    def filter(
        self,
        category: str | None = None,
        severity: str | None = None,
        audience: str | None = None,
        benign: bool | None = None,
    ) -> list[Entry]:
        """Entries with the given category / severity / audience / benign flag (None = any)."""
        return [
            e
            for e in self.entries
            if (category is None or e.category == category)
            and (severity is None or e.severity == severity)
            and (audience is None or audience in e.audience)
            and (benign is None or e.benign == benign)
        ]

    def search(self, text: str) -> list[Entry]:
        """Entries containing every word of ``text`` (case-insensitive); code/title hits first."""
        words = text.casefold().split()
        if not words:
            return list(self.entries)
        ranked: list[tuple[int, int, Entry]] = []
        for index, entry in enumerate(self.entries):
            head = f"{entry.id} {entry.code} {entry.title}".casefold()
            body = " ".join(
                (
                    entry.category,
                    entry.meaning,
                    entry.benign_condition,
                    *entry.messages,
                    *entry.steps,
                    *entry.related,
                    str(entry.reason_code or ""),
                    str(entry.event_id or ""),
                    entry.provider or "",
                )
            ).casefold()
            if all(w in head or w in body for w in words):
                rank = 0 if all(w in head for w in words) else 1
                ranked.append((rank, index, entry))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [entry for _, _, entry in ranked]

    def resolve(self, query: str) -> list[Entry]:
        """Entries a person may mean by ``query``: an id, a code, a reason code or an event id.

        A bare number can be both a reason code and an event id (17 is both), so all readings are
        returned, reason code first. ``reason:17`` or ``event:17`` picks one reading.
        """
        query = query.strip()
        if not query:
            return []
        if entry := self.get(query):
            return [entry]
        if m := _REASON_QUERY.match(query):
            found = self.by_reason_code(int(m.group(1)))
            return [found] if found else []
        if m := _EVENT_QUERY.match(query):
            return self.by_event_id(int(m.group(1)))
        if query.isdigit():
            n = int(query)
            out = [e for e in (self.by_reason_code(n),) if e is not None]
            out.extend(e for e in self.by_event_id(n) if e not in out)
            return out
        found = self.entries_for_code(query)
        if found:
            return found
        if "#" in query:
            lowered = query.casefold()
            return [e for e in self.entries if e.id.casefold() == lowered]
        family = self.match(query)
        return [family] if family else []

    def check_examples(self) -> list[tuple[str, str, str]]:
        """Every example that :meth:`match` does not resolve to its own entry, as (file, id, problem).

        An entry that declares ``patterns`` must also match each of its examples with one of them: for a
        code with a single entry :meth:`match` succeeds whatever the text, so without this rule the
        examples of pipeline-worded entries (CONFIG-*, CAPTURE-*) would test nothing.
        """
        problems: list[tuple[str, str, str]] = []
        for entry in self.entries:
            for example in entry.examples:
                got = self.match(entry.code, example)
                if got is not entry:
                    problems.append(
                        (
                            entry.source_file,
                            entry.id,
                            f"example matches {got.id if got else 'nothing'}: {example[:80]!r}",
                        )
                    )
                elif entry.patterns and not any(p.search(example) for p in entry.patterns):
                    problems.append(
                        (
                            entry.source_file,
                            entry.id,
                            f"example matches none of the entry's patterns: {example[:80]!r}",
                        )
                    )
        return problems
