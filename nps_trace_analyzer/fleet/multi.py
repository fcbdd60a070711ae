"""Several servers in one report: ``analyze NPS01.zip NPS02.zip`` (or a folder holding both).

Each bundle is analysed on its own (its events never mix with another server's), its report goes to
``OUT/servers/<server>/``, and the comparison's incidents (:mod:`nps_trace_analyzer.fleet.compare`) come first in a
combined report in ``OUT/`` that also lists every server's incidents, prefixed with the server's label.

With ``--redact`` one redactor serves every bundle: the servers are all analysed (the redactor learning each one's
names) before any report is written, so a name learned from one server's fields is also replaced where another
server's free text mentions it, the same user gets the same pseudonym on every server (the cross-server findings
still read right), and the folder names under ``servers/`` are pseudonyms too. Until then each bundle's raw
events.csv waits in a private temporary folder outside the report.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from nps_trace_analyzer.api import BundleAnalysis, analyze_bundle
from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.core.model import Incident
from nps_trace_analyzer.fleet.copies import zip_copies
from nps_trace_analyzer.pipeline import AnalyzeOptions, Progress, report_paths
from nps_trace_analyzer.pipeline.gc_policy import young_collections_only
from nps_trace_analyzer.report.output_dir import staged_report_dir
from nps_trace_analyzer.report.redact import Redactor
from nps_trace_analyzer.report.result import AnalysisResult
from nps_trace_analyzer.report.writer import write_result

SERVERS_DIR = "servers"
# Files whose presence at the top of a folder makes it one bundle rather than a folder of bundles.
LOG_SUFFIXES = (".evtx", ".etl", ".log", ".txt", ".reg", ".cab")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def bundle_paths(inputs: Sequence[str | Path], skip: Path | None = None) -> list[Path] | None:
    """The separate bundles among ``inputs``, or None when the inputs form one bundle (the usual case).

    Several inputs that are all folders or zips are several bundles; single files (``a.evtx b.evtx``) stay one
    bundle. One folder whose top level holds no log file but at least two folders or zips is a folder of
    bundles (``skip``, the report folder, is never one of them).
    """
    paths = [Path(p) for p in inputs]
    if len(paths) >= 2:
        if all(p.is_dir() or p.suffix.lower() == ".zip" for p in paths) and _distinct(paths) >= 2:
            return paths
        return None
    if len(paths) == 1 and paths[0].is_dir():
        children = sorted(paths[0].iterdir())
        if any(c.is_file() and c.suffix.lower() in LOG_SUFFIXES for c in children):
            return None
        skipped = skip.resolve() if skip is not None else None
        bundles = [
            c
            for c in children
            if not c.is_symlink() and (c.is_dir() or c.suffix.lower() == ".zip") and c.resolve() != skipped
        ]
        if _distinct(bundles) >= 2:
            return bundles
    return None


def _distinct(bundles: list[Path]) -> int:
    """How many bundles remain once a zip beside its own extracted folder counts once: a zip and its folder
    alone are one bundle (read as one, its identical files once), not two servers."""
    return len(bundles) - len(zip_copies(bundles))


@dataclass
class ServersAnalysis:
    """The per-server analyses, the comparison's incidents, and the combined result the reports show."""

    servers: list[tuple[str, BundleAnalysis]]
    fleet: list[Incident]
    combined: AnalysisResult


def _labels(analyses: Sequence[BundleAnalysis]) -> list[str]:
    """A folder-safe, unique label per bundle: the server's short name, or the bundle name."""
    raw = [(a.server.split(".", 1)[0] if a.server else "") or a.bundle for a in analyses]
    counts = Counter(raw)
    labels = []
    for label, analysis in zip(raw, analyses, strict=True):
        label = label if counts[label] == 1 else f"{label}-{analysis.bundle}"
        labels.append(label)
    return _unique_folder_names(labels)


def _unique_folder_names(labels: Sequence[str]) -> list[str]:
    """``labels`` made folder-safe, a suffix added where two would name the same folder."""
    labels = [_UNSAFE.sub("_", label).strip("._") or "bundle" for label in labels]
    seen: Counter[str] = Counter()
    unique = []
    for label in labels:
        seen[label] += 1
        unique.append(label if seen[label] == 1 else f"{label}-{seen[label]}")
    return unique


