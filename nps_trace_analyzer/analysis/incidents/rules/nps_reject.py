"""An NPS reject (Security 6273/6274, or an accounting-log reject) for any other reason is an ``nps-reject``
incident: the request failed before MFA (bad password, no matching policy, dial-in denied...). Repeats of the same
reject of the same user on the same server within the repeat window are one incident with a count.

Why fold repeats: a user retrying a wrong password ten times is one problem, not ten.
"""

from __future__ import annotations

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult, finding_server, finding_user
from nps_trace_analyzer.core.identity import host_key, user_key
from nps_trace_analyzer.core.model import Finding

NAME = "nps-reject"
KIND = "nps-reject"


def reject_draft(finding: Finding) -> Draft:
    """An ``nps-reject`` draft opened by ``finding`` (its user, code and time make the key)."""
    user = finding.attrs.get("user")
    return Draft(
        KIND,
        f"{user_key(user)}|{finding.code}|{finding.event.time.isoformat()}",
        [finding],
        user=user or None,
        server=finding_server(finding) or None,
    )


class RepeatFolder:
    """Keeps the latest reject draft per (server, user, code) so a repeat within the window joins it; two servers'
    rejects of one user (a bundle holding both servers' logs) stay two incidents, as each server's bundle gives."""

    def __init__(self, ctx: RuleContext) -> None:
        self.window = ctx.options.repeat_window
        self.latest: dict[tuple[str, str, str], Draft] = {}

    def add(self, finding: Finding, out: RuleResult) -> None:
        key = (host_key(finding_server(finding)), finding_user(finding), finding.code)
        draft = self.latest.get(key)
        if draft is not None and finding.event.time - draft.last <= self.window:
            draft.findings.append(finding)
            return
        draft = reject_draft(finding)
        self.latest[key] = draft
        out.drafts.append(draft)


def apply(rejects: list[Finding], ctx: RuleContext, folder: RepeatFolder | None = None) -> RuleResult:
    """``rejects`` in time order; ``folder`` is shared with ``secondary-reject-joins`` (same incidents)."""
    out = RuleResult()
    folder = folder or RepeatFolder(ctx)
    for finding in rejects:
        folder.add(finding, out)
    return out
