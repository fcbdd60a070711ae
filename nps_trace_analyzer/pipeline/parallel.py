"""Read every .evtx of a bundle in shards across a process pool; hand the results back in record order.

pyevtx-rs iterates on one core, and the Python work per relevant record (normalising, extracting findings,
formatting the events.csv row) is larger still, so a bundle's .evtx files are cut into chunk runs
(:mod:`~nps_trace_analyzer.sources.evtx_shards`) and each run is read by a worker process that also makes the
findings and the CSV text of its events. The parent takes the results strictly in order — files in the
pipeline's read order, shards in file order — so events.csv, the counts, the warnings and the order in which
findings reach the correlator are the same as with one process, byte for byte, for any number of jobs.

The pool is the standard library's ``concurrent.futures.ProcessPoolExecutor``: a well-kept, portable pool whose
only scheduling here is "submit in order, keep a few ahead, take in order"; no scheduler of our own. At most
``jobs + 2`` shard results wait in the parent, so memory follows the number of processes, not the log sizes.
With one job no pool is started and the same shard function runs in-process.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from nps_trace_analyzer.analysis.cross_source import StreamCounts
from nps_trace_analyzer.analysis.findings import findings_for
from nps_trace_analyzer.analysis.incidents import Intake, new_intake
from nps_trace_analyzer.core.model import Event, Finding, InputFile
from nps_trace_analyzer.core.tally import Tally
from nps_trace_analyzer.core.transfer import Packed, pack, unpack
from nps_trace_analyzer.intake import sha256_of
from nps_trace_analyzer.pipeline.gc_policy import worker_collections
from nps_trace_analyzer.report.tables import EventRows
from nps_trace_analyzer.sources.evtx_layout import RecordIds
from nps_trace_analyzer.sources.evtx_shards import (
    DEFAULT_SHARD_CHUNKS,
    FILE_HEADER_BLOCK,
    Shard,
    chunks_per_shard,
    plan_shards,
)
from nps_trace_analyzer.sources.evtx_source import ReadStats, finish_evtx, open_evtx, read_shard_records
from nps_trace_analyzer.sources.evtx_strings import strings_cut_at_nul

# (records read, file bytes covered) after each shard: drives the progress display.
Advance = Callable[[int, int], None]


def default_jobs() -> int:
    """The machine's cores available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ShardTask:
    """One shard of one file, with what a worker needs to read it (``read_shard_records``, the reader
    ``read_evtx`` also goes through with one process)."""

    shard: Shard
    name: str
    as_xml: bool
    with_events: bool = False  # also send every kept event back (for an event observer in the parent)
    tallies: tuple[Tally, ...] = ()  # empty summaries the worker fills from the shard's events (tally.py)
    # An input that may repeat another's records (sources.overlap): its events and their findings go back whole, to
    # be held by the parent until every input is read; nothing is filed or tallied here.
    hold: bool = False


@dataclass
class ShardResult:
    """What a worker made of one shard, in record order: counts, the events.csv text, the shard's findings filed
    for the incident engine, its part of every tally, and (only when asked) its events.

    Only summaries travel: the parent merges them instead of rebuilding and re-observing every event.
    """

    stats: ReadStats
    rows: bytes = b""  # UTF-8: the parent appends it to events.csv as it is (no decode/encode there)
    row_count: int = 0
    intake: Intake | None = None
    tallies: tuple[Tally, ...] = ()
    packed_events: Packed | None = None
    counts: StreamCounts = field(default_factory=StreamCounts)
    file_bytes: int = 0
    error: str = ""  # an unexpected exception (a bug): the file's reading stops here, as with one process

    def events(self) -> list[Event]:
        """The shard's events, when the task asked for them (else [])."""
        return unpack(self.packed_events)[0] if self.packed_events is not None else []

    def held(self) -> tuple[list[Event], list[Finding]]:
        """The events and findings of a ``hold`` task."""
        return unpack(self.packed_events) if self.packed_events is not None else ([], [])


@dataclass(frozen=True)
class HashTask:
    """SHA-256 of one input that intake left unhashed (large files: hashed here instead of before reading)."""

    path: str