def combine(servers: list[tuple[str, BundleAnalysis]], fleet: list[Incident], catalog_version: str) -> AnalysisResult:
    """One result of several servers: comparison incidents first, then each server's, ids and names prefixed."""
    incidents = list(fleet)
    inputs = []
    events_by_source: Counter[str] = Counter()
    server_config = []
    capture = {}
    traces = {}
    notes = []
    for label, analysis in servers:
        result = analysis.result
        incidents += [replace(inc, id=f"{label}-{inc.id}") for inc in result.incidents]
        inputs += [replace(inp, name=f"{label}/{inp.name}") for inp in result.inputs]
        events_by_source.update({f"{label}/{k}": v for k, v in result.events_by_source.items()})
        server_config += [{"server": analysis.server or label, **row} for row in result.server_config]
        capture.update({f"{label}/{k}": v for k, v in result.capture.items()})
        traces.update({f"{label}/{k}": v for k, v in result.extension_traces.items()})
        notes += [f"{label}: {note}" for note in result.notes]
    names = " + ".join(analysis.bundle for _, analysis in servers)
    notes.insert(0, f"{len(servers)} servers compared; each server's own report is in {SERVERS_DIR}/<server>/.")
    return AnalysisResult(
        bundle_name=names,
        inputs=inputs,
        incidents=incidents,
        catalog_version=catalog_version,
        events_total=sum(a.result.events_total for _, a in servers),
        events_by_source=dict(events_by_source),
        server_config=server_config,
        capture=capture,
        extension_traces=traces,
        notes=notes,
    )


@young_collections_only()  # the same collector policy as one bundle's analysis (pipeline/gc_policy.py)
def analyze_servers(
    bundles: Sequence[Path], out_dir: Path, options: AnalyzeOptions | None = None, progress: Progress | None = None
) -> ServersAnalysis:
    """Analyse each bundle apart, compare the servers, write the per-server and the combined reports."""
    # The comparison is imported here, not at the top: ``analyze`` of one bundle imports this module for
    # bundle_paths and should not pay for the server comparison at every start (tests/test_startup_imports.py).
    from nps_trace_analyzer.fleet.compare import fleet_incidents
    from nps_trace_analyzer.fleet.profile import profile_of

    say = progress or (lambda _msg: None)
    options = options or AnalyzeOptions()
    redactor = options.redactor
    # The whole folder (combined report and every server's) is staged and replaces out_dir only when complete.
    with staged_report_dir(out_dir) as stage, _raw_events_folder(redactor is not None) as private:
        analyses = []
        staging = []
        raw_events: list[Path | None] = []
        copies = zip_copies(bundles)
        for number, path in enumerate(p for p in bundles if p not in copies):
            # Redacting, nothing is learned of a bundle before it is read: it is announced by its number only.
            say(f"== bundle {number + 1}" if redactor is not None else f"== {path.name}")
            folder = stage / SERVERS_DIR / f".bundle-{number}"
            staging.append(folder)
            raw = private / f"events-{number}.csv" if private is not None else None
            raw_events.append(raw)
            bundle_options = replace(options, defer_reports_to=raw) if raw is not None else options
            analyses.append(analyze_bundle(path, folder, bundle_options, keep_events=False, progress=progress))
        labels = _labels(analyses)
        servers = list(zip(labels, analyses, strict=True))
        catalog = load_catalog(options.catalog_paths)
        fleet = fleet_incidents([profile_of(a, label) for label, a in servers], catalog)
        combined = combine(servers, fleet, catalog.version)
        combined.notes += [
            f"{copy.name} holds the same files as {folder.name}: analysed once, as {folder.name}."
            for copy, folder in sorted(copies.items())
        ]
        if redactor is not None:
            learn_incidents(redactor, fleet)
            combined.redacted = True
        # Every name is known now: the folder names and every report can be written.
        folders = _unique_folder_names([redactor.bundle_title(label) for label in labels]) if redactor else labels
        for (_label, analysis), folder, target, raw in zip(servers, staging, folders, raw_events, strict=True):
            # Each server's report is the ordinary single-bundle report, moved to the folder named after its server.
            final = stage / SERVERS_DIR / target
            os.replace(folder, final)
            if raw is not None:
                write_result(analysis.result, report_paths(final), redactor, raw)
        # The combined report is written by the same writer as every report folder (report.html, summary.md,
        # incidents.csv, findings.json; it has no events.csv of its own).
        write_result(combined, report_paths(stage), redactor, None)
    return ServersAnalysis(servers=servers, fleet=fleet, combined=combined)


def learn_incidents(redactor: Redactor, incidents: Sequence[Incident]) -> None:
    """Show the redactor the names the comparison's incidents carry (as the pipeline does for a bundle's)."""
    for inc in incidents:
        redactor.learn("user", inc.user)
        redactor.learn("host", inc.server)
        redactor.learn_attrs(inc.attrs)


@contextlib.contextmanager
def _raw_events_folder(wanted: bool) -> Iterator[Path | None]:
    """A private temporary folder for the servers' raw events.csv files (redacting), removed afterwards."""
    if not wanted:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="nps-redact-servers-") as name:
        yield Path(name)
