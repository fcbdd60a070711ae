"""The text sieve: which candidate events of a verbose source are worth diagnosing, and what their texts name.

Some inputs yield far more records than they hold diagnosable lines: a circular NPSExtension.etl of 4 GB is mostly
verbose chatter. Their reader does not judge its records (judging a text is this stage's job, with the AzureMfa
grammar): it yields every record with a text as a *candidate* event and says so in its
:class:`~nps_trace_analyzer.sources.readers.ReaderSpec` (``sieve_events``). The pipeline passes those events
through :func:`keep_diagnosable`, which keeps an event when

- its level is critical, error or warning (an error without a known code is what NPSEXT-TRACE-ERROR reports), or
- the AzureMfa grammar finds a code, a CID, a user or the "NPS Extension for" prefix in its text, or
- its text holds a UPN;

and counts, for the report, the codes, CIDs and users found and the first matching texts (:class:`SievedTexts`,
handed to the collector as :data:`SIEVED_TEXTS`). Everything else stays in the reader's own counts only.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from nps_trace_analyzer.core.model import Event, InputFile
from nps_trace_analyzer.extract.azuremfa import MfaExtraction, extract_azuremfa
from nps_trace_analyzer.sources.etl.npsext import MAX_DISTINCT  # one cap for every list of the trace's summary
from nps_trace_analyzer.sources.readers import Artifact, Collector

#: A user name anywhere in a trace text (the grammar only finds users where the extension's sentences put them).
#: Why not ``extract.mfa_content.UPN_RE`` (the user of an event's Data value or lone address): that one bounds the
#: label count and the top-level domain's length (a Data value must be an address to be taken as the user), while a
#: trace line is only counted, so this one is unbounded there and also finds
#: ``bob@contoso.verylongtopleveldomainnamehere``. Both read the local parts real user names have: non-ASCII
#: (``jörg@exämple.de``), a leading underscore (``_svc@contoso.com``), B2B guests
#: (``alice_contoso.com#EXT#@fabrikam.onmicrosoft.com``) and redacted posts (``***@contoso.com``). The look-behind
#: starts a match only at the start of a run of name characters, so a long run without ``@`` is scanned once; a
#: name starts with neither a quote nor a dot (``Resource 'bob@contoso.com' does not exist`` names bob). One group:
#: ``findall`` gives the names.
#: tests/test_upn_patterns.py holds these examples.
TRACE_UPN_RE: Final = re.compile(
    r"(?<![\w.*%+'#$!&-])'?([\w*%+#$!&-][\w.*%+'#$!&-]*@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,})\b"
)
#: Levels that keep an event whatever its text: critical, error, warning.
KEPT_LEVELS: Final = frozenset({1, 2, 3})
MAX_MATCHES: Final = 1000
MAX_TEXT_IN_REPORT: Final = 500


@dataclass(frozen=True, slots=True)
class TextMatch:
    """A text in which the AzureMfa grammar or the UPN pattern found something."""

    index: int
    time: datetime
    provider: str
    level: int | None
    kind: str
    codes: tuple[str, ...]
    cid: str | None
    user: str | None
    text: str


@dataclass
class SievedTexts:
    """What the sieve found in the candidate texts of one input (every list capped; drops are counted)."""

    codes: Counter[str] = field(default_factory=Counter)
    cids: Counter[str] = field(default_factory=Counter)
    users: Counter[str] = field(default_factory=Counter)
    matches: list[TextMatch] = field(default_factory=list)
    matches_dropped: int = 0
    distinct_dropped: int = 0  # values past MAX_DISTINCT distinct codes/CIDs/users

    def keep(self, event: Event) -> bool:
        """Count what ``event``'s text names; True when the event is worth diagnosing (see the module docstring)."""
        if not event.text:
            return False
        ex = extract_azuremfa(event.text)
        self._count(event, ex)
        if event.level in KEPT_LEVELS:
            return True
        if ex.codes or ex.cid or ex.user or ex.is_extension_text:
            return True
        return bool(TRACE_UPN_RE.search(event.text))

    def _count_capped(self, counter: Counter[str], key: str) -> None:
        if key in counter or len(counter) < MAX_DISTINCT:
            counter[key] += 1
        else:
            self.distinct_dropped += 1

    def _count(self, event: Event, ex: MfaExtraction) -> None:
        users = [ex.user] if ex.user else []
        users += [u for u in TRACE_UPN_RE.findall(event.text) if u not in users]
        for code, _msg in ex.codes:
            self._count_capped(self.codes, code)
        if ex.cid:
            self._count_capped(self.cids, ex.cid)
        for user in users:
            self._count_capped(self.users, user)
        if not (ex.codes or ex.cid or users):
            return
        if len(self.matches) >= MAX_MATCHES:
            self.matches_dropped += 1
            return
        self.matches.append(
            TextMatch(
                index=event.record_id or 0,
                time=event.time,
                provider=event.provider,
                level=event.level,
                kind=next((value for name, value in event.data if name == "kind"), ""),
                codes=tuple(code for code, _ in ex.codes),
                cid=ex.cid,
                user=users[0] if users else None,
                text=event.text[:MAX_TEXT_IN_REPORT],
            )
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form for the report (``distinct_dropped`` is added to the reader's own count there)."""
        return {
            "codes": dict(self.codes),
            "cids": dict(self.cids),
            "users": dict(self.users),
            "matches": [
                {
                    "index": m.index,
                    "time": m.time.isoformat().replace("+00:00", "Z"),
                    "provider": m.provider,
                    "level": m.level,
                    "kind": m.kind,
                    "codes": list(m.codes),
                    "cid": m.cid,
                    "user": m.user,
                    "text": m.text,
                }
                for m in self.matches
            ],
            "matches_dropped": self.matches_dropped,
        }


#: What the sieve found in each sieved input, for the report.
SIEVED_TEXTS: Artifact[SievedTexts] = Artifact("sieved-texts", SievedTexts)


def keep_diagnosable(inp: InputFile, candidates: Iterator[Event], collector: Collector) -> Iterator[Event]:
    """Yield the candidate events worth diagnosing, counted in ``inp.events_kept``; then hand what was found in
    all candidates to ``collector`` as :data:`SIEVED_TEXTS`."""
    texts = SievedTexts()
    for event in candidates:
        if texts.keep(event):
            inp.events_kept += 1
            yield event
    collector.add(SIEVED_TEXTS, inp, texts)
