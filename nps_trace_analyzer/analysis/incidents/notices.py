"""Harmless CID-less notices of the extension, folded into one mergeable summary per server incident.

Why: a server in the middle of EAP rounds logs "only performs Secondary Auth ... AccessChallenge" for every round,
a hundred thousand times a day. Each such event only adds to one ``server`` incident (``server-event-group``):
its count, first and last seen, codes, attributes and the first :data:`~.builder.MAX_EVIDENCE` evidence rows.
Keeping every one as a full finding made the worker processes ship them all and the parent sort them all, to
keep a hundred. A :class:`NoticeFold` keeps exactly what that incident reads, and nothing else:

- the events' rows (file, record id, time) as two int arrays per file: the count of distinct rows;
- the first rows in the canonical order (all their findings), the earliest finding of every (kind, code, entry),
  the earliest finding holding each attribute, and the last finding: with them the builder chooses the same
  primary code, code list, attributes, evidence rows, first and last seen as with every finding;
- code -> (users, times): the marks ``trace-copy`` compares trace lines with.

Folds merge in any order and after any cut of the stream (the kept rows are "every row earlier than a bound",
which merges exactly), so a worker can fold its shard and the parent add the parts.

Only events whose every finding is benign, plays no role in any rule, has no CID and comes from an event log
(not the trace), stamped in UTC, are folded: a role means some rule may look at the finding itself, a CID makes a
sign-in, and a UTC time makes the time a complete stand-in for its ISO text in the canonical order (an undated
event, at the FILETIME zero, is not folded either: the builder dates an incident by its first dated event). Two records
with the same file, record id and time are one evidence row, as in the builder.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from nps_trace_analyzer.analysis.incidents.compact import CompactFinding, compact, expand
from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.analysis.incidents.rules import trace_copy
from nps_trace_analyzer.core.identity import user_key
from nps_trace_analyzer.core.model import Finding
from nps_trace_analyzer.core.wintime import FILETIME_EPOCH

#: Evidence rows an incident lists (the builder's limit; it lives here so the builder and the fold share it).
MAX_EVIDENCE = 100
_ZERO = timedelta(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICRO = timedelta(microseconds=1)
_INT64 = 2**63

#: (time, file, record id or -1, channel, event id, text, code): the canonical finding order for UTC events
#: (:func:`~.drafts.finding_order` without the ISO text, which a UTC time already decides).
Order = tuple[Any, ...]
#: A finding as filed here, or compact as it came from a worker (expanded only when the builder needs it).
Held = Finding | CompactFinding
#: (file, record id or -1, microseconds since the epoch): one evidence row.
RowKey = tuple[str, int, int]


def foldable(findings: list[Finding], ctx: RuleContext) -> bool:
    """Whether one event's ``findings`` are harmless notices this module may fold (see the module docstring)."""
    for f in findings:  # the cheap test first: most findings that reach here are failures with a CID
        if f.attrs.get("cid") or f.code in ctx.role_codes or not ctx.is_benign(f):
            return False
    event = findings[0].event
    if event.time.utcoffset() != _ZERO or event.time == FILETIME_EPOCH or trace_copy.is_trace(findings[0]):
        return False  # an undated event (FILETIME zero) is never folded: the builder looks for the first dated one
    return event.record_id is None or 0 <= event.record_id < _INT64


def _micros(when: datetime) -> int:
    return (when - _EPOCH) // _MICRO


def _finding(value: Held) -> Finding:
    """A held finding: as filed here, or as it travelled from a worker (compact until asked for)."""
    return expand(value) if isinstance(value, tuple) else value


def row_key(event: Any) -> tuple[str, int, Any]:
    """The builder's evidence row of ``event`` (file, record id, time) in the fold's spelling: the time as
    microseconds for a UTC time, else its ISO text (never equal to a folded row: folded times are UTC)."""
    rid = -1 if event.record_id is None else event.record_id
    when = event.time
    return (event.source_file, rid, _micros(when) if when.utcoffset() == _ZERO else when.isoformat())


def _earlier(held: dict[Any, tuple[Order, Any]], key: Any, order: Order, value: Any) -> None:
    current = held.get(key)
    if current is None or order < current[0]:
        held[key] = (order, value)


