"""RADIUS-client findings of the capture (roles ``nas-retransmission`` and ``missing-message-authenticator``) are
``server`` incidents, one per (NAS address, code). A retransmission also joins the same user's session-expired
sign-in (role ``session-expired``, InvalidSession) within the Schannel window; requests without
Message-Authenticator join a ``proxy-state-rejected`` incident (System 4418) instead when there is one.

Why per NAS: the fix (a longer RADIUS timeout, enabling Message-Authenticator) is made on that client.
"""

from __future__ import annotations

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult
from nps_trace_analyzer.analysis.incidents.joining import near
from nps_trace_analyzer.analysis.incidents.rules.system_per_code import add_to_group
from nps_trace_analyzer.core.model import Finding

NAME = "capture-nas-per-client"


def apply(
    findings: list[Finding], drafts: list[Draft], server_drafts: list[Draft], groups: dict[str, Draft], ctx: RuleContext
) -> RuleResult:
    out = RuleResult()
    roles = ctx.roles
    rejected = roles.of("proxy-state-rejected")
    proxy_state = sorted((d for d in server_drafts if d.has_code(rejected)), key=Draft.sort_key)
    expired = roles.of("session-expired")
    for finding in findings:
        if roles.has(finding.code, "missing-message-authenticator") and proxy_state:
            out.joins.append((proxy_state[0], finding))
            continue
        if roles.has(finding.code, "nas-retransmission"):
            for draft in near(
                drafts, finding, ctx.options.schannel_window, lambda f: f.code in expired, same_user=True
            ):
                out.joins.append((draft, finding))
        add_to_group(groups, "", f"{finding.code}|{finding.attrs.get('nas', '')}", finding, out)
    return out
