"""The main job: bundle -> events -> findings -> incidents -> reports.

``analyze`` is the library entry point; the CLI is a thin layer over it. Files are read one after another and
their events streamed: each event goes to ``events.csv`` as it is read and only its findings are kept, so memory
grows with the number of problems found, not with the size of the logs.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from nps_trace_analyzer.analysis.activity import SignInActivity, timeline
from nps_trace_analyzer.analysis.cross_source import (
    StreamCounts,
    capture_overviews,
    cross_source_findings,
    extension_traces,
)
from nps_trace_analyzer.analysis.findings import findings_for
from nps_trace_analyzer.analysis.incidents import IncidentEngine, IncidentOptions
from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.core.domain import AZUREMFA_CHANNELS
from nps_trace_analyzer.core.exit_codes import DISK_FULL_ERRNOS
from nps_trace_analyzer.core.model import Event, Finding, InputFile
from nps_trace_analyzer.core.tally import Tally
from nps_trace_analyzer.extract.text_sieve import keep_diagnosable
from nps_trace_analyzer.intake import IntakeLimits, open_bundle, sha256_of
from nps_trace_analyzer.intake.duplicates import mark_identical_copies
from nps_trace_analyzer.pipeline.gc_policy import freeze_long_lived, young_collections_only
from nps_trace_analyzer.pipeline.parallel import ShardedEvtx, ShardResult, default_jobs
from nps_trace_analyzer.report.output_dir import staged_report_dir
from nps_trace_analyzer.report.redact import Identifiers, Redactor
from nps_trace_analyzer.report.result import STREAM_INCIDENTS_FROM, AnalysisResult
from nps_trace_analyzer.report.tables import EventsCsv
from nps_trace_analyzer.report.writer import ReportPaths as ReportPaths  # re-exported: api.py uses it
from nps_trace_analyzer.report.writer import report_paths, write_result
from nps_trace_analyzer.sources.evtx_shards import DEFAULT_SHARD_CHUNKS
from nps_trace_analyzer.sources.overlap import OverlapFilter, held_on_disk_note, overlapping_inputs, repeat_notes
from nps_trace_analyzer.sources.readers import Collector, reader_for, reader_spec, repeated_inputs, sharded_kinds

Progress = Callable[[str], None]
EventObserver = Callable[[Event, bool], None]  # (event, False when it repeats another source's event)

# Files at least this large are hashed by the worker processes while the parent merges, not read once more
# before analysis starts (SHA-256 runs at ~2 GB/s, pyevtx-rs at ~0.3 GB/s: 1/6 of the bare reading time).
HASH_IN_WORKERS_FROM = 8 * 1024**2


class Meter(Protocol):
    """Where the amount of work done goes (a progress bar): bytes of input in total, then records and bytes read."""

    def start(self, total_bytes: int) -> None: ...

    def advance(self, records: int, nbytes: int) -> None: ...


def _hash_possible_copies(files: Sequence[InputFile]) -> None:
    """Hash now the unhashed files that share their size with another file: only those can be identical copies
    (intake.duplicates compares SHA-256), and sizes rarely collide otherwise."""
    sizes = Counter(f.size for f in files if f.path)
    for inp in files:
        if not inp.sha256 and inp.path and inp.kind != "skipped" and sizes[inp.size] > 1:
            inp.sha256 = sha256_of(inp.path)


_CHANNEL_ROLES = (*AZUREMFA_CHANNELS, "Security", "System", "Application")


def _audit_sources(files: Sequence[InputFile], counts: StreamCounts) -> tuple[str, ...]:
    """The bundle's files that could hold NPS audit decisions, read or empty (roles settled after reading): the
    Security log, and files of the kinds whose reader declares it (ReaderSpec.audit_decisions)."""

    def declared(inp: InputFile) -> bool:
        spec = reader_spec(inp.kind)
        if spec is None or not spec.audit_decisions:
            return False
        # A text or exported log that turned out to hold only the extension's events (pasted AzureMfa copies, an
        # Event Viewer table of AuthZOptCh) or only other logs' events (a ConvertTo-Json of System) holds no NPS
        # decisions: its silence says nothing about NPS auditing.
        if inp.events_kept and counts.azuremfa_files[inp.name] >= inp.events_kept:
            return False
        return not inp.channels or "Security" in inp.channels or inp.role.startswith("Security")

    return tuple(sorted(inp.name for inp in files if inp.role == "Security" or declared(inp)))


def _read_order(files: Sequence[InputFile]) -> list[InputFile]:
    """The order files are read in: by kind and name, only so progress lines are predictable. Results do not
    depend on it (the incident engine decides once every finding is in; tests shuffle it)."""
    return sorted(files, key=lambda inp: (inp.kind, inp.name))


@dataclass(frozen=True)
class AnalyzeOptions:
    catalog_paths: Sequence[str | Path] = ()
    join_window: timedelta = timedelta(minutes=2)
    limits: IntakeLimits = field(default_factory=IntakeLimits)
    jobs: int | None = None  # worker processes for the .evtx files; None = the machine's cores
    shard_chunks: int = DEFAULT_SHARD_CHUNKS  # 64 KiB chunks per shard (the output does not depend on it)
    # Pseudonymise identifiers in every output (report.redact); None = no redaction.
    redactor: Redactor | None = None
    # With a redactor: stream the raw events.csv to this private file and write no report, so that one redactor
    # can learn several bundles before any of them is written (several servers in one report, fleet/multi.py).
    defer_reports_to: Path | None = None


def _source_label(inp: InputFile) -> str:
    """Name the source for the per-source counts: the role (AuthZOptCh, Security...) or the kind."""
    return inp.role or inp.kind


def _settle_role(inp: InputFile) -> None:
    """Give an EVTX file the role of the channel most of its records came from: the records decide, the name
    (which an admin may have changed, "System.evtx" holding Security) only stands when they name no known log."""
    if not inp.channels:
        return
    channel = max(sorted(inp.channels), key=lambda c: inp.channels[c])
    for role in _CHANNEL_ROLES:
        if channel.lower().endswith(role.lower()):
            inp.role = role
            return


@dataclass
class _Stream:
    """Where each event goes as it is read: events.csv, the counts, the tallies and (through findings) the incident
    engine. Events the worker processes read arrive as their summaries (:meth:`absorb`)."""

    catalog: Any
    engine: IncidentEngine
    events_csv: EventsCsv
    tallies: Sequence[Tally]
    counts: StreamCounts = field(default_factory=StreamCounts)
    per_source: Counter[str] = field(default_factory=Counter)
    observer: EventObserver | None = None
    # Inputs whose reader says they repeat another input (NPS_EventLog.log beside Security.evtx): decided from the
    # inputs, before reading, so observers see the same flags in any read order.
    repeats: dict[str, str] = field(default_factory=dict)
    # Inputs that may repeat another's records (overlapping exports): their events are held until all is read.
    overlap: OverlapFilter = field(default_factory=lambda: OverlapFilter(set()))

    def consume(self, inp: InputFile, event: Event) -> None:
        self.events_csv.add(event)
        findings = list(findings_for(event, self.catalog))
        if self.overlap.takes(inp):
            self.per_source[_source_label(inp)] += 1
            self._hold(inp, event, findings)
            return
        original = inp.name not in self.repeats
        if self.observer is not None:
            self.observer(event, original)
        for tally in self.tallies:
            if original or tally.sees_repeats:  # a grant repeated by the text log is not a second sign-in
                tally.observe(event, findings)
        self.per_source[_source_label(inp)] += 1
        self.counts.note(event)
        for finding in findings:
            self.engine.add(finding)

    def _hold(self, inp: InputFile, event: Event, findings: list[Finding]) -> None:
        """An event of an input that may repeat another's records: held for :meth:`release_overlap`. Tallies that
        see repeats (the identifiers to redact) see its fields now, every copy; the rest only the kept copy."""
        for tally in self.tallies:
            if tally.sees_repeats:
                tally.observe(event, [])
        self.overlap.hold(inp, event, findings)

    def release_overlap(self) -> list[str]:
        """Count the held events once per record (see sources.overlap); returns the notes on what repeated."""
        for event, findings, kept in self.overlap.release():
            if self.observer is not None:
                self.observer(event, kept)
            if not kept:
                continue
            for tally in self.tallies:
                tally.observe(event, findings)
            self.counts.note(event)
            for finding in findings:
                self.engine.add(finding)
        return repeat_notes(self.overlap.repeats)

    def absorb(self, inp: InputFile, shard: ShardResult) -> None:
        """Take a shard read by a worker: the same rows, counts, tallies and findings :meth:`consume` would have
        made of its events (.evtx events are never copies of another source). Shards come in file order; those of
        an overlapping input (``ShardTask.hold``) bring their events and findings to be held instead."""
        self.events_csv.add_formatted(shard.rows, shard.row_count)
        if self.overlap.takes(inp):
            events, findings = shard.held()
            by_event: dict[int, list[Finding]] = {}
            for finding in findings:
                by_event.setdefault(id(finding.event), []).append(finding)
            for event in events:
                self._hold(inp, event, by_event.get(id(event), []))
            self.per_source[_source_label(inp)] += shard.row_count
            return
        if self.observer is not None:
            for event in shard.events():
                self.observer(event, True)
        for tally, part in zip(self.tallies, shard.tallies, strict=True):
            tally.merge(part)
        self.per_source[_source_label(inp)] += shard.row_count
        self.counts.merge(shard.counts)
        if shard.intake is not None:
            self.engine.merge(shard.intake)


@dataclass(frozen=True)
class _Announcer:
    """What the progress lines say of an input. Redacting, they are printed while the files are read, before the
    redactor has learned the names to replace, so they cannot be redacted like the report: they name no input
    and quote no reader message (either may hold a user or host name: ``NPS01_AuthZOptCh.evtx``, a path in an
    error); the report's inputs table has both, redacted."""

    say: Progress
    redacting: bool

    def name(self, inp: InputFile) -> str:
        return "a file (name redacted)" if self.redacting else inp.name

    def reason(self, inp: InputFile) -> None:
        self.say("    reading stopped early: see the report's inputs table" if self.redacting else f"    {inp.reason}")


