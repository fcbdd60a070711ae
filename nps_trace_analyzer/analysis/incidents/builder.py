"""Drafts -> :class:`~nps_trace_analyzer.core.model.Incident`: primary code, catalog advice, evidence rows, summary.

The primary code is the best-ranked finding (:meth:`RuleContext.rank`), except for an ``nps-reject`` (the NPS
decision that opened it) and a ``challenge-no-result`` (the catalog's derived code for it). A primary code the
catalog matches only through a family fallback (any ``AADSTS<n>``) is reported as such: ``in_catalog`` false,
``generic`` true, category needs-support, never the fallback's own category as if the code were known. (A
fallback code ranks as unknown, so when the same event holds a wrapping code the catalog knows, such as
ESTS_TOKEN_ERROR, that code is primary and lends its category honestly.)
"""

from __future__ import annotations

from typing import Any

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Draft, finding_order
from nps_trace_analyzer.core.model import Event, Evidence, Finding, Incident
from nps_trace_analyzer.core.wintime import FILETIME_EPOCH

MAX_EVIDENCE = 100
UNKNOWN_STEPS = (
    "Look the code up in Microsoft's NPS extension error documentation.",
    "If it is not documented, open a support case with the evidence rows below.",
)


def _advice(code: str, entry: Any) -> dict[str, Any]:
    """Category, severity, title, steps, links and the catalog flags of the incident."""
    if entry is not None and not entry.is_fallback:
        return {
            "category": entry.category,
            "severity": entry.severity,
            "title": entry.title,
            "steps": list(entry.steps),
            "doc_links": list(entry.doc_links),
            "benign": bool(entry.benign),
            "in_catalog": True,
            "generic": False,
        }
    # Only a family fallback matched (or nothing): say so. A wrapping code the catalog knows (ESTS_TOKEN_ERROR)
    # outranks the fallback and would be primary, so here nothing specific is known: needs-support.
    if entry is not None:
        title = f"{code} is not in the catalog ({entry.title})"
        steps, links = list(entry.steps), list(entry.doc_links)  # the family's generic advice still applies
    else:
        title = f"{code} is not in the catalog"
        steps, links = list(UNKNOWN_STEPS), []
    return {
        "category": "needs-support",
        "severity": "warning",
        "title": title,
        "steps": steps,
        "doc_links": links,
        "benign": False,
        "in_catalog": False,
        "generic": entry is not None,
    }


def _summary(
    draft: Draft,
    primary: Finding,
    user: str | None,
    server: str | None,
    repeats: int,
    title: str,
    ctx: RuleContext,
) -> str:
    code = primary.code
    who = user or "an unknown user"
    if draft.kind == "sign-in":
        return f"Sign-in of {who} (CID {draft.cid}) failed with {code}: {title}"
    if draft.kind == "challenge-no-result":
        minutes = ctx.options.challenge_timeout.total_seconds() / 60
        return f"An MFA challenge for {who} got no result within {minutes:g} minutes: {title}"
    if draft.kind == "nps-reject":
        return f"NPS rejected {who} ({code}){f', {repeats} times' if repeats > 1 else ''}: {title}"
    times = "once" if repeats == 1 else f"{repeats} times"
    if primary.kind == "capture":  # seen in the packets; no server logged it
        return f"The packet capture{f' on {server}' if server else ''} shows {code} {times}: {title}"
    return f"{server or 'The server'} logged {code} {times}: {title}"


def _order(pair: tuple[Any, Finding]) -> Any:
    return pair[0]


def build(number: int, draft: Draft, ctx: RuleContext, auth_types: dict[str, str]) -> Incident:
    """Turn ``draft`` into incident ``INC-<number>``; ``auth_types`` maps user keys to "PAP x3, ..." text."""
    opener = draft.findings[0]
    ordered = sorted([(finding_order(f), f) for f in draft.findings], key=_order)
    findings = [f for _order_key, f in ordered]
    primary = opener if draft.kind == "nps-reject" else ctx.primary(findings)
    code, entry = primary.code, ctx.entry(primary)
    if draft.kind == "challenge-no-result":
        code = ctx.roles.first("challenge-no-result")
        entry = ctx.catalog.match(code)
        primary = findings[0]
    codes = list(dict.fromkeys([f.code for f in findings]))
    if code not in codes:
        codes.insert(0, code)
    attrs: dict[str, str] = {}
    for f in findings:
        for key, value in f.attrs.items():
            attrs.setdefault(key, value)
    user = draft.user or attrs.get("user")
    if draft.kind == "challenge-no-result" and draft.ukey in auth_types:
        attrs["auth_types"] = auth_types[draft.ukey]
    server = draft.server or attrs.get("server") or primary.event.computer or None
    per_event: dict[tuple[str, int, str], list[Finding]] = {}
    for (_time, key, _code), f in ordered:
        per_event.setdefault(key[:3], []).append(f)  # (file, record id, time): the event's row
    # One row per event, labelled with its most specific code (an ESTS_TOKEN_ERROR row says AADSTS7000112).
    events: dict[tuple[str, int, str], tuple[Event, str]] = {
        key: (group[0].event, ctx.primary(group).code) for key, group in per_event.items()
    }
    rows = list(events.values())
    evidence = [
        Evidence(ev.source_file, ev.channel, ev.event_id, ev.record_id, ev.time, ev.text, own)
        for ev, own in rows[:MAX_EVIDENCE]
    ]
    if len(rows) > MAX_EVIDENCE:
        attrs["evidence_truncated"] = f"{len(rows) - MAX_EVIDENCE} more events not listed"
    advice = _advice(code, entry)
    own = [f for f in findings if f.kind != "nps-audit"] if draft.kind != "nps-reject" else []
    if own and all(ctx.is_benign(f) for f in own) and draft.kind != "challenge-no-result":
        advice["benign"] = True
    repeats = sum(1 for f in findings if f.code == primary.code) if draft.kind == "nps-reject" else len(rows)
    dated = [f.event.time for f in findings if f.event.time != FILETIME_EPOCH]  # undated copies place nothing
    return Incident(
        id=f"INC-{number:04d}",
        kind=draft.kind,
        cid=draft.cid,
        user=user,
        server=server,
        first_seen=dated[0] if dated else findings[0].event.time,
        last_seen=findings[-1].event.time,
        count=len(rows),
        codes=codes,
        primary_code=code,
        category=advice["category"],
        severity=advice["severity"],
        benign=advice["benign"],
        in_catalog=advice["in_catalog"],
        title=advice["title"],
        summary=_summary(draft, primary, user, server, repeats, advice["title"], ctx),
        steps=advice["steps"],
        doc_links=advice["doc_links"],
        evidence=evidence,
        attrs=attrs,
        generic=advice["generic"],
    )
