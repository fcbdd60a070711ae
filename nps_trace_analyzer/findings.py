"""Events -> findings: every code an event carries, looked up in the catalog.

A code that the catalog does not know is still a finding (``entry_id`` None) so the report can show it as
"not in catalog" — an unknown code is exactly what a support engineer needs to see. AzureMfa events at error or
warning level in which the grammar finds no code at all become ``UNRECOGNISED_AZUREMFA_EVENT`` findings for the
same reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Protocol

from nps_trace_analyzer.capture_codes import capture_attrs, capture_codes
from nps_trace_analyzer.domain import AZUREMFA_CHANNEL_SUFFIXES, NPSEXT_TRACE_CHANNEL
from nps_trace_analyzer.extract.azuremfa import (
    CHALLENGE_REQUESTED,
    NAS_ATTRIBUTES_MISSING,
    SECONDARY_AUTH_CODES,
    extract_azuremfa,
)
from nps_trace_analyzer.extract.nps_audit import is_nps_audit, nps_audit_fields, system_code
from nps_trace_analyzer.model import Event, Finding

UNRECOGNISED = "UNRECOGNISED_AZUREMFA_EVENT"
NPSEXT_TRACE_ERROR = "NPSEXT-TRACE-ERROR"
NPSEXT_CHANNEL = NPSEXT_TRACE_CHANNEL
_GUID_RE = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


class CatalogLike(Protocol):
    """What findings need from the catalog (see :mod:`nps_trace_analyzer.catalog`)."""

    def match(self, code: str, text: str = "") -> Any: ...

    def by_reason_code(self, n: int) -> Any: ...


def is_azuremfa(event: Event) -> bool:
    return (
        event.channel == NPSEXT_CHANNEL
        or "azuremfa" in event.provider.lower()
        or event.channel.lower().endswith(AZUREMFA_CHANNEL_SUFFIXES)
        or "NPS Extension for" in event.text
    )


def _kind_of(code: str, error_codes: list[str], mfa_response: str | None) -> str:
    if code in error_codes:
        return "error"
    if code == mfa_response:
        return "response"
    if code == CHALLENGE_REQUESTED:
        return "challenge"
    if code in SECONDARY_AUTH_CODES.values():
        return "secondary"
    if code.startswith("AADSTS"):
        return "aadsts"
    if code == NAS_ATTRIBUTES_MISSING or code.endswith("_WARNING"):
        return "warning"
    return "info"


def findings_for(event: Event, catalog: CatalogLike) -> Iterator[Finding]:
    """Yield the findings of one event (none for events that carry nothing diagnosable)."""
    if event.source_kind == "capture":
        # Capture events carry what the decoder observed; the codes are named here (capture_codes).
        attrs = capture_attrs(event)
        for code in capture_codes(event):
            entry = catalog.match(code, event.text)
            yield Finding(event, code, "capture", entry.id if entry else None, dict(attrs))
        return
    if is_azuremfa(event):
        ex = extract_azuremfa(event.text)
        attrs = ex.attrs()
        if event.computer:
            attrs["server"] = event.computer
        m = _GUID_RE.match(event.get("CorrelationId"))
        if "cid" not in attrs and m and m.group(1).strip("0-"):
            attrs["cid"] = m.group(1).lower()  # the trace may carry the CID as a field of its own (never the nil GUID)
        if not ex.codes and event.channel == NPSEXT_CHANNEL:
            if event.level in (1, 2):
                entry = catalog.match(NPSEXT_TRACE_ERROR, event.text)
                yield Finding(event, NPSEXT_TRACE_ERROR, "error", entry.id if entry else None, attrs)
            return
        if not ex.codes and (event.level in (1, 2, 3)):
            entry = catalog.match(UNRECOGNISED, event.text)
            kind = "error" if event.level in (1, 2) else "warning"
            yield Finding(event, UNRECOGNISED, kind, entry.id if entry else None, attrs)
            return
        for code, _message in ex.codes:
            entry = catalog.match(code, event.text)
            kind = _kind_of(code, ex.error_codes, ex.mfa_response)
            yield Finding(event, code, kind, entry.id if entry else None, dict(attrs))
        return
    if is_nps_audit(event):
        attrs = nps_audit_fields(event)
        attrs["server"] = event.computer
        reason = attrs.get("reason_code", "")
        if event.event_id in (6273, 6274) and reason.isdigit():
            entry = catalog.by_reason_code(int(reason))
            code = f"NPS-REASON-{int(reason)}"
        else:
            code = f"SECURITY-{event.event_id}"
            entry = catalog.match(code, event.text)
        yield Finding(event, code, "nps-audit", entry.id if entry else None, attrs)
        return
    code = system_code(event)
    if code is None:
        return
    entry = catalog.match(code, event.text)
    if entry is None and event.level not in (1, 2, 3):
        return  # informational System event the catalog does not describe: stays in events.csv only
    attrs = {"server": event.computer}
    yield Finding(event, code, "system", entry.id if entry else None, attrs)
