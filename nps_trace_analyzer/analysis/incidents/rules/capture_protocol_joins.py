"""A capture finding about the RADIUS protocol (role ``capture-protocol``: the NAS used MS-CHAPv2/CHAP/EAP, not
PAP) joins the same user's unanswered challenge, or sign-in that lacked its code (role ``needs-code``), within the
Schannel window. It makes no incident alone.

Why: only PAP can carry a typed one-time code; the capture is the proof of why the code never came back.
"""

from __future__ import annotations

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult
from nps_trace_analyzer.analysis.incidents.joining import near
from nps_trace_analyzer.core.model import Finding

NAME = "capture-protocol-joins"


def apply(findings: list[Finding], drafts: list[Draft], ctx: RuleContext) -> RuleResult:
    out = RuleResult()
    challenge, needs_code = ctx.roles.of("challenge"), ctx.roles.of("needs-code")
    targets = [d for d in drafts if d.kind == "challenge-no-result"] + [
        d for d in drafts if d.kind == "sign-in" and d.has_code(needs_code)
    ]
    wanted = challenge | needs_code
    for finding in findings:
        hits = near(targets, finding, ctx.options.schannel_window, lambda f: f.code in wanted, same_user=True)
        out.joins.extend((draft, finding) for draft in hits)
        if not hits:
            out.dropped.append(finding)  # evidence for nothing: shown in the capture overview only
    return out
