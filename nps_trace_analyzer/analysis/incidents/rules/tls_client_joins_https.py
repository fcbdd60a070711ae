"""Schannel 36871 (role ``tls-client-failure``: Windows could not create a TLS client credential) within the
Schannel window of an incident holding an ``https-failure`` code (HTTPS_COMMUNICATION_ERROR) on the same server
joins that incident as corroborating evidence; otherwise it is a ``server`` incident of its own.

Why: the Schannel event is the operating system's side of the same failed HTTPS call (TLS 1.2 disabled, say).
"""

from __future__ import annotations

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult, finding_server
from nps_trace_analyzer.analysis.incidents.joining import near
from nps_trace_analyzer.analysis.incidents.rules.system_per_code import add_to_group
from nps_trace_analyzer.core.model import Finding

NAME = "tls-client-joins-https"


def apply(findings: list[Finding], drafts: list[Draft], groups: dict[str, Draft], ctx: RuleContext) -> RuleResult:
    out = RuleResult()
    https = ctx.roles.of("https-failure")
    for finding in findings:
        hits = near(drafts, finding, ctx.options.schannel_window, lambda f: f.code in https, same_server=True)
        if hits:
            out.joins.append((hits[0], finding))
        else:
            add_to_group(groups, finding_server(finding), f"entry:{finding.entry_id or finding.code}", finding, out)
    return out
