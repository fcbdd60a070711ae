"""The working records of the rules: an incident draft, one event's findings, and the canonical orders.

Why canonical orders: the engine receives findings in whatever order files were read (or worker processes
finished). Every collection a rule walks is first sorted by :func:`finding_order` / :func:`event_key`, which
depend only on the findings themselves, so the same bundle gives the same incidents in any read order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from nps_trace_analyzer.core.identity import user_key
from nps_trace_analyzer.core.model import Event, Finding

if TYPE_CHECKING:
    from nps_trace_analyzer.analysis.incidents.notices import NoticeFold

EventKey = tuple[str, int, datetime, Any, str, int, str]


def event_key(event: Event) -> EventKey:
    """Identity of one logged event: file, record, time, channel, id and text (text sources have no record id).

    The time is the datetime and its UTC offset: equal exactly when the ISO texts are (the same instant written
    with another offset is another text), and ordered like them among equal instants (a larger offset writes a
    later local time); the offset costs a look-up where the ISO text cost a formatting per finding.
    """
    when = event.time
    return (
        event.source_file,
        -1 if event.record_id is None else event.record_id,
        when,
        when.utcoffset(),
        event.channel,
        event.event_id,
        event.text,
    )


def finding_order(finding: Finding) -> tuple[datetime, EventKey, str]:
    """Total order of findings: time first (what the rules reason about), then the event and the code."""
    return (finding.event.time, event_key(finding.event), finding.code)


def finding_user(finding: Finding) -> str:
    """The finding's user, normalised for comparison (:func:`nps_trace_analyzer.core.identity.user_key`)."""
    return user_key(finding.attrs.get("user"))


def finding_server(finding: Finding) -> str:
    return finding.attrs.get("server") or finding.event.computer or ""


@dataclass
class Sighting:
    """All findings of one event: one event is one piece of evidence and never more than one incident."""

    findings: list[Finding]

    @property
    def event(self) -> Event:
        return self.findings[0].event

    @property
    def time(self) -> datetime:
        return self.event.time

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def attr(self, name: str) -> str:
        """The first non-empty attribute ``name`` of the event's findings."""
        for f in self.findings:
            value = f.attrs.get(name)
            if value:
                return value
        return ""


def sightings(findings: list[Finding]) -> list[Sighting]:
    """Group findings by event (in canonical order): the unit the extension rules work on."""
    groups: dict[EventKey, list[Finding]] = {}
    for order, finding in sorted(((finding_order(f), f) for f in findings), key=_first):
        groups.setdefault(order[1], []).append(finding)
    return [Sighting(group) for group in groups.values()]


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


@dataclass
class Draft:
    """An incident being formed: its kind, a key unique within the kind, and its findings (a ``server`` draft may
    also hold harmless notices folded into counts, :mod:`.notices`)."""

    kind: str
    key: str
    findings: list[Finding] = field(default_factory=list)
    cid: str | None = None
    user: str | None = None
    server: str | None = None
    folded: NoticeFold | None = None

    @property
    def ukey(self) -> str:
        return user_key(self.user)

    @property
    def first(self) -> datetime:
        times = [f.event.time for f in self.findings]
        if self.folded is not None and self.folded.first_time is not None:
            times.append(self.folded.first_time)
        return min(times)

    @property
    def last(self) -> datetime:
        times = [f.event.time for f in self.findings]
        if self.folded is not None and self.folded.last_time is not None:
            times.append(self.folded.last_time)
        return max(times)

    @property
    def empty(self) -> bool:
        return not self.findings and self.folded is None

    def has_code(self, codes: frozenset[str] | set[str]) -> bool:
        return any(f.code in codes for f in self.samples())

    def samples(self) -> list[Finding]:
        """Its findings and, for folded notices, one finding of each (kind, code, entry): enough for questions
        about codes, not about every event."""
        if self.folded is None:
            return self.findings
        return self.findings + self.folded.samples()

    def sort_key(self) -> tuple[datetime, str, str]:
        return (self.first, self.kind, self.key)


@dataclass
class RuleResult:
    """What one rule decided: new drafts, findings joined to existing drafts, findings it set aside (with why)."""

    drafts: list[Draft] = field(default_factory=list)
    joins: list[tuple[Draft, Finding]] = field(default_factory=list)
    dropped: list[Finding] = field(default_factory=list)

    def apply_joins(self) -> None:
        for draft, finding in self.joins:
            draft.findings.append(finding)
