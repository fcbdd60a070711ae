"""One fleet task: analyse one bundle and hand back everything the fleet keeps of it.

Runs wherever Dask puts it (a local process or a worker on another machine). It reads the bundle from its path
(the fleet root must be visible to the workers) and *returns* its results -- tables, the per-server profile, the
report files -- so that nothing has to be written from the worker: Dask moves the data back to the client, which
writes the dataset. The function is pure in its inputs (same bundle, same options -> same outcome), which is what
makes a rerun after a lost worker harmless.

With ``--redact`` the task redacts before returning (:mod:`nps_trace_analyzer.fleet.redaction`): a fresh redactor
with the run's key per bundle, so what a bundle gives never depends on which bundles the same worker read before.
Only pseudonyms leave the worker, and the redactor itself, whose learned names and map the client merges into the
run's one map (``--redact-map``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from nps_trace_analyzer.api import analyze_bundle
from nps_trace_analyzer.fleet.profile import profile_from_dict, profile_of, profile_to_dict
from nps_trace_analyzer.fleet.redaction import path_key, redact_frame, redact_profile
from nps_trace_analyzer.intake import IntakeError
from nps_trace_analyzer.pipeline import AnalyzeOptions
from nps_trace_analyzer.report import frames
from nps_trace_analyzer.report.redact import Redactor

MAX_REPORT_FILE_BYTES = 512 * 1024**2  # a report file larger than this is not shipped back (noted instead)


@dataclass
class BundleOutcome:
    """What the fleet keeps of one bundle: partition (server, day), tables, profile, report files, or an error.

    ``relative`` is the bundle's path under the root as found (the client matches it with later runs); what is
    written is ``shown`` (the same, or its keyed token when redacting: ``fleet.redaction.path_key``).
    """

    key: str
    relative: str
    server: str
    day: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    profile: dict[str, Any] | None = None
    report_files: dict[str, bytes] = field(default_factory=dict)
    error: str = ""
    shown: str = ""
    path_key: str = ""
    redactor: Redactor | None = None  # the bundle's redactor, for the run's one map


def _day(analysis_times: list[Any]) -> str:
    present = [t for t in analysis_times if t is not None]
    return min(present).date().isoformat() if present else "unknown"


def analyze_for_fleet(path: str, key: str, relative: str, options: AnalyzeOptions | None = None) -> BundleOutcome:
    """Analyse the bundle at ``path`` (see the module docstring); errors become ``outcome.error``, never raise."""
    options = options or AnalyzeOptions()
    redactor = options.redactor.fresh() if options.redactor is not None else None
    # Redacting, the bundle's path is named by its keyed token everywhere: a path under ROOT is the operator's
    # naming (sites, customers, tickets), and the redactor cannot know which parts of it name someone.
    shown = path_key(relative, redactor)
    outcome = _analyze(path, key, shown, replace(options, redactor=redactor))
    outcome.relative, outcome.shown, outcome.path_key = relative, shown, shown
    if redactor is None:
        return outcome
    # Everything the bundle gave is known now: its rows, profile and names can be rewritten.
    outcome.server = redactor.text(outcome.server) if outcome.server != "unknown" else outcome.server
    outcome.error = redactor.text(outcome.error)
    outcome.tables = {name: redact_frame(frame, redactor) for name, frame in outcome.tables.items()}
    outcome.tables["bundles"]["bundle"] = outcome.tables["bundles"]["bundle"].map(lambda _v: shown).astype("string")
    if outcome.profile is not None:
        profile = redact_profile(profile_from_dict(outcome.profile), redactor)
        profile.bundles = [shown]
        outcome.profile = profile_to_dict(profile)
    outcome.redactor = redactor
    return outcome


def _analyze(path: str, key: str, relative: str, options: AnalyzeOptions) -> BundleOutcome:
    """The outcome of one bundle, its path written as ``relative`` in the tables."""
    with tempfile.TemporaryDirectory(prefix="nps-fleet-") as tmp:
        try:
            analysis = analyze_bundle(path, Path(tmp) / "report", options, keep_events=False)
        except (IntakeError, OSError) as exc:
            summary = {
                "bundle_key": key,
                "bundle": Path(relative).name,
                "path": relative,
                "server": "",
                "day": "unknown",
                "error": f"{type(exc).__name__}: {exc}",
            }
            return BundleOutcome(
                key,
                relative,
                "unknown",
                "unknown",
                {"bundles": frames.typed_frame([summary], frames.BUNDLE_SCHEMA)},
                error=summary["error"],
            )
        obs = analysis.observations
        input_times = [t for inp in analysis.inputs for t in (inp.first_time, inp.last_time)]
        day = _day([obs.first_auth]) if obs.first_auth else _day(input_times)
        server = analysis.server or "unknown"
        headline = [inc for inc in analysis.incidents if not inc.benign]
        present = [t for t in input_times if t is not None]
        summary = {
            "bundle_key": key,
            "bundle": analysis.bundle,
            "path": relative,
            "server": server,
            "day": day,
            "first_time": min(present) if present else None,
            "last_time": max(present) if present else None,
            "inputs": len(analysis.inputs),
            "inputs_analysed": len(analysis.result.analysed_inputs),
            "records_read": sum(i.records_read for i in analysis.inputs),
            "records_skipped": sum(i.records_skipped for i in analysis.inputs),
            "events": analysis.result.events_total,
            "auth_events": obs.auth_events,
            "incidents": len(headline),
            "benign_incidents": len(analysis.incidents) - len(headline),
            "error": "",
        }
        if not analysis.result.analysed_inputs:
            summary["error"] = "nothing in the bundle could be read (see its report's inputs)"
        tables = {
            "incidents": frames.incidents_frame(analysis.incidents, bundle=relative, server=server),
            "inputs": frames.inputs_frame(analysis.inputs, bundle=relative, server=server),
            "bundles": frames.typed_frame([summary], frames.BUNDLE_SCHEMA),
        }
        files = {}
        for file in sorted((Path(tmp) / "report").iterdir()):
            if file.stat().st_size <= MAX_REPORT_FILE_BYTES:
                files[file.name] = file.read_bytes()
        profile = profile_to_dict(profile_of(analysis, server))
    return BundleOutcome(key, relative, server, day, tables, profile, files, error=str(summary["error"]))