_worker_catalog: Any = None


def _init_worker(catalog: Any) -> None:
    global _worker_catalog
    _worker_catalog = catalog
    worker_collections()


def read_shard(task: ShardTask, catalog: Any = None) -> ShardResult:
    """Read one shard: normalise its relevant records, make their events.csv rows and findings, file the findings
    for the incident engine and run the tallies over the events."""
    catalog = catalog if catalog is not None else _worker_catalog
    stats = ReadStats()
    rows = EventRows()
    intake = new_intake(catalog)
    tallies = tuple(tally.empty() for tally in task.tallies)
    observers = [tally.observe for tally in tallies]
    result = ShardResult(stats, file_bytes=task.shard.file_bytes, intake=intake, tallies=tallies)
    events: list[Event] | None = [] if task.with_events or task.hold else None
    held: list[Finding] = []
    file_finding = held.append if task.hold else intake.add
    if task.hold:
        observers = []
    try:
        shard = task.shard
        cut_at_nul = (
            strings_cut_at_nul(shard.path, max(shard.start, FILE_HEADER_BLOCK), shard.end) if task.as_xml else {}
        )
        for event in read_shard_records(shard, stats, task.as_xml, task.name, cut_at_nul):
            rows.add(event)
            result.counts.note(event)
            if events is not None:
                events.append(event)
            findings = findings_for(event, catalog)  # a new list per event: observers may keep it
            for observe in observers:
                observe(event, findings)
            for finding in findings:
                file_finding(finding)
    except Exception as exc:  # a reader bug must cost this file, not the bundle: the parent reports it
        result.error = f"{type(exc).__name__}: {exc}"
    result.rows = rows.text().encode("utf-8")
    result.row_count = rows.count
    if events is not None:
        result.packed_events = pack(held, events)
    return result


def hash_file(task: HashTask) -> str:
    """The file's SHA-256, or "" with the reason after a "!" when it cannot be read any more."""
    try:
        return sha256_of(task.path)
    except OSError as exc:
        return f"!{exc.strerror or exc}"


def _run(task: ShardTask | HashTask, catalog: Any = None) -> Any:
    return hash_file(task) if isinstance(task, HashTask) else read_shard(task, catalog)


def _pool_context() -> Any:
    """fork where it is safe (Linux and other POSIX but macOS): workers start in milliseconds with the catalog."""
    if sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


