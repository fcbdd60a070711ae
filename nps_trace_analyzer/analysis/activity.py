"""Sign-in activity over time: how many sign-ins NPS granted per minute, and the failures laid over them.

Why: a spike of failures means little without the traffic behind it (50 failures among 60 sign-ins is an outage,
among 6,000 it is a handful of users). The grants are counted while the events stream past, one counter per minute,
so memory follows the length of the bundle's time span, not its size; a span too long for per-minute counting
(more than :data:`MAX_MINUTES` distinct minutes) is folded into hours.

:func:`timeline` turns the grant counts and the incidents into the ``timeline`` section of findings.json: fixed-size
buckets (a round size picked so the span fits in at most :data:`MAX_BUCKETS`), each with the healthy sign-ins and the
failed ones per category. The HTML draws it (``report/timeline.py``); nothing here knows about drawing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar

from nps_trace_analyzer.core.model import Event, Incident, iso_z
from nps_trace_analyzer.core.wintime import FILETIME_EPOCH
from nps_trace_analyzer.extract.nps_audit import is_nps_audit

GRANT_EVENT_ID = 6272
MAX_MINUTES = 200_000
MAX_BUCKETS = 96
# Round bucket sizes, in seconds: 1, 5, 10, 15, 30 minutes; 1, 2, 3, 6, 12 hours; 1, 7 days.
BUCKET_SIZES = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800)
# Incident kinds that are one failed sign-in each (server incidents are faults counted once per server).
SIGN_IN_KINDS = frozenset({"sign-in", "challenge-no-result", "nps-reject"})


@dataclass
class SignInActivity:
    """Granted sign-ins (NPS audit 6272) per time slot, counted as events stream past.

    A :class:`~nps_trace_analyzer.core.tally.Tally`: counted per shard in the worker processes and merged. Slots are
    minutes until the stream has more than :data:`MAX_MINUTES` distinct minutes, hours after; a merge folds to the
    coarser side and again when the union grows too long, which is what one pass over the whole stream ends with.
    """

    slot_seconds: int = 60
    grants: Counter[int] = field(default_factory=Counter)  # slot start (epoch seconds) -> grants
    sees_repeats: ClassVar[bool] = False  # a grant repeated by the NPS text log is not a second sign-in

    def empty(self) -> SignInActivity:
        return SignInActivity()

    def observe(self, event: Event, _findings: object = None) -> None:
        self.add(event)

    def merge(self, other: SignInActivity) -> None:
        if other.slot_seconds > self.slot_seconds:
            self._fold(other.slot_seconds)
        grants = other.grants
        if other.slot_seconds < self.slot_seconds:
            grants = Counter()
            for start, n in other.grants.items():
                grants[start - start % self.slot_seconds] += n
        self.grants.update(grants)
        if len(self.grants) > MAX_MINUTES and self.slot_seconds < 3600:
            self._fold(3600)

    def add(self, event: Event) -> None:
        if event.event_id != GRANT_EVENT_ID or event.time == FILETIME_EPOCH or not is_nps_audit(event):
            return  # an undated copy (kept at the FILETIME zero by the text readers) has no place on a timeline
        epoch = int(event.time.timestamp())
        self.grants[epoch - epoch % self.slot_seconds] += 1
        if len(self.grants) > MAX_MINUTES and self.slot_seconds < 3600:
            self._fold(3600)

    def _fold(self, seconds: int) -> None:
        folded: Counter[int] = Counter()
        for start, n in self.grants.items():
            folded[start - start % seconds] += n
        self.grants, self.slot_seconds = folded, seconds


def _bucket_size(span_seconds: float, finest: int) -> int:
    for size in BUCKET_SIZES:
        if size >= finest and span_seconds / size <= MAX_BUCKETS:
            return size
    return BUCKET_SIZES[-1]


def _epoch(value: datetime) -> int:
    return int(value.astimezone(timezone.utc).timestamp())


def timeline(activity: SignInActivity, incidents: Iterable[Incident]) -> dict[str, Any]:
    """The ``timeline`` document: buckets of healthy and failed (per category) sign-ins; ``{}`` when empty.

    Failed sign-ins are the non-benign incidents of the sign-in kinds, placed at their first event.
    """
    failed = [
        (inc.first_seen, inc.category)
        for inc in incidents
        if inc.kind in SIGN_IN_KINDS and not inc.benign and inc.first_seen != FILETIME_EPOCH
    ]
    times = [_epoch(t) for t, _c in failed] + list(activity.grants)
    if not times:
        return {}
    first, last = min(times), max(times)
    size = _bucket_size(last - first + 1, activity.slot_seconds)
    origin = first - first % size
    count = (last - origin) // size + 1
    healthy = [0] * count
    per_category: dict[str, list[int]] = {}
    for start, n in activity.grants.items():
        healthy[(start - origin) // size] += n
    for when, category in failed:
        per_category.setdefault(category, [0] * count)[(_epoch(when) - origin) // size] += 1
    return {
        "bucket_seconds": size,
        "start": iso_z(datetime.fromtimestamp(origin, tz=timezone.utc)),
        "healthy": healthy,
        "failed": dict(sorted(per_category.items())),
        "failed_total": len(failed),
        "healthy_total": sum(healthy),
    }
