"""NPS_EventLog.log (wevtutil /f:text of Security 6272-6280): section-aware label mapping back to EventData names.

The hand-written fixtures under tests/data/text/nps_eventlog are UTF-16 LE + BOM with CRLF, as Windows
PowerShell 5.1 saves them; the round-trip tests use the synth writer.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from nps_trace_analyzer.core.model import Event
from nps_trace_analyzer.core.wintime import FILETIME_EPOCH
from nps_trace_analyzer.extract.nps_audit import nps_audit_fields, user_key
from nps_trace_analyzer.sources.event_dates import slash_date_order
from nps_trace_analyzer.sources.nps_eventlog_text import (
    TEMPLATES,
    data_order,
    parse_wevtutil_date,
    parse_wevtutil_text,
    read_wevtutil_text,
)
from nps_trace_analyzer.sources.text_decode import TextReadStats
from nps_trace_analyzer.synth.textfiles import write_wevtutil_text

DATA = Path(__file__).resolve().parents[1] / "data" / "text" / "nps_eventlog"

SECURITY_6273_ORDER = (
    "SubjectUserSid, SubjectUserName, SubjectDomainName, FullyQualifiedSubjectUserName, SubjectMachineSID, "
    "SubjectMachineName, FullyQualifiedSubjectMachineName, MachineInventory, CalledStationID, CallingStationID, "
    "NASIPv4Address, NASIPv6Address, NASIdentifier, NASPortType, NASPort, ClientName, ClientIPAddress, "
    "ProxyPolicyName, NetworkPolicyName, AuthenticationProvider, AuthenticationServer, AuthenticationType, "
    "EAPType, AccountSessionIdentifier, ReasonCode, Reason, LoggingResult"
).split(", ")


def _read(name: str) -> tuple[list[Event], TextReadStats]:
    stats = TextReadStats()
    events = list(read_wevtutil_text(DATA / name, name, stats))
    return events, stats


def test_6273_data_order_is_the_security_evtx_order() -> None:
    # domain-facts §4.2: the exact <Data Name> order of a real 6273.
    assert list(data_order(6273)) == SECURITY_6273_ORDER


def test_hand_written_file_maps_every_label() -> None:
    events, stats = _read("NPS_EventLog.log")
    assert stats.encoding == "utf-16-le"
    assert (stats.records_read, stats.records_skipped, stats.lines_skipped) == (4, 0, 0)
    assert [e.event_id for e in events] == [6272, 6273, 6273, 6274]
    assert {e.channel for e in events} == {"Security"}
    assert {e.provider for e in events} == {"Microsoft-Windows-Security-Auditing"}
    assert {e.source_kind for e in events} == {"nps-text"}
    assert [e.record_id for e in events] == [0, 1, 2, 3]
    assert all(e.level == 0 for e in events)  # audit events are LogAlways, as in the .evtx
    granted, ext_reject, bad_password, discarded = events

    assert granted.time == datetime(2024, 5, 2, 10, 11, 12, 123000, tzinfo=timezone.utc)
    assert granted.computer == "NPS01.contoso.com"
    assert granted.get("SubjectUserSid") == "CONTOSO\\alice"  # User: section
    assert granted.get("SubjectMachineSID") == "NULL SID"  # same label under Client Machine:
    assert granted.get("SubjectUserName") == "alice@contoso.com"
    assert granted.get("SubjectMachineName") == "-"
    assert granted.get("CallingStationID") == "203.0.113.45"
    assert granted.get("AuthenticationType") == "PAP"
    assert granted.get("QuarantineState") == "Full Access"
    assert granted.get("QuarantineSessionIdentifier") == "-"
    assert granted.get("ProxyPolicyName") == "Use Windows authentication for all users"
    assert granted.data[-1] == ("LoggingResult", "Accounting information was written to the local log file.")
    assert granted.text.startswith("Network Policy Server granted access to a user.")

    assert ext_reject.get("ReasonCode") == "21"
    assert ext_reject.get("Reason").startswith("An NPS extension dynamic link library (DLL)")
    assert ext_reject.get("AuthenticationType") == "MS-CHAPv2"
    assert [name for name, _ in ext_reject.data] == [n for n in SECURITY_6273_ORDER if n != "MachineInventory"]

    # Server 2008 wording: "Proxy Policy Name:" and no "Logging Results:"; OS-Version present.
    assert bad_password.get("ProxyPolicyName") == "Secure Wireless Connections"
    assert bad_password.get("MachineInventory") == "-"
    assert bad_password.get("NASPortType") == "Wireless - IEEE 802.11"
    assert bad_password.get("EAPType") == "Microsoft: Secured password (EAP-MSCHAP v2)"
    assert bad_password.get("ReasonCode") == "16"
    assert bad_password.get("LoggingResult") == ""

    assert discarded.get("ReasonCode") == "3"
    assert discarded.get("ClientIPAddress") == "10.0.0.7"
    # Only the "no UTC offset" warning: nothing else was odd.
    assert len(stats.warnings) == 1
    assert "UTC" in stats.warnings[0]


def test_extract_layer_reads_text_events_like_evtx_events() -> None:
    events, _stats = _read("NPS_EventLog.log")
    fields = nps_audit_fields(events[1])
    assert fields["reason_code"] == "21"
    assert user_key(fields["user"]) == "bob"  # which of the two user fields wins is the extract layer's choice
    assert fields["nas_ip"] == "10.0.0.5"
    assert fields["radius_client"] == "vpn01"
    assert fields["auth_type"] == "MS-CHAPv2"


def test_utc_dates_need_no_warning() -> None:
    events, stats = _read("NPS_EventLog_utc.log")
    assert stats.encoding == "utf-8"
    assert len(events) == 1
    assert events[0].time == datetime(2024, 5, 2, 8, 11, 12, 123000, tzinfo=timezone.utc)
    assert stats.warnings == []


def test_dirty_file_skips_and_warns_without_raising() -> None:
    events, stats = _read("NPS_EventLog_dirty.log")
    # Event[1] has a broken Date: kept without a time (its decision still counts), with a warning.
    # Event[2] is cut in the NAS section: kept, with a warning.
    assert stats.records_read == 3
    assert stats.records_skipped == 0
    assert [e.event_id for e in events] == [6273, 6273, 6272]
    rejected, undated, cut = events
    assert undated.time == FILETIME_EPOCH and stats.last_time is not None and stats.last_time.year == 2024
    assert rejected.get("ReasonCode") == "48"
    assert rejected.get("SubjectUserName") == "erin"
    assert [name for name, _ in rejected.data] == [n for n in SECURITY_6273_ORDER if n != "MachineInventory"]
    assert cut.get("NASIPv4Address") == "10.0.0.5"
    assert cut.get("NASIPv6Address") == "-"  # the cut line was not glued onto the previous value
    text = "\n".join(stats.warnings)
    assert "outside any Event[N] block" in text
    assert "unknown label 'Favourite Colour'" in text
    assert "no valid Date" in text
    assert "lacks" in text and "ClientName" in text
    assert "line without a label skipped: 'NAS Ident'" in text
    # Two garbage lines before Event[0], the unknown label, the cut line.
    assert stats.lines_skipped == 4


@pytest.mark.parametrize(
    ("text", "expected", "zoned"),
    [
        ("2024-05-02T10:11:12.123", datetime(2024, 5, 2, 10, 11, 12, 123000, tzinfo=timezone.utc), False),
        ("2022-11-16T14:54:13.2270000Z", datetime(2022, 11, 16, 14, 54, 13, 227000, tzinfo=timezone.utc), True),
        ("2024-05-02T10:11:12.5+02:00", datetime(2024, 5, 2, 8, 11, 12, 500000, tzinfo=timezone.utc), True),
        ("2024-05-02T01:00:00-0530", datetime(2024, 5, 2, 6, 30, 0, tzinfo=timezone.utc), True),
        ("5/2/2024 10:11:12 PM", datetime(2024, 5, 2, 22, 11, 12, tzinfo=timezone.utc), False),
        ("5/2/2024 12:00:01 AM", datetime(2024, 5, 2, 0, 0, 1, tzinfo=timezone.utc), False),
        # The brief's two examples of what copies carry: 7-digit ticks with Z, and Get-WinEvent's US rendering.
        ("2025-03-12T13:04:00.1714270Z", datetime(2025, 3, 12, 13, 4, 0, 171427, tzinfo=timezone.utc), True),
        ("3/12/2025 1:04:00 PM", datetime(2025, 3, 12, 13, 4, 0, tzinfo=timezone.utc), False),
        # Day-first renderings of European locales: dotted, or a first number that cannot be a month.
        ("12.03.2025 13:04:00", datetime(2025, 3, 12, 13, 4, 0, tzinfo=timezone.utc), False),
        ("25/12/2024 10:11:12", datetime(2024, 12, 25, 10, 11, 12, tzinfo=timezone.utc), False),
        ("3/12/2025 1:04:00 p.m.", datetime(2025, 3, 12, 13, 4, 0, tzinfo=timezone.utc), False),
        # Other display cultures: year first with slashes (ja-JP, zh-CN), day first with dashes (nl-NL).
        ("2026/11/30 14:03:07", datetime(2026, 11, 30, 14, 3, 7, tzinfo=timezone.utc), False),
        ("30-11-2026 14:03:07", datetime(2026, 11, 30, 14, 3, 7, tzinfo=timezone.utc), False),
        ("30/11/2026 14:03:07", datetime(2026, 11, 30, 14, 3, 7, tzinfo=timezone.utc), False),
        ("11/30/2026 2:03:07 PM", datetime(2026, 11, 30, 14, 3, 7, tzinfo=timezone.utc), False),
        ("11/30/2026 2:03:07PM", datetime(2026, 11, 30, 14, 3, 7, tzinfo=timezone.utc), False),
        # Localised 12-hour designators, after the time or (East Asian cultures) before it; a no-break space as
        # .NET writes "p. m.".
        ("30/11/2026 02:03:07 p. m.", datetime(2026, 11, 30, 14, 3, 7, tzinfo=timezone.utc), False),
        ("30/11/2026 12:03:07 a.\u00a0m.", datetime(2026, 11, 30, 0, 3, 7, tzinfo=timezone.utc), False),
        ("30.11.2026 2:03:07 nachm.", datetime(2026, 11, 30, 14, 3, 7, tzinfo=timezone.utc), False),
        ("30.11.2026 9:03:07 vorm.", datetime(2026, 11, 30, 9, 3, 7, tzinfo=timezone.utc), False),
        ("2026/11/30 午後 2:03:07", datetime(2026, 11, 30, 14, 3, 7, tzinfo=timezone.utc), False),
        ("2026/11/30 午前 12:03:07", datetime(2026, 11, 30, 0, 3, 7, tzinfo=timezone.utc), False),
        ("2026/11/30 下午 02:03:07", datetime(2026, 11, 30, 14, 3, 7, tzinfo=timezone.utc), False),
        ("2026-11-30 오후 2:03:07", datetime(2026, 11, 30, 14, 3, 7, tzinfo=timezone.utc), False),
        ("30/11/2026 2:03:07 μ.μ.", datetime(2026, 11, 30, 14, 3, 7, tzinfo=timezone.utc), False),
    ],
)
def test_dates(text: str, expected: datetime, zoned: bool) -> None:
    assert parse_wevtutil_date(text) == (expected, zoned)


def test_only_the_english_designator_tells_month_first() -> None:
    """en-US writes AM/PM after a month-first date; es-MX writes "p. m." after a day-first one: a localised
    designator leaves 03/04/2026 ambiguous instead of deciding it."""
    assert slash_date_order(["03/04/2026 2:00:00 PM"]) == (False, False)
    assert slash_date_order(["03/04/2026 2:00:00 p. m."]) == (None, True)


def test_a_day_above_twelve_outweighs_the_english_designator() -> None:
    """en-AU writes d/MM/yyyy h:mm:ss tt: AM/PM after day-first dates. A file whose early dates are ambiguous but
    a later one is 25/12 is day first; AM/PM decides only when no date does."""
    assert slash_date_order(["03/04/2026 2:00:00 PM", "25/12/2026 9:00:00 AM"]) == (True, False)
    assert slash_date_order(["03/04/2026 2:00:00 PM", "04/25/2026 9:00:00 AM"]) == (False, False)
    assert slash_date_order(["03/04/2026 2:00:00 PM", "05/06/2026 9:00:00 AM"]) == (False, False)


@pytest.mark.parametrize("text", ["", "yesterday", "2024-13-40T10:00:00", "2024-05-02", "30/11/2026 pm"])
def test_bad_dates(text: str) -> None:
    assert parse_wevtutil_date(text) is None


def _event(event_id: int, seconds: int) -> Event:
    names = data_order(event_id)
    return Event(
        time=datetime(2024, 6, 1, 12, 0, seconds, 250000, tzinfo=timezone.utc),
        source_file="gen",
        channel="Security",
        provider="Microsoft-Windows-Security-Auditing",
        event_id=event_id,
        level=0,
        record_id=None,
        computer="NPS9.example.org",
        data=tuple((name, f"{name.lower()}-{event_id}") for name in names),
        source_kind="nps-text",
    )


@pytest.mark.parametrize("utc_suffix", [False, True])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
def test_round_trip_every_template(tmp_path: Path, utc_suffix: bool, encoding: str) -> None:
    events = [_event(eid, i) for i, eid in enumerate(sorted(TEMPLATES))]
    path = write_wevtutil_text(tmp_path / "NPS_EventLog.log", events, encoding=encoding, utc_suffix=utc_suffix)
    if encoding == "utf-16":
        assert path.read_bytes()[:2] == b"\xff\xfe"
    stats = TextReadStats()
    back = list(read_wevtutil_text(path, "NPS_EventLog.log", stats))
    assert stats.records_skipped == stats.lines_skipped == 0
    assert len(back) == len(events)
    for original, read in zip(events, back, strict=True):
        assert read.event_id == original.event_id
        assert read.time == original.time.replace(microsecond=250000)
        assert read.computer == original.computer
        assert read.data == original.data, original.event_id
    assert bool(stats.warnings) is not utc_suffix


def test_non_nps_event_is_kept_with_text_only() -> None:
    text = (
        "Event[0]:\n  Log Name: Security\n  Source: Microsoft-Windows-Security-Auditing\n"
        "  Date: 2024-01-01T00:00:00.000Z\n  Event ID: 4624\n  Level: Information\n  Keyword: Audit Success\n"
        "  Computer: DC1\n  Description: \nAn account was successfully logged on.\n\nSubject:\n"
        "\tSecurity ID:\t\tS-1-5-18\n"
    )
    stats = TextReadStats()
    (event,) = parse_wevtutil_text(text, "x.log", stats)
    assert event.event_id == 4624
    assert event.data == ()
    assert event.text.startswith("An account was successfully logged on.")
    assert stats.lines_skipped == 0


def test_unreadable_file_sets_error(tmp_path: Path) -> None:
    stats = TextReadStats()
    assert list(read_wevtutil_text(tmp_path / "absent.log", "absent.log", stats)) == []
    assert stats.error


def test_binary_garbage_does_not_raise() -> None:
    stats = TextReadStats()
    blob = bytes(range(256)).decode("latin-1") * 20
    assert list(parse_wevtutil_text(blob + "\nEvent[7]:\n  Event ID: x\n", "junk", stats)) == []
    assert stats.records_skipped == 1
    assert stats.lines_skipped >= 1


# A block whose header is in another display language. wevtutil's translated labels are not documented publicly:
# these German words are ours, chosen to look like a translation; what matters is that none is an English label.
_NOT_ENGLISH = """Ereignis[0]:
  Protokollname: Security
  Quelle: Microsoft-Windows-Security-Auditing
  Datum: 2025-03-12T13:04:00.171
  Ereignis-ID: 6273
  Ebene: Informationen
  Beschreibung:
Der Netzwerkrichtlinienserver hat einem Benutzer den Zugriff verweigert.
"""


def test_other_display_language_is_said_not_supported_never_misread() -> None:
    stats = TextReadStats()
    assert list(parse_wevtutil_text(_NOT_ENGLISH, "NPS_EventLog.log", stats)) == []
    assert (stats.records_read, stats.records_skipped) == (1, 1)
    assert "not in English" in stats.error and "/l:en-US" in stats.error


def test_english_header_with_a_translated_message_keeps_the_event_without_guessing_fields() -> None:
    text = (
        "Event[0]:\n  Log Name: Security\n  Source: Microsoft-Windows-Security-Auditing\n"
        "  Date: 2025-03-12T13:04:00.171Z\n  Event ID: 6273\n  Keywords: Audit Failure\n  Description:\n"
        "Der Netzwerkrichtlinienserver hat einem Benutzer den Zugriff verweigert.\n\nBenutzer:\n"
        "\tSicherheits-ID:\t\tNULL SID\n\tUrsachencode:\t\t16\n"
    )
    stats = TextReadStats()
    (event,) = parse_wevtutil_text(text, "NPS_EventLog.log", stats)
    assert event.event_id == 6273 and event.data == ()
    assert any("not in English" in w for w in stats.warnings)


def test_identify_recognises_wevtutil_text_in_another_language() -> None:
    from nps_trace_analyzer.intake.identify import identify

    head = ("\ufeff" + _NOT_ENGLISH.replace("\n", "\r\n")).encode("utf-16-le")
    assert identify("NPS_EventLog.log", head, len(head)).kind == "nps-eventlog-text"


# Event Viewer's "Copy > Copy details as text" layout, as forum posts and pasted files hold it: no "Event[N]:",
# each event starts at "Log Name:", the local "Date:" in the US rendering, and an "Event Xml:" section with the
# record itself (UTC TimeCreated, named EventData). Values are ours; names as the real 6273 of Microsoft Q&A
# 2617618; the second event is the extension's challenge text of Microsoft Q&A 2074636 (E1 in domain-facts §1.2).
COPY = DATA / "eventviewer_copy.txt"


def test_event_viewer_copy_with_event_xml() -> None:
    from nps_trace_analyzer.intake.identify import identify

    raw = COPY.read_bytes()
    assert identify("pasted.txt", raw[:8192], len(raw)).kind == "nps-eventlog-text"
    stats = TextReadStats()
    audit, challenge = read_wevtutil_text(COPY, "pasted.txt", stats)
    assert (stats.records_read, stats.records_skipped) == (2, 0)
    # the XML's UTC time, not the rendered local "3/12/2025 2:04:00 PM"
    assert audit.time == datetime(2025, 3, 12, 13, 4, 0, 171427, tzinfo=timezone.utc)
    assert ("SubjectUserName", "bob") in audit.data  # the record's own EventData wins over the rendered text
    fields = nps_audit_fields(audit)
    assert (fields["reason_code"], fields["auth_type"], user_key(fields["user"])) == ("16", "PAP", "bob")
    assert (challenge.channel, challenge.provider, challenge.event_id) == ("AuthZOptCh", "AuthZ", 1)
    assert challenge.text.startswith("NPS Extension for Azure MFA: CID: 32e83cbf")


def test_event_viewer_copy_without_xml_reads_the_rendered_labels() -> None:
    text = COPY.read_text(encoding="utf-8")
    without_xml = text[: text.index("Event Xml:")]
    stats = TextReadStats()
    (audit,) = parse_wevtutil_text(without_xml, "pasted.txt", stats)
    assert audit.time == datetime(2025, 3, 12, 14, 4, 0, tzinfo=timezone.utc)  # local time taken as UTC, warned
    assert any("no UTC offset" in w for w in stats.warnings)
    fields = nps_audit_fields(audit)
    assert (fields["reason_code"], fields["domain"], fields["account"]) == ("16", "CONTOSO", "CONTOSO\\bob")


def test_get_winevent_format_list_output() -> None:
    # PowerShell's "Get-WinEvent -FilterHashtable @{LogName='Security'; Id=6272,6273} | Format-List" default view
    # (TimeCreated, ProviderName, Id, Message; the message continued at the value column). Values are ours.
    from nps_trace_analyzer.intake.identify import identify

    path = DATA / "get_winevent_format_list.txt"
    raw = "\ufeff".encode("utf-16-le") + path.read_text(encoding="utf-8").encode("utf-16-le")
    assert identify("events.txt", raw[:8192], len(raw)).kind == "nps-eventlog-text"
    stats = TextReadStats()
    denied, granted = read_wevtutil_text(path, "events.txt", stats)
    assert (denied.event_id, granted.event_id) == (6273, 6272)
    assert denied.time == datetime(2025, 3, 12, 14, 4, 0, tzinfo=timezone.utc)
    fields = nps_audit_fields(denied)
    assert (fields["reason_code"], fields["user"], fields["account"]) == ("16", "bob", "CONTOSO\\bob")
    assert nps_audit_fields(granted)["user"] == "alice"
    assert stats.records_skipped == 0


def test_reflowed_copy_label_then_value_lines() -> None:
    """Web pages re-flow a copied event: each value on the line after its label, a blank line between. An empty
    field must not swallow the next label, and a value that itself holds a colon ("Microsoft: Secured ...") is a
    value, not a label."""
    text = (
        "Log Name:      Security\nSource:        Microsoft-Windows-Security-Auditing\n"
        "Date:          3/7/2014 12:55:51 PM\nEvent ID:      6273\nDescription:\n"
        "Network Policy Server denied access to a user.\n\nUser:\n\nSecurity ID:\nNULL SID\n\n"
        "Account Name:\nbob\n\nClient Machine:\n\nAccount Name:\n\nFully Qualified Account Name:\n\n"
        "Authentication Details:\n\nEAP Type:\nMicrosoft: Secured password (EAP-MSCHAP v2)\n\nReason Code:\n65\n"
    )
    (event,) = parse_wevtutil_text(text, "pasted.txt")
    assert event.get("SubjectUserName") == "bob"
    assert event.get("SubjectMachineName") == ""  # empty, not "Fully Qualified Account Name:"
    assert event.get("EAPType") == "Microsoft: Secured password (EAP-MSCHAP v2)"
    assert nps_audit_fields(event)["reason_code"] == "65"


def test_copy_without_log_name_or_section_titles() -> None:
    """A paste that starts at "Source:", has no Date, drops the "User:" title and joins section titles to their
    first field is still read: first labels belong to the User section, the event is kept without a time."""
    text = (
        "Source: Microsoft-Windows-Security-Auditing\nEvent ID: 6273\n"
        "Description: Network Policy Server denied access.\n"
        "Security ID: CONTOSO\\carol\nAccount Name: CONTOSO\\carol\nNAS: NAS IPv4 Address: 10.1.1.210\n"
        "Authentication Details: Reason Code: 48\n"
    )
    stats = TextReadStats()
    (event,) = parse_wevtutil_text(text, "pasted.txt", stats)
    assert event.time == FILETIME_EPOCH and "kept without a time" in "\n".join(stats.warnings)
    fields = nps_audit_fields(event)
    assert (fields["user"], fields["nas_ip"], fields["reason_code"]) == ("CONTOSO\\carol", "10.1.1.210", "48")


def test_look_alikes_of_a_copy_head_give_no_event() -> None:
    """A "Source:" line that opens no event (a citation, a config listing) yields nothing and never raises."""
    stats = TextReadStats()
    text = "Source: https://example.org/nps\nSee the article for details.\n"
    assert list(parse_wevtutil_text(text, "x", stats)) == []
    assert stats.records_skipped == 1


def _pasted(user: str, event_id: int, minute: int, *, head: str = "Source", xml: bool = False) -> str:
    """One Event Viewer copy as posts hold it, cut above ``head`` (its "Log Name:" line and anything before)."""
    lines = [
        "Log Name:      Security",
        "Source:        Microsoft-Windows-Security-Auditing",
        f"Date:          3/12/2025 2:{minute:02d}:00 PM",
        f"Event ID:      {event_id}",
        "Task Category: Network Policy Server",
        "Level:         Information",
        "Keywords:      Audit Failure",
        "User:          N/A",
        "Computer:      NPS01.contoso.com",
        "Description:",
        "Network Policy Server denied access to a user.",
        "",
        "User:",
        "\tSecurity ID:\t\t\tNULL SID",
        f"\tAccount Name:\t\t\t{user}",
        "Authentication Details:",
        "\tReason Code:\t\t\t16",
    ]
    cut = next(i for i, line in enumerate(lines) if line.startswith(head))
    body = "\n".join(lines[cut:]) + "\n"
    if xml:
        body += (
            'Event Xml:\n<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">\n<System>\n'
            f"<EventID>{event_id}</EventID>\n"
            f'<TimeCreated SystemTime="2025-03-12T13:{minute:02d}:00.0000000Z" />\n</System>\n<EventData>\n'
            f'<Data Name="SubjectUserName">{user}</Data>\n<Data Name="ReasonCode">16</Data>\n</EventData>\n</Event>\n'
        )
    return body


@pytest.mark.parametrize("head", ["Log Name", "Source", "Date", "Event ID"])
@pytest.mark.parametrize("xml", [False, True])
@pytest.mark.parametrize("separator", ["\n", "", "\n----------\n\n"])
def test_several_pasted_events_are_each_read(head: str, xml: bool, separator: str) -> None:
    """A post with several Event Viewer copies one after another, each cut above its "Log Name:" line (or not):
    every event is read on its own, none lost and none merged into the one before."""
    copies = [("alice", 6273, 1), ("bob", 6272, 2), ("carol", 6273, 3)]
    text = separator.join(_pasted(*c, head=head, xml=xml) for c in copies)
    stats = TextReadStats()
    events = list(parse_wevtutil_text(text, "pasted.txt", stats))
    assert [(e.event_id, e.get("SubjectUserName")) for e in events] == [(i, u) for u, i, _m in copies]
    dated = xml or head != "Event ID"  # a copy cut at "Event ID:" lost its Date: kept undated
    assert [e.time for e in events] == [
        (datetime(2025, 3, 12, 13 if xml else 14, m, tzinfo=timezone.utc) if dated else FILETIME_EPOCH)
        for _u, _i, m in copies
    ]
    assert stats.records_skipped == 0


def test_header_like_lines_inside_a_message_do_not_split_it() -> None:
    """One "Source:" line inside a message (not an event header: no run of header fields) stays in the message."""
    text = _pasted("alice", 4402, 1).replace(
        "Network Policy Server denied access to a user.", "Source: the domain controller\nSee below."
    )
    (event,) = parse_wevtutil_text(text, "pasted.txt")
    assert "Source: the domain controller" in event.text


def test_day_first_dates_decide_for_the_whole_file_and_ambiguity_is_said() -> None:
    """03/04/2026 is 3 April in a file whose other dates are day first (30/11/2026); alone it is read month first
    and a warning says the order could not be told (never mis-dated silently)."""
    first = _pasted("alice", 6273, 1).replace("3/12/2025 2:01:00 PM", "03/04/2026 14:03:07")
    second = _pasted("bob", 6273, 2).replace("3/12/2025 2:02:00 PM", "30/11/2026 14:03:07")
    events = list(parse_wevtutil_text(first + second, "pasted.txt"))
    assert [(e.time.month, e.time.day) for e in events] == [(4, 3), (11, 30)]
    stats = TextReadStats()
    (alone,) = parse_wevtutil_text(first, "pasted.txt", stats)
    assert (alone.time.month, alone.time.day) == (3, 4)
    assert any("day/month or month/day" in w for w in stats.warnings)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Hi, the events from our NPS:\n\n" + "\n".join(_pasted("alice", 6273, 1).splitlines()), "nps-eventlog-text"),
        ("\n".join("> " + ln for ln in _pasted("alice", 6273, 1, head="Log Name").splitlines()), "nps-eventlog-text"),
        ('<Event>\n <System>\n  <Provider Name="NPS"/>\n  <EventID>4402</EventID>\n </System>\n</Event>', "event-xml"),
        ('<Event><Timestamp data_type="4">11/30/2026 14:03:07.123</Timestamp></Event>', "iaslog"),
    ],
)
def test_pasted_events_below_a_note_and_bare_event_xml_are_recognised(text: str, kind: str) -> None:
    from nps_trace_analyzer.intake.identify import identify

    raw = text.encode("utf-8")
    assert identify("notes.txt", raw, len(raw)).kind == kind


def test_get_eventlog_format_list_output() -> None:
    from nps_trace_analyzer.intake.identify import identify

    # Get-EventLog -LogName Security/System | Format-List (the older cmdlet's default view: Index, EntryType,
    # InstanceId, Message, ..., Source, TimeGenerated). Values are ours; the property layout is the cmdlet's.
    text = (DATA / "get_eventlog_format_list.txt").read_text(encoding="utf-8")
    raw = text.encode("utf-16")
    assert identify("security.txt", raw, len(raw)).kind == "nps-eventlog-text"
    denied, nodc = parse_wevtutil_text(text, "security.txt")
    assert (denied.event_id, denied.channel, denied.level) == (6273, "Security", 0)
    assert denied.time == datetime(2025, 3, 12, 14, 4, tzinfo=timezone.utc)
    assert (nps_audit_fields(denied)["reason_code"], nps_audit_fields(denied)["user"]) == ("16", "bob")
    # InstanceId 0xC0001132: the id is its low 16 bits (4402), the qualifiers above them
    assert (nodc.event_id, nodc.channel, nodc.level, nodc.provider) == (4402, "System", 2, "NPS")


def test_copy_without_description_label_and_with_the_general_tab_source_name() -> None:
    """A copy whose message follows the header without a "Description:" line, and whose Source is the General
    tab's "Microsoft Windows security auditing." (the provider's display name), is read as the audit it is."""
    text = (
        "Log Name:      Security\nSource:        Microsoft Windows security auditing.\nEvent ID:      6273\n"
        "Level:         Information\nNetwork Policy Server denied access to a user.\n"
        "Contact the Network Policy Server administrator for more information.\nUser:\n"
        "\tSecurity ID:\t\t\tCONTOSO\\bob\n\tAccount Name:\t\t\tbob\nAuthentication Details:\n"
        "\tReason Code:\t\t\t16\n"
    )
    stats = TextReadStats()
    (event,) = parse_wevtutil_text(text, "pasted.txt", stats)
    assert (event.provider, event.channel, event.level) == ("Microsoft-Windows-Security-Auditing", "Security", 0)
    assert event.text.startswith("Network Policy Server denied access")
    assert (nps_audit_fields(event)["reason_code"], nps_audit_fields(event)["user"]) == ("16", "bob")
    assert not any("unrecognised header line" in w for w in stats.warnings)


def test_unknown_short_header_labels_are_not_taken_for_the_message() -> None:
    """A header label we do not know ("Correlation Id: ...") stays an unrecognised header line, and the message
    still starts at "Description:"."""
    text = "Log Name: System\nSource: NPS\nEvent ID: 4402\nCorrelation Id: 42\nDescription:\nThere is no DC.\n"
    stats = TextReadStats()
    (event,) = parse_wevtutil_text(text, "pasted.txt", stats)
    assert event.text == "There is no DC."
    assert any("unrecognised header line skipped: 'Correlation Id: 42'" in w for w in stats.warnings)


def test_copies_of_the_message_alone_are_read_by_their_title() -> None:
    """Selecting the General tab's text copies the message without any header: the title sentence tells the
    event id, each title starts the next event, and the events are kept undated with a warning."""
    from nps_trace_analyzer.intake.identify import identify

    denied = "\n".join(_pasted("alice", 6273, 1, head="Log Name").splitlines()[10:])
    granted = "\n".join(_pasted("bob", 6273, 2, head="Log Name").splitlines()[10:]).replace(
        "denied access", "granted access"
    )
    text = denied + "\n\n" + granted + "\n"
    raw = text.encode("utf-16")
    assert identify("message.txt", raw, len(raw)).kind == "nps-eventlog-text"
    stats = TextReadStats()
    first, second = parse_wevtutil_text(text, "message.txt", stats)
    assert [(e.event_id, e.get("SubjectUserName"), e.time) for e in (first, second)] == [
        (6273, "alice", FILETIME_EPOCH),
        (6272, "bob", FILETIME_EPOCH),
    ]
    assert first.provider == "Microsoft-Windows-Security-Auditing" and first.channel == "Security"
    assert nps_audit_fields(first)["reason_code"] == "16"
    assert any("kept without a time" in w for w in stats.warnings)


def _reflowed(text: str) -> str:
    """Every header "Label: value" split over two lines with blank lines between, as web pages re-flow copies."""
    out: list[str] = []
    for line in text.splitlines():
        label, sep, value = line.partition(":")
        if sep and value.strip() and not line.startswith(("\t", "Description")):
            out += [label + ":", value.strip()]
        else:
            out.append(line)
    return "\n\n".join(out)


@pytest.mark.parametrize(
    "posting",
    [
        pytest.param(lambda t: "\n".join("> " + line if line else ">" for line in t.splitlines()), id="quoted"),
        pytest.param(lambda t: t.replace(" ", "\u00a0").replace("\t", "\u00a0\u00a0"), id="no-break-spaces"),
        pytest.param(_reflowed, id="header-reflowed"),
    ],
)
def test_what_posting_does_to_a_copy_is_undone(posting: Any) -> None:
    """Posts quote copies ("> Log Name: ..."), pages turn spaces into no-break spaces and re-flow every label and
    value onto lines of their own: both events are still read whole."""
    text = _pasted("alice", 6273, 1, head="Log Name") + "\n" + _pasted("bob", 6272, 2, head="Log Name")
    events = list(parse_wevtutil_text(posting(text), "post.txt"))
    assert [(e.event_id, e.get("SubjectUserName"), e.computer, e.time.minute) for e in events] == [
        (6273, "alice", "NPS01.contoso.com", 1),
        (6272, "bob", "NPS01.contoso.com", 2),
    ]
    assert nps_audit_fields(events[0])["reason_code"] == "16"