class NoticeFold:
    """The folded notices of one server incident (``key`` as ``server-event-group`` spells it)."""

    def __init__(self, key: str, server: str) -> None:
        self.key = key
        self.server = server
        self.rows: dict[str, tuple[array[int], array[int]]] = {}  # file -> (record ids, microseconds)
        # The first rows: every row ranked below ``bound`` (None: every row) is here, with all its findings; rows
        # are ranked by (time, file, record id), the part of the canonical order where distinct rows differ.
        self.kept: dict[RowKey, tuple[Order, list[Held]]] = {}
        self.bound: Order | None = None
        self.firsts: dict[tuple[str, str, str | None], tuple[Order, Held]] = {}
        self.attr_firsts: dict[str, tuple[Order, Held]] = {}
        self.last: tuple[Order, Held] | None = None
        self.first_time: datetime | None = None
        self.last_time: datetime | None = None
        self.marks: dict[str, tuple[list[str | None], array[float]]] = {}  # code -> (users, POSIX times)

    # -- filling -----------------------------------------------------------------------------------------------

    def add(self, findings: list[Finding]) -> None:
        """Fold one event's findings (all :func:`foldable`)."""
        event = findings[0].event
        when, file = event.time, event.source_file
        rid = -1 if event.record_id is None else event.record_id
        micros = _micros(when)
        ids = self.rows.get(file)
        if ids is None:
            ids = self.rows[file] = (array("q"), array("q"))
        ids[0].append(rid)
        ids[1].append(micros)
        if self.first_time is None or when < self.first_time:
            self.first_time = when
        if self.last_time is None or when > self.last_time:
            self.last_time = when
        base = (when, file, rid, event.channel, event.event_id, event.text)
        # when.timestamp() of a UTC time, without a second subtraction: the same float (microseconds / 10**6)
        stamp = micros / 1_000_000
        firsts, attr_firsts, last = self.firsts, self.attr_firsts, self.last
        for f in findings:
            # The full order is built only when the time alone cannot decide (a later time is never earlier).
            key = (f.kind, f.code, f.entry_id)
            held = firsts.get(key)
            if held is None or when <= held[0][0]:
                _earlier(firsts, key, (*base, f.code), f)
            for name in f.attrs:
                held = attr_firsts.get(name)
                if held is None or when <= held[0][0]:
                    _earlier(attr_firsts, name, (*base, f.code), f)
            if last is None or when >= last[0][0]:
                order = (*base, f.code)
                if last is None or order >= last[0]:
                    last = self.last = (order, f)
            users, times = self.marks.get(f.code) or self.marks.setdefault(f.code, ([], array("d")))
            users.append(f.attrs.get("user"))
            times.append(stamp)
        # Distinct rows differ in (time, file, record id): that much of the order ranks rows.
        self._keep((file, rid, micros), (when, file, rid), findings)
        if len(self.kept) > 2 * MAX_EVIDENCE:
            self._trim()

    def _keep(self, row: RowKey, order: Order, findings: list[Held]) -> None:
        held = self.kept.get(row)
        if held is not None:
            self.kept[row] = (min(held[0], order), held[1] + findings)
        elif self.bound is None or order < self.bound:
            self.kept[row] = (order, list(findings))

    def _trim(self) -> None:
        """Keep the first :data:`MAX_EVIDENCE` rows; the bound becomes the first row let go."""
        if len(self.kept) <= MAX_EVIDENCE:
            return
        ordered = sorted(self.kept.items(), key=lambda item: item[1][0])
        dropped = ordered[MAX_EVIDENCE][1][0]
        self.bound = dropped if self.bound is None else min(self.bound, dropped)
        self.kept = dict(ordered[:MAX_EVIDENCE])

    def merge(self, other: NoticeFold) -> None:
        """Add ``other``'s notices (another part of the stream, any order)."""
        for file, (ids, times) in other.rows.items():
            mine = self.rows.get(file)
            if mine is None:
                self.rows[file] = (array("q", ids), array("q", times))
            else:
                mine[0].extend(ids)
                mine[1].extend(times)
        if other.bound is not None:
            self.bound = other.bound if self.bound is None else min(self.bound, other.bound)
        kept = self.kept
        self.kept = {row: held for row, held in kept.items() if self.bound is None or held[0] < self.bound}
        for row, (order, findings) in other.kept.items():
            self._keep(row, order, findings)
        self._trim()
        for key, (order, f) in other.firsts.items():
            _earlier(self.firsts, key, order, f)
        for key, (order, f) in other.attr_firsts.items():
            _earlier(self.attr_firsts, key, order, f)
        if other.last is not None and (self.last is None or other.last[0] >= self.last[0]):
            self.last = other.last
        if other.first_time is not None:
            self.first_time = other.first_time if self.first_time is None else min(self.first_time, other.first_time)
        if other.last_time is not None:
            self.last_time = other.last_time if self.last_time is None else max(self.last_time, other.last_time)
        for code, (users, times) in other.marks.items():
            mine_users, mine_times = self.marks.setdefault(code, ([], array("d")))
            mine_users.extend(users)
            mine_times.extend(times)

    # -- reading -----------------------------------------------------------------------------------------------

    def row_keys(self) -> set[RowKey]:
        """Every distinct evidence row of the folded notices."""
        return {
            (file, rid, micros)
            for file, (ids, times) in self.rows.items()
            for rid, micros in zip(ids, times, strict=True)
        }

    def representatives(self) -> list[Finding]:
        """The folded findings the builder must see (module docstring), each once."""
        seen: dict[int, Held] = {}
        for _order, findings in self.kept.values():
            for f in findings:
                seen.setdefault(id(f), f)
        for _order, f in (*self.firsts.values(), *self.attr_firsts.values(), *((self.last,) if self.last else ())):
            seen.setdefault(id(f), f)
        return [_finding(f) for f in seen.values()]

    def samples(self) -> list[Finding]:
        """One finding of each (kind, code, entry)."""
        return [_finding(f) for _order, f in self.firsts.values()]

    def codes(self) -> set[str]:
        return {code for _kind, code, _entry in self.firsts}

    def trace_marks(self) -> Iterable[trace_copy.Mark]:
        """The marks ``trace-copy`` would take from each folded finding (:func:`trace_copy.mark`)."""
        keys: dict[tuple[str, str | None], tuple[str, str]] = {}
        for code, (users, times) in self.marks.items():
            for user, when in zip(users, times, strict=True):
                key = keys.get((code, user))
                if key is None:
                    key = keys[(code, user)] = (code, user_key(user))
                yield (key, when)

    # -- the trip between processes: findings as compact tuples (pickled and unpickled in C) -------------------

    def __getstate__(self) -> dict[str, Any]:
        self._trim()
        state = dict(self.__dict__)
        table: dict[int, int] = {}
        records: list[CompactFinding] = []

        def number(f: Held) -> int:
            n = table.get(id(f))
            if n is None:
                n = table[id(f)] = len(records)
                records.append(f if isinstance(f, tuple) else compact(f, None))
            return n

        state["kept"] = {row: (order, [number(f) for f in fs]) for row, (order, fs) in self.kept.items()}
        state["firsts"] = {k: (order, number(f)) for k, (order, f) in self.firsts.items()}
        state["attr_firsts"] = {k: (order, number(f)) for k, (order, f) in self.attr_firsts.items()}
        state["last"] = None if self.last is None else (self.last[0], number(self.last[1]))
        state["records"] = records
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Left compact: only the rows and findings that reach the builder are expanded (representatives()).
        findings = state.pop("records")
        kept, firsts, attr_firsts, last = state["kept"], state["firsts"], state["attr_firsts"], state["last"]
        state["kept"] = {row: (order, [findings[n] for n in ns]) for row, (order, ns) in kept.items()}
        state["firsts"] = {k: (order, findings[n]) for k, (order, n) in firsts.items()}
        state["attr_firsts"] = {k: (order, findings[n]) for k, (order, n) in attr_firsts.items()}
        state["last"] = None if last is None else (last[0], findings[last[1]])
        self.__dict__.update(state)
