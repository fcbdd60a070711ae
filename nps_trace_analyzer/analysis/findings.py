"""Events -> findings: every code an event carries, looked up in the catalog.

A code that the catalog does not know is still a finding (``entry_id`` None) so the report can show it as
"not in catalog" — an unknown code is exactly what a support engineer needs to see. AzureMfa events in which
neither the extractor nor a documented message finds a code become ``UNRECOGNISED_AZUREMFA_EVENT`` findings for
the same reason, whatever their level.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator, Sequence

from nps_trace_analyzer.analysis.capture_codes import capture_attrs, capture_codes
from nps_trace_analyzer.catalog.model import Catalog
from nps_trace_analyzer.core.domain import AZUREMFA_CHANNEL_SUFFIXES, AZUREMFA_DISPLAY_PROVIDERS, NPSEXT_TRACE_CHANNEL
from nps_trace_analyzer.core.model import Event, Finding
from nps_trace_analyzer.extract.azuremfa import MAX_TEXT, extract_azuremfa
from nps_trace_analyzer.extract.nps_audit import is_nps_audit, nps_audit_fields, system_code
from nps_trace_analyzer.extract.templates import Outcome, TemplateCache

UNRECOGNISED = "UNRECOGNISED_AZUREMFA_EVENT"
NPSEXT_TRACE_ERROR = "NPSEXT-TRACE-ERROR"
NPSEXT_CHANNEL = NPSEXT_TRACE_CHANNEL
_GUID_RE = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


#: (channel, provider) -> whether that source alone makes an event the extension's: a log repeats a few; bounded.
_AZUREMFA_SOURCES: dict[tuple[str, str], bool] = {}
MAX_SOURCES = 256


def is_azuremfa(event: Event) -> bool:
    channel, provider = event.channel, event.provider
    by_source = _AZUREMFA_SOURCES.get((channel, provider))
    if by_source is None:
        by_source = (
            channel == NPSEXT_CHANNEL
            or "azuremfa" in provider.lower()
            or provider.strip().lower() in AZUREMFA_DISPLAY_PROVIDERS
            or channel.lower().endswith(AZUREMFA_CHANNEL_SUFFIXES)
        )
        if len(_AZUREMFA_SOURCES) >= MAX_SOURCES:
            _AZUREMFA_SOURCES.clear()
        _AZUREMFA_SOURCES[(channel, provider)] = by_source
    return by_source or "NPS Extension for" in event.text


def _azuremfa_outcome(text: str, data: Sequence[tuple[str | None, str]], trace: Hashable, catalog: Catalog) -> Outcome:
    """What one NPS-extension event says, from its text and Data alone: ``((code, kind, entry id)..., the entry id
    of the code-less fallback), attrs)``. A pure function of its arguments, so :class:`TemplateCache` may reuse it
    for every event of the same sentence template."""
    # Names of decoded trace fields (NPSExtension.etl) are not the extension's message fields: left out.
    named = [(n, v) for n, v in data if n and n != "Binary"] if not trace else []
    values = [value for name, value in data if name != "Binary" and value]
    ex = extract_azuremfa(text, values, catalog.token_codes(), named)
    attrs = ex.attrs()
    correlation = next((v for k, v in data if k is not None and k.lower() == "correlationid"), "")
    m = _GUID_RE.match(correlation)
    if "cid" not in attrs and m and m.group(1).strip("0-"):
        attrs["cid"] = m.group(1).lower()  # the trace may carry the CID as a field of its own (never the nil GUID)
    codes = [code for code, _message in ex.codes]
    for code in catalog.codes_by_message(text[:MAX_TEXT]):
        if code not in codes:
            codes.append(code)
    found = []
    for code in codes:
        entry = catalog.match(code, text)
        found.append((code, ex.kind_of(code), entry.id if entry else None))
    fallback = None
    if not codes:
        entry = catalog.match(NPSEXT_TRACE_ERROR if trace else UNRECOGNISED, text)
        fallback = entry.id if entry else None
    return (tuple(found), fallback), attrs


_OUTCOMES: list[tuple[Catalog, TemplateCache]] = []


def _outcomes(catalog: Catalog) -> TemplateCache:
    """The template cache of ``catalog`` (a catalog's codes and messages decide the outcomes it holds)."""
    for known, cache in _OUTCOMES:
        if known is catalog:
            return cache
    cache = TemplateCache(lambda text, data, trace: _azuremfa_outcome(text, data, trace, catalog))
    _OUTCOMES.insert(0, (catalog, cache))
    del _OUTCOMES[4:]
    return cache


def _azuremfa_findings(event: Event, catalog: Catalog) -> list[Finding]:
    """Findings of one NPS-extension event: every code the extractor or a documented message names.

    An event of the AzureMfa channels in which nothing is recognised is still a finding
    (``UNRECOGNISED_AZUREMFA_EVENT``) at every level: a support engineer must see what the tool could not
    read. Only the extension's verbose trace (NPSExtension.etl) keeps its code-less informational lines
    out, as there they are routine chatter.
    """
    trace = event.channel == NPSEXT_CHANNEL
    cache = _OUTCOMES[0][1] if _OUTCOMES and _OUTCOMES[0][0] is catalog else _outcomes(catalog)
    (found, fallback), attrs = cache(event.text, event.data, trace)  # attrs: a new dict at every call
    if event.computer:
        attrs["server"] = event.computer
    if not found:
        if trace:
            return [Finding(event, NPSEXT_TRACE_ERROR, "error", fallback, attrs)] if event.level in (1, 2) else []
        kind = {1: "error", 2: "error", 3: "warning"}.get(event.level or 0, "info")
        return [Finding(event, UNRECOGNISED, kind, fallback, attrs)]
    if len(found) == 1:
        ((code, kind, entry_id),) = found
        return [Finding(event, code, kind, entry_id, attrs)]
    return [Finding(event, code, kind, entry_id, dict(attrs)) for code, kind, entry_id in found]


def findings_for(event: Event, catalog: Catalog) -> list[Finding]:
    """The findings of one event (none for events that carry nothing diagnosable)."""
    if event.source_kind != "capture" and is_azuremfa(event):
        return _azuremfa_findings(event, catalog)
    return list(_other_findings(event, catalog))


def _other_findings(event: Event, catalog: Catalog) -> Iterator[Finding]:
    """:func:`findings_for` of the events that are not the extension's."""
    if event.source_kind == "capture":
        # Capture events carry what the decoder observed; the codes are named here (capture_codes).
        attrs = capture_attrs(event)
        for code in capture_codes(event):
            entry = catalog.match(code, event.text)
            yield Finding(event, code, "capture", entry.id if entry else None, dict(attrs))
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
