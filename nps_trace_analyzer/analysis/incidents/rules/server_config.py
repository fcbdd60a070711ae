"""Server-configuration findings (registry checks, "NPS auditing appears disabled") form ``server-config``
incidents: one per (server, code).

Why a kind of its own: they describe the server's state, not something that happened at a time; the report
lists them apart from the incidents logged by events.
"""

from __future__ import annotations

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult, finding_server
from nps_trace_analyzer.core.model import Finding

NAME = "server-config"
KIND = "server-config"


def apply(findings: list[Finding], ctx: RuleContext) -> RuleResult:
    out = RuleResult()
    groups: dict[str, Draft] = {}
    for finding in findings:
        server = finding_server(finding)
        key = f"{server}|{finding.code}"
        draft = groups.get(key)
        if draft is None:
            draft = groups[key] = Draft(KIND, key, server=server or None)
            out.drafts.append(draft)
        draft.findings.append(finding)
    return out
