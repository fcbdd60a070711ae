"""The engine's intake: each finding filed by what the rules will do with it, in a store that merges.

Why a store of its own: filing is per finding and needs only the catalog, while every decision waits for the end
(:meth:`IncidentEngine.drafts`). So the worker processes that read a bundle's shards file their own findings into
an :class:`Intake` and send the parent only that: the healthy traffic already shrunk to compact challenges,
(user, time) result marks and success marks, instead of every finding with its event. :meth:`Intake.merge` adds one
store to another; the rules sort everything they read, so the merged store decides exactly like one filled in a
single pass, whatever the order of the parts.

Memory follows the failures, not the traffic: a grant or the extension's success result is kept only as a
(user, time) or CID mark for answering challenges; a challenge is kept as a compact record (:mod:`.compact`);
System events the catalog marks benign are not kept at all; harmless CID-less notices of the extension are folded
into one summary per server incident (:mod:`.notices`) as they are filed, so a worker sends their counts and a
hundred rows, not every one.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from nps_trace_analyzer.analysis.incidents.compact import ATTRS, CompactFinding, compact, time_of
from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.drafts import Sighting
from nps_trace_analyzer.analysis.incidents.notices import NoticeFold, foldable
from nps_trace_analyzer.analysis.incidents.rules import (
    challenge_no_result,
    healthy_traffic,
    server_event_group,
    trace_copy,
)
from nps_trace_analyzer.core.identity import user_key
from nps_trace_analyzer.core.model import Finding
from nps_trace_analyzer.core.transfer import pack, unpack

# Lists of full findings: what a rule will turn into incidents (or compare, for the trace).
_FINDING_LISTS = ("extension", "trace", "audit_rejects", "system", "tls_client", "config", "capture")


class Intake:
    """Findings filed for the rules (see the module docstring). ``ctx`` is not sent between processes."""

    def __init__(self, ctx: RuleContext) -> None:
        self.ctx: RuleContext | None = ctx
        self.extension: list[Finding] = []
        self.trace: list[Finding] = []
        self.audit_rejects: list[Finding] = []
        self.system: list[Finding] = []
        self.tls_client: list[Finding] = []
        self.config: list[Finding] = []
        self.capture: list[Finding] = []
        self.challenges: list[CompactFinding] = []
        # Challenges a worker found answered by its own shard's results (answers only add up, so they stay answered
        # in the whole bundle), by CID, and the challenge timeout it used: the parent then only looks up the CIDs
        # that are sign-ins'.
        self.answered: dict[str | None, list[CompactFinding]] = {}
        self.answered_within = 0.0
        self.success_marks: list[trace_copy.Mark] = []
        self.results = challenge_no_result.Results()
        self.servers: Counter[str] = Counter()
        self.auth_types: dict[tuple[str, str], Counter[str]] = {}
        self.audit_sources: Counter[str] = Counter()
        # First and last time of the audit findings per source kind: what part of the day each audit source covers.
        self.audit_spans: dict[str, tuple[datetime, datetime]] = {}
        self.folds: dict[str, NoticeFold] = {}
        # The findings of the event being filed (an event's findings arrive together): folded or listed as one.
        self._pending: list[Finding] = []
        self._fold_keys: dict[tuple[Any, ...], tuple[str, str]] = {}

    def add(self, finding: Finding) -> None:
        """File one finding; any order, from any source."""
        ctx = self.ctx
        assert ctx is not None, "an intake received from another process only merges"
        attrs = finding.attrs
        if attrs.get("server"):
            self.servers[attrs["server"]] += 1
        if finding.kind == "capture":
            self.capture.append(finding)
        elif finding.kind == "config":
            self.config.append(finding)
        elif finding.kind == "nps-audit":
            source = finding.event.source_kind
            self.audit_sources[source] += 1
            self._widen_span(source, finding.event.time, finding.event.time)
            if not ctx.roles.has(finding.code, "extension-reject-reason"):
                # NPS only saying "the extension rejected" is no answer to a challenge: the code never reached the
                # MFA service (no result event of the extension); it joins the unanswered challenge instead.
                self.results.add(attrs.get("user"), finding.event.time)
            if attrs.get("user") and attrs.get("auth_type"):
                self.count_auth_type(source, attrs["user"], attrs["auth_type"])
            if not healthy_traffic.is_result_only(finding, ctx) and not healthy_traffic.is_ignored(finding, ctx):
                self.audit_rejects.append(finding)
        elif finding.kind == "system":
            if healthy_traffic.is_ignored(finding, ctx):
                return
            if ctx.roles.has(finding.code, "tls-client-failure"):
                self.tls_client.append(finding)
            else:
                self.system.append(finding)
        elif trace_copy.is_trace(finding):
            self.trace.append(finding)  # decided at the end: it may repeat an event-log finding not read yet
        else:
            self.add_extension(finding)

    def _widen_span(self, source: str, first: datetime, last: datetime) -> None:
        span = self.audit_spans.get(source)
        self.audit_spans[source] = (first, last) if span is None else (min(span[0], first), max(span[1], last))

    def add_extension(self, finding: Finding) -> None:
        ctx = self.ctx
        assert ctx is not None
        if ctx.roles.has(finding.code, "challenge"):
            # Healthy traffic that must wait for the end (its answer may be in a file read later): kept compact.
            self.challenges.append(compact(finding))
            return
        self.results.add(finding.attrs.get("user"), finding.event.time)
        if healthy_traffic.is_result_only(finding, ctx):
            self.results.add(None, finding.event.time, finding.attrs.get("cid"))
            if not trace_copy.is_trace(finding):
                self.success_marks.append(trace_copy.mark(finding))
            return
        if self._pending and self._pending[0].event is not finding.event:
            self._file_event()
        self._pending.append(finding)

    def _file_event(self) -> None:
        """File the pending event's findings: folded when they are harmless notices, else listed for the rules."""
        findings, self._pending = self._pending, []
        if not findings:
            return
        ctx = self.ctx
        assert ctx is not None
        if not foldable(findings, ctx):
            self.extension.extend(findings)
            return
        # The draft key of a harmless event depends on its findings' (kind, code, entry, server) and the computer
        # only (no text signature: its codes are known): asked once per such combination.
        if len(findings) == 1:  # the usual notice: the same key without a generator
            f = findings[0]
            what: tuple[Any, ...] = (f.event.computer, (f.kind, f.code, f.entry_id, f.attrs.get("server")))
        else:
            what = (
                findings[0].event.computer,
                *((f.kind, f.code, f.entry_id, f.attrs.get("server")) for f in findings),
            )
        known = self._fold_keys.get(what)
        if known is None:
            known = self._fold_keys[what] = server_event_group.draft_key(Sighting(findings), ctx)
        key, server = known
        fold = self.folds.get(key)
        if fold is None:
            fold = self.folds[key] = NoticeFold(key, server)
        fold.add(findings)

    def settle(self) -> None:
        """File what is still pending (before the rules read the store, or it travels)."""
        if self._pending:
            self._file_event()

    def count_auth_type(self, source: str, user: str, auth_type: str, count: int = 1) -> None:
        self.auth_types.setdefault((source, user_key(user)), Counter())[auth_type] += count

    def merge(self, other: Intake) -> None:
        """Add ``other``'s findings and marks to this store (the rules sort what they read: order is free)."""
        self.settle()
        other.settle()
        for name in _FINDING_LISTS:
            getattr(self, name).extend(getattr(other, name))
        self.challenges.extend(other.challenges)
        mine, theirs = self.answered, other.answered
        both = {cid: mine[cid] + theirs[cid] for cid in mine.keys() & theirs.keys()}
        mine.update(theirs)  # whole dicts at once: a shard's CIDs are nearly all its own
        mine.update(both)
        self.answered_within = max(self.answered_within, other.answered_within)
        self.success_marks.extend(other.success_marks)
        self.results.merge(other.results)
        self.servers.update(other.servers)
        for key, counts in other.auth_types.items():
            self.auth_types.setdefault(key, Counter()).update(counts)
        self.audit_sources.update(other.audit_sources)
        for source, (first, last) in other.audit_spans.items():
            self._widen_span(source, first, last)
        for key, fold in other.folds.items():
            if key in self.folds:
                self.folds[key].merge(fold)
            else:
                self.folds[key] = fold

    def release(self) -> None:
        """Let the findings and marks go once the incidents are formed (the counts stay for the callers)."""
        for name in _FINDING_LISTS:
            setattr(self, name, [])
        self.challenges, self.answered, self.success_marks, self.folds, self._pending = [], {}, [], {}, []

    # The trip between processes: full findings as tuples (transfer.pack), the rest is already plain data.
    def answer_locally(self) -> None:
        """Move the challenges this store's own results answer to :attr:`answered` (done where a shard was read,
        so the parent does not test them again)."""
        ctx = self.ctx
        if ctx is None or not self.challenges:
            return
        still: list[CompactFinding] = []
        results, is_answered = self.results, challenge_no_result.is_answered
        for record in self.challenges:
            cid = user = None
            for name, value in record[ATTRS]:  # the first of each, as attr() finds them, in one pass
                if name == "cid":
                    cid = value if cid is None else cid
                elif name == "user":
                    user = value if user is None else user
            if is_answered(cid, user, time_of(record), results, ctx):
                self.answered.setdefault(cid, []).append(record)
            else:
                still.append(record)
        self.challenges = still
        self.answered_within = max(self.answered_within, ctx.options.challenge_timeout.total_seconds())

    def __getstate__(self) -> dict[str, Any]:
        self.settle()
        self.answer_locally()
        state = dict(self.__dict__)
        state["_fold_keys"] = {}
        state["ctx"] = None
        lists = [state.pop(name) for name in _FINDING_LISTS]
        state["packed"] = pack([f for findings in lists for f in findings]), [len(findings) for findings in lists]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        packed, sizes = state.pop("packed")
        _events, findings = unpack(packed)
        start = 0
        for name, size in zip(_FINDING_LISTS, sizes, strict=True):
            state[name] = findings[start : start + size]
            start += size
        self.__dict__.update(state)


_context: tuple[Any, RuleContext] | None = None


def new_intake(catalog: Any) -> Intake:
    """An empty intake for the findings of one part of the stream (a worker's shard). Filing needs only the
    catalog's roles and benign flags, so the rule context (not the engine's time windows) is made once per catalog
    and process."""
    global _context
    if _context is None or _context[0] is not catalog:
        _context = (catalog, RuleContext(catalog))
    return Intake(_context[1])
