"""An NPS reject whose reason means "the extension rejected" (catalog role ``extension-reject-reason``: reason
21, 9, 10) joins the extension's incident of the same user nearest in time within the join window
(``--join-window``); with nothing to join it is an ``nps-reject`` incident of its own.

Why: NPS only records that the extension said no; the extension's own event says why. One sign-in, one
incident. Sign-ins with a redacted or missing CID count too (their event still names the user).
"""

from __future__ import annotations

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult
from nps_trace_analyzer.analysis.incidents.joining import UserAnchors
from nps_trace_analyzer.analysis.incidents.rules.nps_reject import reject_draft
from nps_trace_analyzer.core.model import Finding

NAME = "extension-reject-joins"


def apply(rejects: list[Finding], extension_drafts: list[Draft], ctx: RuleContext) -> RuleResult:
    """Join each reject to the nearest extension draft of its user (a server draft only through a non-benign
    event: a benign notice such as an EAP round passing through explains no reject), else a new draft."""

    def anchor(draft: Draft, own: Finding) -> bool:
        return draft.kind != "server" or not ctx.is_benign(own)

    out = RuleResult()
    anchors = UserAnchors(extension_drafts, anchor)
    for finding in rejects:
        target = anchors.nearest(finding, ctx.options.join_window)
        if target is not None:
            out.joins.append((target, finding))
        else:
            out.drafts.append(reject_draft(finding))
    return out
