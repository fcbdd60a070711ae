"""NPS, IAS and Schannel System events form ``server`` incidents: one per (server, catalog entry or code).

Why per code: a System event describes the server, not a sign-in (a RADIUS client with a wrong shared secret, no
domain controller); each occurrence repeats the same fault, counted with first and last seen.
"""

from __future__ import annotations

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult, finding_server
from nps_trace_analyzer.core.model import Finding

NAME = "system-per-code"
KIND = "server"


def add_to_group(groups: dict[str, Draft], server: str, what: str, finding: Finding, out: RuleResult) -> Draft:
    """Add ``finding`` to the server draft ``(server, what)`` of ``groups``, creating it when new."""
    key = f"{server}|{what}"
    draft = groups.get(key)
    if draft is None:
        draft = groups[key] = Draft(KIND, key, server=server or None)
        out.drafts.append(draft)
    draft.findings.append(finding)
    return draft


def apply(findings: list[Finding], groups: dict[str, Draft], ctx: RuleContext) -> RuleResult:
    out = RuleResult()
    for finding in findings:
        add_to_group(groups, finding_server(finding), f"entry:{finding.entry_id or finding.code}", finding, out)
    return out
