"""The extension's "only performs Secondary Auth ... AccessReject" notice (role ``secondary-reject``) joins the
same user's ``nps-reject`` incident within the join window; with no NPS reject to join (NPS auditing off) it is
an ``nps-reject`` incident of its own, with the notice as primary code.

Why: the notice only says NPS had already rejected the request; the reason is in NPS's reject.
"""

from __future__ import annotations

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult, Sighting
from nps_trace_analyzer.analysis.incidents.joining import UserAnchors
from nps_trace_analyzer.analysis.incidents.rules.nps_reject import RepeatFolder

NAME = "secondary-reject-joins"


def apply(notices: list[Sighting], reject_drafts: list[Draft], ctx: RuleContext, folder: RepeatFolder) -> RuleResult:
    out = RuleResult()
    anchors = UserAnchors(reject_drafts)
    for sighting in notices:
        for finding in sighting.findings:
            target = anchors.nearest(finding, ctx.options.join_window)
            if target is not None:
                out.joins.append((target, finding))
            else:
                folder.add(finding, out)
    return out
