"""NPSExtension.etl repeats the extension's event-log messages: a trace line that says what an event log already
said (same code and CID or user, or the same wording, within a couple of seconds) is a copy, not a second
occurrence. The wording counts too because the two sources may name an unplaceable line differently (an
unrecognised event in the log, a trace error in the trace).

Why: counting the copy would double every incident's count and, worse, make a trace-only bundle and a bundle
with both sources disagree. The decision is taken once all findings are in, so it does not depend on whether
the event logs or the trace were read first.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable

from nps_trace_analyzer.domain import NPSEXT_TRACE_CHANNEL
from nps_trace_analyzer.incidents.context import RuleContext
from nps_trace_analyzer.incidents.drafts import finding_order, finding_user
from nps_trace_analyzer.incidents.signature import text_signature
from nps_trace_analyzer.model import Finding

NAME = "trace-copy"


def is_trace(finding: Finding) -> bool:
    return finding.event.channel == NPSEXT_TRACE_CHANNEL


def copy_key(finding: Finding) -> tuple[str, str]:
    return (finding.code, finding.attrs.get("cid") or finding_user(finding))


def mark(finding: Finding) -> tuple[tuple[str, str], float]:
    """What the rule remembers of an event-log finding: its copy key and POSIX time (a few bytes)."""
    return (copy_key(finding), finding.event.time.timestamp())


def text_mark(finding: Finding) -> tuple[tuple[str, str], float]:
    """The same by wording (the masked text signature)."""
    return (("", text_signature(finding.event.text)), finding.event.time.timestamp())


def apply(
    trace: list[Finding], logged: Iterable[tuple[tuple[str, str], float]], ctx: RuleContext
) -> tuple[list[Finding], list[Finding]]:
    """Split ``trace`` findings into (kept, copies): a copy repeats one of the ``logged`` marks (:func:`mark`,
    :func:`text_mark`)."""
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    for key, when in logged:
        times[key].append(when)
    for values in times.values():
        values.sort()
    window = ctx.options.trace_copy_window.total_seconds()
    kept: list[Finding] = []
    copies: list[Finding] = []

    def seen_near(key: tuple[str, str], when: float) -> bool:
        seen = times.get(key, [])
        i = bisect_left(seen, when - window)
        return i < len(seen) and seen[i] <= when + window

    for finding in sorted(trace, key=finding_order):
        when = finding.event.time.timestamp()
        if seen_near(copy_key(finding), when) or seen_near(text_mark(finding)[0], when):
            copies.append(finding)
        else:
            kept.append(finding)
    return kept, copies
