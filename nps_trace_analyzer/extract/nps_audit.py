"""Fields of the NPS audit events (Security 6272-6280) and of the NPS/IAS/Schannel System events.

The Security events are named-data events (``docs/reference/domain-facts.md`` §4.2); the same names come
out of the wevtutil text reader, so this module serves both. Empty values are rendered by Windows as ``-``.
"""

from __future__ import annotations

from nps_trace_analyzer.domain import NPS_AUDIT_EVENT_IDS, SECURITY_AUDITING_PROVIDER
from nps_trace_analyzer.identity import user_key
from nps_trace_analyzer.model import Event

__all__ = ["is_nps_audit", "nps_audit_fields", "system_code", "user_key"]

SECURITY_PROVIDER = SECURITY_AUDITING_PROVIDER
NPS_AUDIT_IDS = NPS_AUDIT_EVENT_IDS
NPS_SYSTEM_PROVIDERS = frozenset({"nps", "ias"})
SCHANNEL_PROVIDERS = frozenset({"schannel", "microsoft-windows-schannel-events"})

_FIELDS = {
    # SubjectUserName is the User-Name the RADIUS client sent: the same string the extension logs.
    "user": ("SubjectUserName", "FullyQualifiedSubjectUserName"),
    "account": ("FullyQualifiedSubjectUserName",),
    "domain": ("SubjectDomainName",),
    "client_machine": ("SubjectMachineName",),
    "calling_station": ("CallingStationID",),
    "called_station": ("CalledStationID",),
    "nas_ip": ("NASIPv4Address", "NASIPv6Address"),
    "nas_identifier": ("NASIdentifier",),
    "nas_port_type": ("NASPortType",),
    "radius_client": ("ClientName",),
    "radius_client_ip": ("ClientIPAddress",),
    "proxy_policy": ("ProxyPolicyName",),
    "network_policy": ("NetworkPolicyName",),
    "auth_provider": ("AuthenticationProvider",),
    "auth_server": ("AuthenticationServer",),
    "auth_type": ("AuthenticationType",),
    "eap_type": ("EAPType",),
    "session_id": ("AccountSessionIdentifier",),
    "reason_code": ("ReasonCode",),
    "reason": ("Reason",),
}


_FIELD_ITEMS = tuple(_FIELDS.items())


def is_nps_audit(event: Event) -> bool:
    return event.provider.lower() == SECURITY_PROVIDER and event.event_id in NPS_AUDIT_IDS


def nps_audit_fields(event: Event) -> dict[str, str]:
    """The non-empty 6272-6280 fields under short names (user, nas_ip, reason_code, auth_type...)."""
    named = {name: value for name, value in event.data if name}
    out: dict[str, str] = {}
    for key, names in _FIELD_ITEMS:
        for name in names:
            value = named.get(name)
            if value and (value := value.strip()) and value != "-":  # Windows renders empty values as "-"
                out[key] = value
                break
    return out


def system_code(event: Event) -> str | None:
    """Catalog code of an NPS/IAS or Schannel System event, or None for other providers."""
    provider = event.provider.lower()
    if provider in NPS_SYSTEM_PROVIDERS:
        return f"SYSTEM-NPS-{event.event_id}"
    if provider in SCHANNEL_PROVIDERS:
        return f"SYSTEM-SCHANNEL-{event.event_id}"
    return None
