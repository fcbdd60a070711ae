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

from nps_trace_analyzer.report.html import shown_incident_ids, write_html
from nps_trace_analyzer.report.json_out import StreamedList, dump_indented
from nps_trace_analyzer.report.redact import Redactor
from nps_trace_analyzer.report.result import AnalysisResult, IncidentDocs, to_document
from nps_trace_analyzer.report.summary import write_summary
from nps_trace_analyzer.report.tables import IncidentsCsv, rewrite_events_csv, write_incidents_csv


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
        incidents = document["incidents"]
        document = redactor.document(document)  # an IncidentDocs comes through as it is: redacted as it is read
        if isinstance(incidents, IncidentDocs):
            document["incidents"] = incidents.redacted(redactor.document)
    if raw_events is not None and raw_events != targets.events_csv:
        rewrite_events_csv(raw_events, targets.events_csv, redactor.text if redactor else str)
    if isinstance(document["incidents"], IncidentDocs):
        page = _write_json_and_csv_in_one_pass(document, targets)
    else:
        _write_json(document, targets)
        write_incidents_csv(targets.incidents_csv, document["incidents"])
        page = document
    write_html(targets.html, page)
    write_summary(targets.summary, page)
    return document


def _write_json(document: dict[str, Any], targets: ReportPaths) -> None:
    with targets.json.open("wb") as fh:  # UTF-8 bytes: most of the text comes encoded from msgspec
        dump_indented(document, fh)  # = json.dump(document, fh, indent=2, ensure_ascii=False), faster (#12)
        fh.write(b"\n")


class _Tee(StreamedList):
    """The incident documents as findings.json reads them, each also written to incidents.csv and kept when the
    page shows it. Read again (findings.json's fallback writer starts over), a document already handed on is not
    handed on twice."""

    def __init__(self, incidents: IncidentDocs, rows: IncidentsCsv, shown_ids: set[str], verdict: str | None) -> None:
        self._incidents, self._rows, self._shown_ids, self._verdict = incidents, rows, shown_ids, verdict
        self.shown: list[dict[str, Any]] = []

    def __len__(self) -> int:
        return len(self._incidents)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        rows = self._rows
        for position, doc in enumerate(self._incidents):
            if position == rows.rows:
                rows.add(doc)
                if doc["id"] in self._shown_ids or doc["primary_code"] == self._verdict:
                    self._verdict = None if doc["primary_code"] == self._verdict else self._verdict
                    self.shown.append(doc)
            yield doc


def _write_json_and_csv_in_one_pass(document: dict[str, Any], targets: ReportPaths) -> dict[str, Any]:
    """findings.json and incidents.csv from one reading of the incident documents (each made once, none held but
    those the page shows); returns the document for the page and summary.md: the same, with only those incidents
    (what :func:`report.html.view` and the summary's verdict read: the page's rows, and the first incident of the
    verdict's code)."""
    verdict = (document.get("verdict") or {}).get("primary_code")
    with IncidentsCsv(targets.incidents_csv) as rows:
        tee = _Tee(document["incidents"], rows, shown_incident_ids(document), verdict)
        _write_json({**document, "incidents": tee}, targets)
        if rows.rows < len(tee):  # findings.json's writer always reads them all; never leave the CSV short
            for _doc in tee:
                pass
    return {**document, "incidents": tee.shown}


def write_result(
    result: AnalysisResult,
    targets: ReportPaths,
    redactor: Redactor | None,
    raw_events: Path | None,
    stream_incidents: bool = False,
) -> dict[str, Any]:
    """Build ``result``'s document and write every report file from it, with the collector paused
    (:func:`collector_paused`): the one way a finished analysis becomes a report folder, for one bundle
    (pipeline/run.py) and for several servers' reports and their combined one (fleet/multi.py). With
    ``stream_incidents`` the incident documents are made as they are written (:func:`to_document`)."""
    with collector_paused():
        return write_reports(to_document(result, stream_incidents), targets, redactor, raw_events)


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
