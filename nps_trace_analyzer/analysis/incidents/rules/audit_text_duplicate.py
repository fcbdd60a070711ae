"""NPS_EventLog.log (wevtutil's text rendering of the NPS audit events) repeats Security.evtx: when the bundle has
both, the .evtx is the source of findings and the text log's audit findings are set aside (its events stay listed
in events.csv).

Why decided at the end: which file is read first must not matter; the engine counts audit findings per source
kind and applies this rule once everything is in.
"""

from __future__ import annotations

from collections import Counter

from nps_trace_analyzer.core.model import Finding

NAME = "audit-text-duplicate"
TEXT_SOURCE_KIND = "nps-text"
EVTX_SOURCE_KIND = "evtx"


def text_log_is_duplicate(audit_sources: Counter[str]) -> bool:
    """True when Security.evtx gave NPS audit events, so the text log's copies add nothing."""
    return audit_sources[EVTX_SOURCE_KIND] > 0 and audit_sources[TEXT_SOURCE_KIND] > 0


def apply(audits: list[Finding], audit_sources: Counter[str]) -> tuple[list[Finding], list[Finding]]:
    """Split audit findings into (kept, duplicates)."""
    if not text_log_is_duplicate(audit_sources):
        return list(audits), []
    kept = [f for f in audits if f.event.source_kind != TEXT_SOURCE_KIND]
    dropped = [f for f in audits if f.event.source_kind == TEXT_SOURCE_KIND]
    return kept, dropped
