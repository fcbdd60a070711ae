"""Healthy traffic makes no incident: NPS grants, the extension's success results, and System or NPS audit events
the catalog marks benign (an LDAP connection that came up, an account unlocked).

Why a rule: most of a busy server's log is healthy sign-ins. They matter only as *answers* (a grant or a
"Success" answers a challenge) and are otherwise never stored, so memory follows the failures, not the traffic.
"""

from __future__ import annotations

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.core.model import Finding

NAME = "healthy-traffic"


def is_result_only(finding: Finding, ctx: RuleContext) -> bool:
    """True when ``finding`` only answers challenges (a grant, the extension's success) and makes no incident."""
    return ctx.roles.has(finding.code, "grant") or ctx.roles.has(finding.code, "extension-success")


def is_ignored(finding: Finding, ctx: RuleContext) -> bool:
    """True for System and NPS audit events the catalog marks benign (4400: the LDAP connection came up)."""
    return finding.kind in ("system", "nps-audit") and ctx.is_benign(finding)
