"""Configuration checks over the registry dumps: extension DLLs, CLIENT_ID, clouds, old versions, switches."""

from __future__ import annotations

from pathlib import Path

import pytest

from nps_trace_analyzer.analysis.config_checks import (
    CLIENT_ID,
    CODES,
    ConfigCheck,
    check_before_after,
    check_server_config,
    compare_config,
)
from nps_trace_analyzer.sources.regdump import authsrv_parameters, azuremfa_values, read_registry_file

DATA = Path(__file__).resolve().parents[1] / "data" / "text" / "registry"
AUTHZ = r"C:\Program Files\Microsoft\AzureMfa\Extensions\MfaNpsAuthzExt.dll"
AUTHN = r"C:\Program Files\Microsoft\AzureMfa\Extensions\MfaNpsAuthnExt.dll"

GOOD = {
    "AZURE_MFA_HOSTNAME": "strongauthenticationservice.auth.microsoft.com",
    "AZURE_MFA_RESOURCE_HOSTNAME": "adnotifications.windowsazure.com",
    "AZURE_MFA_TARGET_PATH": "StrongAuthenticationService.svc/Connector",
    "CLIENT_ID": CLIENT_ID,
    "STS_URL": "https://login.microsoftonline.com/",
    "IP_WHITELIST": "",
}
GOOD_AUTHSRV = {"AuthorizationDLLs": ("REG_MULTI_SZ", (AUTHZ,)), "ExtensionDLLs": ("REG_MULTI_SZ", (AUTHN,))}


def _by_id(checks: list[ConfigCheck]) -> dict[str, ConfigCheck]:
    ids = [c.check_id for c in checks]
    assert len(ids) == len(set(ids)), ids
    return {c.check_id: c for c in checks}


def _codes(checks: list[ConfigCheck]) -> set[str]:
    return {c.code for c in checks if c.code}


def _values(name: str) -> dict:
    return azuremfa_values(read_registry_file(DATA / name)) or {}


def test_healthy_configuration_has_no_problem_or_warning() -> None:
    checks = check_server_config(GOOD, GOOD_AUTHSRV)
    assert {c.status for c in checks} <= {"ok", "info"}
    assert _codes(checks) == set()
    by_id = _by_id(checks)
    assert by_id["extension-dlls"].status == "ok"
    assert by_id["cloud"].detail.startswith("Public")
    assert by_id["endpoint-version"].status == "ok"
    assert "ExtensionDLLs = " + AUTHN in by_id["extension-dlls"].evidence


def test_all_emitted_codes_are_declared() -> None:
    bad = {**GOOD, "CLIENT_ID": "x", "STS_URL": "http://evil", "TENANT_ID": "nope", "REQUIRE_USER_MATCH": "false"}
    del bad["IP_WHITELIST"]
    for azure, authsrv in ((bad, {}), ({}, None), (_values("gov_AzureMFA.txt"), GOOD_AUTHSRV)):
        for check in check_server_config(azure, authsrv):
            assert check.status in ("ok", "problem", "warning", "info", "unknown")
            assert check.code is None or check.code in CODES, check.code
            if check.status in ("problem", "warning"):
                assert check.code, check.check_id


def test_fixture_before_after_capture() -> None:
    before = read_registry_file(DATA / "BeforeRegAdd_AzureMFA.txt")
    after = read_registry_file(DATA / "AfterRegAdd_AzureMFA.txt")
    authsrv = read_registry_file(DATA / "BeforeRegAdd_AuthSrv.txt")
    checks = check_before_after(
        azuremfa_values(before), authsrv_parameters(authsrv), azuremfa_values(after), authsrv_parameters(authsrv)
    )
    # The Before state adds no differing verdict; the comparison rows belong to neither state.
    assert {c.source for c in checks if not c.check_id.startswith("changed-")} == {"after"}
    by_id = _by_id(checks)
    assert by_id["verbose-log"].detail.startswith("Verbose extension tracing is on")
    assert by_id["tenant-id"].detail == "Tenant 3f4b2c1d-5e6f-4a7b-8c9d-0e1f2a3b4c5d."
    assert by_id["client-cert-identifier"].status == "info"
    assert by_id["override-number-matching-otp"].detail.startswith("FALSE")
    comparison = by_id["changed-during-capture-azuremfa"]
    assert (comparison.status, comparison.code) == ("info", None)
    assert comparison.evidence == "VERBOSE_LOG: FALSE -> TRUE"
    assert by_id["changed-during-capture-authsrv"].status == "ok"
    assert _codes(checks) == {"CONFIG-IP-WHITELIST-ABSENT"}


def test_emptied_dll_values_mean_mfa_is_bypassed() -> None:
    emptied = authsrv_parameters(read_registry_file(DATA / "AfterRegAdd_AuthSrv_emptied.txt"))
    (check,) = [c for c in check_server_config(None, emptied) if c.check_id == "extension-dlls"]
    assert (check.status, check.code) == ("problem", "CONFIG-EXTENSION-DLLS-MISSING")
    assert "MFA is bypassed" in check.detail
    assert check.evidence == "AuthorizationDLLs = (empty); ExtensionDLLs = (empty)"


