"""Overlapping exports of one log: the same record read from two inputs is counted once.

Why: a bundle may hold two exports of the same channel that overlap in time (two ``.evtx`` saved a day apart, an
``.evtx`` and Event Viewer's XML export of it). Every record in the overlap would otherwise count twice: two
rejections, two incidents' worth of evidence, doubled sign-in counts. Byte-identical files are caught by intake
(``intake.duplicates``); this catches the partial overlap, record by record.

Which inputs take part is decided before reading, from the inputs alone: event-log inputs (``.evtx``, event XML,
event text, event tables) whose role (channel) another such input shares, or whose role is unknown. An input of
unknown channel (a ``ConvertTo-Json`` or table export without a log name) may repeat any log, a lone Security.evtx
too, so when there is one every event-log input is held (but those set aside whole as repeats). Only their events
are held back; a bundle with one file per channel pays nothing.

Two events are the same record when channel, computer, event id, time and content (the data values, or the
message when there are none; the "-" a rendering prints for an empty field is no content) agree, and either both
carry a real EventRecordID and it is equal, or they come from different inputs (a text copy has no record id; one
log legitimately repeats identical lines under new ids). The copy kept is a record's own (``.evtx`` / event XML,
which carry its EventRecordID) before any text rendering of it, then the first by (input name, order in the
input), so the result does not depend on the read order. Why the own copy first: renderings of audit events are
set aside when an own copy exists (``ReaderSpec.repeats``, the NPS_EventLog.log rule); had the rendering been kept
here, the record would count nowhere.

Memory: held events are kept in memory up to :data:`HELD_IN_MEMORY`, then written in sorted runs to anonymous
temporary files and merged back at release (an external merge sort, ``heapq.merge``), so a hostile bundle of many
large exports of unknown channel costs disk (bounded by the input size, like events.csv) rather than memory. The
report's inputs table says which inputs were held on disk.
"""

from __future__ import annotations

import heapq
import itertools
import pickle
import tempfile
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from nps_trace_analyzer.core.exit_codes import DISK_FULL_ERRNOS
from nps_trace_analyzer.core.model import Event, Finding, InputFile
from nps_trace_analyzer.core.transfer import Packed, pack, unpack
from nps_trace_analyzer.intake import TempSpaceFull

#: Input kinds that carry Windows event records (the ones two exports of one channel can share).
EVENT_LOG_KINDS = frozenset({"evtx", "event-xml", "nps-eventlog-text", "event-table", "event-json"})
#: Source kinds whose record_id is the record's EventRecordID (text renderings number their blocks instead).
_REAL_RECORD_IDS = frozenset({"evtx", "event-xml"})


def overlapping_inputs(files: Sequence[InputFile], repeats: Collection[str] = ()) -> set[str]:
    """Names of the event-log inputs that may repeat another input's records (see the module docstring).

    An input of unknown channel may repeat any log, a lone Security.evtx included, so when there is one every
    event-log input takes part, except those already set aside whole as repeats (``repeats``: an input whose
    reader says it only repeats another, counted nowhere).
    """
    logs = [f for f in files if f.kind in EVENT_LOG_KINDS and f.kind != "skipped"]
    if len(logs) < 2:
        return set()
    roles = Counter(f.role.lower() for f in logs if f.role)
    held = {f.name for f in logs if not f.role or roles[f.role.lower()] > 1}
    if any(not f.role for f in logs):
        held.update(f.name for f in logs if f.name not in repeats)
    return held


#: Data values that say "nothing here": a rendered message prints "-" for an empty field and lists fields the
#: record may not carry at all (6272's "Logging Results" rendered from an older record), so they do not tell copies
#: apart.
_PLACEHOLDERS = frozenset({"", "-"})


def _content(event: Event) -> str:
    values = [value for name, value in event.data if name != "Binary" and value.strip() not in _PLACEHOLDERS]
    return " ".join(" ".join(values).split()) if values else " ".join(event.text.split())


def record_key(event: Event) -> tuple[str, str, int, Any, str]:
    """What two copies of one record share whatever the export format."""
    code = event.event_id & 0xFFFF if event.event_id > 0xFFFF else event.event_id
    return (event.channel.strip().lower(), event.computer.strip().lower(), code, event.time, _content(event))


#: Copies the overlap filter keeps in memory; beyond this it writes them, sorted, to an anonymous temporary file
#: (a run) and keeps going, so a bundle of many large exports whose channel is unknown holds a bounded number of
#: events in memory however many it has (about 1-2 KB each with their findings).
HELD_IN_MEMORY = 20_000
#: Runs on disk at most: when there are this many they are merged into one, so the open files stay few (and under
#: the process's limit) whatever the size of the input.
MAX_RUNS = 32

# (time, channel, computer, event id, content, rendering?, input name, order in the input): sorts the copies of one
# record together, first by the record key, then in the order that decides which copy is kept.
_SortKey = tuple[Any, str, str, int, str, bool, str, int]


@dataclass
class _Copy:
    sort_key: _SortKey
    record_id: int | None
    packed: Packed  # the event and its findings (core.transfer), so a run on disk and memory hold the same thing

    @property
    def source(self) -> str:  # input name
        return self.sort_key[6]


def _same_record_key(key: _SortKey) -> tuple[Any, str, str, int, str]:
    return key[:5]


