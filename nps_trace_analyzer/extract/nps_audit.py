"""Fields of the NPS audit events (Security 6272-6280) and of the NPS/IAS/Schannel System events.

The Security events are named-data events (``docs/reference/domain-facts.md`` §4.2); the same names come
out of the wevtutil text reader, so this module serves both. Empty values are rendered by Windows as ``-``.

Why so lenient: bundles are not always written by Windows itself. Copies pass through Event Viewer exports, SIEM
forwarders and other tools that rename the provider ("Microsoft Windows security auditing."), change the case of
Data names, drop the names (positional values), keep only the rendered message ("Reason Code: 21"), or fold
the 32-bit event id with its qualifiers (0xC0001132 for 4402). Each of those keeps the meaning, so each is read;
the layout facts come from :mod:`nps_trace_analyzer.core.nps_audit_layout`, never from guesses here.
"""

from __future__ import annotations

import functools
import html
import re

from nps_trace_analyzer.core.domain import (
    NPS_AUDIT_EVENT_IDS,
    NPS_SYSTEM_PROVIDERS,
    SCHANNEL_PROVIDERS,
    SECURITY_AUDITING_PROVIDER,
)
from nps_trace_analyzer.core.identity import user_key
from nps_trace_analyzer.core.model import Event
from nps_trace_analyzer.core.nps_audit_layout import data_order, items_from_rendered

__all__ = ["event_code", "is_nps_audit", "nps_audit_fields", "system_code", "user_key"]

SECURITY_PROVIDER = SECURITY_AUDITING_PROVIDER
NPS_AUDIT_IDS = NPS_AUDIT_EVENT_IDS

# Short name -> the EventData names that carry it, best first. The Windows names lead; the others are what
# exports and forwarders write for the same RADIUS attribute (DTS/IAS attribute names, "AccountName"...).
_FIELDS = {
    # SubjectUserName is the User-Name the RADIUS client sent: the same string the extension logs.
    "user": (
        "SubjectUserName",
        "FullyQualifiedSubjectUserName",
        "AccountName",
        "UserName",
        "User-Name",
        "TargetUserName",
        "SAM-Account-Name",
    ),
    "account": ("FullyQualifiedSubjectUserName", "SAM-Account-Name", "Fully-Qualifed-User-Name"),
    "domain": ("SubjectDomainName", "AccountDomain"),
    "client_machine": ("SubjectMachineName",),
    "calling_station": ("CallingStationID", "Calling-Station-Id"),
    "called_station": ("CalledStationID", "Called-Station-Id"),
    "nas_ip": ("NASIPv4Address", "NASIPv6Address", "NAS-IP-Address"),
    "nas_identifier": ("NASIdentifier", "NAS-Identifier"),
    "nas_port_type": ("NASPortType", "NAS-Port-Type"),
    "radius_client": ("ClientName", "Client-Friendly-Name"),
    "radius_client_ip": ("ClientIPAddress", "Client-IP-Address"),
    "proxy_policy": ("ProxyPolicyName", "Proxy-Policy-Name"),
    "network_policy": ("NetworkPolicyName", "NP-Policy-Name"),
    "auth_provider": ("AuthenticationProvider",),
    "auth_server": ("AuthenticationServer",),
    "auth_type": ("AuthenticationType",),
    "eap_type": ("EAPType",),
    "session_id": ("AccountSessionIdentifier",),
    "quarantine_state": ("QuarantineState",),
    "reason_code": ("ReasonCode", "Reason-Code"),
    "reason": ("Reason",),
}
_FIELD_ITEMS = tuple((key, tuple(n.lower() for n in names)) for key, names in _FIELDS.items())
_FIELD_NAMES = dict(_FIELD_ITEMS)
_REASON_IDS = frozenset({6273, 6274, 6275})  # the refusals, whose Reason Code says why
# Values that mean "nothing here": Windows' "-" and the placeholders copies put in place of a value.
_EMPTY_VALUES = frozenset({"-", "--", "n/a", "null", "(null)", "none"})
# A reason code as it appears in copies: "21", "0x15" is not used by NPS, but "21 (0x15)" and "Reason Code 21" are.
_REASON_CODE_RE = re.compile(r"^\s*(?:reason\s*code\s*[:=]?\s*)?(\d{1,4})\b", re.IGNORECASE)


_PROVIDER_SEPARATORS = re.compile(r"[\s_-]+")


