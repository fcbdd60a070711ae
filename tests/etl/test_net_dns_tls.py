"""DNS and TLS decoders on built messages, with dpkt as an independent DNS reader where installed."""

from __future__ import annotations

import struct

import pytest

from nps_trace_analyzer.net.dns import decode_dns
from nps_trace_analyzer.net.frames import Ipv4Reassembler, decode_frame, decode_ip
from nps_trace_analyzer.net.tcp_tls import decode_tls, version_name
from nps_trace_analyzer.synth.etl.frames import (
    dns_query,
    dns_response,
    ip_packet,
    ipv4_fragments,
    tls_alert,
    tls_client_hello,
    tls_server_hello,
    udp,
    udp_frame,
)


def test_dns_query_and_answers():
    q = decode_dns(dns_query(0x1234, "login.microsoftonline.com"))
    assert (q.id, q.is_response, q.questions) == (0x1234, False, (("login.microsoftonline.com", 1),))
    r = decode_dns(dns_response(0x1234, "login.microsoftonline.com", ["20.190.160.1", "2603:1026::1"]))
    assert r.is_response and r.rcode_name == "NOERROR"
    assert [(a.type_name, a.data, a.name) for a in r.answers] == [
        ("A", "20.190.160.1", "login.microsoftonline.com"),
        ("AAAA", "2603:1026::1", "login.microsoftonline.com"),
    ]


def test_dns_nxdomain():
    r = decode_dns(dns_response(7, "adnotifications.windowsazure.com", [], rcode=3))
    assert (r.rcode_name, r.answers) == ("NXDOMAIN", ())


def test_dns_against_dpkt():
    dpkt = pytest.importorskip("dpkt", reason="dpkt (test-only cross-check) is not installed")
    raw = dns_response(99, "strongauthenticationservice.auth.microsoft.com", ["40.1.2.3", "40.1.2.4"])
    theirs = dpkt.dns.DNS(raw)
    ours = decode_dns(raw)
    assert ours.id == theirs.id and [q.name for q in theirs.qd] == [n for n, _t in ours.questions]
    assert [dpkt.utils.inet_to_str(a.rdata) for a in theirs.an] == [a.data for a in ours.answers]


def test_dns_compression_loop_and_garbage():
    looped = struct.pack("!HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c" + struct.pack("!HH", 1, 1)
    assert decode_dns(looped) is None
    assert decode_dns(b"\x00" * 5) is None
    assert decode_dns(struct.pack("!HHHHHH", 1, 0, 500, 0, 0, 0)) is None


def test_tls_client_hello_server_hello_alert():
    ch = decode_tls(tls_client_hello("adnotifications.windowsazure.com", (0x0304, 0x0303)))
    assert ch.client_hello and ch.sni == "adnotifications.windowsazure.com"
    assert ch.client_versions == (0x0304, 0x0303)
    sh12, sh13 = decode_tls(tls_server_hello(0x0303)), decode_tls(tls_server_hello(0x0304))
    assert (sh12.server_version, sh13.server_version) == (0x0303, 0x0304)
    assert version_name(sh12.server_version) == "TLS 1.2" and version_name(None) == ""
    alert = decode_tls(tls_alert(40)).alerts[0]
    assert (alert.name, alert.fatal) == ("handshake_failure", True)
    both = decode_tls(tls_server_hello(0x0303) + tls_alert(70, level=2))
    assert both.server_hello and both.alerts[0].name == "protocol_version"


def test_tls_legacy_client_without_extensions():
    ch = decode_tls(tls_client_hello(None, ()))
    assert ch.client_hello and ch.sni is None and ch.client_versions == (0x0303,)


@pytest.mark.parametrize("raw", [b"", b"GET / HTTP/1.1\r\n", b"\x16\x03\x09\x00\x01x", b"\x17\x02\x00"])
def test_not_tls(raw):
    assert decode_tls(raw) is None


def test_truncated_client_hello_does_not_raise():
    record = tls_client_hello("login.microsoftonline.com")
    for cut in range(5, len(record)):
        decode_tls(record[:cut])


def test_frame_decoding_ipv4_ipv6_and_garbage():
    d = decode_frame(udp_frame("10.0.0.1", "10.0.0.2", 5000, 53, b"hi", ip_id=77), 1)
    assert (d.src, d.dst, d.sport, d.dport, d.payload, d.ip_id) == ("10.0.0.1", "10.0.0.2", 5000, 53, b"hi", 77)
    raw6 = ip_packet("fe80::1", "ff02::fb", 17, udp("fe80::1", "ff02::fb", 5353, 5353, b"x"))
    d6 = decode_frame(raw6, 101)
    assert (d6.src, d6.dst, d6.payload) == ("fe80::1", "ff02::fb", b"x")
    assert decode_frame(b"\x00" * 20, 1) is None
    assert decode_frame(b"", 101) is None
    assert decode_frame(b"\x45" + b"\x00" * 10, 101) is None


def test_ipv4_reassembly_in_any_order():
    payload = bytes(range(256)) * 16
    packet = ip_packet("10.0.0.10", "10.0.0.1", 17, udp("10.0.0.10", "10.0.0.1", 1812, 50000, payload), ip_id=5)
    frags = [decode_ip(f) for f in ipv4_fragments(packet, mtu=1500)]
    assert len(frags) == 3 and all(f.fragment for f in frags)
    r = Ipv4Reassembler()
    assert r.feed(frags[2]) is None and r.feed(frags[0]) is None
    whole = r.feed(frags[1])
    assert whole is not None and whole.payload == payload and whole.sport == 1812
