"""A challenge ("Challenge requested ...") nothing answered within the challenge timeout is a
``challenge-no-result`` incident (primary code: the catalog's ``challenge-no-result`` entry).

A challenge is answered by anything that follows it for the same sign-in: the extension's own success result for
the same CID (a normal one-time-code sign-in, also without Security.evtx or with NPS auditing off), or any
later result for the same user within the timeout (a grant, an NPS reject for another reason, another extension
event). Why so broad: the incident means "the code never came back"; any later outcome proves it did. An NPS
reject that only says the extension rejected (role ``extension-reject-reason``) proves nothing of the kind, so
it does not answer: ``extension-reject-joins`` adds it to the unanswered challenge.
Challenges of a CID that already is a sign-in incident were joined to it by ``sign-in-per-cid``.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from functools import lru_cache

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult, Sighting
from nps_trace_analyzer.core.identity import user_key

#: user -> user key, remembered: a day's results and challenges name the same few thousand users again and again.
_user_key = lru_cache(maxsize=1 << 16)(user_key)

NAME = "challenge-no-result"
KIND = "challenge-no-result"


class Results:
    """When each user got a result, and which CIDs the extension reported successful: compact, order-free."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self.succeeded_cids: set[str] = set()
        self._sorted = True

    def add(self, user: str | None, when: datetime, cid: str | None = None) -> None:
        ukey = _user_key(user)
        if ukey:
            self.times.setdefault(ukey, []).append(when.timestamp())
            self._sorted = False
        if cid:
            self.succeeded_cids.add(cid)

    def merge(self, other: Results) -> None:
        """Add the results of another part of the stream (order does not matter: times are sorted when asked)."""
        for ukey, values in other.times.items():
            self.times.setdefault(ukey, []).extend(values)
        if other.times:
            self._sorted = False
        self.succeeded_cids |= other.succeeded_cids

    def after(self, user: str | None, when: datetime, within: float) -> bool:
        """Did the user get a result in (when, when + within] seconds?"""
        ukey = _user_key(user)
        if not ukey or ukey not in self.times:
            return False
        if not self._sorted:
            for values in self.times.values():
                values.sort()
            self._sorted = True
        values = self.times[ukey]
        start = when.timestamp()
        i = bisect_right(values, start)
        return i < len(values) and values[i] <= start + within


def is_answered(cid: str | None, user: str | None, when: datetime, results: Results, ctx: RuleContext) -> bool:
    """The answer test of this rule: a success for the CID, or any result of the user within the timeout."""
    if cid and cid in results.succeeded_cids:
        return True
    return results.after(user, when, ctx.options.challenge_timeout.total_seconds())


def apply(challenges: list[Sighting], sign_in_cids: set[str], results: Results, ctx: RuleContext) -> RuleResult:
    """Drafts for unanswered challenges; challenges of ``sign_in_cids`` are part of a sign-in incident already."""
    out = RuleResult()
    by_cid: dict[str, list[Sighting]] = {}
    loose: list[Sighting] = []
    for challenge in challenges:
        cid = challenge.attr("cid")
        if cid in sign_in_cids:
            continue
        if cid:
            by_cid.setdefault(cid, []).append(challenge)
        else:
            loose.append(challenge)
    for cid, group in by_cid.items():
        first = group[0]
        if is_answered(cid, first.attr("user"), first.time, results, ctx):
            continue
        findings = [f for s in group for f in s.findings]
        out.drafts.append(
            Draft(KIND, cid, findings, cid=cid, user=first.attr("user") or None, server=first.attr("server") or None)
        )
    for challenge in loose:
        user = challenge.attr("user")
        if is_answered(None, user, challenge.time, results, ctx):
            continue
        key = f"{user_key(user)}|{challenge.time.isoformat()}"
        out.drafts.append(
            Draft(KIND, key, list(challenge.findings), user=user or None, server=challenge.attr("server") or None)
        )
    return out
