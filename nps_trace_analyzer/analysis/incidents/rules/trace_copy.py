"""NPSExtension.etl repeats the extension's event-log messages: a trace line that says what an event log already
said within a couple of seconds is a copy, not a second occurrence. A coded line repeats a finding of the same
code and CID (or user); an unplaceable line (role ``unrecognised``: the event log calls it
UNRECOGNISED_AZUREMFA_EVENT, the trace NPSEXT-TRACE-ERROR) repeats an unplaceable event-log line holding the same
words, in any order and with or without the product prefix (the event log may split the message into parts).

Why: counting the copy would double every incident's count and, worse, make a trace-only bundle and a bundle
with both sources disagree. The decision is taken once all findings are in, so it does not depend on whether
the event logs or the trace were read first.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import finding_order, finding_user
from nps_trace_analyzer.analysis.incidents.signature import masked_words
from nps_trace_analyzer.core.domain import NPSEXT_TRACE_CHANNEL
from nps_trace_analyzer.core.model import Finding

NAME = "trace-copy"
SAME_WORDS = 0.9  # share of the shorter text's words the other must hold to say the same thing

Mark = tuple[tuple[str, str], float]
WordMark = tuple[frozenset[str], float]


def is_trace(finding: Finding) -> bool:
    return finding.event.channel == NPSEXT_TRACE_CHANNEL


def copy_key(finding: Finding) -> tuple[str, str]:
    return (finding.code, finding.attrs.get("cid") or finding_user(finding))


def mark(finding: Finding) -> Mark:
    """What the rule remembers of a coded event-log finding: its copy key and POSIX time (a few bytes)."""
    return (copy_key(finding), finding.event.time.timestamp())


def word_mark(finding: Finding) -> WordMark:
    """What it remembers of an unplaceable event-log finding: its masked words and time."""
    return (masked_words(finding.event.text), finding.event.time.timestamp())


def _same_words(a: frozenset[str], b: frozenset[str]) -> bool:
    shorter = min(len(a), len(b))
    return shorter > 0 and len(a & b) >= SAME_WORDS * shorter


def apply(
    trace: list[Finding], logged: Iterable[Mark], ctx: RuleContext, unplaced: Iterable[WordMark] = ()
) -> tuple[list[Finding], list[Finding]]:
    """Split ``trace`` findings into (kept, copies): a copy repeats one of the ``logged`` marks (:func:`mark`) or,
    for an unplaceable line, one of the ``unplaced`` word marks (:func:`word_mark`)."""
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    for key, when in logged:
        times[key].append(when)
    for values in times.values():
        values.sort()
    wordings = sorted(unplaced, key=lambda item: item[1])
    wording_times = [when for _, when in wordings]
    window = ctx.options.trace_copy_window.total_seconds()

    def seen_near(key: tuple[str, str], when: float) -> bool:
        seen = times.get(key, [])
        i = bisect_left(seen, when - window)
        return i < len(seen) and seen[i] <= when + window

    def said_near(words: frozenset[str], when: float) -> bool:
        i = bisect_left(wording_times, when - window)
        while i < len(wordings) and wordings[i][1] <= when + window:
            if _same_words(words, wordings[i][0]):
                return True
            i += 1
        return False

    kept: list[Finding] = []
    copies: list[Finding] = []
    for finding in sorted(trace, key=finding_order):
        when = finding.event.time.timestamp()
        copy = seen_near(copy_key(finding), when)
        if not copy and ctx.roles.has(finding.code, "unrecognised"):
            copy = said_near(masked_words(finding.event.text), when)
        (copies if copy else kept).append(finding)
    return kept, copies
