"""RADIUS decoder on hand-built packets: every authentication protocol, attributes, malformed input."""

from __future__ import annotations

import pytest

from nps_trace_analyzer.net import radius as rad
from nps_trace_analyzer.synth.etl.frames import eap_attributes, radius, vsa

AUTH = bytes(range(16))


def _request(attrs, code=rad.ACCESS_REQUEST, ident=7):
    return rad.decode_radius(radius(code, ident, AUTH, attrs))


def test_pap_request_with_nas_attributes():
    msg = _request(
        [
            (rad.USER_NAME, b"alice@contoso.com"),
            (rad.USER_PASSWORD, bytes(16)),
            (rad.NAS_IP_ADDRESS, bytes([10, 0, 0, 1])),
            (rad.NAS_IDENTIFIER, b"vpn-gw-1"),
            (rad.MESSAGE_AUTHENTICATOR, bytes(16)),
        ]
    )
    assert msg is not None and msg.malformed == ""
    assert (msg.code_name, msg.identifier, msg.authenticator) == ("Access-Request", 7, AUTH)
    assert msg.auth_protocol == rad.AuthProtocol.PAP
    assert (msg.user_name, msg.nas_ip, msg.nas_identifier) == ("alice@contoso.com", "10.0.0.1", "vpn-gw-1")
    assert msg.has_message_authenticator and not msg.has_proxy_state
    assert msg.is_request and msg.eap_type is None and msg.state is None


def test_chap():
    msg = _request([(rad.USER_NAME, b"bob"), (rad.CHAP_PASSWORD, bytes(17)), (rad.CHAP_CHALLENGE, bytes(16))])
    assert msg.auth_protocol == rad.AuthProtocol.CHAP
    assert not msg.has_message_authenticator


def test_ms_chap_v1_and_v2():
    v1 = _request([vsa(311, rad.MS_CHAP_CHALLENGE, bytes(8)), vsa(311, rad.MS_CHAP_RESPONSE, bytes(50))])
    v2 = _request([vsa(311, rad.MS_CHAP_CHALLENGE, bytes(16)), vsa(311, rad.MS_CHAP2_RESPONSE, bytes(50))])
    assert v1.auth_protocol == rad.AuthProtocol.MSCHAP
    assert v2.auth_protocol == rad.AuthProtocol.MSCHAPV2
    assert v2.has_vsa(311, rad.MS_CHAP2_RESPONSE) and not v2.has_vsa(9, rad.MS_CHAP2_RESPONSE)


def test_other_vendor_vsa_is_not_ms_chap():
    msg = _request([(rad.USER_NAME, b"x"), vsa(9, 25, b"cisco-avpair"), (rad.USER_PASSWORD, bytes(16))])
    assert msg.auth_protocol == rad.AuthProtocol.PAP
    assert msg.vsas == ((9, 25, b"cisco-avpair"),)


@pytest.mark.parametrize(("eap_type", "name"), [(1, "Identity"), (13, "TLS"), (25, "PEAP"), (26, "MSCHAPv2")])
def test_eap_and_its_method(eap_type, name):
    eap = bytes([2, 5, 0, 10, eap_type]) + b"user1"
    msg = _request([*eap_attributes(eap), (rad.MESSAGE_AUTHENTICATOR, bytes(16))])
    assert msg.auth_protocol == rad.AuthProtocol.EAP
    assert (msg.eap_code, msg.eap_type) == (2, eap_type)
    assert rad.EAP_TYPE_NAMES[msg.eap_type] == name


def test_eap_message_split_over_attributes_is_joined():
    eap = bytes([1, 9, 0x01, 0x2C, 13]) + bytes(range(256)) + bytes(39)  # 300 bytes: two attributes
    msg = rad.decode_radius(radius(rad.ACCESS_CHALLENGE, 9, AUTH, eap_attributes(eap)))
    assert [t for t, _v in msg.attributes] == [79, 79]
    assert msg.eap_message == eap and msg.eap_type == 13 and not msg.is_request


def test_eap_success_has_no_type():
    msg = rad.decode_radius(radius(rad.ACCESS_ACCEPT, 3, AUTH, eap_attributes(bytes([3, 4, 0, 4]))))
    assert (msg.eap_code, msg.eap_type) == (3, None)


def test_no_credentials_and_status_server():
    assert _request([(rad.USER_NAME, b"rdg")]).auth_protocol == rad.AuthProtocol.NONE
    status = _request([(rad.MESSAGE_AUTHENTICATOR, bytes(16))], code=rad.STATUS_SERVER)
    assert status.code_name == "Status-Server" and status.is_request


def test_state_text_and_binary():
    text = rad.decode_radius(radius(rad.ACCESS_CHALLENGE, 1, AUTH, [(rad.STATE, b"ABC-123"), (18, b"Enter code")]))
    assert (text.state_text, text.reply_message) == ("ABC-123", "Enter code")
    binary = rad.decode_radius(radius(rad.ACCESS_CHALLENGE, 1, AUTH, [(rad.STATE, b"\x00\xff")]))
    assert binary.state_text == "00ff"


def test_proxy_state_and_ipv6_nas():
    msg = _request([(rad.PROXY_STATE, b"p"), (rad.NAS_IPV6_ADDRESS, bytes(15) + b"\x01")])
    assert msg.has_proxy_state and msg.nas_ip == "::1"


def test_malformed_attribute_keeps_what_was_read():
    raw = bytearray(radius(rad.ACCESS_REQUEST, 1, AUTH, [(rad.USER_NAME, b"carol"), (rad.USER_PASSWORD, bytes(16))]))
    raw[20 + 7 + 1] = 1  # second attribute's length < 2
    msg = rad.decode_radius(bytes(raw))
    assert msg.user_name == "carol" and "bad length" in msg.malformed
    assert msg.auth_protocol == rad.AuthProtocol.NONE


def test_length_beyond_capture_is_reported():
    raw = radius(rad.ACCESS_REQUEST, 1, AUTH, [(rad.USER_NAME, b"dave")])
    msg = rad.decode_radius(raw[:-2])
    assert msg is not None and "exceeds" in msg.malformed


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x01" * 19, bytes([99, 1, 0, 20]) + AUTH, bytes([1, 1, 0, 10]) + AUTH, bytes([1, 1, 0x20, 0]) + AUTH],
)
def test_not_radius(raw):
    assert rad.decode_radius(raw) is None


def test_ports():
    assert rad.is_radius_port(50000, 1812) and rad.is_radius_port(1646, 40000)
    assert not rad.is_radius_port(53, 443)
