"""Category and benign flag of every code a scenario may name as an expected result.

This mirrors docs/diagnosis-contract.md (codes -> category, benign) so that scenario definitions only name
codes and the expected category can never drift from one scenario to the next. It is deliberately a plain
table, not the catalog: expected.json is the yardstick the analyzer's catalog is measured against, so it must
not be derived from that catalog.
"""

from __future__ import annotations

from nps_trace_analyzer.catalog.schema import CATEGORIES as CATALOG_CATEGORIES

# The vocabulary itself is the catalog's (one list); which code gets which category is this module's own table.
CATEGORIES: frozenset[str] = frozenset(CATALOG_CATEGORIES)

INCIDENT_KINDS: frozenset[str] = frozenset({"sign-in", "challenge-no-result", "server", "nps-reject", "server-config"})

# code -> (category, benign)
_TABLE: dict[str, tuple[str, bool]] = {
    "ESTS_TOKEN_ERROR": ("certificate-token", False),
    "AADSTS7000112": ("configuration", False),
    # Not in the contract's table, but in the catalog (certificate-token); rule 1 makes a nested AADSTS code
    # with a catalog entry the primary code of its sign-in.
    "AADSTS700027": ("certificate-token", False),
    # Scenario aadsts-families (issue #9): one code per family of Microsoft's AADSTS table.
    "AADSTS700016": ("configuration", False),
    "AADSTS90002": ("configuration", False),
    "AADSTS50012": ("certificate-token", False),
    "AADSTS53003": ("configuration", False),
    "AADSTS90033": ("needs-support", False),
    "AADSTS50034": ("directory", False),
    "AADSTS50057": ("directory", False),
    "AADSTS50079": ("user-enrollment", False),
    "AADSTS50058": ("needs-support", False),
    "UNRECOGNISED_AZUREMFA_EVENT": ("needs-support", False),
    "HTTPS_COMMUNICATION_ERROR": ("connectivity", False),
    "HTTP_CONNECT_ERROR": ("connectivity", False),
    "CLIENT_CERT_INSTALL_ERROR": ("certificate-token", False),
    "REQUEST_FORMAT_ERROR": ("installation", False),
    "REQUEST_MISSING_CODE": ("configuration", False),
    "USERNAME_CANONICALIZATION_ERROR": ("directory", False),
    "ALTERNATE_LOGIN_ID_ERROR": ("directory", False),
    "CONTACT_SUPPORT": ("needs-support", False),
    "AccessDenied": ("configuration", False),
    "AuthenticationMethodNotConfigured": ("user-enrollment", False),
    "NoDefaultAuthenticationMethodIsConfigured": ("user-enrollment", False),
    "ProofDataNotFound": ("user-enrollment", False),
    "InvalidFormat": ("user-enrollment", False),
    "StrongAuthenticationServiceInvalidParameter": ("user-enrollment", False),
    "UserNotFound": ("configuration", False),
    "BecAccessDenied": ("directory", False),
    "InvalidSession": ("user-action", False),
    "OathCodeIncorrect": ("not-an-error", True),
    "SMSAuthFailedWrongCodeEntered": ("not-an-error", True),
    "SMSAuthFailedMaxAllowedCodeRetryReached": ("not-an-error", True),
    "AuthenticationThrottled": ("not-an-error", True),
    "AuthenticationMethodLimitReached": ("not-an-error", True),
    "CHALLENGE_REQUESTED": ("not-an-error", True),
    "Success": ("not-an-error", True),  # answers a challenge (issue #9, class 1); never an incident by itself
    "CHALLENGE_NO_RESULT": ("configuration", False),
    "SECONDARY_AUTH_ACCESS_REJECT": ("primary-auth", False),
    "SECONDARY_AUTH_ACCESS_CHALLENGE": ("not-an-error", True),
    "NAS_ATTRIBUTES_MISSING": ("not-an-error", True),
    "IP_WHITE_LIST_WARNING": ("not-an-error", True),
    "SECURITY-6272": ("not-an-error", True),
    "SYSTEM-NPS-13": ("radius-client", False),
    "SYSTEM-NPS-14": ("radius-client", False),
    "SYSTEM-NPS-17": ("radius-client", False),
    "SYSTEM-NPS-18": ("radius-client", False),
    "SYSTEM-NPS-4418": ("radius-client", False),
    "SYSTEM-NPS-4402": ("directory", False),
    "SYSTEM-NPS-4401": ("directory", False),
    "SYSTEM-NPS-4400": ("not-an-error", True),
    "SYSTEM-SCHANNEL-36871": ("connectivity", False),
    # Addendum (issue #5): registry checks and auditing, kind "server-config".
    "CONFIG-EXTENSION-DLLS-MISSING": ("installation", False),
    "CONFIG-EXTENSION-DLLS-SWAPPED": ("installation", False),
    "CONFIG-AZUREMFA-KEY-MISSING": ("installation", False),
    "CONFIG-REQUIRED-VALUE-MISSING": ("configuration", False),
    "CONFIG-PRE-2023-ENDPOINTS": ("configuration", False),
    "NPS-AUDITING-DISABLED": ("configuration", False),
    # Addendum (issue #6): capture findings (nettrace.etl).
    "CAPTURE-NON-PAP-PROTOCOL": ("configuration", False),
    "CAPTURE-NAS-RETRANSMISSION": ("radius-client", False),
    "CAPTURE-NO-MESSAGE-AUTHENTICATOR": ("radius-client", False),
    "CAPTURE-TCP-NO-ANSWER": ("connectivity", False),
    "CAPTURE-TCP-RESET": ("connectivity", False),
    "CAPTURE-DNS-FAILURE": ("connectivity", False),
    "CAPTURE-TLS-ALERT": ("connectivity", False),
    "CAPTURE-TLS-LEGACY-ONLY": ("connectivity", False),
}
for _code in ("AuthenticationMethodNotSupported", "TenantIsBlocked", "InvalidParameter", "InternalError"):
    _TABLE[_code] = ("needs-support", False)
for _code in ("OathCodePinIncorrect", "SMSAuthFailedWrongCodePinEntered", "VersionNotSupported", "MFAPinNotSetup"):
    _TABLE[_code] = ("needs-support", False)
for _n in (16, 8, 7, 34, 35, 36, 37, 38, 33, 64, 65):
    _TABLE[f"NPS-REASON-{_n}"] = ("primary-auth", False)
for _n in (48, 49, 66, 67, 68, 69, 70):
    _TABLE[f"NPS-REASON-{_n}"] = ("nps-policy", False)

# REGISTRY_CONFIG_ERROR depends on the key named in the message: IP_WHITELIST is benign (the installer never
# creates it), any other missing key is a real configuration fault.
REGISTRY_CONFIG_ERROR_BENIGN_KEY = "IP_WHITELIST"


def classify(code: str, *, registry_key: str | None = None) -> tuple[str, bool]:
    """Return ``(category, benign)`` of ``code`` as the contract defines it.

    Raises KeyError for a code the contract does not list, so that a scenario can never expect a category
    nobody agreed on.
    """
    if code == "REGISTRY_CONFIG_ERROR":
        if registry_key == REGISTRY_CONFIG_ERROR_BENIGN_KEY:
            return ("not-an-error", True)
        return ("configuration", False)
    return _TABLE[code]
