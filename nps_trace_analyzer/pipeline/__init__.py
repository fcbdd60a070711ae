"""The main job, bundle -> events -> findings -> incidents -> reports (``run.py``), and its ``--jobs`` shards
(``parallel.py``).

The names re-exported here are the pipeline's public surface (used by ``api.py``, the CLI, tests and benchmarks),
so callers write ``from nps_trace_analyzer.pipeline import analyze`` whatever module holds it.
"""

from __future__ import annotations

from nps_trace_analyzer.pipeline.run import AnalyzeOptions, Meter, Progress, ReportPaths, analyze, report_paths

__all__ = ["AnalyzeOptions", "Meter", "Progress", "ReportPaths", "analyze", "report_paths"]
