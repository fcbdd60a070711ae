"""End to end on a synthetic netsh-style trace: NDIS 1001 events in an ETL file -> packets -> findings.

The trace holds an MFA challenge flow with NAS retransmissions (answered after the NAS retried), an
EAP-TLS challenge too large for one frame (IPv4 fragments), frames logged at two NDIS layers, DNS for the
Entra endpoints, and TCP/TLS connections that succeed, are refused or are never answered.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from nps_trace_analyzer.net import radius as rad
from nps_trace_analyzer.net.capture_summary import is_mfa_endpoint, summarize
from nps_trace_analyzer.sources.etl import EtlStats
from nps_trace_analyzer.sources.etl.packets import PacketStats, iter_file_packets
from nps_trace_analyzer.synth.etl import frames as F
from nps_trace_analyzer.synth.etl.capture import ndis_events
from nps_trace_analyzer.synth.etl.writer import EtlWriter, datetime_to_filetime

NAS, NPS, DNS_SERVER, LOGIN = "10.0.0.1", "10.0.0.10", "10.0.0.53", "20.190.160.1"
START = datetime_to_filetime(datetime(2024, 9, 3, 8, 0, tzinfo=timezone.utc))
SEC = 10_000_000
AUTH1, AUTH2, AUTH3 = bytes([1]) * 16, bytes([2]) * 16, bytes([3]) * 16


def _build(path, compressed=False):
    w = EtlWriter(START, compressed=compressed, processors=2)
    t = START

    def add(frame, at, direction="in", both_layers=False, cpu=0):
        w.extend(ndis_events(frame, at, direction=direction, processor=cpu, lower=7))
        if both_layers:  # the same frame again at the physical NIC below the filter
            w.extend(ndis_events(frame, at + 30, direction=direction, processor=cpu, lower=3))

    pap = [
        (rad.USER_NAME, b"alice@contoso.com"),
        (rad.USER_PASSWORD, bytes(16)),
        (rad.NAS_IP_ADDRESS, bytes([10, 0, 0, 1])),
        (rad.NAS_IDENTIFIER, b"vpn-gw-1"),
    ]
    req = F.udp_frame(NAS, NPS, 50000, 1812, F.radius(1, 17, AUTH1, pap), ip_id=1)
    add(req, t, both_layers=True)
    add(F.udp_frame(NAS, NPS, 50000, 1812, F.radius(1, 17, AUTH1, pap), ip_id=2), t + 3 * SEC)  # retransmit
    add(F.udp_frame(NAS, NPS, 50000, 1812, F.radius(1, 17, AUTH1, pap), ip_id=3), t + 6 * SEC)  # retransmit
    challenge = F.radius(11, 17, AUTH3, [(rad.STATE, b"MFA-STATE-1"), (rad.REPLY_MESSAGE, b"Enter code")])
    add(F.udp_frame(NPS, NAS, 1812, 50000, challenge, ip_id=9), t + 7 * SEC + 5_000_000, direction="out", cpu=1)
    otp = [
        *pap[:1],
        (rad.USER_PASSWORD, bytes(16)),
        (rad.STATE, b"MFA-STATE-1"),
        (rad.MESSAGE_AUTHENTICATOR, bytes(16)),
    ]
    add(F.udp_frame(NAS, NPS, 50000, 1812, F.radius(1, 18, AUTH2, otp), ip_id=4), t + 30 * SEC)
    add(F.udp_frame(NPS, NAS, 1812, 50000, F.radius(2, 18, AUTH3, []), ip_id=10), t + 30 * SEC + 2_000_000, "out")

    # EAP-TLS: an Access-Challenge of ~3 kB travels as IPv4 fragments.
    eap_req = bytes([2, 1, 0, 10, 1]) + b"bob@x"
    add(F.udp_frame(NAS, NPS, 50001, 1812, F.radius(1, 40, AUTH2, F.eap_attributes(eap_req)), ip_id=5), t + 40 * SEC)
    eap_tls = bytes([1, 2, 0x0B, 0xB8, 13]) + bytes(2995)
    big = F.radius(11, 40, AUTH3, [*F.eap_attributes(eap_tls), (rad.MESSAGE_AUTHENTICATOR, bytes(16))])
    packet = F.ip_packet(NPS, NAS, 17, F.udp(NPS, NAS, 1812, 50001, big), ip_id=11)
    for i, frag in enumerate(F.ipv4_fragments(packet)):
        add(F.ethernet(frag), t + 40 * SEC + 100_000 + i, direction="out")
    # an answer to a request never seen (capture started late)
    add(F.udp_frame(NPS, NAS, 1812, 50002, F.radius(3, 99, AUTH3, []), ip_id=12), t + 1000, "out")

    # DNS
    add(F.udp_frame(NPS, DNS_SERVER, 53001, 53, F.dns_query(1, "login.microsoftonline.com")), t + 50 * SEC, "out")
    add(
        F.udp_frame(DNS_SERVER, NPS, 53, 53001, F.dns_response(1, "login.microsoftonline.com", [LOGIN])),
        t + 50 * SEC + 9000,
    )
    add(
        F.udp_frame(NPS, DNS_SERVER, 53002, 53, F.dns_query(2, "adnotifications.windowsazure.com")), t + 51 * SEC, "out"
    )
    add(
        F.udp_frame(DNS_SERVER, NPS, 53, 53002, F.dns_response(2, "adnotifications.windowsazure.com", [], 3)),
        t + 51 * SEC + 9000,
    )
    add(F.udp_frame(NPS, DNS_SERVER, 53003, 53, F.dns_query(3, "credentials.azure.com")), t + 52 * SEC, "out")

    # TCP/TLS: login answered with TLS 1.2; another endpoint never answers; one refuses.
    add(F.tcp_frame(NPS, LOGIN, 60000, 443, 0x02), t + 53 * SEC, "out")
    add(F.tcp_frame(LOGIN, NPS, 443, 60000, 0x12), t + 53 * SEC + 20_000)
    hello = F.tls_client_hello("login.microsoftonline.com", (0x0303,))
    add(F.tcp_frame(NPS, LOGIN, 60000, 443, 0x18, hello), t + 53 * SEC + 30_000, "out")
    add(F.tcp_frame(LOGIN, NPS, 443, 60000, 0x18, F.tls_server_hello(0x0303)), t + 53 * SEC + 60_000)
    for k in range(3):
        add(F.tcp_frame(NPS, "40.1.2.3", 60001, 443, 0x02), t + (54 + 3 * k) * SEC, "out")
    add(F.tcp_frame(NPS, "40.1.2.4", 60002, 443, 0x02), t + 60 * SEC, "out")
    add(F.tcp_frame("40.1.2.4", NPS, 443, 60002, 0x14), t + 60 * SEC + 10_000)
    add(
        F.tcp_frame(
            NPS, "40.1.2.5", 60003, 443, 0x18, F.tls_client_hello("strongauthenticationservice.auth.microsoft.com")
        ),
        t + 61 * SEC,
        "out",
    )
    add(F.tcp_frame("40.1.2.5", NPS, 443, 60003, 0x18, F.tls_alert(40)), t + 61 * SEC + 10_000)
    with open(path, "wb") as fh:
        w.write(fh)


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "compressed"])
def summary(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("cap") / "nettrace.etl"
    _build(path, compressed=request.param)
    estats, pstats = EtlStats(), PacketStats()
    result = summarize(iter_file_packets(str(path), estats, pstats))
    assert estats.skipped == 0 and estats.out_of_order == 0
    assert pstats.duplicates == 1  # the request logged at a second NDIS layer
    return result


def test_challenge_flow_with_retransmissions(summary):
    first, second, _eap = summary.radius
    assert (first.nas, first.nas_port, first.server, first.server_port, first.identifier) == (NAS, 50000, NPS, 1812, 17)
    assert (first.user_name, first.protocol, first.nas_ip, first.nas_identifier) == (
        "alice@contoso.com",
        rad.AuthProtocol.PAP,
        "10.0.0.1",
        "vpn-gw-1",
    )
    assert first.retransmissions == 2 and first.retry_interval == pytest.approx(3.0)
    assert first.response_name == "Access-Challenge" and first.response_delay == pytest.approx(7.5)
    assert first.answered_after_retry and first.response_state == "MFA-STATE-1"
    assert first.reply_message == "Enter code"
    assert not first.has_message_authenticator and not first.follows_challenge
    assert second.state == "MFA-STATE-1" and second.follows_challenge
    assert second.has_message_authenticator and second.response_name == "Access-Accept"
    assert second.retransmissions == 0 and not second.answered_after_retry
    assert second.response_delay == pytest.approx(0.2)
    assert first.request_time == datetime(2024, 9, 3, 8, 0, tzinfo=timezone.utc)


def test_fragmented_eap_tls_challenge(summary):
    eap = summary.radius[2]
    assert (eap.protocol, eap.eap_type, eap.user_name) == (rad.AuthProtocol.EAP, 1, None)
    assert eap.response_name == "Access-Challenge" and eap.response_eap_type == 13
    assert eap.eap_type_name == "TLS"
    assert summary.orphan_radius_responses == 1


def test_dns(summary):
    by_name = {q.name: q for q in summary.dns}
    ok, nx, lost = (
        by_name["login.microsoftonline.com"],
        by_name["adnotifications.windowsazure.com"],
        by_name["credentials.azure.com"],
    )
    assert ok.answers == [("A", LOGIN)] and ok.rcode_name == "NOERROR" and ok.mfa_endpoint
    assert ok.response_delay == pytest.approx(0.0009)
    assert nx.rcode_name == "NXDOMAIN" and nx.answers == []
    assert not lost.answered and lost.rcode is None


def test_tcp_and_tls(summary):
    by_server = {a.server: a for a in summary.tcp}
    assert by_server[LOGIN].outcome == "synack" and by_server[LOGIN].server_name == "login.microsoftonline.com"
    assert by_server[LOGIN].mfa_endpoint
    assert by_server["40.1.2.3"].outcome == "no-answer" and by_server["40.1.2.3"].syn_retransmissions == 2
    assert by_server["40.1.2.4"].outcome == "rst"
    login, failed = summary.tls
    assert (login.sni, login.client_versions, login.server_version_name) == (
        "login.microsoftonline.com",
        (0x0303,),
        "TLS 1.2",
    )
    assert login.completed_hello and login.alerts == []
    assert failed.mfa_endpoint and failed.alerts == [("server", "handshake_failure", True)]
    assert not failed.completed_hello


def test_mfa_endpoint_names():
    assert is_mfa_endpoint("LOGIN.MICROSOFTONLINE.US.")
    assert is_mfa_endpoint("strongauthenticationservice.auth.microsoft.cn")
    assert not is_mfa_endpoint("evil-login.microsoftonline.com.example.org")
    assert not is_mfa_endpoint(None)
