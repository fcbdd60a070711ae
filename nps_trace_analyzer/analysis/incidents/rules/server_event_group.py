"""The extension's events without a CID form ``server`` incidents: one per (server, what the event is).

"What the event is" is decided per event, never per code: an event is grouped by its most specific code's
catalog entry (so one event holding ESTS_TOKEN_ERROR and its nested AADSTS code is one incident, primary the
AADSTS code), and an event whose best code the catalog does not specifically know (an unplaceable line, an
unknown code, a code only a family fallback matches) by its text signature, so unrelated unrecognised events
are never merged into one incident. Repeats of the same fault on a server are one incident with a count.
"""

from __future__ import annotations

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult, Sighting
from nps_trace_analyzer.analysis.incidents.signature import text_signature

NAME = "server-event-group"
KIND = "server"


def group_key(sighting: Sighting, ctx: RuleContext) -> str:
    """``entry:<id>`` for an event whose best code the catalog knows, else ``text:<signature>``."""
    primary = ctx.primary(sighting.findings)
    if ctx.is_known(primary) and not ctx.roles.has(primary.code, "unrecognised"):
        return f"entry:{primary.entry_id}"
    return f"text:{text_signature(sighting.event.text)}"


def apply(events: list[Sighting], ctx: RuleContext, existing: dict[str, Draft] | None = None) -> RuleResult:
    """Server drafts for CID-less ``events``; ``existing`` (key -> draft) lets another rule add to the same set."""
    out = RuleResult()
    groups = existing if existing is not None else {}
    for sighting in events:
        server = sighting.attr("server") or sighting.event.computer or ""
        key = f"{server}|{group_key(sighting, ctx)}"
        draft = groups.get(key)
        if draft is None:
            draft = groups[key] = Draft(KIND, key, server=server or None)
            out.drafts.append(draft)
        draft.findings.extend(sighting.findings)
    return out
