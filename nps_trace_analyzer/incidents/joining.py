"""Finding the draft a corroborating finding belongs to: the nearest in time, for the same user or server.

Shared by the join rules so that "nearest" means one thing: the smallest gap between the finding and one of the
draft's own findings, within a window; ties go to the draft that sorts first, so the answer never depends on the
order drafts were made in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from nps_trace_analyzer.incidents.drafts import Draft, finding_server, finding_user
from nps_trace_analyzer.model import Finding


def nearest_for_user(
    drafts: Iterable[Draft],
    finding: Finding,
    window: timedelta,
    anchor: Callable[[Draft, Finding], bool] = lambda _draft, _own: True,
) -> Draft | None:
    """The draft with a finding (one ``anchor`` accepts) of the same user closest in time to ``finding``."""
    ukey = finding_user(finding)
    if not ukey:
        return None
    when = finding.event.time
    best: tuple[timedelta, tuple[object, ...], Draft] | None = None
    for draft in drafts:
        for own in draft.findings:
            if (finding_user(own) or draft.ukey) != ukey or not anchor(draft, own):
                continue
            gap = abs(own.event.time - when)
            if gap <= window and (best is None or (gap, draft.sort_key()) < best[:2]):
                best = (gap, draft.sort_key(), draft)
    return best[2] if best else None


def near(
    drafts: Iterable[Draft],
    finding: Finding,
    window: timedelta,
    wanted: Callable[[Finding], bool],
    *,
    same_user: bool = False,
    same_server: bool = False,
) -> list[Draft]:
    """Drafts holding a ``wanted`` finding whose span (widened by ``window``) covers ``finding``'s time."""
    ukey = finding_user(finding)
    server = finding_server(finding).lower()
    hits = []
    for draft in drafts:
        if same_user and (not ukey or draft.ukey != ukey):
            continue
        if same_server and (draft.server or "").lower() != server:
            continue
        if not any(wanted(f) for f in draft.findings):
            continue
        if draft.first - window <= finding.event.time <= draft.last + window:
            hits.append(draft)
    return sorted(hits, key=Draft.sort_key)
