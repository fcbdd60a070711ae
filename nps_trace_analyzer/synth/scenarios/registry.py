r"""The registry dumps a health-check bundle holds, and the configuration incidents they should produce.

The health-check script (option 4) saves ``REG QUERY`` of ``HKLM\SOFTWARE\Microsoft\AzureMfa`` and
``HKLM\SYSTEM\CurrentControlSet\Services\AuthSrv\Parameters`` before and after it sets ``VERBOSE_LOG=TRUE``
for the capture (``BeforeRegAdd_*.txt`` / ``AfterRegAdd_*.txt``; domain-facts §5.3). Values follow what the
installer and ``AzureMfaNpsExtnConfigSetup.ps1`` write (§3.1, §3b): public-cloud endpoints, the Azure
Multi-Factor Auth Client app id, the tenant, the certificate subject; the two DLL paths in AuthSrv.

:func:`expected_config_codes` states, from the settings alone, which configuration problems an analyzer must
report. It does not call the analyzer's checks: the tests compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from nps_trace_analyzer.synth.scenarios.settings import ServerSettings
from nps_trace_analyzer.synth.scenarios.world import TENANT_ID

AZUREMFA_KEY = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\AzureMfa"
AUTHSRV_KEY = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\AuthSrv\Parameters"
CLIENT_ID = "981f26a1-7f43-403b-a875-f8b09b8cd720"
TARGET_PATH = "StrongAuthenticationService.svc/Connector"
EXTENSIONS_DIR = r"C:\Program Files\Microsoft\AzureMfa\Extensions"
AUTHZ_DLL = EXTENSIONS_DIR + r"\MfaNpsAuthzExt.dll"
AUTHN_DLL = EXTENSIONS_DIR + r"\MfaNpsAuthnExt.dll"

# File names the health-check script writes (current version; the 2020 script prefixed the computer name).
BEFORE_AZUREMFA = "BeforeRegAdd_AzureMFA.txt"
BEFORE_AUTHSRV = "BeforeRegAdd_AuthSrv.txt"
AFTER_AZUREMFA = "AfterRegAdd_AzureMFA.txt"
AFTER_AUTHSRV = "AfterRegAdd_AuthSrv.txt"

RegItems = tuple[tuple[str, str, object], ...]


@dataclass(frozen=True)
class RegistryDump:
    """One ``REG QUERY`` file: the key and its values as ``(name, type, data)`` in registry order."""

    key: str
    values: RegItems


def azuremfa_values(settings: ServerSettings, *, verbose: bool) -> RegItems:
    """The AzureMfa key's values under ``settings``; ``verbose`` adds VERBOSE_LOG=TRUE (the "After" dump)."""
    items: list[tuple[str, str, object]] = [
        ("AZURE_MFA_HOSTNAME", "REG_SZ", settings.mfa_host),
        ("AZURE_MFA_TARGET_PATH", "REG_SZ", TARGET_PATH),
        ("CLIENT_ID", "REG_SZ", CLIENT_ID),
        ("STS_URL", "REG_SZ", f"https://{settings.sts_host}/"),
    ]
    resource = settings.resource_host
    if resource is not None:
        items.insert(1, ("AZURE_MFA_RESOURCE_HOSTNAME", "REG_SZ", resource))
    if settings.endpoints == "current":
        # Configuration scripts of the 2023+ layout also record the tenant and the certificate they made.
        items.append(("TENANT_ID", "REG_SZ", TENANT_ID))
        items.append(("CLIENT_CERT_IDENTIFIER", "REG_SZ", f"CN={TENANT_ID}, OU=Microsoft NPS Extension"))
    if settings.otp_override is not None:
        items.append(("OVERRIDE_NUMBER_MATCHING_WITH_OTP", "REG_SZ", settings.otp_override))
    if settings.alternate_login_id is not None:
        items.append(("LDAP_ALTERNATE_LOGINID_ATTRIBUTE", "REG_SZ", settings.alternate_login_id))
    if settings.ip_whitelist is not None:
        items.append(("IP_WHITELIST", "REG_SZ", settings.ip_whitelist))
    items = [item for item in items if item[0] not in settings.missing_values]
    if verbose:
        items.append(("VERBOSE_LOG", "REG_SZ", "TRUE"))
    return tuple(items)


def authsrv_values(settings: ServerSettings) -> RegItems:
    """AuthSrv\\Parameters: the two DLL values, emptied when the extension is not registered.

    Emptied, not deleted: that is what the health check's NPS-only test (option 1) leaves when it is not
    undone, and what an admin who "temporarily disabled MFA" usually did.
    """
    if settings.extension_dlls:
        return (("AuthorizationDLLs", "REG_MULTI_SZ", [AUTHZ_DLL]), ("ExtensionDLLs", "REG_MULTI_SZ", [AUTHN_DLL]))
    return (("AuthorizationDLLs", "REG_MULTI_SZ", []), ("ExtensionDLLs", "REG_MULTI_SZ", []))


def registry_dumps(settings: ServerSettings) -> dict[str, RegistryDump]:
    """The four health-check files, by file name."""
    return {
        BEFORE_AZUREMFA: RegistryDump(AZUREMFA_KEY, azuremfa_values(settings, verbose=False)),
        BEFORE_AUTHSRV: RegistryDump(AUTHSRV_KEY, authsrv_values(settings)),
        AFTER_AZUREMFA: RegistryDump(AZUREMFA_KEY, azuremfa_values(settings, verbose=True)),
        AFTER_AUTHSRV: RegistryDump(AUTHSRV_KEY, authsrv_values(settings)),
    }


_REQUIRED = ("AZURE_MFA_HOSTNAME", "AZURE_MFA_TARGET_PATH", "STS_URL")


def expected_config_codes(settings: ServerSettings) -> tuple[str, ...]:
    """Configuration problems/warnings the dumps show (codes of the diagnosis contract's addendum, issue #5).

    Informational verdicts (Government cloud, IP_WHITELIST absent, ...) make no incident and are not listed.
    """
    codes: list[str] = []
    if not settings.extension_dlls:
        codes.append("CONFIG-EXTENSION-DLLS-MISSING")
    if any(name in settings.missing_values for name in _REQUIRED):
        codes.append("CONFIG-REQUIRED-VALUE-MISSING")
    if settings.endpoints == "pre-2023" and "AZURE_MFA_HOSTNAME" not in settings.missing_values:
        codes.append("CONFIG-PRE-2023-ENDPOINTS")
    return tuple(codes)
