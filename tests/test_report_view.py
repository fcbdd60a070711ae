"""report.html stays bounded at any scale; summary.md, the verdict and the timeline are built right and safely."""

from __future__ import annotations

from datetime import timedelta

from test_report_safety import T0, _incident, _result

from nps_trace_analyzer.analysis.activity import SignInActivity, timeline
from nps_trace_analyzer.core.model import Event, Evidence
from nps_trace_analyzer.core.times import human_range, human_time
from nps_trace_analyzer.report import html as html_module
from nps_trace_analyzer.report.html import render_html
from nps_trace_analyzer.report.result import to_document
from nps_trace_analyzer.report.summary import md, render_summary
from nps_trace_analyzer.report.timeline import timeline_svg

LONG = "x" * 3000


def _many(n: int) -> list:
    codes = [
        ("UserNotFound", "configuration", "error"),
        ("AccessDenied", "configuration", "error"),
        ("HTTPS_COMMUNICATION_ERROR", "connectivity", "critical"),
    ]
    out = []
    for i in range(n):
        code, category, severity = codes[i % len(codes)]
        evidence = [Evidence("a.evtx", "AuthZOptCh", 1, j, T0, LONG, code) for j in range(30)]
        out.append(
            _incident(
                id=f"INC-{i:05d}",
                user=f"user{i}@contoso.com",
                primary_code=code,
                codes=[code],
                category=category,
                severity=severity,
                first_seen=T0 + timedelta(seconds=i),
                last_seen=T0 + timedelta(seconds=i),
                evidence=evidence,
                summary=LONG,
            )
        )
    return out


def test_html_size_is_bounded_whatever_the_number_of_incidents() -> None:
    result = _result()
    result.incidents = _many(3000)
    page = render_html(to_document(result))
    assert len(page.encode("utf-8")) < 2_000_000
    assert (
        page.count('<section class="incident') == html_module.MAX_SECTIONS
        or page.count('<section class="incident') == 3 * html_module.SECTIONS_PER_CAUSE
    )
    assert "and 980 more incident(s) of this cause" in page
    assert "more evidence row(s) in findings.json" in page
    # Every cause is shown, each with at most ROWS_PER_CAUSE rows.
    assert page.count('<section class="cause') == 3


def test_html_size_is_bounded_with_many_damaged_inputs() -> None:
    from nps_trace_analyzer.core.model import InputFile

    result = _result()
    result.inputs = [
        InputFile(f"f{i}.evtx", "/x", 1, "ab" * 32, "evtx", analysed=False, reason=LONG, warnings=[LONG] * 500)
        for i in range(500)
    ]
    result.notes = [LONG] * 500
    page = render_html(to_document(result))
    assert len(page.encode("utf-8")) < 2_000_000
    assert "more input(s) in findings.json" in page


def test_verdict_prefers_severity_over_numbers() -> None:
    result = _result()
    many_warnings = [
        _incident(id=f"INC-1{i:03d}", primary_code="InvalidSession", codes=["InvalidSession"], severity="warning")
        for i in range(9)
    ]
    critical = _incident(id="INC-2000", primary_code="HTTPS_COMMUNICATION_ERROR", severity="critical")
    benign = [
        _incident(id=f"INC-3{i:03d}", primary_code="OathCodeIncorrect", benign=True, severity="info") for i in range(20)
    ]
    result.incidents = [*many_warnings, critical, *benign]
    doc = to_document(result)
    assert doc["verdict"]["primary_code"] == "HTTPS_COMMUNICATION_ERROR"
    assert "1 of 10" in doc["verdict"]["why"]
    result.incidents = benign
    assert to_document(result)["verdict"] is None
    assert "No failure found" in render_html(to_document(result))


def test_summary_md_escapes_untrusted_values() -> None:
    result = _result()
    result.incidents = [_incident(user="a|b](javascript:x)<img src=x>\n# head\u202e")]
    result.bundle_name = "bundle | [link](http://x) `code`"
    text = render_summary(to_document(result))
    title = text.splitlines()[0]
    assert title == "# NPS trace analysis: bundle \\| \\[link\\](http://x) \\`code\\`"
    assert "<img" not in text and "\u202e" not in text
    assert "| `ESTS_TOKEN_ERROR` |" in text  # the causes table is there
    for line in text.splitlines():
        if line.startswith("| ") and "ESTS_TOKEN_ERROR" in line:
            assert line.count(" | ") == 6  # seven cells: nothing injected a column
    assert md("a\nb") == "a b"


def test_timeline_counts_and_svg_is_safe() -> None:
    activity = SignInActivity()
    for minute in range(0, 120, 2):
        event = Event(
            T0 + timedelta(minutes=minute),
            "s.evtx",
            "Security",
            "Microsoft-Windows-Security-Auditing",
            6272,
            0,
            minute,
            "NPS01",
        )
        activity.add(event)
    incidents = [
        _incident(id="INC-1", category="<script>x</script>", first_seen=T0 + timedelta(minutes=30)),
        _incident(id="INC-2", kind="server", first_seen=T0),  # a server fault is not a failed sign-in
        _incident(id="INC-3", benign=True, first_seen=T0),
    ]
    tl = timeline(activity, incidents)
    assert tl["healthy_total"] == 60 and tl["failed_total"] == 1
    assert sum(tl["failed"]["<script>x</script>"]) == 1
    assert len(tl["healthy"]) <= 96 and tl["bucket_seconds"] in (60, 300)
    svg = str(timeline_svg(tl))
    assert "<script" not in svg and "&lt;script&gt;" in svg
    drawn = sum(1 for n in tl["healthy"] if n) + sum(1 for s in tl["failed"].values() for n in s if n)
    assert svg.startswith("<svg") and svg.count("<rect") == drawn
    assert timeline(SignInActivity(), []) == {}


def test_human_times() -> None:
    assert human_time("2025-03-12T13:04:00.171427Z") == "2025-03-12 13:04:00"
    assert human_time(None) == "–"
    assert human_range("2025-03-12T13:04:00.1Z", "2025-03-12T13:45:58.0Z") == "2025-03-12 13:04:00 – 13:45:58"
    assert (
        human_range("2025-03-12T13:04:00.1Z", "2025-03-13T01:00:00.0Z") == "2025-03-12 13:04:00 – 2025-03-13 01:00:00"
    )
