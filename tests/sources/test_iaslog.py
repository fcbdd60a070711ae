"""NPS accounting logs: database-compatible CSV, DTS-XML, IAS format; request/answer pairing; evidence rows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from nps_trace_analyzer.sources.iaslog import (
    DBCSV_FIELDS,
    PAIR_WINDOW,
    RadiusLogRecord,
    classify_line,
    detect_nps_log_format,
    pair_requests,
    parse_nps_log,
    read_nps_log,
    to_events,
)
from nps_trace_analyzer.sources.text_decode import TextReadStats
from nps_trace_analyzer.synth.textfiles import render_dbcsv_row, write_dbcsv, write_dtsxml

DATA = Path(__file__).resolve().parents[1] / "data" / "text" / "npslog"
UTC = timezone.utc


def _read(name: str) -> tuple[list[RadiusLogRecord], TextReadStats]:
    stats = TextReadStats()
    return list(read_nps_log(DATA / name, name, stats)), stats


def test_field_order_is_the_documented_header() -> None:
    assert len(DBCSV_FIELDS) == 66
    assert DBCSV_FIELDS[:6] == ("ComputerName", "ServiceName", "Record-Date", "Record-Time", "Packet-Type", "User-Name")
    assert DBCSV_FIELDS.index("Authentication-Type") == 23
    assert DBCSV_FIELDS.index("Reason-Code") == 25
    assert DBCSV_FIELDS[-1] == "MS-RAS-Client-Version"


def test_technet_example_rows() -> None:
    records, stats = _read("IN2405.log")
    assert stats.formats == {"dbcsv": 14}
    assert (stats.records_read, stats.records_skipped) == (14, 0)
    request, accept = records[:2]
    assert request.time == datetime(2008, 3, 7, 13, 4, 33, tzinfo=UTC)
    assert (request.server, request.service, request.packet_type, request.packet_type_name) == (
        "CLIENTCOMP",
        "IAS",
        1,
        "Access-Request",
    )
    assert (request.user, request.client_ip, request.client_friendly_name) == ("client", "10.10.10.10", "npsclient")
    assert (request.auth_type, request.auth_type_name, request.reason_code) == (1, "PAP", 0)
    assert request.class_attr == ""
    assert accept.packet_type_name == "Access-Accept"
    assert accept.user == ""  # NPS writes User-Name only on the request row
    assert accept.fq_user == "npsclientdc/Users/client"
    assert accept.policy_name == "Allow access if dial-in permission is enabled"
    assert accept.class_attr == "311 1 10.10.10.11 03/07/2008 20:04:30 1"
    assert (accept.line, accept.log_format) == (2, "dbcsv")
    assert ("Class", accept.class_attr) in accept.fields
    assert any("local time" in w for w in stats.warnings)


def test_pairing_of_the_hand_written_log() -> None:
    records, _ = _read("IN2405.log")
    txns = pair_requests(records)
    summary = [(t.user, t.outcome, t.auth_type_name, t.reason_code) for t in txns]
    assert summary == [
        ("client", "accept", "PAP", 0),
        ("alice@contoso.com", "challenge", "PAP", 0),
        ("alice@contoso.com", "accept", "PAP", 0),
        ("alice@contoso.com", "accounting", "", None),
        ("bob@contoso.com", "reject", "MS-CHAP v2", 21),
        ("CONTOSO\\carol", "reject", "PEAP", 16),
        ("dave@contoso.com", "accept", "MS-CHAP v2", 0),
        ("dave@contoso.com", "no-response", "MS-CHAP v2", None),  # the NAS's retransmission
    ]
    assert txns[2].duration == timedelta(seconds=1)
    assert txns[4].policy_name == "VPN users"
    assert all(t.matched_on == "user" for t in txns if t.request and t.response)


def test_dirty_csv_skips_and_warns() -> None:
    records, stats = _read("IN2405_dirty.log")
    assert stats.encoding in ("utf-8", "cp1252")
    assert (stats.records_read, stats.records_skipped) == (6, 3)
    assert [r.line for r in records] == [1, 5, 6]
    text = "\n".join(stats.warnings)
    assert "line 2: not a dbcsv record" in text
    assert "line 3: not a dbcsv record" in text  # too few fields
    assert "line 4: bad Record-Date/Record-Time" in text
    assert "line 6: 68 fields" in text
    assert records[2].user == "alice@contoso.com"


def test_dts_xml() -> None:
    records, stats = _read("IN2405_dts.log")
    assert stats.formats == {"dtsxml": 4}
    assert (stats.records_read, stats.records_skipped, stats.lines_skipped) == (4, 0, 0)
    request, accept, bob_request, bob_reject = records
    assert request.time == datetime(2024, 5, 2, 10, 11, 5, 120000, tzinfo=UTC)
    assert (request.user, request.fq_user, request.nas_identifier, request.calling_station_id) == (
        "alice@contoso.com",
        "CONTOSO\\alice",
        "VPN01",
        "203.0.113.45",
    )
    assert request.proxy_policy_name == "Use Windows authentication for all users"
    assert [v for n, v in request.fields if n == "Vendor-Specific"] == [
        "000039E7050974657374526164",
        "000039E7061332343A66",
    ]
    assert accept.time == datetime(2024, 5, 2, 10, 11, 31, 4000, tzinfo=UTC)  # pretty-printed, whitespace stripped
    assert accept.policy_name == "VPN users & contractors"
    assert accept.line == 2
    assert bob_request.line == 18
    assert bob_reject.reason_code == 21
    outcomes = [(t.user, t.outcome, t.auth_type_name) for t in pair_requests(records)]
    assert outcomes == [("alice@contoso.com", "accept", "PAP"), ("bob@contoso.com", "reject", "MS-CHAP v2")]


def test_dirty_dts() -> None:
    records, stats = _read("IN2405_dts_dirty.log")
    assert [r.line for r in records] == [1, 4]
    assert (stats.records_read, stats.records_skipped, stats.lines_skipped) == (4, 2, 1)
    text = "\n".join(stats.warnings)
    assert "line 2: text between <Event> elements" in text
    assert "line 3: <Event> without a valid Timestamp" in text
    assert "line 4: malformed <Event> element repaired" in text
    assert "line 5: unterminated <Event> element" in text


def test_ias_format() -> None:
    records, stats = _read("iaslog_ias.log")
    assert stats.formats == {"ias": 3}
    request, reject, no_type = records
    assert (request.server, request.service, request.user) == ("RAJESHP2", "IAS", "rajeshp")
    assert (request.client_ip, request.client_friendly_name, request.nas_ip) == (
        "172.31.230.187",
        "rajeshp3",
        "172.31.230.187",
    )
    assert request.fq_user == "RAJESHP2\\rajeshp"  # SAM-Account-Name (4129)
    assert (request.packet_type, request.reason_code) == (1, 0)
    assert request.calling_station_id == "172.31.225.108"
    assert ("Tunnel-Client-Endpt", "172.31.225.108") in request.fields
    assert (reject.packet_type_name, reject.reason_code, reject.fq_user) == ("Access-Reject", 16, "RAJESHP2\\rajeshp")
    assert no_type.packet_type is None
    assert ("Calling-Station-Id", "1") in no_type.fields
    outcomes = sorted(t.outcome for t in pair_requests(records))
    assert outcomes == ["other", "reject"]


@pytest.mark.parametrize(
    ("name", "kind"), [("IN2405.log", "dbcsv"), ("IN2405_dts.log", "dtsxml"), ("iaslog_ias.log", "ias")]
)
def test_detect_format(name: str, kind: str) -> None:
    assert detect_nps_log_format((DATA / name).read_text(encoding="utf-8")) == kind


def test_classify_rejects_other_text() -> None:
    assert classify_line("Windows Registry Editor Version 5.00") == ""
    assert classify_line("a,b,c,d,e,f,g") == ""
    stats = TextReadStats()
    assert list(parse_nps_log("hello\nworld\n", "x.log", stats)) == []
    assert stats.error.startswith("not an NPS log")


def test_unreadable_file(tmp_path: Path) -> None:
    stats = TextReadStats()
    assert list(read_nps_log(tmp_path / "IN0000.log", "IN0000.log", stats)) == []
    assert stats.error


def test_day_first_dates_are_recognised() -> None:
    row = render_dbcsv_row(
        {"ComputerName": "NPS1", "Record-Date": "25/12/2024", "Record-Time": "08:00:00", "Packet-Type": 1}
    )
    stats = TextReadStats()
    (record,) = parse_nps_log(row + "\n", "IN.log", stats)
    assert record.time == datetime(2024, 12, 25, 8, 0, tzinfo=UTC)
    assert any("day-first" in w for w in stats.warnings)


T0 = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)


def _row(offset: float, packet_type: int, **fields: object) -> dict[str, object]:
    return {
        "ComputerName": "NPS01",
        "time": T0 + timedelta(seconds=offset),
        "Packet-Type": packet_type,
        "Client-IP-Address": "10.0.0.5",
        "Client-Friendly-Name": "vpn01",
        **fields,
    }


def test_writer_round_trip_dbcsv(tmp_path: Path) -> None:
    rows = [
        _row(0, 1, **{"User-Name": 'o"neil@contoso.com', "Authentication-Type": 1, "NAS-IP-Address": "10.0.0.5"}),
        _row(
            2, 3, **{"Fully-Qualified-Distinguished-Name": 'CONTOSO\\o"neil', "Reason-Code": 21, "Policy-Name": "A, B"}
        ),
    ]
    path = write_dbcsv(tmp_path / "IN2405.log", rows)
    assert path.read_bytes().count(b"\r\n") == 2
    assert path.read_text().splitlines()[0].count(",") == 65
    request, reject = read_nps_log(path, "IN2405.log")
    assert request.user == 'o"neil@contoso.com'
    assert request.time == T0
    assert reject.policy_name == "A, B"
    assert reject.fq_user == 'CONTOSO\\o"neil'
    (txn,) = pair_requests([request, reject])
    assert (txn.outcome, txn.reason_code, txn.matched_on) == ("reject", 21, "user")


def test_writer_round_trip_dtsxml(tmp_path: Path) -> None:
    rows = [
        _row(0.5, 1, **{"User-Name": "a<b>&c", "Authentication-Type": 4}),
        _row(1.25, 2, **{"SAM-Account-Name": "CONTOSO\\a<b>&c", "NP-Policy-Name": "VPN"}),
    ]
    path = write_dtsxml(tmp_path / "IN2405.xml.log", rows)
    request, accept = read_nps_log(path, "IN2405.xml.log")
    assert request.user == "a<b>&c"
    assert request.time == T0 + timedelta(milliseconds=500)
    assert accept.fq_user == "CONTOSO\\a<b>&c"
    assert (request.auth_type_name, accept.policy_name) == ("MS-CHAP v2", "VPN")


def _rec(offset: float, packet_type: int, user: str = "", fq_user: str = "", **kw: str) -> RadiusLogRecord:
    return RadiusLogRecord(
        time=T0 + timedelta(seconds=offset),
        server="NPS01",
        packet_type=packet_type,
        user=user,
        nas_ip=kw.get("nas_ip", ""),
        nas_identifier="",
        client_ip=kw.get("client_ip", "10.0.0.5"),
        client_friendly_name="vpn01",
        auth_type=4,
        eap_type="",
        policy_name="",
        reason_code=0 if packet_type != 1 else None,
        class_attr="",
        source_file="IN.log",
        line=int(offset * 10),
        fq_user=fq_user,
    )


def test_interleaved_users_pair_by_user_not_by_order() -> None:
    records = [
        _rec(0, 1, "alice@contoso.com"),
        _rec(1, 1, "bob@contoso.com"),
        _rec(3, 3, fq_user="CONTOSO\\bob"),  # bob answered first (alice is still approving a push)
        _rec(40, 2, fq_user="CONTOSO\\alice"),
    ]
    txns = pair_requests(records)
    assert [(t.user, t.outcome) for t in txns] == [("alice@contoso.com", "accept"), ("bob@contoso.com", "reject")]


def test_answers_outside_window_or_from_another_nas_are_not_paired() -> None:
    late = PAIR_WINDOW.total_seconds() + 1
    txns = pair_requests([_rec(0, 1, "alice"), _rec(late, 2, fq_user="CONTOSO\\alice")])
    assert sorted(t.outcome for t in txns) == ["no-response", "orphan-response"]
    txns = pair_requests([_rec(0, 1, "alice", nas_ip="10.0.0.5"), _rec(1, 2, nas_ip="10.0.0.9")])
    assert sorted(t.outcome for t in txns) == ["no-response", "orphan-response"]
    txns = pair_requests([_rec(0, 1, "alice", client_ip="10.0.0.5"), _rec(1, 2, client_ip="10.0.0.6")])
    assert sorted(t.outcome for t in txns) == ["no-response", "orphan-response"]
    txns = pair_requests([_rec(0, 1, "alice"), _rec(1, 2)])  # no user on the answer: same client is enough
    assert [(t.outcome, t.matched_on) for t in txns] == [("accept", "client")]


def test_to_events() -> None:
    records, _ = _read("IN2405.log")
    events = list(to_events(records))
    assert len(events) == len(records)
    reject = events[7]
    assert (reject.channel, reject.source_kind, reject.event_id, reject.record_id) == ("NPS-Accounting", "iaslog", 3, 8)
    assert reject.provider == "IAS"
    assert reject.computer == "NPS01"
    assert reject.get("Reason-Code") == "21"
    assert reject.text == (
        "Access-Reject, user CONTOSO\\bob, from RADIUS client vpn01 (10.0.0.5), NAS VPN01, auth MS-CHAP v2, "
        "policy 'VPN users', reason code 21"
    )


# Three rows of a real DTS-compliant NPS log (802.1X machine authentication, May 2014) as published with
# macmule.com's blog material in a public GitHub repository; copied byte for byte except that the rows were
# taken out of the surrounding page. Row 1: Access-Reject reason 8 (no such user) for a machine account whose
# answer row carries only the Fully-Qualifed-User-Name (Windows' own spelling); rows 2-3: Access-Request and its
# Access-Challenge (PEAP, auth type 5).
REAL_DTS = Path(__file__).resolve().parents[1] / "data" / "text" / "npslog" / "IN1405_dts_macmule.log"


def test_real_dts_rows() -> None:
    stats = TextReadStats()
    records = list(read_nps_log(REAL_DTS, "IN1405.log", stats))
    assert [(r.packet_type, r.reason_code, r.auth_type) for r in records] == [(3, 8, 5), (1, 0, 5), (11, 0, 5)]
    assert records[0].fq_user == "DOMAIN\\ComputerName.domain.com"  # read from the misspelt attribute name
    assert records[1].user == "ComputerName$" and records[1].calling_station_id == "b8-e8-56-36-b6-58"
    assert records[0].time == datetime(2014, 5, 19, 15, 21, 44, 8000, tzinfo=timezone.utc)
    assert (stats.records_read, stats.records_skipped) == (3, 0)
    transactions = pair_requests(records)
    paired = [t for t in transactions if t.request is not None and t.response is not None]
    assert len(paired) == 1 and paired[0].response is not None and paired[0].response.packet_type == 11


def test_accounting_rows_are_never_system_events() -> None:
    # An accounting row names its service "IAS" and carries the packet type as its id; packet type 13 must not
    # read as the NPS System event 13 ("invalid RADIUS client").
    from nps_trace_analyzer.extract.nps_audit import system_code

    row = RadiusLogRecord(
        time=datetime(2014, 5, 19, tzinfo=timezone.utc),
        server="NPSServer",
        packet_type=13,
        user="",
        nas_ip="",
        nas_identifier="",
        client_ip="10.255.100.1",
        client_friendly_name="WLANCON",
        auth_type=None,
        eap_type="",
        policy_name="",
        reason_code=None,
        class_attr="",
        source_file="IN1405.log",
        line=1,
        log_format="dtsxml",
    )
    (event,) = to_events([row])
    assert event.provider == "IAS" and event.event_id == 13
    assert system_code(event) is None
