"""Events -> findings: every code an event carries, looked up in the catalog.

A code that the catalog does not know is still a finding (``entry_id`` None) so the report can show it as
"not in catalog" — an unknown code is exactly what a support engineer needs to see. AzureMfa events in which
neither the extractor nor a documented message finds a code become ``UNRECOGNISED_AZUREMFA_EVENT`` findings for
the same reason, whatever their level.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from nps_trace_analyzer.analysis.capture_codes import capture_attrs, capture_codes
from nps_trace_analyzer.catalog.model import Catalog
from nps_trace_analyzer.core.domain import AZUREMFA_CHANNEL_SUFFIXES, NPSEXT_TRACE_CHANNEL
from nps_trace_analyzer.core.model import Event, Finding
from nps_trace_analyzer.extract.azuremfa import MAX_TEXT, extract_azuremfa
from nps_trace_analyzer.extract.nps_audit import is_nps_audit, nps_audit_fields, system_code

UNRECOGNISED = "UNRECOGNISED_AZUREMFA_EVENT"
NPSEXT_TRACE_ERROR = "NPSEXT-TRACE-ERROR"
NPSEXT_CHANNEL = NPSEXT_TRACE_CHANNEL
_GUID_RE = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


def is_azuremfa(event: Event) -> bool:
    return (
        event.channel == NPSEXT_CHANNEL
        or "azuremfa" in event.provider.lower()
        or event.channel.lower().endswith(AZUREMFA_CHANNEL_SUFFIXES)
        or "NPS Extension for" in event.text
    )


def _data_values(event: Event) -> list[str]:
    """The event's Data strings that can carry text (not the hex Binary blob), in order."""
    return [value for name, value in event.data if name != "Binary" and value]


def _azuremfa_findings(event: Event, catalog: Catalog) -> Iterator[Finding]:
    """Findings of one NPS-extension event: every code the extractor or a documented message names.

    An event of the AzureMfa channels in which nothing is recognised is still a finding
    (``UNRECOGNISED_AZUREMFA_EVENT``) at every level: a support engineer must see what the tool could not
    read. Only the extension's verbose trace (NPSExtension.etl) keeps its code-less informational lines
    out, as there they are routine chatter.
    """
    # Names of decoded trace fields (NPSExtension.etl) are not the extension's message fields: left out.
    named = [(n, v) for n, v in event.data if n and n != "Binary"] if event.channel != NPSEXT_CHANNEL else []
    ex = extract_azuremfa(event.text, _data_values(event), catalog.token_codes(), named)
    attrs = ex.attrs()
    if event.computer:
        attrs["server"] = event.computer
    m = _GUID_RE.match(event.get("CorrelationId"))
    if "cid" not in attrs and m and m.group(1).strip("0-"):
        attrs["cid"] = m.group(1).lower()  # the trace may carry the CID as a field of its own (never the nil GUID)
    codes = list(ex.codes)
    for code in catalog.codes_by_message(event.text[:MAX_TEXT]):
        if all(code != seen for seen, _ in codes):
            codes.append((code, event.text))
    if not codes and event.channel == NPSEXT_CHANNEL:
        if event.level in (1, 2):
            entry = catalog.match(NPSEXT_TRACE_ERROR, event.text)
            yield Finding(event, NPSEXT_TRACE_ERROR, "error", entry.id if entry else None, attrs)
        return
    if not codes:
        kind = {1: "error", 2: "error", 3: "warning"}.get(event.level or 0, "info")
        entry = catalog.match(UNRECOGNISED, event.text)
        yield Finding(event, UNRECOGNISED, kind, entry.id if entry else None, attrs)
        return
    for code, _message in codes:
        entry = catalog.match(code, event.text)
        yield Finding(event, code, ex.kind_of(code), entry.id if entry else None, dict(attrs))


def findings_for(event: Event, catalog: Catalog) -> Iterator[Finding]:
    """Yield the findings of one event (none for events that carry nothing diagnosable)."""
    if event.source_kind == "capture":
        # Capture events carry what the decoder observed; the codes are named here (capture_codes).
        attrs = capture_attrs(event)
        for code in capture_codes(event):
            entry = catalog.match(code, event.text)
            yield Finding(event, code, "capture", entry.id if entry else None, dict(attrs))
        return
    if is_azuremfa(event):
        yield from _azuremfa_findings(event, catalog)
        return
    if is_nps_audit(event):
        attrs = nps_audit_fields(event)
        attrs["server"] = event.computer
        reason = attrs.get("reason_code", "")
        if event.event_id in (6273, 6274) and not reason.isdigit():
            # A copy that lost its "Reason Code:" line may still carry the documented Reason sentence.
            by_text = catalog.reason_code_by_message(attrs.get("reason") or event.text)
            if by_text is not None:
                reason = attrs["reason_code"] = str(by_text)
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
