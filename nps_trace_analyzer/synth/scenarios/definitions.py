"""The scenarios: one data entry per documented failure mode.

Each entry names the failure mode, says in one line what it shows (``summary``, printed by ``synth --list``)
and in a few sentences what happens and what the analyzer should conclude (``description``, stored in
expected.json), picks an AzureMfa event layout, and lists its episodes. Expected incidents are recorded by the
episodes as they write events; their categories come from the contract table, never from here.

``settings`` change the server itself (registry, auditing, cloud; see ``settings.ServerSettings``) for the
whole bundle. A ``solo`` scenario changes it so much (no audit events at all, no extension) that combining
it with others would rewrite their diagnoses; "all" leaves solo scenarios out, though naming one together
with others still gives a consistent bundle and expected.json.
"""

from __future__ import annotations

from nps_trace_analyzer.synth.scenarios import failure_classes
from nps_trace_analyzer.synth.scenarios.aadsts_families import AADSTS_FAMILY_SCENARIOS
from nps_trace_analyzer.synth.scenarios.episodes import Cycle, ep
from nps_trace_analyzer.synth.scenarios.scenario import Scenario
from nps_trace_analyzer.synth.scenarios.scenario import make_scenario as _s
from nps_trace_analyzer.synth.scenarios.texts import ALTERNATE_LOGIN_ID_MESSAGES