class _Kept:
    """The copies kept so far of one record key, indexed so that finding the original of a copy does not grow with
    the number of copies (a hostile log can repeat one line many times under new record ids).

    A copy repeats a kept one when both carry a real record id and it is equal, or when one has none (a text copy)
    and they come from different inputs; its original is the first such kept copy."""

    def __init__(self) -> None:
        self.count = 0
        self.by_record_id: dict[int, tuple[int, str]] = {}  # record id -> (position, input) of its first kept copy
        self.first_without_id: dict[str, int] = {}  # input -> position of its first kept copy without a record id
        self.first_by_source: dict[str, int] = {}  # input -> position of its first kept copy

    def original_of(self, copy: _Copy) -> str | None:
        """The input of the first kept copy that ``copy`` repeats, or None."""
        candidates: list[tuple[int, str]] = []
        if copy.record_id is not None:
            if copy.record_id in self.by_record_id:
                candidates.append(self.by_record_id[copy.record_id])
            others = self.first_without_id  # an id-less copy from another input is the same record
        else:
            others = self.first_by_source  # any copy from another input is the same record
        candidates.extend((position, source) for source, position in others.items() if source != copy.source)
        return min(candidates)[1] if candidates else None

    def keep(self, copy: _Copy) -> None:
        position, self.count = self.count, self.count + 1
        self.first_by_source.setdefault(copy.source, position)
        if copy.record_id is None:
            self.first_without_id.setdefault(copy.source, position)
        else:
            self.by_record_id.setdefault(copy.record_id, (position, copy.source))


def _by_sort_key(copy: _Copy) -> _SortKey:
    return copy.sort_key


def _write_run(copies: Iterable[_Copy]) -> IO[bytes]:
    """The copies (already sorted) in an anonymous temporary file (gone when closed, or when the process ends)."""
    try:
        run = tempfile.TemporaryFile(prefix="nps-overlap-")
        for copy in copies:
            pickle.dump((copy.sort_key, copy.record_id, copy.packed), run, protocol=pickle.HIGHEST_PROTOCOL)
        run.flush()
        run.seek(0)
    except OSError as exc:
        if exc.errno in DISK_FULL_ERRNOS:
            raise TempSpaceFull(f"temporary space ran out while holding events for the overlap check: {exc}") from exc
        raise
    return run


def _read_run(run: IO[bytes]) -> Iterator[_Copy]:
    with run:
        while True:
            try:
                # An anonymous file this process made and wrote (no name another user could swap): not input.
                sort_key, record_id, packed = pickle.load(run)  # noqa: S301
            except EOFError:
                return
            yield _Copy(sort_key, record_id, packed)


@dataclass
class OverlapFilter:
    """Holds the events (and their findings) of the overlapping inputs until every input is read: at most
    ``in_memory`` of them in memory, the rest in sorted runs on temporary files merged at :meth:`release`."""

    participants: set[str]
    in_memory: int = field(default_factory=lambda: HELD_IN_MEMORY)  # read when made: tests lower the constant
    #: How many events of each input repeat records kept from another: ``{(input, kept from): n}`` (after release).
    repeats: Counter[tuple[str, str]] = field(default_factory=Counter)
    _held: list[_Copy] = field(default_factory=list)
    _runs: list[IO[bytes]] = field(default_factory=list)
    _order: Counter[str] = field(default_factory=Counter)
    _spilled: Counter[str] = field(default_factory=Counter)  # input -> events of it written to a run

    def takes(self, inp: InputFile) -> bool:
        return inp.name in self.participants

    def hold(self, inp: InputFile, event: Event, findings: Iterable[Finding]) -> None:
        self._order[inp.name] += 1
        real = event.record_id if event.source_kind in _REAL_RECORD_IDS else None
        key = record_key(event)
        sort_key = (key[3], key[0], key[1], key[2], key[4], real is None, inp.name, self._order[inp.name])
        self._held.append(_Copy(sort_key, real, pack(list(findings), [event])))
        if len(self._held) >= max(1, self.in_memory):
            self._runs.append(_write_run(sorted(self._held, key=_by_sort_key)))
            self._spilled.update(copy.source for copy in self._held)
            self._held = []
            if len(self._runs) >= MAX_RUNS:
                runs, self._runs = self._runs, []
                self._runs.append(_write_run(heapq.merge(*map(_read_run, runs), key=_by_sort_key)))

    def spilled(self) -> dict[str, int]:
        """Input -> how many of its events were held on disk rather than in memory (for its row in the report)."""
        return dict(self._spilled)

    def release(self) -> Iterator[tuple[Event, list[Finding], bool]]:
        """Every held event with its findings and whether it is the kept copy, in a read-order-free order (record
        key, then input name and order in the input); :attr:`repeats` is complete once this is exhausted."""
        self.repeats.clear()
        held, self._held = sorted(self._held, key=_by_sort_key), []
        runs, self._runs = self._runs, []
        copies = heapq.merge(held, *map(_read_run, runs), key=_by_sort_key)
        try:
            for _key, group in itertools.groupby(copies, key=lambda c: _same_record_key(c.sort_key)):
                kept = _Kept()
                for copy in group:
                    original = kept.original_of(copy)
                    (event,), findings = unpack(copy.packed)
                    if original is None:
                        kept.keep(copy)
                    else:
                        self.repeats[(copy.source, original)] += 1
                    yield event, findings, original is None
        finally:
            for run in runs:
                run.close()


def held_on_disk_note(count: int) -> str:
    """What the report's inputs table says of an input some of whose held events went to a temporary file."""
    return (
        f"{count:,} of its events were held on disk, not in memory, until every input was read (more than "
        f"{HELD_IN_MEMORY:,} events of inputs that may repeat each other's records); they were counted as usual"
    )


def repeat_notes(repeats: Counter[tuple[str, str]]) -> list[str]:
    """One sentence per pair of inputs, sorted."""
    return [
        f"{n} event(s) in {name} are the same records as in {kept} (overlapping exports of one log): "
        "listed in events.csv, counted once."
        for (name, kept), n in sorted(repeats.items())
    ]
