"""The library entry point for notebooks and scripts: ``analyze_bundle(path)`` -> :class:`BundleAnalysis`.

Why a layer over ``pipeline.analyze``: the pipeline streams events to ``events.csv`` and keeps only findings, which
is right for the CLI; a notebook wants the events as objects, the server the bundle came from, and pandas
DataFrames with proper dtypes. The CLI (``analyze``, ``fleet``) is built on this function, so what a script gets is
what the reports show.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nps_trace_analyzer.analysis.observations import ObservationCollector, Observations
from nps_trace_analyzer.core.model import Event, Incident, InputFile
from nps_trace_analyzer.pipeline import AnalyzeOptions, Meter, Progress, ReportPaths, analyze, report_paths
from nps_trace_analyzer.report.result import AnalysisResult

if TYPE_CHECKING:  # pandas is imported only when DataFrames are asked for
    import pandas as pd


@dataclass
class BundleAnalysis:
    """One bundle, analysed: what the reports hold, as Python objects.

    ``server`` is the computer that logged most of the bundle's events ("" when none named one);
    ``events`` is empty unless ``keep_events`` was set; ``report`` is None when no report folder was kept.
    """

    bundle: str
    server: str
    incidents: list[Incident]
    inputs: list[InputFile]
    server_config: list[dict[str, Any]]
    notes: list[str]
    observations: Observations
    result: AnalysisResult
    events: list[Event] = field(default_factory=list)
    report: ReportPaths | None = None

    @property
    def servers(self) -> list[str]:
        """Every computer name the bundle's events carry, most frequent first."""
        return [name for name, _ in sorted(self.observations.computers.items(), key=lambda kv: (-kv[1], kv[0]))]

    def to_dataframes(self) -> dict[str, pd.DataFrame]:
        """``incidents``, ``events``, ``inputs`` and ``server_config`` as pandas DataFrames.

        Codes, kinds, categories and severities are categoricals; times are ``datetime64[ns, UTC]``; counts are
        nullable integers. Column sets are fixed (:mod:`nps_trace_analyzer.report.frames`), also when a table is empty.
        """
        from nps_trace_analyzer.report import frames

        return {
            "incidents": frames.incidents_frame(self.incidents, bundle=self.bundle, server=self.server),
            "events": frames.events_frame(self.events),
            "inputs": frames.inputs_frame(self.inputs, bundle=self.bundle, server=self.server),
            "server_config": frames.server_config_frame(self.server_config, bundle=self.bundle, server=self.server),
        }


class _EventKeeper:
    """Observer that keeps every event (for ``keep_events``)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event, _first_sighting: bool = True) -> None:
        self.events.append(event)


def analyze_bundle(
    paths: str | Path | Sequence[str | Path],
    out_dir: str | Path | None = None,
    options: AnalyzeOptions | None = None,
    *,
    keep_events: bool = True,
    progress: Progress | None = None,
    meter: Meter | None = None,
) -> BundleAnalysis:
    """Analyse one bundle (a folder, a zip, or the files of one bundle).

    With ``out_dir`` the usual report folder is written there (report.html, incidents.csv, events.csv,
    findings.json); without it the reports go to a temporary folder that is removed before returning.
    ``keep_events=False`` keeps memory proportional to the findings (events are then only counted).
    """
    inputs = [paths] if isinstance(paths, (str, Path)) else list(paths)
    keeper = _EventKeeper() if keep_events else None
    collector = ObservationCollector()  # counted where the events are read (worker processes), then merged
    if out_dir is None:
        with tempfile.TemporaryDirectory(prefix="nps-trace-analyzer-api-") as tmp:
            result = analyze(inputs, Path(tmp), options, progress, keeper, meter, (collector,))
        report = None
    else:
        target = Path(out_dir)
        result = analyze(inputs, target, options, progress, keeper, meter, (collector,))
        report = report_paths(target)
    observations = collector.observations
    return BundleAnalysis(
        bundle=result.bundle_name,
        server=observations.server,
        incidents=result.incidents,
        inputs=result.inputs,
        server_config=result.server_config,
        notes=result.notes,
        observations=observations,
        result=result,
        events=keeper.events if keeper is not None else [],
        report=report,
    )
