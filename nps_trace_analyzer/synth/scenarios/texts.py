r"""Message texts of the events the scenarios write, built from verbatim product samples.

Everything here follows domain-facts.md §1.2 (real AzureMfa events E1-E13 and the message grammar derived from
them) and §2 (documented error messages). Product typos and odd spacing are kept on purpose: "retreiving",
"intialized", "Neither ... not", "atleast", a double space after "MFA:" in exception events, the doubled help
sentence, a literal newline inside the eSTS error. A parser that works on these texts works on real logs; one
that only works on cleaned-up texts does not.

Codes without a public verbatim sample (HTTPS_COMMUNICATION_ERROR, HTTP_CONNECT_ERROR, REQUEST_MISSING_CODE,
USERNAME_CANONICALIZATION_ERROR, ...) get texts composed from the same grammar; their ``Msg::`` part is
plausible wording, not a product string, and says so in :data:`COMPOSED_MESSAGES`.
"""

from __future__ import annotations

from datetime import datetime

PREFIX = "NPS Extension for Azure MFA:"
HELP = "Enter ERROR_CODE @ https://go.microsoft.com/fwlink/?linkid=846827 for detailed troubleshooting steps."
MFA_CLIENT_APP_ID = "981f26a1-7f43-403b-a875-f8b09b8cd720"

# --- AzureMfa per-request texts (E1, E3, E4/E5, E9) -------------------------------------------------------


def challenge_requested(cid: str, user: str, state: str) -> str:
    """E1: an OTP challenge was sent back to the NAS (Access-Challenge with State)."""
    return f"{PREFIX} CID: {cid} : Challenge requested in Authentication Ext for User {user} with state {state}"


def challenge_requested_legacy(user: str) -> str:
    """E2: the same event as written by extension versions that logged neither CID nor state."""
    return f"{PREFIX} Challenge requested in Authentication Ext for User {user}."


def access_rejected(cid: str, user: str, response: str, message: str) -> str:
    """E3: the cloud MFA service answered with a response code; NPS rejects the request."""
    return (
        f"{PREFIX} CID: {cid} : Access Rejected for user {user} with Azure MFA response: {response} "
        f"and message: {message}"
    )


def exception_in_authentication(cid: str, user: str, code: str, body: str, *, double_space: bool = True) -> str:
    """E4/E5: an extension-side error code for one request, with the doubled help sentence of E5.

    ``double_space`` picks E4's "MFA:  CID:" over E5's single space; both occur in real logs.
    """
    gap = "  " if double_space else " "
    return (
        f"{PREFIX}{gap}CID: {cid} :Exception in Authentication Ext for User {user} :: ErrorCode:: "
        f"CID :{cid} {code} Msg:: {body} {HELP} {HELP}"
    )


def secondary_auth_ignored(user: str, state: str) -> str:
    """E9 (state AccessReject) / E10 (AccessChallenge): the extension only acts on AccessAccept requests."""
    return (
        f"{PREFIX} NPS Extension for Azure MFA only performs Secondary Auth for Radius requests in AccessAccept "
        f"State. Request received for User {user} with response state {state}, ignoring request."
    )


# --- AzureMfa server-level texts (E6, E7, E8 and the non-request grammar) ---------------------------------


def non_request_error(context: str, code: str, message: str) -> str:
    """Grammar ``<context>::  ErrorCode:: <CODE> Msg:: <text>`` (E6), double space included."""
    return f"{PREFIX} {context}::  ErrorCode:: {code} Msg:: {message}"


def registry_config_error(key: str, context: str) -> str:
    """E6 for any key; with key IP_WHITELIST and context "IP Whitelist not intialized" it is E6 verbatim."""
    return non_request_error(
        context, "REGISTRY_CONFIG_ERROR", f"Neither registry entry not default value found for key: {key}"
    )


IP_WHITELIST_NOT_INITIALIZED = registry_config_error("IP_WHITELIST", "IP Whitelist not intialized")

NAS_ATTRIBUTES_MISSING = (
    f"{PREFIX} Radius request is missing NAS Identifier and Nas IpAddress attribute.Populating atleast one of "
    "these fields is recommended.This is not an error."
)

IP_WHITE_LIST_WARNING = (
    f"{PREFIX} IP_WHITE_LIST_WARNING::IP Whitelist is being ignored as source IP is missing in RADIUS request "
    "in NasIpAddress attribute."
)

