"""The extension's events that carry a CID form one ``sign-in`` incident per CID.

Why per CID: the CID is the extension's id of one authentication; every event it logs about that attempt
(exception, MFA response, the challenge before it) carries it, so the CID is what a support engineer follows.
A CID whose events are only challenges is not decided here: whether a challenge was answered is the
``challenge-no-result`` rule's question.
"""

from __future__ import annotations

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult, Sighting

NAME = "sign-in-per-cid"
KIND = "sign-in"


def apply(events: list[Sighting], challenges: list[Sighting], ctx: RuleContext) -> RuleResult:
    """Drafts for the CIDs of ``events`` (sightings without challenge codes); challenges of those CIDs join."""
    out = RuleResult()
    by_cid: dict[str, Draft] = {}
    for sighting in events:
        cid = sighting.attr("cid")
        if not cid:
            continue
        draft = by_cid.get(cid)
        if draft is None:
            draft = by_cid[cid] = Draft(KIND, cid, cid=cid)
            out.drafts.append(draft)
        draft.findings.extend(sighting.findings)
        draft.user = draft.user or sighting.attr("user") or None
        draft.server = draft.server or sighting.attr("server") or None
    for challenge in challenges:
        draft = by_cid.get(challenge.attr("cid"))
        if draft is not None:
            for finding in challenge.findings:
                out.joins.append((draft, finding))
            draft.user = draft.user or challenge.attr("user") or None
    return out
