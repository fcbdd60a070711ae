"""Forwarded events (and some exports) carry the rendered sentence in <RenderingInfo><Message> beside bare insertion
strings in <EventData>: the reader keeps it (data name ``RenderedMessage``), so the grammar can read the sentence."""

from __future__ import annotations

from nps_trace_analyzer.analysis.findings import findings_for
from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.sources.evtx_source import RENDERED_MESSAGE, _event_from_json, _event_from_xml

CID = "32e83cbf-484d-49aa-9adb-71528f5eb94d"
STATE = "300c9d6c-7734-4165-83d3-212e73aee286"
SENTENCE = (
    f"NPS Extension for Azure MFA: CID: {CID} : Challenge requested in Authentication Ext "
    f"for User bob with state {STATE}"
)
STAMP = "2025-03-12T09:00:00.000000Z UTC"


def test_xml_rendering_info_message_is_kept() -> None:
    xml = (
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        '<Provider Name="Microsoft-AzureMfa-AuthZ"/><EventID>1</EventID><Level>4</Level>'
        "<Channel>Microsoft-AzureMfa-AuthZ/AuthZOptCh</Channel><Computer>NPS01</Computer></System>"
        f"<EventData><Data>{CID}</Data><Data>bob</Data><Data>{STATE}</Data></EventData>"
        f'<RenderingInfo Culture="en-US"><Message>{SENTENCE}</Message><Level>Information</Level></RenderingInfo>'
        "</Event>"
    )
    event = _event_from_xml(xml, 1, STAMP, "AuthZOptCh.evtx")
    assert event.data[-1] == (RENDERED_MESSAGE, SENTENCE)
    (finding,) = findings_for(event, load_catalog())
    assert finding.code == "CHALLENGE_REQUESTED"
    assert (finding.attrs["user"], finding.attrs["cid"], finding.attrs["state"]) == ("bob", CID, STATE)


def test_json_rendering_info_message_is_kept() -> None:
    doc = {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-AzureMfa-AuthZ"}},
                "EventID": 1,
                "Level": 4,
                "Channel": "ForwardedEvents",
                "Computer": "NPS01",
            },
            "EventData": {"Data": {"#text": [CID, "bob"]}},
            "RenderingInfo": {"Message": "Challenge requested in Authentication Ext for User bob"},
        }
    }
    event = _event_from_json(doc, 1, STAMP, "ForwardedEvents.evtx")
    assert (RENDERED_MESSAGE, "Challenge requested in Authentication Ext for User bob") in event.data
    (finding,) = findings_for(event, load_catalog())
    assert (finding.code, finding.attrs["user"], finding.attrs["cid"]) == ("CHALLENGE_REQUESTED", "bob", CID)


def test_no_rendering_info_no_extra_item() -> None:
    doc = {"Event": {"System": {"EventID": 1, "Channel": "AuthZOptCh"}, "EventData": {"Data": {"#text": ["x"]}}}}
    assert _event_from_json(doc, 1, STAMP, "f.evtx").data == ((None, "x"),)
