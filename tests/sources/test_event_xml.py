"""XML event exports (Event Viewer "Save All Events As... XML", ``wevtutil qe /f:xml``) read like the .evtx.

Test data: ``tests/data/text/event_xml/Security_export.xml`` is a 6272 written by us in the shape Windows gives it
— System fields as the real 6273 XML posted on Microsoft Q&A 2617618 shows them (Provider Name and GUID,
Version 1, Level 0, Task 12552, Keywords, Channel Security), named EventData, and the ``RenderingInfo`` block
(Culture, Message, Level, Task, Keywords, Provider display name) that Event Viewer's XML export appends.
https://learn.microsoft.com/en-us/answers/questions/2617618/network-policy-server-no-domain-controller-availab
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from nps_trace_analyzer.extract.nps_audit import is_nps_audit, nps_audit_fields
from nps_trace_analyzer.intake.identify import identify
from nps_trace_analyzer.sources.event_xml import parse_event_xml, read_event_xml
from nps_trace_analyzer.sources.text_decode import TextReadStats

EXPORT = Path(__file__).resolve().parents[1] / "data" / "text" / "event_xml" / "Security_export.xml"
CHALLENGE = (
    "NPS Extension for Azure MFA: CID: 32e83cbf-484d-49aa-9adb-71528f5eb94d : Challenge requested in "
    "Authentication Ext for User alice@contoso.com with state 300c9d6c-7734-4165-83d3-212e73aee286"
)
NS = "http://schemas.microsoft.com/win/2004/08/events/event"


def test_event_viewer_xml_export() -> None:
    raw = EXPORT.read_bytes()
    assert identify("Security.xml", raw[:8192], len(raw)).kind == "event-xml"
    assert identify("export.xml", raw[:8192], len(raw)).role == "Security"  # the content names the log
    stats = TextReadStats()
    (event,) = read_event_xml(EXPORT, "Security.xml", stats)
    assert (event.event_id, event.level, event.record_id, event.channel) == (6272, 0, 4711, "Security")
    assert event.time == datetime(2025, 3, 12, 13, 4, 25, 552214, tzinfo=timezone.utc)
    assert event.text == "Network Policy Server granted access to a user."  # RenderingInfo's Message
    assert is_nps_audit(event)
    fields = nps_audit_fields(event)
    assert (fields["user"], fields["auth_type"], fields["quarantine_state"]) == ("CONTOSO\\alice", "PAP", "Full Access")


def test_wevtutil_xml_without_root_utf16_and_a_damaged_record() -> None:
    good = (
        f'<Event xmlns="{NS}"><System><Provider Name="Microsoft-AzureMfa-AuthZ" /><EventID>1</EventID>'
        "<Level>4</Level><TimeCreated SystemTime='2025-03-12T13:04:00.1714270Z' /><EventRecordID>9</EventRecordID>"
        f"<Channel>Microsoft-AzureMfa-AuthZ/AuthZOptCh</Channel><Computer>NPS01</Computer></System>"
        f"<EventData><Data>{CHALLENGE}</Data></EventData></Event>"
    )
    damaged = f'<Event xmlns="{NS}"><System><EventID>x</EventID></System></Event>'
    text = good + "\r\n" + damaged + "\r\n"
    raw = ("\ufeff" + text).encode("utf-16-le")
    ident = identify("AuthZ.xml", raw[:8192], len(raw))
    assert (ident.kind, ident.role) == ("event-xml", "AuthZOptCh")
    stats = TextReadStats()
    (event,) = parse_event_xml(text, "AuthZ.xml", stats)
    assert (stats.records_read, stats.records_skipped) == (2, 1)
    assert event.text == CHALLENGE and event.data == ((None, CHALLENGE),)
    assert event.time == datetime(2025, 3, 12, 13, 4, 0, 171427, tzinfo=timezone.utc)


def test_entities_are_not_resolved() -> None:
    hostile = (
        '<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<Event xmlns="{NS}"><System><EventID>1</EventID><TimeCreated SystemTime="2025-03-12T13:04:00Z" />'
        "</System><EventData><Data>&x;</Data></EventData></Event>"
    )
    for event in parse_event_xml(hostile, "x.xml"):
        assert "root:" not in event.text
