"""The AzureMfa grammar on every verbatim event text of domain-facts.md §1.2 (E1-E10), typos included."""

from __future__ import annotations

import pytest

from nps_trace_analyzer.extract import extract_azuremfa, extract_codes

E1 = (
    "NPS Extension for Azure MFA: CID: 32e83cbf-484d-49aa-9adb-71528f5eb94d : Challenge requested in Authentication "
    "Ext for User ******@domain.com with state 300c9d6c-7734-4165-83d3-212e73aee286"
)
E2_OLD = "NPS Extension for Azure MFA: Challenge requested in Authentication Ext for User npstesting_ap."
E2_NEW = "NPS Extension for Azure MFA: Challenge requested in Authentication extension for the user npstesting_ap."
E3 = (
    "NPS Extension for Azure MFA: CID: 430ef057-7941-44ff-a0b1-240e7d74cedc : Access Rejected for user <USERNAME> "
    "with Azure MFA response: UserNotFound and message: MSODS Graph call returned user not found error. GraphError,"
    "SAS.Shared.GraphProvider.Exceptions.GraphUserNotFoundException: [Code:Request_ResourceNotFound] [Message:"
    "Resource <USERNAME>' does not exist or one of its queried reference-property objects are not present.]"
)
E4 = (
    "NPS Extension for Azure MFA:  CID: 1fd39a1a-34b9-47e6-a66a-ed7e47c30e0a :Exception in Authentication Ext for "
    "User USERNAME :: ErrorCode:: CID :1fd3456a1a-35f9-47e6-a66a-43sdlfjasla ESTS_TOKEN_ERROR Msg:: Verify the client "
    "certificate is properly enrolled in Azure against your tenant and the server can access URL in Registry STS_URL. "
    "Error authenticating to eSTS: ErrorCode:: ESTS_TOKEN_ERROR Msg:: Error in retreiving token details from request "
    "handle: -895352831 AADSTS7000112: Application '981f26a1-7f43-403b-a875-f8b09b8cd720'(Azure Multi-Factor Auth "
    "Client) is disabled."
)
E5 = (
    "NPS Extension for Azure MFA: CID: 341b704d-03f1-4ba6-ae92-eb19ae2f2bf3 :Exception in Authentication Ext for User "
    "myusername :: ErrorCode:: CID :341b704d-03f1-4ba6-ae92-eb19ae2f2bf3 ESTS_TOKEN_ERROR Msg:: Verify the client "
    "certificate is properly enrolled in Azure against your tenant and the server can access URL in Registry STS_URL. "
    "Error authenticating to eSTS: ErrorCode:: ESTS_TOKEN_ERROR Msg:: Error in retreiving token details from request "
    "handle: -895352831 AADSTS7000112: Application '981f26a1-7f43-403b-a875-f8b09b8cd720'(Azure Multi-Factor Auth "
    "Client) is disabled.\nTrace ID: c5379bf7-9e15-49d0-9541-547b68c95d00\nCorrelation ID: "
    "e3dfe056-fbdd-4b4b-8852-2d55991e97be\nTimestamp: 2019-10-17 20:48:29Z Enter ERROR_CODE @ "
    "https://go.microsoft.com/fwlink/?linkid=846827 for detailed troubleshooting steps. Enter ERROR_CODE @ "
    "https://go.microsoft.com/fwlink/?linkid=846827 for detailed troubleshooting steps."
)
E6 = (
    "NPS Extension for Azure MFA: IP Whitelist not intialized::  ErrorCode:: REGISTRY_CONFIG_ERROR Msg:: Neither "
    "registry entry not default value found for key: IP_WHITELIST"
)
E7 = (
    "NPS Extension for Azure MFA: Radius request is missing NAS Identifier and Nas IpAddress attribute.Populating "
    "atleast one of these fields is recommended.This is not an error."
)
E8 = (
    "NPS Extension for Azure MFA: IP_WHITE_LIST_WARNING::IP Whitelist is being ignored as source IP is missing in "
    "RADIUS request in NasIpAddress attribute."
)
E9 = (
    "NPS Extension for Azure MFA: NPS Extension for Azure MFA only performs Secondary Auth for Radius requests in "
    "AccessAccept State. Request received for User username with response state AccessReject, ignoring request."
)
E10 = E9.replace("AccessReject", "AccessChallenge")


def test_challenge_with_cid_and_state() -> None:
    ex = extract_azuremfa(E1)
    assert ex.is_extension_text
    assert ex.cid == "32e83cbf-484d-49aa-9adb-71528f5eb94d"
    assert ex.user == "******@domain.com"
    assert ex.state == "300c9d6c-7734-4165-83d3-212e73aee286"
    assert [c for c, _ in ex.codes] == ["CHALLENGE_REQUESTED"]


@pytest.mark.parametrize("text", [E2_OLD, E2_NEW])
def test_challenge_without_cid(text: str) -> None:
    ex = extract_azuremfa(text)
    assert ex.cid is None
    assert ex.user == "npstesting_ap"
    assert [c for c, _ in ex.codes] == ["CHALLENGE_REQUESTED"]


