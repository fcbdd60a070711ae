"""The report stage reads the incidents one at a time: the same five files as from the whole document, and memory
that does not grow with the number of incidents.

Why: a bundle in which every record is its own failed sign-in has as many incidents as records; their findings.json
documents, all made before anything was written, beside the incidents themselves, were the peak of the run.
report/writer.py now writes findings.json and incidents.csv in one pass over documents made as they are read.
"""

from __future__ import annotations

import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from nps_trace_analyzer.core.model import Evidence, Incident
from nps_trace_analyzer.pipeline import AnalyzeOptions, analyze
from nps_trace_analyzer.pipeline import run as pipeline
from nps_trace_analyzer.report import json_out, writer
from nps_trace_analyzer.report.redact import Redactor
from nps_trace_analyzer.report.result import STREAM_INCIDENTS_FROM, AnalysisResult, IncidentDocs, to_document
from nps_trace_analyzer.report.writer import report_paths, write_reports

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
CODES = ("UserNotFound", "OathCodeIncorrect", "ESTS_TOKEN_ERROR")


def _incident(n: int) -> Incident:
    when = T0 + timedelta(seconds=30 * n, microseconds=n)
    user, cid = f"user{n:05d}@contoso.com", f"{n:08d}-0000-4000-8000-000000000000"
    code = CODES[n % len(CODES)]
    text = f"NPS Extension for Azure MFA: CID: {cid} : Access Rejected for user {user} with response code {code}"
    return Incident(
        id=f"INC-{n + 1:04d}",
        kind="sign-in",
        cid=cid,
        user=user,
        server="NPS01.contoso.local",
        first_seen=when,
        last_seen=when,
        count=1,
        codes=[code],
        primary_code=code,
        category="user" if n % 7 else "configuration",
        severity="warning",
        benign=n % 5 == 0,
        in_catalog=True,
        title=f"{code} title",
        summary=f"Sign-in of {user} (CID {cid}) failed with {code}",
        steps=["Check the user.", "=Run the script"],  # a formula-like step: the CSV guard still applies
        doc_links=["https://learn.microsoft.com/"],
        evidence=[Evidence("NPS01_AuthZOptCh.evtx", "AuthZOptCh", 2, 1000 + n, when, text, code)],
        attrs={"user": user, "cid": cid, "nas": f"vpn-{n % 3}"},
    )


def _result(count: int) -> AnalysisResult:
    return AnalysisResult(
        bundle_name="bundle",
        inputs=[],
        incidents=[_incident(n) for n in range(count)],
        catalog_version="v",
        generated_at=T0,
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("redact", [False, True])
def test_streamed_incidents_give_the_same_files(tmp_path: Path, redact: bool) -> None:
    result = _result(700)  # several findings.json batches; causes with more rows than the page shows
    outputs = {}
    for streamed in (False, True):
        folder = tmp_path / f"{streamed}"
        folder.mkdir()
        redactor = Redactor(b"k" * 32) if redact else None
        if redactor is not None:
            for inc in result.incidents:
                redactor.learn("user", inc.user)
        write_reports(to_document(result, stream_incidents=streamed), report_paths(folder), redactor, None)
        outputs[streamed] = _files(folder)
    assert outputs[True] == outputs[False]
    assert (b"user00001@contoso.com" in outputs[True]["findings.json"]) is not redact


def test_the_fallback_writer_gives_the_same_files_without_repeating_csv_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """findings.json's standard-library fallback starts over: incidents.csv still gets each incident once."""
    result = _result(300)
    whole = tmp_path / "whole"
    whole.mkdir()
    write_reports(to_document(result), report_paths(whole), None, None)
    incident_batches = []

    def refuse_late(batch: list, level: int = 0) -> bytes | None:
        if batch and isinstance(batch[0], dict) and "evidence" in batch[0]:
            incident_batches.append(len(batch))
            if len(incident_batches) > 1:  # the first batch of incidents was written and handed on to the CSV
                raise json_out._NotPlain
        return original(batch, level)

    original = json_out._fast_batch
    monkeypatch.setattr(json_out, "_fast_batch", refuse_late)
    streamed = tmp_path / "streamed"
    streamed.mkdir()
    write_reports(to_document(result, stream_incidents=True), report_paths(streamed), None, None)
    assert _files(streamed) == _files(whole)
    assert incident_batches == [json_out.BATCH, 300 - json_out.BATCH]  # the fallback started over mid-incidents


def _peak_writing(tmp_path: Path, count: int, streamed: bool) -> int:
    result = _result(count)
    folder = tmp_path / f"{count}-{streamed}"
    folder.mkdir()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        write_reports(to_document(result, stream_incidents=streamed), report_paths(folder), None, None)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


def test_writing_the_reports_holds_no_more_for_more_incidents(tmp_path: Path) -> None:
    """Eight times the incidents: the whole document's peak grows with them (~2 KB each), the streamed one's not
    beyond the few documents the page shows and the batches in flight (tracemalloc counts allocations)."""
    _peak_writing(tmp_path, 10, True)  # templates and caches loaded once, outside the comparison
    small, large = _peak_writing(tmp_path, 1_500, True), _peak_writing(tmp_path, 12_000, True)
    whole_small, whole_large = _peak_writing(tmp_path, 1_500, False), _peak_writing(tmp_path, 12_000, False)
    assert whole_large - whole_small > 10_000 * 1_000  # what it was: every document at once
    assert large - small < 1_000_000  # the documents in flight: the same for any number of incidents


def test_incident_docs_are_made_again_when_read_again() -> None:
    docs = to_document(_result(5), stream_incidents=True)["incidents"]
    assert isinstance(docs, IncidentDocs) and len(docs) == 5
    assert list(docs) == list(docs) == to_document(_result(5))["incidents"]


@pytest.mark.parametrize("redact", [False, True])
def test_the_pipeline_streams_beyond_its_threshold_with_the_same_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redact: bool
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    demo = Path(__file__).resolve().parents[1] / "samples" / "demo-bundle"
    outputs, one_pass = {}, writer._write_json_and_csv_in_one_pass
    streamed: list[int] = []
    monkeypatch.setattr(
        writer, "_write_json_and_csv_in_one_pass", lambda doc, targets: streamed.append(1) or one_pass(doc, targets)
    )
    for threshold in (STREAM_INCIDENTS_FROM, 0):  # the demo day's incidents made at once, then streamed
        monkeypatch.setattr(pipeline, "STREAM_INCIDENTS_FROM", threshold)
        options = AnalyzeOptions(jobs=1, redactor=Redactor(b"k" * 32) if redact else None)
        result = analyze([demo], tmp_path / f"out-{threshold}", options)
        assert len(result.incidents) > 5
        outputs[threshold] = _files(tmp_path / f"out-{threshold}")
    assert outputs[0] == outputs[STREAM_INCIDENTS_FROM]
    assert streamed == [1]  # only the run with the threshold at 0 streamed
