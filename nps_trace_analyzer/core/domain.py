"""Domain constants of NPS and the Entra MFA NPS extension, written once and referenced everywhere.

Why one module: these facts (which Security event ids are NPS audits, which hosts the extension talks to, what
the extension's event channels are called) used to be copied into the readers, the capture decoder, the registry
checks and the rules, and the copies had drifted apart (one host list knew ``credentials.azure.*``, another the
China partner login host). Every stage imports them from here; no stage imports another stage to get them.
Sources: ``docs/reference/domain-facts.md`` and Microsoft's NPS-extension documentation.
"""

from __future__ import annotations

from typing import Final

# --- Windows event ids ---------------------------------------------------------------------------------------

#: Security log events NPS writes for each RADIUS request (6272 granted, 6273 denied, 6274 discarded, ...6280).
NPS_AUDIT_EVENT_IDS: Final = frozenset(range(6272, 6281))
NPS_GRANTED_EVENT_ID: Final = 6272
NPS_DENIED_EVENT_ID: Final = 6273
NPS_DISCARDED_EVENT_ID: Final = 6274
#: Security events whose reason code says why NPS refused a request.
NPS_REJECT_EVENT_IDS: Final = frozenset({NPS_DENIED_EVENT_ID, NPS_DISCARDED_EVENT_ID})
SECURITY_AUDITING_PROVIDER: Final = "microsoft-windows-security-auditing"
#: System-log providers of NPS ("NPS"; "IAS" on Server 2003 and in accounting rows) and of Schannel, lower case.
NPS_SYSTEM_PROVIDERS: Final = frozenset({"nps", "ias"})
SCHANNEL_PROVIDERS: Final = frozenset({"schannel", "microsoft-windows-schannel-events"})

# --- the extension's channels and trace -----------------------------------------------------------------------

#: The NPS extension's event log channels (``Microsoft-AzureMfa-AuthZ/AuthZOptCh`` ...), short names as the
#: health-check script names its exports (``<HOST>_AuthZOptCh.evtx``).
AZUREMFA_CHANNELS: Final = ("AuthNOptCh", "AuthZOptCh", "AuthZAdminCh")
AZUREMFA_CHANNEL_SUFFIXES: Final = tuple(c.lower() for c in AZUREMFA_CHANNELS)
#: The names Event Viewer shows for the extension's providers (its Source column and General tab: "AuthZ", "AuthN";
#: issue 57289's log table, domain-facts.md E6/E7), lower-cased. An exported table or a pasted copy without its
#: "Log Name" keeps only this name; the registered provider names are not public.
AZUREMFA_DISPLAY_PROVIDERS: Final = frozenset({"authz", "authn"})
#: Channel name given to events read from the extension's own ETW trace.
NPSEXT_TRACE_CHANNEL: Final = "NPSExtension.etl"

# --- the MFA endpoints ---------------------------------------------------------------------------------------

#: Every host the extension (or its token request) talks to, with the cloud it belongs to. The public hosts are
#: the health-check script's expectations; the .us and .cn hosts come from the Government / China tables.
MFA_ENDPOINT_CLOUDS: Final[dict[str, str]] = {
    "strongauthenticationservice.auth.microsoft.com": "public",
    "adnotifications.windowsazure.com": "public",
    "login.microsoftonline.com": "public",
    "credentials.azure.com": "public",
    "strongauthenticationservice.auth.microsoft.us": "government",
    "adnotifications.windowsazure.us": "government",
    "login.microsoftonline.us": "government",
    "credentials.azure.us": "government",
    "strongauthenticationservice.auth.microsoft.cn": "china",
    "adnotifications.windowsazure.cn": "china",
    "login.chinacloudapi.cn": "china",
    "login.partner.microsoftonline.cn": "china",
    "credentials.azure.cn": "china",
}
MFA_ENDPOINTS: Final = tuple(MFA_ENDPOINT_CLOUDS)
