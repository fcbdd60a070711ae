"""Finding the draft a corroborating finding belongs to: the nearest in time, for the same user or server.

Shared by the join rules so that "nearest" means one thing: the smallest gap between the finding and one of the
draft's own findings, within a window; ties go to the draft that sorts first, so the answer never depends on the
order drafts were made in.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import lru_cache

from nps_trace_analyzer.analysis.incidents.drafts import Draft, finding_server, finding_user
from nps_trace_analyzer.core.identity import host_key
from nps_trace_analyzer.core.model import Finding

#: A bundle names its servers a handful of ways: each spelling is keyed once.
_host = lru_cache(maxsize=256)(host_key)


class UserAnchors:
    """The findings of ``drafts`` (those ``anchor`` accepts) indexed by user and time, to find for a finding the
    draft of the same user nearest in time. Built once per rule, so joining N findings to M drafts costs
    O((N + M) log M), not N x M: an outage can make tens of thousands of both. Notices folded into a draft
    (:mod:`.notices`: benign, in a CID-less server draft) are never anchors: no join takes a benign server event.

    Only anchors logged by the finding's own server count (:func:`same_host`): one RADIUS request is handled by one
    NPS server, so a bundle holding two servers' logs never joins one server's reject to the other's sign-in of
    the same user a second apart."""

    def __init__(
        self, drafts: Iterable[Draft], anchor: Callable[[Draft, Finding], bool] = lambda _draft, _own: True
    ) -> None:
        self._drafts, self._anchor = list(drafts), anchor
        self._entries: dict[str, list[tuple[datetime, tuple[datetime, str, str], Draft, str]]] | None = None
        self._times: dict[str, list[datetime]] = {}

    def _index(self) -> dict[str, list[tuple[datetime, tuple[datetime, str, str], Draft, str]]]:
        """Built on the first question only: with nothing to join (no rejects) the drafts are never indexed."""
        if self._entries is not None:
            return self._entries
        entries: dict[str, list[tuple[datetime, tuple[datetime, str, str], Draft, str]]] = {}
        anchor = self._anchor
        for draft in self._drafts:
            order = draft.sort_key()
            for own in draft.findings:
                ukey = finding_user(own) or draft.ukey
                if ukey and anchor(draft, own):
                    host = _host(finding_server(own) or draft.server or "")
                    entries.setdefault(ukey, []).append((own.event.time, order, draft, host))
        self._entries = {u: sorted(items, key=lambda item: (item[0], item[1])) for u, items in entries.items()}
        self._times = {u: [item[0] for item in items] for u, items in self._entries.items()}
        self._drafts = []
        return self._entries

    def nearest(self, finding: Finding, window: timedelta) -> Draft | None:
        """The draft with a finding of ``finding``'s user closest in time, within ``window`` (ties: the draft that
        sorts first)."""
        entries = self._index()
        ukey = finding_user(finding)
        if ukey not in entries:
            return None
        when = finding.event.time
        times = self._times[ukey]
        candidates = entries[ukey][bisect_left(times, when - window) : bisect_right(times, when + window)]
        host = _host(finding_server(finding))
        candidates = [item for item in candidates if same_host(host, item[3])]
        if not candidates:
            return None
        return min(candidates, key=lambda item: (abs(item[0] - when), item[1]))[2]


def same_host(one: str, other: str) -> bool:
    """Two :func:`~nps_trace_analyzer.core.identity.host_key` values of the same server; an unknown one (a source
    that names no computer) matches any."""
    return not one or not other or one == other


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
    server = _host(finding_server(finding))
    hits = []
    for draft in drafts:
        if same_user and (not ukey or draft.ukey != ukey):
            continue
        if same_server and _host(draft.server or "") != server:
            continue
        if not any(wanted(f) for f in draft.samples()):  # ``wanted`` asks about codes
            continue
        if draft.first - window <= finding.event.time <= draft.last + window:
            hits.append(draft)
    return sorted(hits, key=Draft.sort_key)