@pytest.mark.parametrize(
    ("authsrv", "status", "code", "phrase"),
    [
        ({}, "problem", "CONFIG-EXTENSION-DLLS-MISSING", "Neither"),
        ({"AuthorizationDLLs": ("REG_MULTI_SZ", (AUTHZ,))}, "problem", "CONFIG-EXTENSION-DLLS-MISSING", "half"),
        (
            {"AuthorizationDLLs": ("REG_MULTI_SZ", (AUTHN,)), "ExtensionDLLs": ("REG_MULTI_SZ", (AUTHZ,))},
            "problem",
            "CONFIG-EXTENSION-DLLS-SWAPPED",
            "each other",
        ),
        (
            {"AuthorizationDLLs": (AUTHZ,), "ExtensionDLLs": (r"C:\Vendor\Other.dll", AUTHN.lower())},
            "ok",
            None,
            r"C:\Vendor\Other.dll",
        ),
        ({"AuthorizationDLLs": AUTHZ, "ExtensionDLLs": AUTHN}, "ok", None, "NPS loads the extension"),
    ],
)
def test_extension_dll_variants(authsrv: dict, status: str, code: str | None, phrase: str) -> None:
    check = _by_id(check_server_config(None, authsrv))["extension-dlls"]
    assert (check.status, check.code) == (status, code)
    assert phrase in check.detail


def test_no_dumps_at_all_is_unknown_not_problem() -> None:
    checks = check_server_config(None, None)
    assert [(c.check_id, c.status) for c in checks] == [("extension-dlls", "unknown"), ("azuremfa-key", "unknown")]
    assert check_before_after(None, None, None, None) == []


def test_empty_azuremfa_key_is_a_problem() -> None:
    checks = check_server_config({}, None)
    assert _by_id(checks)["azuremfa-key"].code == "CONFIG-AZUREMFA-KEY-MISSING"


def test_pre_2023_install() -> None:
    checks = check_server_config(_values("NPS01_BeforeRegAdd_AzureMFA_2020.txt"), GOOD_AUTHSRV)
    by_id = _by_id(checks)
    assert by_id["endpoint-version"].code == "CONFIG-PRE-2023-ENDPOINTS"
    assert "before its 2023 update" in by_id["endpoint-version"].detail
    assert by_id["require-user-match"].code == "CONFIG-REQUIRE-USER-MATCH-FALSE"
    assert by_id["ip-whitelist"].code == "CONFIG-IP-WHITELIST-ABSENT"
    assert "REGISTRY_CONFIG_ERROR" in by_id["ip-whitelist"].detail
    assert by_id["cloud"].status == "ok"  # adnotifications.windowsazure.com is a public host
    assert by_id["tenant-id"].status == "info"
    assert _codes(checks) == {
        "CONFIG-PRE-2023-ENDPOINTS",
        "CONFIG-REQUIRE-USER-MATCH-FALSE",
        "CONFIG-IP-WHITELIST-ABSENT",
    }


def test_government_cloud_with_whitelist_alt_id_and_otp() -> None:
    by_id = _by_id(check_server_config(_values("gov_AzureMFA.txt"), GOOD_AUTHSRV))
    assert (by_id["cloud"].status, by_id["cloud"].code) == ("info", "CONFIG-GOV-CLOUD")
    assert by_id["sts-url"].status == "ok"
    assert by_id["ip-whitelist"].detail == "Requests whose NAS-IP-Address is 10.1.1.1, 10.1.1.2 skip MFA."
    assert "'mail'" in by_id["alternate-login-id"].detail
    assert "contoso.com;fabrikam.com" in by_id["alternate-login-id"].detail
    assert "PAP" in by_id["override-number-matching-otp"].detail


def test_dirty_dump_mixed_cloud_and_wrong_client_id() -> None:
    by_id = _by_id(check_server_config(_values("dirty_AzureMFA.txt"), None))
    assert by_id["cloud"].code == "CONFIG-MIXED-CLOUD"
    assert "Azure Government" in by_id["cloud"].detail
    assert by_id["client-id"].code == "CONFIG-CLIENT-ID-WRONG"
    assert by_id["required-values"].code == "CONFIG-REQUIRED-VALUE-MISSING"
    assert "AZURE_MFA_TARGET_PATH" in by_id["required-values"].detail


def test_china_cloud() -> None:
    china = {
        **GOOD,
        "AZURE_MFA_HOSTNAME": "strongauthenticationservice.auth.microsoft.cn",
        "AZURE_MFA_RESOURCE_HOSTNAME": "adnotifications.windowsazure.cn",
        "STS_URL": "https://login.chinacloudapi.cn/",
    }
    assert _by_id(check_server_config(china, None))["cloud"].code == "CONFIG-CHINA-CLOUD"


