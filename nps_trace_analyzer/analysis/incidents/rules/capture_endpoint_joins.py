"""A capture failure towards an MFA endpoint (DNS, TCP, TLS: any capture finding that is neither about the RADIUS
protocol nor about a NAS) joins the incidents holding an ``https-failure`` or ``connect-failure`` code within the
Schannel window; with nothing to explain it is a ``server`` incident per code.

Why: the packets show *why* the extension could not reach the service; alone they still show the server cannot.
"""

from __future__ import annotations

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult
from nps_trace_analyzer.analysis.incidents.joining import near
from nps_trace_analyzer.analysis.incidents.rules.system_per_code import add_to_group
from nps_trace_analyzer.core.model import Finding

NAME = "capture-endpoint-joins"


def apply(findings: list[Finding], drafts: list[Draft], groups: dict[str, Draft], ctx: RuleContext) -> RuleResult:
    out = RuleResult()
    failures = ctx.roles.of("https-failure") | ctx.roles.of("connect-failure")
    for finding in findings:
        targets = near(drafts, finding, ctx.options.schannel_window, lambda f: f.code in failures)
        for draft in targets:
            out.joins.append((draft, finding))
        if not targets:
            add_to_group(groups, "", finding.code, finding, out)
    return out