def _note_reader_error(inp: InputFile, exc: Exception, announce: _Announcer) -> None:
    inp.reason = f"internal error while reading (please report): {type(exc).__name__}: {exc}"
    inp.warnings.append(inp.reason)
    announce.reason(inp)


@young_collections_only()  # no full GC passes over a heap that only grows (gc_policy.py)
def analyze(
    paths: Sequence[str | Path],
    out_dir: Path,
    options: AnalyzeOptions | None = None,
    progress: Progress | None = None,
    observer: EventObserver | None = None,
    meter: Meter | None = None,
    tallies: Sequence[Tally] = (),
) -> AnalysisResult:
    """Analyse a bundle and write ``report.html``, ``summary.md``, ``incidents.csv``, ``events.csv`` and
    ``findings.json``.

    ``observer`` sees every event as it is read, with False for events that repeat another source's (the NPS
    text log next to Security.evtx); the library API keeps them (:mod:`nps_trace_analyzer.api`). It must not change
    them. It costs: every event the worker processes read is sent back for it. ``tallies`` summarise the events
    where they are read and are merged here (:mod:`nps_trace_analyzer.core.tally`): prefer them for counting.
    """
    options = options or AnalyzeOptions()
    say = progress or (lambda _msg: None)
    announce = _Announcer(say, redacting=options.redactor is not None)
    catalog = load_catalog(options.catalog_paths)
    freeze_long_lived()  # the catalog lives to the end: no collection scans it, forked workers share its pages
    engine = IncidentEngine(catalog, IncidentOptions(join_window=options.join_window))
    collector = Collector()
    notes: list[str] = []
    redactor = options.redactor
    # Everything is written into a staging folder that replaces out_dir only when complete (report/output_dir.py).
    # With redaction the raw events.csv is streamed to a private folder outside it, and only its redacted copy
    # (made once every identifier is known) is written into the report.
    with (
        staged_report_dir(out_dir) as staging,
        open_bundle([str(p) for p in paths], options.limits, hash_later_from=HASH_IN_WORKERS_FROM) as bundle,
        _private_folder(redactor is not None) as private,
        EventsCsv(_events_target(options, private, staging)) as events_csv,
        ExitStack() as stack,  # the worker pool, closed before the bundle's temporary copies go
    ):
        targets = report_paths(staging)
        activity = SignInActivity()
        identifiers = Identifiers() if redactor is not None else None
        stream = _Stream(
            catalog,
            engine,
            events_csv,
            (activity, *tallies, *([identifiers] if identifiers is not None else [])),
            observer=observer,
            repeats=repeated_inputs(bundle.files),
        )
        _hash_possible_copies(bundle.files)
        copies = {id(inp) for inp in mark_identical_copies(bundle.files)}
        readable = _read_order([f for f in bundle.files if reader_for(f.kind) is not None and id(f) not in copies])
        stream.overlap = OverlapFilter(overlapping_inputs(readable, stream.repeats))
        if meter is not None:
            meter.start(sum(f.size for f in readable))
        shards = ShardedEvtx(
            [f for f in readable if f.kind in sharded_kinds()],
            catalog,
            options.jobs or default_jobs(),
            options.shard_chunks,
            meter.advance if meter is not None else None,
            to_hash=[f for f in bundle.files if not f.sha256 and f.path and f.kind != "skipped"],
            with_events=observer is not None,  # only an event observer needs the events themselves
            tallies=stream.tallies,
            held=stream.overlap.participants,  # their events and findings come back to be held (sources.overlap)
        )
        stack.enter_context(shards)
        for note in shards.notes:  # how the work was spread is not part of the reports (same for any --jobs)
            say(note)
        for number, inp in enumerate(readable, 1):
            spec = reader_spec(inp.kind)
            assert spec is not None
            say(f"[{number}/{len(readable)}] reading {announce.name(inp)} ({inp.kind}, {inp.size:,} bytes)")
            if spec.read_in_shards:  # read in shards by the pool (or in-process with one job)
                for shard in shards.results(inp):
                    stream.absorb(inp, shard)
                if "internal error" in inp.reason:
                    announce.reason(inp)
                _settle_role(inp)
                continue
            try:
                events = spec.read(inp, collector)
                if spec.sieve_events is not None and spec.sieve_events(inp):
                    events = keep_diagnosable(inp, events, collector)  # the extract stage keeps the diagnosable ones
                for kept, event in enumerate(events, 1):
                    if kept % 250_000 == 0:
                        say(f"    {kept:,} events so far from {announce.name(inp)}")
                    stream.consume(inp, event)
            except OSError as exc:
                if exc.errno in DISK_FULL_ERRNOS:  # events.csv's disk is full: the run stops
                    raise
                _note_reader_error(inp, exc, announce)
            except Exception as exc:  # a reader bug on one file must not cost the rest of the bundle
                _note_reader_error(inp, exc, announce)
            if meter is not None:
                meter.advance(inp.records_read, inp.size)
            _settle_role(inp)
        notes.extend(stream.release_overlap())
        held_on_disk = stream.overlap.spilled()
        for inp in readable:
            if inp.name in held_on_disk:
                inp.warnings.append(held_on_disk_note(held_on_disk[inp.name]))
        for inp in bundle.files:
            if not inp.analysed and not inp.reason and reader_for(inp.kind) is None:
                inp.reason = f"no reader for files of kind '{inp.kind}'"
        say("joining sources and correlating findings into incidents")
        stream.counts.audit_sources = _audit_sources(bundle.files, stream.counts)
        extra = cross_source_findings(collector, catalog, stream.counts)
        for finding in extra.findings:
            engine.add(finding)
        for user, auth_type in extra.auth_types:
            engine.add_auth_type(user, auth_type)
        incidents = engine.incidents()
        if redactor is not None and identifiers is not None:
            redactor.learn_all(identifiers)
            for name in [bundle.name, *(f.name for f in bundle.files if f.kind == "zip" and "!/" not in f.name)]:
                redactor.learn("bundle", name)  # named after a customer or server as often as not
            for inc in incidents:
                redactor.learn("user", inc.user)
                redactor.learn("host", inc.server)
                redactor.learn_attrs(inc.attrs)
        if engine.text_log_repeats_evtx:
            notes.extend(
                f"{name} repeats {what}: its events are listed in events.csv but not counted again."
                for name, what in sorted(stream.repeats.items())
            )
            if engine.text_log_beyond_evtx:
                notes.append(
                    f"{engine.text_log_beyond_evtx} NPS reject(s) of the text rendering fall outside the time the "
                    "Security event log's audit events span: counted from the text."
                )
        shards.finish_hashes()  # only the reports need them: the workers hash while the parent correlates
        result = AnalysisResult(
            bundle_name=bundle.name,
            inputs=list(bundle.files),
            incidents=incidents,
            catalog_version=catalog.version,
            events_total=events_csv.rows,
            events_by_source=dict(stream.per_source),
            server_config=extra.server_config,
            capture=capture_overviews(collector),
            extension_traces=extension_traces(collector),
            notes=notes + extra.notes,
            timeline=timeline(activity, incidents),
            redacted=redactor is not None,
        )
        say("writing reports")
        events_csv.close()  # complete on disk before a redacted copy is made from it
        if redactor is None or options.defer_reports_to is None:
            # documents made as written, not all at once, beyond the limit
            write_result(result, targets, redactor, events_csv.path, len(incidents) > STREAM_INCIDENTS_FROM)
    return result


def _events_target(options: AnalyzeOptions, private: Path | None, staging: Path) -> Path:
    """Where events.csv is streamed: the report folder, or (redacting) a private file outside it."""
    if private is None:
        return report_paths(staging).events_csv
    return options.defer_reports_to or private / "events.csv"


@contextlib.contextmanager
def _private_folder(wanted: bool) -> Iterator[Path | None]:
    """A private temporary folder (removed afterwards) when ``wanted``, else None."""
    if not wanted:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="nps-redact-") as name:
        yield Path(name)
