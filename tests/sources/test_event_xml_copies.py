"""Event XML as people paste it: a redacted TimeCreated and a copy cut before its closing </Event>."""

from __future__ import annotations

from nps_trace_analyzer.core.wintime import FILETIME_EPOCH
from nps_trace_analyzer.sources.event_xml import parse_event_xml
from nps_trace_analyzer.sources.text_decode import TextReadStats

_SYSTEM = (
    '<Provider Name="Microsoft-Windows-Security-Auditing" /><EventID>{eid}</EventID>'
    '<TimeCreated SystemTime="{ts}" /><Channel>Security</Channel><Computer>NPS01</Computer>'
)


def _event(eid: int, ts: str, close: bool = True) -> str:
    data = '<EventData><Data Name="SubjectUserName">dave</Data><Data Name="ReasonCode">16</Data></EventData>'
    return f"<Event><System>{_SYSTEM.format(eid=eid, ts=ts)}</System>{data}" + ("</Event>" if close else "")


def test_redacted_time_keeps_the_record_without_a_time() -> None:
    stats = TextReadStats()
    (event,) = parse_event_xml(_event(6273, "XXXX 07:22:15.3559155"), "x.xml", stats)
    assert (event.event_id, event.get("SubjectUserName"), event.time) == (6273, "dave", FILETIME_EPOCH)
    assert stats.last_time is None and "TimeCreated unreadable" in "\n".join(stats.warnings)


def test_truncated_last_event_is_read_and_earlier_ones_stay_whole() -> None:
    text = _event(6272, "2024-05-02T10:11:12Z") + "\n" + _event(6273, "2024-05-02T10:11:13Z", close=False)
    events = list(parse_event_xml(text, "x.xml"))
    assert [(e.event_id, e.get("ReasonCode")) for e in events] == [(6272, "16"), (6273, "16")]


def test_no_event_id_is_still_skipped() -> None:
    stats = TextReadStats()
    assert list(parse_event_xml("<Event><System><EventID>x</EventID></System></Event>", "x.xml", stats)) == []
    assert stats.records_skipped == 1