REQUEST_FORMAT_MESSAGE = (
    "Radius Request missing mandatory Radius userName\\Identifier attribute.Verify that NPS is receiving RADIUS "
    "requests"
)

# --- bodies of "Exception in Authentication Ext" events ---------------------------------------------------

_ESTS_HEAD = (
    "Verify the client certificate is properly enrolled in Azure against your tenant and the server can access "
    "URL in Registry STS_URL. Error authenticating to eSTS: ErrorCode:: ESTS_TOKEN_ERROR Msg:: Error in "
    "retreiving token details from request handle: -895352831 "
)


def _ests_tail(trace_id: str, correlation_id: str, stamp: datetime) -> str:
    return f"\nTrace ID: {trace_id}\nCorrelation ID: {correlation_id}\nTimestamp: {stamp:%Y-%m-%d %H:%M:%S}Z"


def ests_service_principal_disabled(trace_id: str, correlation_id: str, stamp: datetime) -> str:
    """E5 body: the "Azure Multi-Factor Auth Client" service principal is disabled (AADSTS7000112)."""
    return (
        _ESTS_HEAD
        + f"AADSTS7000112: Application '{MFA_CLIENT_APP_ID}'(Azure Multi-Factor Auth Client) is disabled."
        + _ests_tail(trace_id, correlation_id, stamp)
    )


def ests_certificate_expired(
    trace_id: str, correlation_id: str, stamp: datetime, thumbprint: str, not_before: str, not_after: str
) -> str:
    """ESTS_TOKEN_ERROR whose eSTS answer says the client certificate's key has expired (AADSTS700027).

    The AADSTS700027 wording is composed after Entra's public error text; the query URL carries a literal
    ``&`` so that one message exercises XML escaping end to end.
    """
    return (
        _ESTS_HEAD
        + "AADSTS700027: Client assertion contains an invalid signature. [Reason - The key used is expired., "
        f"Thumbprint of key used by client: '{thumbprint}', Found key 'Start={not_before}, End={not_after}', "
        "Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id "
        f"'{MFA_CLIENT_APP_ID}'. Review the documentation at "
        "https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a "
        "query request URL.]" + _ests_tail(trace_id, correlation_id, stamp)
    )


def ests_nested_aadsts(code: str, detail: str, trace_id: str, correlation_id: str, stamp: datetime) -> str:
    """Composed: ESTS_TOKEN_ERROR whose eSTS answer is ``code`` followed by a short ``detail`` of our own wording.

    For scenarios that need AADSTS codes of many families; only the frame around the code is the product's.
    """
    return _ESTS_HEAD + f"{code}: {detail}" + _ests_tail(trace_id, correlation_id, stamp)


def ests_certificate_missing(tenant_id: str) -> str:
    """Composed: ESTS_TOKEN_ERROR raised before eSTS is reached, because no usable client certificate exists.

    -2146885628 is CRYPT_E_NOT_FOUND; the subject is the one the configuration script gives the certificate.
    """
    return (
        "Verify the client certificate is properly enrolled in Azure against your tenant and the server can "
        "access URL in Registry STS_URL. Error authenticating to eSTS: ErrorCode:: ESTS_TOKEN_ERROR Msg:: Error "
        "in retreiving token details from request handle: -2146885628 Unable to find a valid client certificate "
        f"with subject CN={tenant_id}, OU=Microsoft NPS Extension in store LocalMachine\\My"
    )


def https_communication_error(host: str) -> str:
    """Composed: WinHTTP secure-channel failure (12175) talking to the MFA endpoint."""
    return (
        "Error communicating with Azure MFA service. Verify that the server can reach "
        f"https://{host} over TLS 1.2: WinHttpSendRequest failed with error 12175 "
        "(A security error occurred)"
    )


def http_connect_error(host: str) -> str:
    """Composed: WinHTTP could not connect (12029) to the MFA endpoint."""
    return (
        f"Unable to connect to https://{host}/StrongAuthenticationService.svc/Connector/BeginTwoWayAuthentication"
        ": WinHttpSendRequest failed with error 12029 (A connection with the server could not be established)"
    )