SCENARIOS: tuple[Scenario, ...] = (
    _s(
        "healthy",
        "Healthy sign-ins only (push approvals, answered OTP challenges); no incident.",
        "Users sign in through VPN, Citrix, RD Gateway and Wi-Fi clients. Push users get one Security 6272; "
        "authenticator-code users get a 'Challenge requested' event and, seconds later, 6272. Nothing to report.",
        "single",
        ep("healthy", 20),
    ),
    _s(
        "ests-sp-disabled",
        "ESTS_TOKEN_ERROR with AADSTS7000112: the Azure Multi-Factor Auth Client service principal is disabled.",
        "Every MFA sign-in fails in the AuthZAdminCh channel with ESTS_TOKEN_ERROR whose eSTS answer is "
        "AADSTS7000112 (application 981f26a1-... is disabled); NPS rejects with reason 21. Fix: enable the "
        "service principal (sign-in enabled = Yes).",
        "single",
        ep(
            "mfa-exception",
            3,
            bounds=("09:30", "11:00"),
            outage=True,
            code="ESTS_TOKEN_ERROR",
            body="ests-sp-disabled",
            expect="AADSTS7000112",
        ),
    ),
    _s(
        "ests-cert-expired",
        "ESTS_TOKEN_ERROR with AADSTS700027: the extension's client certificate has expired.",
        "The self-signed NPS extension certificate expired yesterday; token requests to eSTS fail with "
        "AADSTS700027 (key expired) wrapped in ESTS_TOKEN_ERROR, so every MFA sign-in is rejected. Fix: renew "
        "the certificate with AzureMfaNpsExtnConfigSetup.ps1 and delete the expired one.",
        "split",
        ep(
            "mfa-exception",
            3,
            bounds=("07:00", "09:00"),
            outage=True,
            code="ESTS_TOKEN_ERROR",
            body="ests-cert-expired",
            expect="AADSTS700027",
            double_space=False,
        ),
    ),
    _s(
        "ests-cert-missing",
        "ESTS_TOKEN_ERROR: no usable client certificate on the server (deleted, or key unreadable).",
        "The extension's certificate was removed from LocalMachine\\My during a clean-up (or NETWORK SERVICE "
        "lost read access to its private key); the extension cannot build its token request and every MFA "
        "sign-in fails with ESTS_TOKEN_ERROR and no AADSTS code. Fix: rerun AzureMfaNpsExtnConfigSetup.ps1 "
        "(or restore the certificate and its key permission).",
        "single-long",
        ep(
            "mfa-exception",
            3,
            bounds=("16:00", "17:30"),
            outage=True,
            code="ESTS_TOKEN_ERROR",
            body="ests-cert-missing",
        ),
    ),
    _s(
        "https-tls12-disabled",
        "HTTPS_COMMUNICATION_ERROR with Schannel 36871: TLS 1.2 client is disabled on the NPS server.",
        "After a hardening change disabled TLS 1.2, every call to the MFA service fails with "
        "HTTPS_COMMUNICATION_ERROR and Schannel logs 36871 (fatal error creating a TLS client credential, "
        "state 10013) in the System log. Fix: re-enable TLS 1.2 for the client side.",
        "single-long",
        ep(
            "mfa-exception",
            4,
            bounds=("13:00", "15:00"),
            outage=True,
            code="HTTPS_COMMUNICATION_ERROR",
            body="https",
            schannel=True,
        ),
    ),
    _s(
        "http-connect-error",
        "HTTP_CONNECT_ERROR: the NPS server cannot reach the MFA endpoints (firewall/proxy).",
        "A firewall change blocks outbound 443 to strongauthenticationservice.auth.microsoft.com; each MFA "
        "sign-in fails with HTTP_CONNECT_ERROR and NPS rejects (reason 21) or discards (6274, reason 9) it.",
        "split-noprefix",
        ep(
            "mfa-exception",
            3,
            bounds=("15:00", "16:30"),
            outage=True,
            code="HTTP_CONNECT_ERROR",
            body="http-connect",
            nps=Cycle(("6273", "6273", "6274")),
        ),
    ),
    _s(
        "request-format-error",
        "REQUEST_FORMAT_ERROR: extension installed on an NPS that gets no RADIUS requests (RRAS/RDG local NPS).",
        "The extension was installed on an NPS that RRAS uses locally; requests reach it without a RADIUS "
        "User-Name and it logs REQUEST_FORMAT_ERROR without a CID. Fix: install the extension on the NPS that "
        "receives RADIUS from the RRAS/RDG server.",
        "single",
        ep("mfa-server", 2, code="REQUEST_FORMAT_ERROR", message="request-format", count=4, interval=75),
    ),
    _s(
        "request-missing-code",
        "REQUEST_MISSING_CODE: OTP users come through a non-PAP (MS-CHAPv2) RADIUS client.",
        "Authenticator-code users sign in through the RD Gateway, which talks MS-CHAPv2 to NPS; the extension "
        "cannot collect a code and fails with REQUEST_MISSING_CODE. Fix: use PAP on that client or "
        "OVERRIDE_NUMBER_MATCHING_WITH_OTP=FALSE for push.",
        "split",
        ep(
            "mfa-exception",
            2,
            code="REQUEST_MISSING_CODE",
            body="request-missing-code",
            nas="rdg",
            user=Cycle(("CONTOSO\\gpatel", "lena.kraus@contoso.com")),
        ),
        settings={"otp_override": "TRUE", "accounting": True},
    ),
    _s(
        "username-canonicalization",
        "USERNAME_CANONICALIZATION_ERROR: the RADIUS user name cannot be resolved in on-premises AD.",
        "A stale account name cannot be cracked to a UPN in Active Directory, so the extension fails before "
        "contacting Entra ID. Fix: check the user exists on-premises and NPS can read the directory.",
        "split-long",
        ep(
            "mfa-exception",
            2,
            spacing=420,
            code="USERNAME_CANONICALIZATION_ERROR",
            body="canonicalization",
            user="CONTOSO\\x.legacy",
        ),
    ),
    _s(
        "alternate-login-id",
        "ALTERNATE_LOGIN_ID_ERROR: the three documented alternate login ID lookup failures.",
        "LDAP_ALTERNATE_LOGINID_ATTRIBUTE is set; lookups fail with 'userObjectSid lookup failed', 'Alternate "
        "LoginId lookup failed' and 'Alternate LoginId value is empty' for three sign-ins.",
        "single",
        ep(
            "mfa-exception",
            3,
            code="ALTERNATE_LOGIN_ID_ERROR",
            body="alternate-login-id",
            message=Cycle(ALTERNATE_LOGIN_ID_MESSAGES),
        ),
        settings={"alternate_login_id": "mail"},
    ),
    _s(
        "method-not-configured",
        "AuthenticationMethodNotConfigured: the user never registered an MFA method.",
        "The MFA service rejects a user who has no authentication method; she retries once. Fix: the user "
        "registers a method (or REQUIRE_USER_MATCH=FALSE during roll-out).",
        "single",
        ep("mfa-reject", 2, spacing=420, response="AuthenticationMethodNotConfigured", user="kim.lee@contoso.com"),
    ),
    _s(
        "no-default-method",
        "NoDefaultAuthenticationMethodIsConfigured: methods registered but no default chosen.",
        "The MFA service rejects a user whose methods have no default. Fix: the user picks a default method.",
        "split",
        ep("mfa-reject", 1, response="NoDefaultAuthenticationMethodIsConfigured", user="CONTOSO\\rbaker"),
    ),
    _s(
        "user-not-found",
        "UserNotFound: MSODS Graph lookup of the user fails (user not in the tenant / tenant or SP issue).",
        "A new hire exists on-premises but not in Entra ID; the MFA response is UserNotFound with the Graph "
        "error text. Fix: check sync, tenant, certificate subject and service principals.",
        "single",
        ep("mfa-reject", 2, spacing=600, response="UserNotFound", user="new.hire@contoso.com"),
    ),
    _s(
        "bec-access-denied",
        "BecAccessDenied: the user is not synced to the tenant.",
        "A contractor account exists in AD but AD Connect does not sync it; MSODS Bec returns access denied. "
        "Fix: sync the user and have them register MFA.",
        "split-noprefix",
        ep("mfa-reject", 1, response="BecAccessDenied", user="CONTOSO\\tempcontractor"),
    ),
    _s(
        "invalid-session",
        "InvalidSession: the MFA session expired (user or network took more than 3 minutes).",
        "Two users approve their push notification too late (or responses are slow end to end); the MFA "
        "response is InvalidSession. Fix: respond within 3 minutes; check latency NAS-NPS-Azure.",
        "single-long",
        ep("mfa-reject", 2, response="InvalidSession"),
    ),
    _s(
        "oath-code-incorrect",
        "OathCodeIncorrect: a user types a wrong authenticator code (not an error).",
        "A code user gets a challenge, types a wrong code twice; the MFA response is OathCodeIncorrect. "
        "Benign: user action, no configuration problem.",
        "single",
        ep("mfa-reject", 2, spacing=300, response="OathCodeIncorrect", challenge=True, user="tom.becker@contoso.com"),
    ),
    _s(
        "sms-max-retry",
        "SMSAuthFailedMaxAllowedCodeRetryReached after wrong SMS codes (not an error).",
        "An SMS user enters wrong codes (SMSAuthFailedWrongCodeEntered) until the service answers "
        "SMSAuthFailedMaxAllowedCodeRetryReached. Benign; an admin may need to unblock the user.",
        "split",
        ep(
            "mfa-reject",
            3,
            spacing=200,
            challenge=True,
            user="olga.ivanova@contoso.com",
            response=Cycle(
                (
                    "SMSAuthFailedWrongCodeEntered",
                    "SMSAuthFailedWrongCodeEntered",
                    "SMSAuthFailedMaxAllowedCodeRetryReached",
                )
            ),
        ),
    ),
    _s(
        "authentication-throttled",
        "AuthenticationThrottled: too many attempts by one user (not an error).",
        "A test account hammers the VPN and the MFA service throttles it. Benign: wait or use another method.",
        "single",
        ep("mfa-reject", 2, spacing=360, response="AuthenticationThrottled", user="CONTOSO\\vpn-tester"),
    ),
    _s(
        "challenge-no-result",
        "OTP challenge issued but never answered: RD Gateway (MS-CHAPv2) cannot handle Access-Challenge.",
        "Authenticator-code users sign in through the RD Gateway; the extension issues a challenge that the "
        "gateway cannot relay, and nothing follows. Fix: PAP, or OVERRIDE_NUMBER_MATCHING_WITH_OTP=FALSE.",
        "split-long",
        ep("challenge-no-result", 2, nas="rdg", user=Cycle(("chen.wei@contoso.com", "søren.ågård@contoso.com"))),
        settings={"otp_override": "TRUE", "accounting": True},
    ),
    _s(
        "challenge-no-result-legacy",
        "Unanswered OTP challenge logged by an older extension version (no CID, no state).",
        "Same failure as challenge-no-result on a server running an older extension whose challenge event "
        "names only the user ('Challenge requested in Authentication Ext for User X.'); the analyzer must "
        "follow up by user alone.",
        "single",
        ep(
            "challenge-no-result", 2, nas="rdg", legacy=True, user=Cycle(("CONTOSO\\gpatel", "jörg.müller@contoso.com"))
        ),
        settings={"accounting": True},
    ),
    _s(
        "eap-access-challenge",
        "PEAP Wi-Fi sign-ins: the extension ignores each inner EAP Access-Challenge round (benign).",
        "Wi-Fi clients authenticate with PEAP; every inner EAP round trip is an Access-Challenge the extension "
        "logs as 'only performs Secondary Auth ... response state AccessChallenge, ignoring request' before "
        "NPS grants access. Informational only.",
        "split",
        ep(
            "healthy",
            4,
            nas="wifi",
            eap_rounds=3,
            user=Cycle(("anna.schmidt@contoso.com", "CONTOSO\\bwilliams", "hiroshi.tanaka@contoso.com")),
        ),
    ),
    _s(
        "primary-auth-failed",
        "Primary authentication fails before MFA: 6273 reason 16 plus 'only performs Secondary Auth ... AccessReject'.",
        "Users mistype their AD password; NPS rejects with reason 16 and the extension logs that it ignores "
        "requests in AccessReject state. Not an MFA problem.",
        "single",
        ep("primary-reject", 3, reason=16),
    ),
    _s(
        "ip-whitelist-benign",
        "REGISTRY_CONFIG_ERROR for IP_WHITELIST at NPS service start (benign).",
        "The NPS service restarts twice; each time the extension notes that the IP_WHITELIST registry value "
        "does not exist. Benign: the installer never creates it; create it empty to silence the event.",
        "single-long",
        ep("service-start", 2),
    ),
    _s(
        "nas-attributes-missing",
        "RADIUS client sends neither NAS-Identifier nor NAS-IP-Address: E7/E8 warnings (benign).",
        "An OPNsense firewall omits both attributes; each request logs 'Radius request is missing NAS "
        "Identifier and Nas IpAddress attribute' and the IP whitelist warning, yet sign-ins succeed.",
        "split",
        ep("healthy", 5, nas="opnsense", ip_whitelist=True),
        settings={"ip_whitelist": "10.10.9.5"},
    ),
    _s(
        "radius-shared-secret",
        "RADIUS shared-secret mismatch: System NPS event 18 (invalid Message-Authenticator).",
        "A newly added switch has the wrong shared secret; NPS logs event 18 for each of its requests and "
        "never answers it.",
        "single",
        ep("system", 2, event_id=18, level=2, data=("10.10.6.7",), count=6, interval=30),
    ),
    _s(
        "no-domain-controller",
        "No domain controller reachable: System NPS 4401/4402, 6273 reason 7.",
        "During a WAN outage DC01 stops answering (4401) and then no DC is available for CONTOSO (4402); "
        "sign-ins are rejected in primary authentication with reason 7.",
        "single",
        ep(
            "system",
            1,
            bounds=("12:00", "12:04"),
            outage=True,
            event_id=4401,
            level=3,
            data=("DC01.contoso.local", "CONTOSO"),
            count=1,
        ),
        ep(
            "system",
            1,
            bounds=("12:05", "12:20"),
            outage=True,
            event_id=4402,
            level=2,
            data=("CONTOSO",),
            count=4,
            interval=120,
        ),
        ep("primary-reject", 2, bounds=("12:06", "12:22"), outage=True, reason=7, user_known=False),
    ),
    _s(
        "access-denied-tenant",
        "AccessDenied: the user's UPN suffix belongs to another tenant.",
        "A partner user signs in with a fabrikam.com UPN; the Contoso tenant may not authenticate them.",
        "single",
        ep("mfa-reject", 1, response="AccessDenied", user="m.dubois@fabrikam.com"),
    ),
    _s(
        "registry-missing-key",
        "REGISTRY_CONFIG_ERROR for STS_URL: the configuration script was not run (not benign).",
        "At service start the extension cannot find STS_URL under HKLM\\SOFTWARE\\Microsoft\\AzureMfa. Fix: "
        "run AzureMfaNpsExtnConfigSetup.ps1.",
        "split",
        ep("service-start", 1, key="STS_URL", context="STS Url not intialized"),
        settings={"missing_values": ("STS_URL",)},
    ),
    _s(
        "radius-proxy-state-4418",
        "System NPS 4418: Access-Request with Proxy-State but no Message-Authenticator dropped (2024 hardening).",
        "After the July 2024 RADIUS hardening a firewall that adds Proxy-State without Message-Authenticator "
        "has its requests dropped. The capture shows the requests: Proxy-State, no Message-Authenticator, no "
        "answer.",
        "single",
        ep("system", 1, event_id=4418, level=2, data=("10.10.1.40",), count=5, interval=45),
    ),
    _s(
        "invalid-radius-client",
        "System NPS 13: requests from an address that is not a configured RADIUS client.",
        "A re-addressed access point sends requests from an unknown IP; NPS drops them.",
        "single",
        ep("system", 1, event_id=13, level=2, data=("10.10.8.44",), count=4, interval=40),
    ),
    _s(
        "no-policy-match",
        "6273 reason 48: the request matches no network policy (NPS policy problem, not MFA).",
        "Requests from the lab VPN match no network policy; NPS rejects them and the extension ignores them.",
        "split-long",
        ep("primary-reject", 2, reason=48, nas="lab"),
    ),
    _s(
        "nas-short-timeout",
        "A VPN resends every 5 s while users approve the push (~20 s): NAS timeout too short.",
        "The FortiGate's RADIUS timeout is 5 seconds; MFA push approvals take about 20. The capture shows each "
        "Access-Request resent three times before NPS answers; NPS grants access (6272) but the VPN has long "
        "given up. Fix: RADIUS timeout of at least 60 seconds on the VPN.",
        "single",
        ep(
            "healthy",
            4,
            nas="fortigate",
            approve=(18, 25),
            user=Cycle(
                ("anna.schmidt@contoso.com", "CONTOSO\\dkowalski", "emily.jones@contoso.com", "CONTOSO\\mrossi")
            ),
        ),
    ),
    _s(
        "pre-2023-endpoints",
        "AzureMfa registry in the pre-2023 layout (AZURE_MFA_HOSTNAME = adnotifications, no RESOURCE_HOSTNAME).",
        "The extension was installed before 2023 and never upgraded: the registry names "
        "adnotifications.windowsazure.com as the MFA host and has no AZURE_MFA_RESOURCE_HOSTNAME, TENANT_ID or "
        "CLIENT_CERT_IDENTIFIER. Sign-ins still work; the configuration check warns. Fix: upgrade the extension.",
        "split",
        ep("healthy", 6),
        settings={"endpoints": "pre-2023"},
    ),
    _s(
        "gov-cloud",
        "Azure Government endpoints (.us) in the registry: informational, no incident.",
        "The tenant lives in Azure Government; the AzureMfa values name the .us hosts and the capture shows "
        "the server talking to them. Healthy: the report lists the cloud, nothing else.",
        "single",
        ep("healthy", 6),
        settings={"cloud": "government"},
    ),
    _s(
        "extension-dlls-missing",
        "AuthSrv\\Parameters without the extension's DLLs: NPS never calls the extension, MFA is bypassed.",
        "AuthorizationDLLs and ExtensionDLLs are empty (left so by the health check's NPS-only test, or cleared by "
        "hand): NPS grants access (6272) on the AD password alone, the AzureMfa channels stay empty and no call "
        "reaches the MFA service. Only the registry dumps show it. Fix: restore the values (AuthSrv.reg) or "
        "reinstall the extension, then restart NPS.",
        "single",
        ep("healthy", 6),
        settings={"extension_dlls": False},
        solo=True,
    ),
    _s(
        "nps-auditing-disabled",
        "NPS auditing is off: AzureMfa events but no Security 6272/6273 anywhere in the bundle.",
        "The 'Network Policy Server' audit subcategory is disabled, so neither Security.evtx nor "
        "NPS_EventLog.log holds 6272/6273 and NPS's own verdicts are missing; the extension's events are all that "
        "is left (a USERNAME_CANONICALIZATION_ERROR, and a password failure only visible as 'only performs "
        'Secondary Auth ... AccessReject\'). Fix: auditpol /set /subcategory:"Network Policy Server" '
        "/success:enable /failure:enable.",
        "single",
        ep(
            "mfa-exception",
            1,
            code="USERNAME_CANONICALIZATION_ERROR",
            body="canonicalization",
            user="CONTOSO\\x.legacy",
        ),
        ep("primary-reject", 1, reason=16),
        settings={"auditing": False},
        solo=True,
    ),
)
# Scenarios kept in modules of their own, after the table above.
SCENARIOS += AADSTS_FAMILY_SCENARIOS
SCENARIOS += failure_classes.SCENARIOS

BY_NAME: dict[str, Scenario] = {scenario.name: scenario for scenario in SCENARIOS}

# Named selections accepted wherever scenario names are: "all", and the committed demo day.
DEMO_SCENARIOS: tuple[str, ...] = (
    "ip-whitelist-benign",
    "https-tls12-disabled",
    "user-not-found",
    "method-not-configured",
    "oath-code-incorrect",
    "challenge-no-result",
    "primary-auth-failed",
    "radius-shared-secret",
    "invalid-session",
)
