"""One fleet task: analyse one bundle and hand back everything the fleet keeps of it.

Runs wherever Dask puts it (a local process or a worker on another machine). It reads the bundle from its path
(the fleet root must be visible to the workers) and *returns* its results -- tables, the per-server profile, the
report files -- so that nothing has to be written from the worker: Dask moves the data back to the client, which
writes the dataset. The function is pure in its inputs (same bundle, same options -> same outcome), which is what
makes a rerun after a lost worker harmless.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from nps_trace_analyzer.api import analyze_bundle
from nps_trace_analyzer.fleet.profile import profile_of, profile_to_dict
from nps_trace_analyzer.intake import IntakeError
from nps_trace_analyzer.pipeline import AnalyzeOptions
from nps_trace_analyzer.report import frames

MAX_REPORT_FILE_BYTES = 512 * 1024**2  # a report file larger than this is not shipped back (noted instead)


@dataclass
class BundleOutcome:
    """What the fleet keeps of one bundle: partition (server, day), tables, profile, report files, or an error."""

    key: str
    relative: str
    server: str
    day: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    profile: dict[str, Any] | None = None
    report_files: dict[str, bytes] = field(default_factory=dict)
    error: str = ""


def _day(analysis_times: list[Any]) -> str:
    present = [t for t in analysis_times if t is not None]
    return min(present).date().isoformat() if present else "unknown"


def analyze_for_fleet(path: str, key: str, relative: str, options: AnalyzeOptions | None = None) -> BundleOutcome:
    """Analyse the bundle at ``path`` (see the module docstring); errors become ``outcome.error``, never raise."""
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