@pytest.mark.parametrize(
    ("changes", "check_id", "code"),
    [
        ({"CLIENT_ID": "00000000-0000-0000-0000-000000000000"}, "client-id", "CONFIG-CLIENT-ID-WRONG"),
        ({"CLIENT_ID": ""}, "client-id", "CONFIG-CLIENT-ID-MISSING"),
        ({"AZURE_MFA_HOSTNAME": "mfa.proxy.contoso.local"}, "cloud", "CONFIG-UNKNOWN-ENDPOINT"),
        ({"AZURE_MFA_RESOURCE_HOSTNAME": None}, "endpoint-version", "CONFIG-RESOURCE-HOSTNAME-MISSING"),
        (
            {"AZURE_MFA_HOSTNAME": "adnotifications.windowsazure.com"},
            "endpoint-version",
            "CONFIG-MFA-HOSTNAME-UNEXPECTED",
        ),
        ({"AZURE_MFA_TARGET_PATH": "Other.svc"}, "target-path", "CONFIG-TARGET-PATH-UNEXPECTED"),
        ({"STS_URL": "http://login.microsoftonline.com/"}, "sts-url", "CONFIG-STS-URL-UNEXPECTED"),
        ({"TENANT_ID": "contoso.onmicrosoft.com"}, "tenant-id", "CONFIG-TENANT-ID-INVALID"),
        (
            {
                "TENANT_ID": "3f4b2c1d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                "CLIENT_CERT_IDENTIFIER": "CN=11111111-2222-3333-4444-555555555555, OU=Microsoft NPS Extension",
            },
            "client-cert-identifier",
            "CONFIG-CERT-TENANT-MISMATCH",
        ),
        ({"REQUIRE_USER_MATCH": "true"}, "require-user-match-format", "CONFIG-BOOLEAN-NOT-UPPERCASE"),
        (
            {"OVERRIDE_NUMBER_MATCHING_WITH_OTP": "yes"},
            "override-number-matching-with-otp-format",
            "CONFIG-BOOLEAN-VALUE-INVALID",
        ),
        ({"IP_WHITELIST": "10.0.0.0/24;10.0.0.1"}, "ip-whitelist", "CONFIG-IP-WHITELIST-INVALID"),
    ],
)
def test_single_deviation(changes: dict, check_id: str, code: str) -> None:
    values = dict(GOOD)
    for name, value in changes.items():
        if value is None:
            values.pop(name)
        else:
            values[name] = value
    checks = check_server_config(values, GOOD_AUTHSRV)
    assert _by_id(checks)[check_id].code == code
    assert _codes(checks) == {code}


def test_lower_case_false_still_counts_as_false() -> None:
    by_id = _by_id(check_server_config({**GOOD, "REQUIRE_USER_MATCH": "false"}, None))
    assert by_id["require-user-match"].code == "CONFIG-REQUIRE-USER-MATCH-FALSE"


def test_thumbprint_identifier() -> None:
    by_id = _by_id(check_server_config({**GOOD, "CLIENT_CERT_IDENTIFIER": "AB" * 20}, None))
    assert "thumbprint" in by_id["client-cert-identifier"].detail


def test_before_after_reports_differing_before_verdicts_and_changes() -> None:
    emptied = {"AuthorizationDLLs": ("REG_MULTI_SZ", ()), "ExtensionDLLs": ("REG_MULTI_SZ", ())}
    before_azure = {**GOOD, "VERBOSE_LOG": "FALSE"}
    after_azure = {**GOOD, "VERBOSE_LOG": "TRUE", "REQUIRE_USER_MATCH": "FALSE"}
    checks = check_before_after(before_azure, GOOD_AUTHSRV, after_azure, emptied)
    after_dlls = [c for c in checks if c.check_id == "extension-dlls" and c.source == "after"]
    before_dlls = [c for c in checks if c.check_id == "extension-dlls" and c.source == "before"]
    assert after_dlls[0].code == "CONFIG-EXTENSION-DLLS-MISSING"
    assert before_dlls[0].status == "ok"
    before_rum = [c for c in checks if c.check_id == "require-user-match" and c.source == "before"]
    assert before_rum[0].status == "ok"
    azure_change = next(c for c in checks if c.check_id == "changed-during-capture-azuremfa")
    assert azure_change.code == "CONFIG-CHANGED-DURING-CAPTURE"
    assert azure_change.evidence == "REQUIRE_USER_MATCH: (not set) -> FALSE; VERBOSE_LOG: FALSE -> TRUE"
    authsrv_change = next(c for c in checks if c.check_id == "changed-during-capture-authsrv")
    assert AUTHZ in authsrv_change.evidence


def test_only_one_state_is_checked_in_full() -> None:
    checks = check_before_after(GOOD, GOOD_AUTHSRV, None, None)
    assert {c.source for c in checks} == {"before"}
    assert compare_config(GOOD, None, key="AzureMfa") is None


def test_unparseable_urls_are_classified_not_raised() -> None:
    values = {**GOOD, "STS_URL": "https://[login.microsoftonline.com/", "AZURE_MFA_RESOURCE_HOSTNAME": "http://[::1"}
    by_id = _by_id(check_server_config(values, None))
    assert by_id["sts-url"].code == "CONFIG-STS-URL-UNEXPECTED"
    assert by_id["cloud"].status in ("warning", "problem")
