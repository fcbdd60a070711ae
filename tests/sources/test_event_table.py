"""Event logs saved as tables (Event Viewer .csv/.txt, Get-WinEvent | Export-Csv) are recognised and every row
becomes an event, with the same named data a pasted rendering of the same event gives."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from nps_trace_analyzer.core.wintime import FILETIME_EPOCH
from nps_trace_analyzer.extract.nps_audit import nps_audit_fields
from nps_trace_analyzer.intake.identify import identify
from nps_trace_analyzer.sources.event_table import parse_event_table
from nps_trace_analyzer.sources.text_decode import TextReadStats

# The head of a real Event Viewer "Save All Events As... CSV" of a Security log, as the quilter-csv README shows it
# (https://github.com/sumeshi/quilter-csv, README "show"): five titled columns, the viewer's local US time.
REAL_HEAD = (
    "Level,Date and Time,Source,Event ID,Task Category\n"
    "Information,10/7/2016 06:38:24 PM,Microsoft-Windows-Security-Auditing,4658,File System\n"
    "Information,10/7/2016 06:38:24 PM,Microsoft-Windows-Security-Auditing,4656,File System\n"
)
# Our values, the layout of the 6273 message (labels as Windows renders them; a tab before each value).
MESSAGE = (
    "Network Policy Server denied access to a user.\n\nContact the Network Policy Server administrator for more "
    "information.\n\nUser:\n\tSecurity ID:\t\t\tCONTOSO\\bob\n\tAccount Name:\t\t\tbob\n\tAccount Domain:\t\t\t"
    "CONTOSO\n\nAuthentication Details:\n\tAuthentication Type:\t\tPAP\n\tReason Code:\t\t\t16\n\tReason:\t\t\t\t"
    "Authentication failed due to a user credentials mismatch."
)
EVENT_VIEWER_CSV = (
    "Level,Date and Time,Source,Event ID,Task Category\n"
    f'Information,3/12/2025 2:04:00 PM,Microsoft-Windows-Security-Auditing,6273,Network Policy Server,"{MESSAGE}"\n'
    "Error,3/12/2025 2:05:00 PM,NPS,4402,None,There is no domain controller available for domain CONTOSO.\n"
)
EXPORT_CSV = (
    "#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\n"
    '"Message","Id","Version","Qualifiers","Level","Task","Opcode","Keywords","RecordId","ProviderName",'
    '"ProviderId","LogName","ProcessId","ThreadId","MachineName","UserId","TimeCreated","LevelDisplayName"\n'
    f'"{MESSAGE}","6273","2",,"0","12552","0","-9218868437227405312","123","Microsoft-Windows-Security-Auditing",'
    '"54849625-5478-4994-a5ba-3e3b0328c30d","Security","612","700","NPS01.contoso.com",,"3/12/2025 2:04:00 PM",'
    '"Information"\n'
)


def _identify(text: str, name: str = "export.csv", encoding: str = "utf-8") -> str:
    raw = text.encode(encoding)
    return identify(name, raw[:8192], len(raw)).kind


def test_real_event_viewer_csv_head_is_read_row_by_row() -> None:
    assert _identify(REAL_HEAD) == "event-table"
    stats = TextReadStats()
    events = list(parse_event_table(REAL_HEAD, "Security.csv", stats))
    assert [(e.event_id, e.channel, e.time) for e in events] == [
        (4658, "Security", datetime(2016, 10, 7, 18, 38, 24, tzinfo=timezone.utc)),
        (4656, "Security", datetime(2016, 10, 7, 18, 38, 24, tzinfo=timezone.utc)),
    ]
    assert any("no UTC offset" in w for w in stats.warnings)


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_event_viewer_export_keeps_every_row_and_reads_the_message(delimiter: str) -> None:
    text = EVENT_VIEWER_CSV if delimiter == "," else EVENT_VIEWER_CSV.replace(",", "\t")
    assert _identify(text, "Security.txt", "utf-16") == "event-table"
    stats = TextReadStats()
    denied, nodc = parse_event_table(text, "Security.csv", stats)
    assert (denied.event_id, denied.channel, denied.level) == (6273, "Security", 0)
    fields = nps_audit_fields(denied)
    assert (fields["reason_code"], fields["user"], fields["auth_type"]) == ("16", "bob", "PAP")
    assert (nodc.event_id, nodc.channel, nodc.level, nodc.provider) == (4402, "System", 2, "NPS")
    assert nodc.text.startswith("There is no domain controller")
    assert stats.records_read == 2 and stats.records_skipped == 0


@pytest.mark.parametrize("trailing", [",", ",,", ',""'])
def test_an_empty_last_title_still_leaves_the_message_column(trailing: str) -> None:
    """A table re-saved by a spreadsheet titles the message column with an empty cell: the message is still read."""
    title, rows = EVENT_VIEWER_CSV.split("\n", 1)
    stats = TextReadStats()
    denied, nodc = parse_event_table(f"{title}{trailing}\n{rows}", "Security.csv", stats)
    assert nps_audit_fields(denied)["reason_code"] == "16"
    assert nodc.text.startswith("There is no domain controller")


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_export_csv_columns_in_any_order(delimiter: str) -> None:
    type_line, body = EXPORT_CSV.split("\n", 1)
    rows = list(csv.reader(io.StringIO(body)))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL).writerows(row[::-1] for row in rows)
    text = type_line + "\n" + out.getvalue()
    assert _identify(text) == "event-table"
    (event,) = parse_event_table(text, "events.csv")
    assert (event.event_id, event.channel, event.computer, event.level) == (6273, "Security", "NPS01.contoso.com", 0)
    assert event.time == datetime(2025, 3, 12, 14, 4, tzinfo=timezone.utc)
    assert nps_audit_fields(event)["reason_code"] == "16"


def test_security_log_export_titles_its_first_column_keywords() -> None:
    text = EVENT_VIEWER_CSV.replace("Level,", "Keywords,", 1).replace("Information,", "Audit Failure,", 1)
    denied, _nodc = parse_event_table(text, "Security.csv")
    assert (denied.level, nps_audit_fields(denied)["reason_code"]) == (0, "16")


def test_damaged_rows_are_counted_never_raised() -> None:
    text = EVENT_VIEWER_CSV + 'Information,not a date,NPS,x,None,"unterminated\n'
    stats = TextReadStats()
    events = list(parse_event_table(text, "x.csv", stats))
    assert [e.event_id for e in events] == [6273, 4402]
    assert stats.records_skipped == 1 or stats.error


def test_day_first_file_is_read_day_first_and_ambiguous_dates_are_said() -> None:
    rows = "Level,Date and Time,Source,Event ID,Task Category\n"
    european = rows + "Error,03/04/2026 14:03:07,NPS,4402,None,x\nError,30/11/2026 14:03:07,NPS,4402,None,y\n"
    first, second = parse_event_table(european, "x.csv")
    assert (first.time.month, first.time.day, second.time.day) == (4, 3, 30)  # the 30/11 row tells the order
    stats = TextReadStats()
    (only,) = parse_event_table(rows + "Error,03/04/2026 14:03:07,NPS,4402,None,x\n", "x.csv", stats)
    assert only.time != FILETIME_EPOCH and any("day/month or month/day" in w for w in stats.warnings)


@pytest.mark.parametrize(
    "text",
    [
        "Name,Value\nfoo,1\n",
        "Date,Amount\n3/12/2025,12\n",
        "Time,Event\n10:00,started\n",
    ],
)
def test_other_tables_are_not_event_tables(text: str) -> None:
    assert _identify(text, "data.csv") != "event-table"


def test_get_eventlog_export_csv() -> None:
    """Get-EventLog | Export-Csv: EventID, EntryType, Source, TimeGenerated, Message (and InstanceId)."""
    text = (
        "#TYPE System.Diagnostics.EventLogEntry#Security/Microsoft-Windows-Security-Auditing/6273\n"
        '"EventID","MachineName","Data","Index","Category","CategoryNumber","EntryType","Message","Source",'
        '"ReplacementStrings","InstanceId","TimeGenerated","TimeWritten","UserName","Site","Container"\n'
        f'"6273","NPS01.contoso.com","System.Byte[]","123456","(12552)","12552","FailureAudit","{MESSAGE}",'
        '"Microsoft-Windows-Security-Auditing","System.String[]","6273","3/12/2025 2:04:00 PM",'
        '"3/12/2025 2:04:00 PM",,,\n'
    )
    assert _identify(text) == "event-table"
    (event,) = parse_event_table(text, "security.csv")
    assert (event.event_id, event.computer, event.level, event.channel) == (6273, "NPS01.contoso.com", 0, "Security")
    assert nps_audit_fields(event)["reason_code"] == "16"


def test_event_viewer_export_in_another_language_is_said_not_supported(tmp_path: Path) -> None:
    """A German Event Viewer CSV (translated titles and messages) is recognised as an event table and reported as
    not supported with what to export instead: never read by guessing, never 'text of no known format'."""
    from nps_trace_analyzer.sources.event_table import read_event_table

    text = (
        "Ebene,Datum und Uhrzeit,Quelle,Ereignis-ID,Aufgabenkategorie\n"
        "Informationen,12.03.2025 14:04:00,Microsoft-Windows-Security-Auditing,6273,Network Policy Server,"
        '"Der Netzwerkrichtlinienserver hat einem Benutzer den Zugriff verweigert."\n'
    )
    assert _identify(text, "Sicherheit.csv") == "event-table"
    path = tmp_path / "Sicherheit.csv"
    path.write_text(text, encoding="utf-8")
    stats = TextReadStats()
    assert list(read_event_table(path, "Sicherheit.csv", stats)) == []
    assert stats.error and "not in English" in stats.error and "Export-Csv" in stats.error


def test_a_table_and_a_pasted_copy_of_the_same_event_count_once(tmp_path: Path) -> None:
    """The same denial exported with Export-Csv and pasted from Event Viewer is one rejection, not two."""
    import json

    from nps_trace_analyzer.pipeline import analyze

    copy = (
        "Log Name:      Security\nSource:        Microsoft-Windows-Security-Auditing\n"
        "Date:          3/12/2025 2:04:00 PM\nEvent ID:      6273\nComputer:      NPS01.contoso.com\n"
        f"Description:\n{MESSAGE}\n"
    )
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "events.csv").write_text(EXPORT_CSV, encoding="utf-8")
    (bundle / "pasted.txt").write_text(copy, encoding="utf-8")
    analyze([bundle], tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    (incident,) = [inc for inc in doc["incidents"] if inc["primary_code"] == "NPS-REASON-16"]
    assert (incident["user"], incident["count"]) == ("bob", 1)


@pytest.mark.parametrize(
    "line",
    [
        # NPS accounting rows (database-compatible and IAS formats): data on the first line, not column titles
        '"NPS01","IAS",03/12/2025,07:03:44,1,"alice@contoso.com",,"UserAuthType:PW",,,,"RDGW01","10.10.2.5",,0',
        "10.10.2.5,alice,03/12/2025,07:03:44,IAS,NPS01,25,311 1 10.10.2.5 03/12/2025 07:03:44 1,4127,1",
    ],
)
def test_accounting_logs_are_not_event_tables(line: str) -> None:
    text = line + "\n" + line.replace("07:03:44", "07:03:45") + "\n"
    assert _identify(text, "IN250312.log") == "iaslog"


_AZUREMFA_ROW = (
    "Error,3/12/2025 2:03:07 PM,AuthZOptCh,1,None,NPS Extension for Azure MFA:  CID: 5c1e33c4-8a3e-4bd7-9b5b-"
    "2d3c2a41f0aa : Exception in Authentication Ext for User alice@example.com :: stack: ESTS_TOKEN_ERROR Error in "
    "retreiving token from eSTS: AADSTS7000112: Application is disabled.\n"
)
_SECURITY_ROW = (
    "Information,3/12/2025 2:03:00 PM,Microsoft-Windows-Security-Auditing,4624,Logon,An account was successfully "
    "logged on.\n"
)


@pytest.mark.parametrize(
    ("rows", "auditing_judged"), [((_AZUREMFA_ROW,), False), ((_AZUREMFA_ROW, _SECURITY_ROW), True)]
)
def test_a_table_of_other_logs_is_no_audit_source(tmp_path: Path, rows: tuple[str, ...], auditing_judged: bool) -> None:
    """An exported table holding only the extension's events says nothing about NPS auditing (no false
    NPS-AUDITING-DISABLED); one holding Security events without any NPS audit does."""
    from nps_trace_analyzer.api import analyze_bundle
    from nps_trace_analyzer.pipeline import AnalyzeOptions

    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "export.csv").write_text("Level,Date and Time,Source,Event ID,Task Category\n" + "".join(rows))
    result = analyze_bundle([bundle], tmp_path / "out", AnalyzeOptions(jobs=1), keep_events=False).result
    codes = {incident.primary_code for incident in result.incidents}
    assert "AADSTS7000112" in codes
    assert ("NPS-AUDITING-DISABLED" in codes) is auditing_judged
