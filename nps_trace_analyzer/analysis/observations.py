"""What one bundle's event stream says about its server, kept small enough to compare servers with each other.

Why: the multi-server comparison (:mod:`nps_trace_analyzer.fleet.compare`) works on per-server results only and
never reaches back into readers or events.csv. While a bundle is read, :class:`ObservationCollector` watches the
events go by (``pipeline.analyze(observer=...)``) and keeps three things: which computers logged, which users NPS
granted access to, and *clock marks* -- occurrences that carry an identity a second server could have seen too.
A RADIUS request's Identifier and 16-byte random Request Authenticator, from the same NAS, name one packet: when
two servers' captures hold it (Windows NLB floods every inbound packet to every node; a NAS that sends to every
server of a group), the difference of their timestamps is the difference of their clocks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from nps_trace_analyzer.analysis.findings import is_azuremfa
from nps_trace_analyzer.core.identity import user_key
from nps_trace_analyzer.core.model import Event
from nps_trace_analyzer.extract.nps_audit import is_nps_audit, nps_audit_fields

MAX_CLOCK_MARKS = 1_000  # plenty for a median; fleet keeps every bundle's marks between runs
_FULL_RANGE = 1 << 32
GRANTED = 6272


@dataclass
class Observations:
    """The comparable facts of one bundle (see the module docstring).

    ``computers``: events per computer name; ``granted``: user key -> grants (Security 6272);
    ``auth_events``: authentication events (NPS audit + AzureMfa); ``clock_marks``: mark key -> first time seen.
    """

    computers: Counter[str] = field(default_factory=Counter)
    granted: Counter[str] = field(default_factory=Counter)
    auth_events: int = 0
    first_auth: datetime | None = None
    last_auth: datetime | None = None
    clock_marks: dict[str, datetime] = field(default_factory=dict)
    mark_limit: int = _FULL_RANGE  # marks are kept when their packet's hash is below this (see _radius)

    @property
    def server(self) -> str:
        """The computer that logged most, "" when no event named one.

        Sources name the same machine ``NPS01`` (accounting log) and ``NPS01.contoso.local`` (event logs): names
        are grouped by their first label and the group is named by its fully qualified member.
        """
        groups: dict[str, Counter[str]] = {}
        for name, count in self.computers.items():
            groups.setdefault(name.split(".", 1)[0].lower(), Counter())[name] += count
        if not groups:
            return ""
        best = sorted(groups.values(), key=lambda g: (-sum(g.values()), min(n.lower() for n in g)))[0]
        return sorted(best, key=lambda n: (-n.count("."), -best[n], n.lower()))[0]


def radius_mark(nas: str, identifier: str, authenticator: str) -> str:
    """The key of one RADIUS request packet, the same in every capture that holds it."""
    return f"radius|{nas}|{identifier}|{authenticator.lower()}"


class ObservationCollector:
    """Fills :class:`Observations` from the events of ``pipeline.analyze``.

    A :class:`~nps_trace_analyzer.core.tally.Tally`: run per shard in the worker processes and merged; every part
    of :class:`Observations` merges without regard to order: counts add, first/last take the extremes, clock marks
    unite under the lower of the two limits.
    """

    sees_repeats: ClassVar[bool] = False  # a text-log copy of a Security event is not a second grant

    def __init__(self) -> None:
        self.observations = Observations()

    def empty(self) -> ObservationCollector:
        return ObservationCollector()

    def observe(self, event: Event, _findings: object = None) -> None:
        self(event)

    def merge(self, other: ObservationCollector) -> None:
        obs, theirs = self.observations, other.observations
        obs.computers.update(theirs.computers)
        obs.granted.update(theirs.granted)
        if theirs.auth_events:
            obs.auth_events += theirs.auth_events
            for when in (theirs.first_auth, theirs.last_auth):
                if when is not None:
                    self._extremes(when)
        for key, when in theirs.clock_marks.items():
            obs.clock_marks[key] = min(when, obs.clock_marks.get(key, when))
        obs.mark_limit = min(obs.mark_limit, theirs.mark_limit)
        self._drop_marks_from(obs.mark_limit)  # each side kept every mark below its own limit: the lower holds
        self._bound_marks()

    def __call__(self, event: Event) -> None:
        obs = self.observations
        if event.computer:
            obs.computers[event.computer] += 1
        if event.source_kind == "capture" and event.provider == "RADIUS":
            self._radius(event)
            return
        if is_nps_audit(event):
            if event.event_id == GRANTED:
                user = user_key(nps_audit_fields(event).get("user"))
                if user:
                    obs.granted[user] += 1
            self._auth(event.time)
        elif is_azuremfa(event):
            self._auth(event.time)

    def _auth(self, when: datetime) -> None:
        self.observations.auth_events += 1
        self._extremes(when)

    def _extremes(self, when: datetime) -> None:
        obs = self.observations
        if obs.first_auth is None or when < obs.first_auth:
            obs.first_auth = when
        if obs.last_auth is None or when > obs.last_auth:
            obs.last_auth = when

    def _radius(self, event: Event) -> None:
        """Keep the packet's mark when its hash is below the current limit; halve the limit when too many are kept.

        The hash is the packet's own random Request Authenticator, so every server keeps *the same* packets
        whatever else it captured and in whichever order (two captures of different length still share their
        sample), and memory stays bounded by :data:`MAX_CLOCK_MARKS`.
        """
        authenticator = event.get("authenticator")
        if len(authenticator) < 8:
            return
        try:
            value = int(authenticator[:8], 16)
        except ValueError:
            return
        obs = self.observations
        if value >= obs.mark_limit:
            return
        key = radius_mark(event.get("nas"), event.get("radius_id"), authenticator)
        marks = obs.clock_marks
        marks[key] = min(event.time, marks.get(key, event.time))
        self._bound_marks()

    def _bound_marks(self) -> None:
        obs = self.observations
        while len(obs.clock_marks) > MAX_CLOCK_MARKS:
            obs.mark_limit //= 2
            self._drop_marks_from(obs.mark_limit)

    def _drop_marks_from(self, limit: int) -> None:
        marks = self.observations.clock_marks
        for stale in [k for k in marks if int(k.rsplit("|", 1)[1][:8], 16) >= limit]:
            del marks[stale]
