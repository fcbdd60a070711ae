"""A pasted event whose date is missing or redacted is kept (its decision counts) but places nothing in time:
the bundle's time range and the sign-in timeline come from the dated events only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nps_trace_analyzer.pipeline import analyze

DATED = """Log Name:      Security
Source:        Microsoft-Windows-Security-Auditing
Date:          2025-03-12T09:00:00.000Z
Event ID:      6272
Keywords:      Audit Success
Computer:      NPS01
Description:
Network Policy Server granted access to a user.

User:
\tSecurity ID:\t\t\tCONTOSO\\alice
\tAccount Name:\t\t\talice
"""
UNDATED = """Log Name:      Security
Source:        Microsoft-Windows-Security-Auditing
Date:          XXXX
Event ID:      6273
Keywords:      Audit Failure
Computer:      NPS01
Description:
Network Policy Server denied access to a user.

User:
\tSecurity ID:\t\t\tCONTOSO\\bob
\tAccount Name:\t\t\tbob
Authentication Details:
\tReason Code:\t\t\t16
"""


def test_undated_event_counts_but_widens_no_time_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "pasted_events.txt").write_text(DATED + "\n" + UNDATED, encoding="utf-8")
    analyze([bundle], tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert [inc["user"] for inc in doc["incidents"] if inc["primary_code"] == "NPS-REASON-16"] == ["bob"]
    assert "1601" not in json.dumps(doc["time_range"]) and "1601" not in json.dumps(doc["timeline"])
    (inp,) = doc["inputs"]
    assert (inp["first_time"], inp["last_time"]) == ("2025-03-12T09:00:00.000000Z",) * 2
    assert any("kept without a time" in w for w in inp["warnings"])
    # Shown as undated in every output, never as 1601-01-01: an empty time in the CSV files and findings.json,
    # "undated" where a person reads it.
    out = tmp_path / "out"
    for name in ("events.csv", "incidents.csv", "findings.json", "report.html", "summary.md"):
        assert "1601" not in (out / name).read_text(encoding="utf-8"), name
    (bob,) = [inc for inc in doc["incidents"] if inc["user"] == "bob"]
    assert (bob["first_seen"], bob["last_seen"]) == ("", "")
    assert {ev["time"] for ev in bob["evidence"]} == {""}
    rows = (out / "events.csv").read_text(encoding="utf-8-sig").splitlines()
    assert sum(row.startswith(",") for row in rows) == 1  # the undated 6273: empty TimeCreated
    assert "undated" in (out / "report.html").read_text(encoding="utf-8")


def test_copy_trimmed_above_log_name_is_recognised() -> None:
    """A pasted file that starts at "Source:" is read as event text; a text merely starting with "Source:" is not."""
    from nps_trace_analyzer.sources.readers import sniff

    paste = b"Source: Microsoft-Windows-Security-Auditing\r\nEvent ID: 6278\r\nDescription: Network Policy Server\r\n"
    found = sniff("pasted.txt", paste, len(paste))
    assert found is not None and found.kind == "nps-eventlog-text"
    other = b"Source: https://example.org/article\r\nSee the article for details.\r\n"
    found = sniff("notes.txt", other, len(other))
    assert found is None or found.kind != "nps-eventlog-text"