def test_access_rejected_with_mfa_response() -> None:
    ex = extract_azuremfa(E3)
    assert ex.cid == "430ef057-7941-44ff-a0b1-240e7d74cedc"
    assert ex.user == "<USERNAME>"
    assert ex.mfa_response == "UserNotFound"
    assert ex.mfa_message is not None and ex.mfa_message.startswith("MSODS Graph call returned user not found error.")
    assert extract_codes(E3)[0][0] == "UserNotFound"


@pytest.mark.parametrize("text", [E4, E5])
def test_ests_token_error_with_nested_aadsts(text: str) -> None:
    ex = extract_azuremfa(text)
    assert ex.cid in ("1fd39a1a-34b9-47e6-a66a-ed7e47c30e0a", "341b704d-03f1-4ba6-ae92-eb19ae2f2bf3")
    assert ex.user in ("USERNAME", "myusername")
    assert ex.error_codes == ["ESTS_TOKEN_ERROR"]  # printed twice, kept once
    assert ex.aadsts == ["AADSTS7000112"]
    assert [c for c, _ in ex.codes] == ["ESTS_TOKEN_ERROR", "AADSTS7000112"]
    assert ex.message is not None and ex.message.startswith("Verify the client certificate is properly enrolled")


def test_trace_and_correlation_ids() -> None:
    ex = extract_azuremfa(E5)
    assert ex.trace_id == "c5379bf7-9e15-49d0-9541-547b68c95d00"
    assert ex.correlation_id == "e3dfe056-fbdd-4b4b-8852-2d55991e97be"
    assert ex.service_timestamp == "2019-10-17 20:48:29Z"


def test_registry_config_error_names_the_key() -> None:
    ex = extract_azuremfa(E6)
    assert ex.error_codes == ["REGISTRY_CONFIG_ERROR"]
    assert ex.registry_key == "IP_WHITELIST"
    assert ex.message == "Neither registry entry not default value found for key: IP_WHITELIST"


def test_warnings() -> None:
    assert [c for c, _ in extract_codes(E7)] == ["NAS_ATTRIBUTES_MISSING"]
    assert [c for c, _ in extract_codes(E8)] == ["IP_WHITE_LIST_WARNING"]


@pytest.mark.parametrize(
    ("text", "state", "code"),
    [(E9, "AccessReject", "SECONDARY_AUTH_ACCESS_REJECT"), (E10, "AccessChallenge", "SECONDARY_AUTH_ACCESS_CHALLENGE")],
)
def test_secondary_auth_only(text: str, state: str, code: str) -> None:
    ex = extract_azuremfa(text)
    assert ex.user == "username"
    assert ex.response_state == state
    assert [c for c, _ in ex.codes] == [code]


@pytest.mark.parametrize("text", [E1, E3, E4, E5, E6, E9])
def test_split_over_several_data_strings(text: str) -> None:
    """The message may be spread over several <Data> elements; joined with spaces it must read the same."""
    words = text.split(" ")
    parts = [" ".join(words[i : i + 5]) for i in range(0, len(words), 5)]
    assert extract_azuremfa(" ".join(parts)).codes == extract_azuremfa(text).codes


@pytest.mark.parametrize("text", [E1, E4, E9])
def test_without_prefix(text: str) -> None:
    """Whether the provider's message template carries the prefix is unknown: codes must not depend on it."""
    stripped = text.replace("NPS Extension for Azure MFA:", "", 1)
    assert [c for c, _ in extract_codes(stripped)] == [c for c, _ in extract_codes(text)]


def test_entra_wording_prefix() -> None:
    text = E6.replace("Azure MFA", "Microsoft Entra multifactor authentication")
    assert extract_azuremfa(text).is_extension_text


def test_unrelated_text_has_no_codes() -> None:
    assert extract_codes("The Windows Firewall service entered the running state.") == []
    assert extract_codes("") == []


@pytest.mark.parametrize(
    ("tail", "user"),
    [
        ("bob@example.com with response OathCodeIncorrect", "bob@example.com"),
        ("bob@example.com, response OathCodeIncorrect", "bob@example.com"),
        ("CONTOSO\\John Smith", "CONTOSO\\John Smith"),  # a down-level name may hold a space: kept whole
    ],
)
def test_an_address_ends_at_its_first_space_whatever_wording_follows(tail: str, user: str) -> None:
    """A wording the sentence stops do not know ("with response X" instead of "with Azure MFA response: X") must
    not become part of the user: an address has no spaces."""
    text = f"NPS Extension for Azure MFA: CID: 5c1e33c4-8a3e-4bd7-9b5b-2d3c2a41f0aa : Access Rejected for user {tail}"
    assert extract_azuremfa(text).user == user


@pytest.mark.parametrize(
    "words", ["NAS Identifier and Nas IpAddress", "NAS Identifier and NasIpAddress", "NASIdentifier and Nas IpAddress"]
)
def test_nas_attributes_missing_whatever_the_spacing_of_the_attribute_names(words: str) -> None:
    """Copies re-typed in posts join the attribute names; the notice is still the harmless NAS one."""
    text = f"NPS Extension for Azure MFA: Radius request is missing {words} attribute."
    assert [code for code, _ in extract_azuremfa(text).codes] == ["NAS_ATTRIBUTES_MISSING"]
