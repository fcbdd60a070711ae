"""Write the report folder from the finished document: the one place that decides what leaves the tool.

The pipeline hands over the findings.json document and where events.csv was streamed to; this module applies
redaction (when asked) to the document once, so report.html, incidents.csv, findings.json and summary.md all show
the same pseudonyms, and makes the redacted copy of events.csv. Nothing identifying is written into the report
folder before it has passed the redactor: with redaction on, the raw events.csv lives in a private temporary
folder outside it.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nps_trace_analyzer.report.html import write_html
from nps_trace_analyzer.report.json_out import dump_indented
from nps_trace_analyzer.report.redact import Redactor
from nps_trace_analyzer.report.result import AnalysisResult, to_document
from nps_trace_analyzer.report.summary import write_summary
from nps_trace_analyzer.report.tables import rewrite_events_csv, write_incidents_csv


@dataclass(frozen=True)
class ReportPaths:
    out_dir: Path
    html: Path
    incidents_csv: Path
    events_csv: Path
    json: Path
    summary: Path


def report_paths(out_dir: Path) -> ReportPaths:
    return ReportPaths(
        out_dir,
        out_dir / "report.html",
        out_dir / "incidents.csv",
        out_dir / "events.csv",
        out_dir / "findings.json",
        out_dir / "summary.md",
    )


def write_reports(
    document: dict[str, Any], targets: ReportPaths, redactor: Redactor | None, raw_events: Path | None
) -> dict[str, Any]:
    """Write every report file; return the document as written (redacted when a redactor is given).

    ``raw_events``: the events.csv the pipeline streamed, when it is not already ``targets.events_csv``.
    """
    if redactor is not None:
        document = redactor.document(document)
    if raw_events is not None and raw_events != targets.events_csv:
        rewrite_events_csv(raw_events, targets.events_csv, redactor.text if redactor else str)
    with targets.json.open("wb") as fh:  # UTF-8 bytes: most of the text comes encoded from msgspec
        dump_indented(document, fh)  # = json.dump(document, fh, indent=2, ensure_ascii=False), faster (#12)
        fh.write(b"\n")
    write_incidents_csv(targets.incidents_csv, document["incidents"])
    write_html(targets.html, document)
    write_summary(targets.summary, document)
    return document


def write_result(
    result: AnalysisResult, targets: ReportPaths, redactor: Redactor | None, raw_events: Path | None
) -> dict[str, Any]:
    """Build ``result``'s document and write every report file from it, with the collector paused
    (:func:`collector_paused`): the one way a finished analysis becomes a report folder, for one bundle
    (pipeline/run.py) and for several servers' reports and their combined one (fleet/multi.py)."""
    with collector_paused():
        return write_reports(to_document(result), targets, redactor, raw_events)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while the document is built and written, then restore it.

    Why: the document of a busy day is ~10^5 new dicts and lists (30 k incidents with their evidence), and every
    700 new containers start a collection that walks them again, with the analysis' own objects still alive;
    measured on the worst-case bundle this was 40 % of building the document. The document is not cyclic:
    reference counting frees it as usual; the little that is (Jinja2's render context) waits for the next
    collection after this block.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def write_redaction_map(path: Path, redactor: Redactor) -> None:
    """The pseudonym -> original table, only where the user asked for it (``--redact-map``)."""
    with path.open("w", encoding="utf-8") as fh:
        json.dump(redactor.mapping(), fh, indent=2, ensure_ascii=False, sort_keys=True)
        fh.write("\n")