@functools.lru_cache(maxsize=256)
def _norm_provider(provider: str) -> str:
    """Event Viewer's display name ``Microsoft Windows security auditing.`` -> the provider name Windows logs.

    Cached: a bundle names a handful of providers, and this runs for every event (findings and observers).
    """
    return _PROVIDER_SEPARATORS.sub("-", provider.strip().rstrip(".").strip().lower())


def event_code(event: Event) -> int:
    """The event id without qualifier bits: some tools print 4402 as 3221230994 (0xC0001132)."""
    return event.event_id & 0xFFFF if event.event_id > 0xFFFF else event.event_id


def is_nps_audit(event: Event) -> bool:
    """A Security 6272-6280 event: by its provider, or by its channel when a copy lost the provider name."""
    provider = _norm_provider(event.provider)
    from_security = provider == SECURITY_PROVIDER or (not provider and event.channel.strip().lower() == "security")
    return from_security and event_code(event) in NPS_AUDIT_IDS


def _named_items(event: Event) -> dict[str, str]:
    """Data by lower-case name; unnamed values placed by the documented order; rendered labels as a last resort.

    Positional values are placed only when every value is unnamed and there are at least as many as the request
    fields every audit event starts with; otherwise an unnamed value could be anything and is left alone. The
    rendered message fills only what the data lacks (a copy that kept some names but carries the reason or the
    user only in its message text).
    """
    named: dict[str, str] = {}
    for name, value in event.data:
        if name:
            named.setdefault(name.lower(), value)
    if not named:
        values = [value for _name, value in event.data]
        order = data_order(event_code(event))
        if order and len(values) >= min(len(order), 24):
            named = {name.lower(): value for name, value in zip(order, values, strict=False)}
    if _lacks_essentials(named, event) and ":" in event.text:
        for name, value in items_from_rendered(event_code(event), _as_message(event.text)):
            named.setdefault(name.lower(), value)
    return named


_QUOTE_MARK_RE = re.compile(r"^[ \t]*>[ \t]?", re.MULTILINE)
_ENTITY_RE = re.compile(r"&(?:[A-Za-z]{2,8}|#\d{1,7}|#x[0-9A-Fa-f]{1,6});")


def _as_message(text: str) -> str:
    """A rendered message as Windows wrote it, from a post's copy of it: the markdown / e-mail quote marks at the
    start of its lines ("> Account Name: bob") removed, so a value does not end in the next line's ">", and HTML
    character references (``&lt;DOMAIN&gt;\\bob``) decoded."""
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and sum(1 for line in lines if _QUOTE_MARK_RE.match(line)) * 10 >= len(lines) * 6:
        text = _QUOTE_MARK_RE.sub("", text)
    if "&" in text and _ENTITY_RE.search(text):
        text = html.unescape(text)
    return text


def _lacks_essentials(named: dict[str, str], event: Event) -> bool:
    """No user, or a refusal without its reason code: worth reading the rendered message for."""
    has_user = any(_clean(named.get(n)) for n in _FIELD_NAMES["user"])
    needs_reason = event_code(event) in _REASON_IDS
    return not has_user or (needs_reason and not _clean(named.get("reasoncode")))


def _clean(value: str | None) -> str:
    if not value:
        return ""
    value = value.strip()
    return "" if value.lower() in _EMPTY_VALUES else value


def nps_audit_fields(event: Event) -> dict[str, str]:
    """The non-empty 6272-6280 fields under short names (user, nas_ip, reason_code, auth_type...)."""
    named = _named_items(event)
    out: dict[str, str] = {}
    for key, names in _FIELD_ITEMS:
        for name in names:
            value = _clean(named.get(name))
            if value:
                out[key] = value
                break
    if "reason_code" in out:
        m = _REASON_CODE_RE.match(out["reason_code"])
        if m:
            out["reason_code"] = str(int(m.group(1)))
    return out


def system_code(event: Event) -> str | None:
    """Catalog code of an NPS/IAS or Schannel System event, or None for other providers.

    Accounting-log rows also name "IAS" as their service but carry a RADIUS packet type as their id (13 would
    read as the System event "invalid RADIUS client"): they are never System events.
    """
    if event.source_kind == "iaslog":
        return None
    provider = _norm_provider(event.provider)
    if provider in NPS_SYSTEM_PROVIDERS:
        return f"SYSTEM-NPS-{event_code(event)}"
    if provider in SCHANNEL_PROVIDERS:
        return f"SYSTEM-SCHANNEL-{event_code(event)}"
    return None