class ShardedEvtx:
    """The shards of a bundle's .evtx files, read ahead by a pool and taken back file by file, in order.

    Use as a context manager; :meth:`results` must be called for the files in the order given.
    """

    def __init__(
        self,
        inputs: Sequence[InputFile],
        catalog: Any,
        jobs: int,
        shard_chunks: int = DEFAULT_SHARD_CHUNKS,
        advance: Advance | None = None,
        to_hash: Sequence[InputFile] = (),
        with_events: bool = False,
        tallies: Sequence[Tally] = (),
        held: Collection[str] = (),
    ) -> None:
        self.catalog = catalog
        self.advance = advance or (lambda _records, _bytes: None)
        self.tasks: deque[tuple[InputFile, ShardTask | HashTask]] = deque()
        empties = tuple(tally.empty() for tally in tallies)
        for inp in inputs:
            as_xml = open_evtx(inp)
            if as_xml is None:
                continue
            for shard in plan_shards(inp.path, inp.size, chunks_per_shard(as_xml, shard_chunks)):
                self.tasks.append(
                    (inp, ShardTask(shard, inp.name, as_xml, with_events, empties, hold=inp.name in held))
                )
        # Hashes last: they overlap with the parent's merging and correlating instead of delaying the first shards.
        self.tasks.extend((inp, HashTask(inp.path)) for inp in to_hash)
        self.jobs = max(1, jobs)
        self.pool: ProcessPoolExecutor | None = None
        self.workers = min(self.jobs, len(self.tasks))
        self.window = self.jobs + 2
        self.pending: deque[tuple[InputFile, ShardTask | HashTask, Future[Any] | None]] = deque()
        self.notes: list[str] = []
        if self.workers > 1:
            if multiprocessing.current_process().daemon:  # e.g. inside a Dask or multiprocessing worker
                self.notes.append("read in one process: this analysis runs inside a worker that may not start any")
            else:
                self._start_pool()

    def _start_pool(self) -> None:
        try:
            self.pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=_pool_context(),
                initializer=_init_worker,
                initargs=(self.catalog,),
            )
        except (OSError, ValueError, NotImplementedError) as exc:  # no processes to be had: same output, slower
            self.pool = None
            self.notes.append(f"read in one process: worker processes could not be started ({exc})")

    def _new_pool(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self._start_pool()

    def _take(self, task: ShardTask | HashTask, future: Future[Any] | None) -> Any:
        """The result of the oldest task, in-process or from the pool.

        When a worker dies (killed for memory, a crash in native code) every queued future breaks, not only the
        culprit's: the oldest task is then run again alone in a fresh pool. If it dies alone it was the culprit
        and its file reports the error; otherwise its result stands and the queue is resubmitted. So exactly the
        shard whose reading kills a process is lost, whatever the timing.
        """
        if future is None:
            return _run(task, self.catalog)
        try:
            return future.result()
        except BrokenProcessPool:
            pass
        self._new_pool()
        result: Any = None
        if self.pool is not None:
            try:
                result = self.pool.submit(_run, task).result()
            except BrokenProcessPool:
                self._new_pool()
        for index, (inp, queued, _broken) in enumerate(self.pending):
            self.pending[index] = (inp, queued, self._submit(queued))
        if result is not None:
            return result
        if isinstance(task, HashTask):
            return "!a worker process died while hashing it"
        return ShardResult(
            ReadStats(),
            tallies=tuple(tally.empty() for tally in task.tallies),
            file_bytes=task.shard.file_bytes,
            error="a worker process died while reading this part of the file (out of memory, or a crash in the "
            "EVTX engine)",
        )

    def __enter__(self) -> ShardedEvtx:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _submit(self, task: ShardTask | HashTask) -> Future[Any] | None:
        if self.pool is None:
            return None
        try:
            return self.pool.submit(_run, task)
        except BrokenProcessPool as exc:  # a worker died since the last result: _take re-runs it in a new pool
            broken: Future[Any] = Future()
            broken.set_exception(exc)
            return broken

    def _fill(self) -> None:
        while self.tasks and len(self.pending) < self.window:
            inp, task = self.tasks.popleft()
            self.pending.append((inp, task, self._submit(task)))

    def results(self, inp: InputFile) -> Iterator[ShardResult]:
        """Yield the shard results of ``inp`` in file order, merging each shard's counts into ``inp``.

        An unexpected error in a shard stops the file there (``inp.reason`` says so); its later shards are
        dropped: the file's records after the error are not read, whichever process read the shard.
        """
        failed = False
        read_ids = RecordIds()
        while True:
            self._fill()
            if not self.pending or self.pending[0][0] is not inp or isinstance(self.pending[0][1], HashTask):
                break
            _inp, task, future = self.pending.popleft()
            if failed:
                if future is not None:
                    future.cancel()
                continue
            result = self._take(task, future)
            result.stats.merge_into(inp)
            read_ids.runs.extend(result.stats.record_ids.runs)  # runs split at shard edges merge when compared
            self.advance(result.stats.records_read, result.file_bytes)
            yield result
            if result.error:
                failed = True
                inp.reason = f"internal error while reading (please report): {result.error}"
                inp.warnings.append(inp.reason)
        if not failed and (inp.analysed or inp.records_read or inp.records_skipped):
            finish_evtx(inp, read_ids)

    def finish_hashes(self) -> None:
        """Fill in the SHA-256 of the files given as ``to_hash`` (after every file's shards were taken)."""
        while True:
            self._fill()
            if not self.pending:
                return
            inp, task, future = self.pending.popleft()
            if not isinstance(task, HashTask):  # shards nobody asked for: the caller skipped a file
                if future is not None:
                    future.cancel()
                continue
            digest = self._take(task, future)
            if digest.startswith("!"):
                inp.warnings.append(f"cannot compute the SHA-256: {digest[1:]}")
            else:
                inp.sha256 = digest
