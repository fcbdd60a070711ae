"""Get-WinEvent | ConvertTo-Json exports are recognised and each object becomes an event with the same named data
a pasted copy of it gives; PowerShell 5.1's /Date(ms)/ and PowerShell 7's ISO times are both read as UTC."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from nps_trace_analyzer.extract.nps_audit import nps_audit_fields
from nps_trace_analyzer.intake.identify import identify
from nps_trace_analyzer.sources.event_json import parse_event_json
from nps_trace_analyzer.sources.text_decode import TextReadStats
from tests.sources.test_event_table import MESSAGE

# Property names and value shapes as Windows PowerShell 5.1 writes them (dates as \/Date(ms)\/, sometimes wrapped
# with a DateTime string); the values are ours.
PS51 = (
    json.dumps(
        [
            {
                "Message": MESSAGE,
                "Id": 6273,
                "Level": 0,
                "RecordId": 123,
                "ProviderName": "Microsoft-Windows-Security-Auditing",
                "LogName": "Security",
                "MachineName": "NPS01.contoso.com",
                "TimeCreated": "/Date(1741788240000)/",
                "LevelDisplayName": "Information",
                "KeywordsDisplayNames": ["Audit Failure"],
                "Properties": [{"Value": "S-1-0-0"}],
            },
            {
                "Message": "There is no domain controller available for domain CONTOSO.",
                "Id": 4402,
                "Level": 2,
                "ProviderName": "NPS",
                "LogName": "System",
                "MachineName": "NPS01",
                "TimeCreated": {"value": "/Date(1741788300000)/", "DateTime": "Wednesday, March 12, 2025 2:05:00 PM"},
            },
        ],
        indent=4,
    )
    .replace("/Date", "\\/Date")
    .replace(")/", ")\\/")
)


def test_windows_powershell_convertto_json_export() -> None:
    raw = PS51.encode("utf-16")
    assert identify("events.json", raw[:8192], len(raw)).kind == "event-json"
    stats = TextReadStats()
    denied, nodc = parse_event_json(PS51, "events.json", stats)
    assert (denied.event_id, denied.channel, denied.computer, denied.level) == (
        6273,
        "Security",
        "NPS01.contoso.com",
        0,
    )
    assert denied.time == datetime(2025, 3, 12, 14, 4, tzinfo=timezone.utc)
    assert (nps_audit_fields(denied)["reason_code"], nps_audit_fields(denied)["user"]) == ("16", "bob")
    assert (nodc.event_id, nodc.channel, nodc.level, nodc.time.minute) == (4402, "System", 2, 5)
    assert not any("no UTC offset" in w for w in stats.warnings)  # /Date(ms)/ is UTC


def test_powershell_7_single_object_with_iso_time() -> None:
    text = json.dumps(
        {
            "Id": 6273,
            "ProviderName": "Microsoft-Windows-Security-Auditing",
            "TimeCreated": "2025-03-12T14:04:00.1234567+01:00",
            "Message": MESSAGE,
        }
    )
    (event,) = parse_event_json(text, "event.json")
    assert event.time == datetime(2025, 3, 12, 13, 4, 0, 123456, tzinfo=timezone.utc)
    assert event.channel == "Security"


@pytest.mark.parametrize("text", ['{"name": "x", "value": 1}', "[1, 2, 3]", '{"Id": 5}'])
def test_other_json_is_not_an_event_export(text: str) -> None:
    raw = text.encode()
    assert identify("data.json", raw, len(raw)).kind != "event-json"


def test_broken_json_says_so_never_raises() -> None:
    stats = TextReadStats()
    assert list(parse_event_json('[{"Id": 6273, "ProviderName": "NPS",', "x.json", stats)) == []
    assert stats.error and "JSON" in stats.error