REQUEST_MISSING_CODE_BODY = (
    "Radius request is missing the verification code for the user's OATH/SMS authentication method. The password "
    "encryption protocol between the NAS and NPS must be PAP"
)


def username_canonicalization_error(user: str) -> str:
    """Composed: the on-premises AD lookup of the RADIUS user name failed."""
    return (
        f"Failed to canonicalize user name {user}: DsCrackNames returned DS_NAME_ERROR_NOT_FOUND. Verify that the "
        "user is present in on-premises Active Directory and that the NPS service can read the directory"
    )


ALTERNATE_LOGIN_ID_MESSAGES = (
    "Error: userObjectSid lookup failed",
    "Error: Alternate LoginId lookup failed",
    "Error: Alternate LoginId value is empty",
)

# Messages the scenarios compose (no verbatim public sample exists); listed so reviewers can tell them apart.
COMPOSED_MESSAGES = (
    "HTTPS_COMMUNICATION_ERROR",
    "HTTP_CONNECT_ERROR",
    "REQUEST_MISSING_CODE",
    "USERNAME_CANONICALIZATION_ERROR",
    "AADSTS700027",
    "AADSTS codes of several families (ests_nested_aadsts: the detail after the code)",
    "ESTS_TOKEN_ERROR without AADSTS (certificate missing)",
    "REQUEST_FORMAT_ERROR context",
    "REGISTRY_CONFIG_ERROR context (keys other than IP_WHITELIST)",
)

# --- cloud MFA response messages (domain-facts §2.3-2.4; E3 for UserNotFound) -----------------------------

RESPONSE_MESSAGES: dict[str, str] = {
    "AccessDenied": "Caller tenant does not have access permissions to do authentication for the user",
    "AuthenticationMethodNotConfigured": "The specified authentication method was not configured for the user",
    "NoDefaultAuthenticationMethodIsConfigured": "No default authentication method was configured for the user",
    "BecAccessDenied": "MSODS Bec call returned access denied, probably the username is not defined in the tenant",
    "InvalidSession": "The specified session is invalid or may have expired",
    "OathCodeIncorrect": "Wrong code entered\\OATH Code Incorrect",
    "SMSAuthFailedWrongCodeEntered": "Wrong code entered/Text Message OTP Incorrect",
    "SMSAuthFailedMaxAllowedCodeRetryReached": "Maximum allowed code retry reached",
    "AuthenticationThrottled": "Too many attempts by user in a short period of time. Throttling.",
}


def user_not_found_message(user: str) -> str:
    """E3's message for UserNotFound, with the user substituted."""
    return (
        "MSODS Graph call returned user not found error. GraphError,SAS.Shared.GraphProvider.Exceptions."
        "GraphUserNotFoundException: [Code:Request_ResourceNotFound] [Message:Resource "
        f"'{user}' does not exist or one of its queried reference-property objects are not present.]"
    )


# --- Security 6273/6274 reasons (domain-facts §4.2 observed wordings) -------------------------------------

REASONS: dict[int, str] = {
    7: "The specified domain does not exist.",
    9: "An NPS extension dynamic link library (DLL) that is installed on the NPS server discarded the connection "
    "request.",
    16: "Authentication failed due to a user credentials mismatch. Either the user name provided does not map to an "
    "existing user account or the password was incorrect.",
    21: "An NPS extension dynamic link library (DLL) that is installed on the NPS server rejected the connection "
    "request.",
    48: "The connection request did not match any configured network policy.",
}
LOGGING_RESULT = "Accounting information was written to the local log file."

# --- System log texts (§4.3, §4.4, §4.6): only the insertion strings are stored in the .evtx --------------
# 4400 "A LDAP connection with domain controller %1 for domain %2 is established."
# 4401 "Domain controller %1 for domain %2 is not responsive. NPS switches to other DCs."
# 4402 "There is no domain controller available for domain %1."
# 13   "A RADIUS message was received from the invalid RADIUS client IP address %1."
# 18   "An Access-Request message was received from RADIUS client %1 with a Message-Authenticator attribute
#       that is not valid."
# 4418 "The Access-Request packet was dropped because it contained the Proxy-State attribute but lacked the
#       Message-Authenticator attribute. ..."  (client address as insertion string: assumption)
# Schannel 36871 "A fatal error occurred while creating a TLS %1 credential. The internal error state is %2."
