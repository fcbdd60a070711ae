"""NPS_EventLog.log (wevtutil's text rendering of the NPS audit events) repeats Security.evtx: when the bundle has
both, the .evtx is the source of findings and the text log's audit findings are set aside (its events stay listed
in events.csv) — except a text finding that lies outside the time the .evtx's audit events span and repeats none of
them: the text is then the only source of that reject, and it counts.

Why not set the whole text aside: a Security.evtx saved later, or filtered to a few hours, beside the health
check's text of the whole log would hide the rejects only the text holds. Why the "repeats none" test: older
wevtutil builds print local time without a zone (read as UTC), which moves the text's copies by the server's UTC
offset, so copies of the .evtx's own first or last hour can fall outside its span. A text finding repeats an .evtx
finding when event id, user and code agree and the times differ by a whole number of quarter hours up to 14 hours
(every UTC offset) within a second (renderings keep milliseconds).

Why decided at the end: which file is read first must not matter; the engine counts audit findings per source
kind and applies this rule once everything is in.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta

from nps_trace_analyzer.core.identity import user_key
from nps_trace_analyzer.core.model import Finding

NAME = "audit-text-duplicate"
TEXT_SOURCE_KIND = "nps-text"
EVTX_SOURCE_KIND = "evtx"


def text_log_is_duplicate(audit_sources: Counter[str]) -> bool:
    """True when Security.evtx gave NPS audit events, so the text log's copies add nothing."""
    return audit_sources[EVTX_SOURCE_KIND] > 0 and audit_sources[TEXT_SOURCE_KIND] > 0


#: How far a rendering's times may be from the record's: a whole number of these (every UTC offset is one) ...
ZONE_STEP = timedelta(minutes=15)
#: ... up to 14 hours either way ...
MAX_ZONE_STEPS = 56
#: ... within this (renderings keep milliseconds, the .evtx 100 ns).
TOLERANCE = timedelta(seconds=1)


def _key(finding: Finding) -> tuple[int, str, str]:
    return finding.event.event_id, user_key(finding.attrs.get("user")), finding.code


def _repeats_one(finding: Finding, own: dict[tuple[int, str, str], list[datetime]]) -> bool:
    """Does ``finding`` (of the text) repeat an .evtx finding, its time moved by some UTC offset?"""
    times = own.get(_key(finding))
    if not times:
        return False
    for step in range(-MAX_ZONE_STEPS, MAX_ZONE_STEPS + 1):
        at = finding.event.time - step * ZONE_STEP
        i = bisect_left(times, at - TOLERANCE)
        if i < len(times) and times[i] <= at + TOLERANCE:
            return True
    return False


def apply(
    audits: list[Finding], audit_sources: Counter[str], spans: Mapping[str, tuple[datetime, datetime]]
) -> tuple[list[Finding], list[Finding]]:
    """Split audit findings into (kept, duplicates); ``spans``: first and last audit time per source kind."""
    if not text_log_is_duplicate(audit_sources):
        return list(audits), []
    first, last = spans[EVTX_SOURCE_KIND]
    first, last = first - TOLERANCE, last + TOLERANCE
    own: dict[tuple[int, str, str], list[datetime]] = {}
    for finding in audits:
        if finding.event.source_kind == EVTX_SOURCE_KIND:
            own.setdefault(_key(finding), []).append(finding.event.time)
    for times in own.values():
        times.sort()
    kept: list[Finding] = []
    dropped: list[Finding] = []
    for finding in audits:
        text = finding.event.source_kind == TEXT_SOURCE_KIND
        repeat = text and (first <= finding.event.time <= last or _repeats_one(finding, own))
        (dropped if repeat else kept).append(finding)
    return kept, dropped
