"""The extension's events without a CID form ``server`` incidents: one per (server, what the event is).

"What the event is" is decided per event, never per code: an event is grouped by its most specific code's
catalog entry (so one event holding ESTS_TOKEN_ERROR and its nested AADSTS code is one incident, primary the
AADSTS code), and an event whose best code the catalog does not specifically know (an unplaceable line, an
unknown code, a code only a family fallback matches) by its text signature, so unrelated unrecognised events
are never merged into one incident. Repeats of the same fault on a server are one incident with a count.

Harmless notices (:mod:`..notices`) reach this rule already folded into one summary per draft key, made with
:func:`draft_key` where the findings were filed; each becomes (or joins) the draft of that key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, RuleResult, Sighting
from nps_trace_analyzer.analysis.incidents.signature import text_signature

if TYPE_CHECKING:
    from nps_trace_analyzer.analysis.incidents.notices import NoticeFold

NAME = "server-event-group"
KIND = "server"


def group_key(sighting: Sighting, ctx: RuleContext) -> str:
    """``entry:<id>`` for an event whose best code the catalog knows, else ``text:<signature>``."""
    primary = ctx.primary(sighting.findings)
    if ctx.is_known(primary) and not ctx.roles.has(primary.code, "unrecognised"):
        return f"entry:{primary.entry_id}"
    return f"text:{text_signature(sighting.event.text)}"


def draft_key(sighting: Sighting, ctx: RuleContext) -> tuple[str, str]:
    """(draft key, server) of the server draft a CID-less event belongs to."""
    server = sighting.attr("server") or sighting.event.computer or ""
    return f"{server}|{group_key(sighting, ctx)}", server


def apply(
    events: list[Sighting],
    ctx: RuleContext,
    existing: dict[str, Draft] | None = None,
    folds: dict[str, NoticeFold] | None = None,
) -> RuleResult:
    """Server drafts for CID-less ``events`` and the ``folds`` of harmless notices; ``existing`` (key -> draft) lets
    another rule add to the same set."""
    out = RuleResult()
    groups = existing if existing is not None else {}

    def draft_of(key: str, server: str) -> Draft:
        draft = groups.get(key)
        if draft is None:
            draft = groups[key] = Draft(KIND, key, server=server or None)
            out.drafts.append(draft)
        return draft

    for sighting in events:
        key, server = draft_key(sighting, ctx)
        draft_of(key, server).findings.extend(sighting.findings)
    for key, fold in sorted((folds or {}).items()):
        draft_of(key, fold.server).folded = fold
    return out
