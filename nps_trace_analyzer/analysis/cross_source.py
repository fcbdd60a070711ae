"""Findings that need the whole bundle, made after the event stream: server configuration from registry dumps,
"NPS auditing appears disabled", and NPS accounting-log transactions.

These cannot be decided event by event: the registry says nothing about time, auditing is judged by the *absence*
of audit events, and accounting rows only make sense once requests are paired with their answers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from nps_trace_analyzer.analysis.config_checks import check_before_after
from nps_trace_analyzer.analysis.findings import is_azuremfa
from nps_trace_analyzer.catalog.model import Catalog
from nps_trace_analyzer.core.model import Event, Finding, iso_z
from nps_trace_analyzer.core.times import human_time
from nps_trace_analyzer.core.wintime import FILETIME_EPOCH
from nps_trace_analyzer.extract import text_sieve
from nps_trace_analyzer.extract.nps_audit import is_nps_audit
from nps_trace_analyzer.extract.text_sieve import SIEVED_TEXTS, SievedTexts
from nps_trace_analyzer.sources.etl.npsext import summary_caps_note
from nps_trace_analyzer.sources.etl_source import CAPTURE_OVERVIEW
from nps_trace_analyzer.sources.iaslog import RadiusLogRecord, pair_requests, to_events
from nps_trace_analyzer.sources.npsext_source import NPSEXT_SUMMARY
from nps_trace_analyzer.sources.readers import Collector
from nps_trace_analyzer.sources.regdump import authsrv_parameters, azuremfa_values
from nps_trace_analyzer.sources.text_sources import ACCOUNTING_ROWS, REGISTRY_VALUES

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
AUDITING_DISABLED = "NPS-AUDITING-DISABLED"


@dataclass
class StreamCounts:
    """What the event stream saw, for the whole-bundle decisions."""

    azuremfa_events: int = 0
    audit_events: Counter[str] = field(default_factory=Counter)  # source kind -> NPS audit events (6272-6280)
    first_time: datetime | None = None
    last_time: datetime | None = None
    computers: Counter[str] = field(default_factory=Counter)
    # source file -> its AzureMfa events: a file holding nothing else (pasted or exported extension events) holds no
    # NPS decisions, so it is no audit source whatever its kind (pipeline.run._audit_sources)
    azuremfa_files: Counter[str] = field(default_factory=Counter)
    # Names of the bundle's files that could hold NPS audit decisions (Security.evtx, NPS_EventLog.log, accounting
    # logs), whether or not they held any: absence of audit events means "auditing off" only when one was there.
    audit_sources: tuple[str, ...] = ()

    def note(self, event: Event) -> None:
        """Count one event of the stream (an undated copy, kept at the FILETIME zero, widens no time range)."""
        if event.time != FILETIME_EPOCH:
            if self.first_time is None or event.time < self.first_time:
                self.first_time = event.time
            if self.last_time is None or event.time > self.last_time:
                self.last_time = event.time
        if is_nps_audit(event):
            self.audit_events[event.source_kind] += 1
        elif is_azuremfa(event):
            self.azuremfa_events += 1
            self.azuremfa_files[event.source_file] += 1
            if event.computer:
                self.computers[event.computer] += 1

    def merge(self, other: StreamCounts) -> None:
        """Add the counts of a later part of the stream (a shard counted in a worker process)."""
        for when in (other.first_time, other.last_time):
            if when is not None and (self.first_time is None or when < self.first_time):
                self.first_time = when
            if when is not None and (self.last_time is None or when > self.last_time):
                self.last_time = when
        self.audit_events.update(other.audit_events)
        self.azuremfa_events += other.azuremfa_events
        self.computers.update(other.computers)
        self.azuremfa_files.update(other.azuremfa_files)


@dataclass
class CrossSourceResult:
    server_config: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # (user, authentication type) of each accounting-log request: evidence the incident stage attaches to the
    # user's unanswered challenges. Data, not a call into that stage: data flows one way.
    auth_types: list[tuple[str, str]] = field(default_factory=list)


def _synthetic_event(when: datetime, source: str, channel: str, provider: str, text: str) -> Event:
    return Event(when, source, channel, provider, 0, None, None, "", (), text, source_kind="derived")


def _registry_findings(collector: Collector, catalog: Catalog, when: datetime, out: CrossSourceResult) -> None:
    dumps = collector.get(REGISTRY_VALUES)
    if not dumps:
        return
    states: dict[str, dict[str, Any]] = {"before": {}, "after": {}}
    files: dict[str, list[str]] = {"before": [], "after": []}
    for inp, dump in dumps:
        state = "before" if "before" in inp.name.lower() else "after"
        files[state].append(inp.name)
        azure, authsrv = azuremfa_values(dump), authsrv_parameters(dump)
        if azure is not None:
            states[state]["azuremfa"] = azure
        if authsrv is not None:
            states[state]["authsrv"] = authsrv
    checks = check_before_after(
        states["before"].get("azuremfa"),
        states["before"].get("authsrv"),
        states["after"].get("azuremfa") if states["after"] else None,
        states["after"].get("authsrv") if states["after"] else None,
    )
    for check in checks:
        row = asdict(check)
        out.server_config.append(row)
        if check.status not in ("problem", "warning") or not check.code or check.source == "before":
            continue
        source = ", ".join(files.get(check.source or "after") or files["before"] or files["after"])
        text = f"{check.title}: {check.detail}" + (f" [{check.evidence}]" if check.evidence else "")
        event = _synthetic_event(when, source, "Registry", "REG QUERY", text)
        entry = catalog.match(check.code, text)
        out.findings.append(Finding(event, check.code, "config", entry.id if entry else None, {}))


def _accounting(collector: Collector, catalog: Catalog, counts: StreamCounts, out: CrossSourceResult) -> None:
    records: list[RadiusLogRecord] = [r for _inp, recs in collector.get(ACCOUNTING_ROWS) for r in recs]
    if not records:
        return
    transactions = pair_requests(records)
    for tx in transactions:
        if tx.user and tx.auth_type_name and tx.request is not None:
            out.auth_types.append((tx.user, tx.auth_type_name))
    if sum(counts.audit_events.values()):
        out.notes.append("NPS accounting-log rejects are not counted again: the Security audit events cover them.")
        return
    for tx in transactions:
        # Rejects are findings; so are accepts (reason 0, "success"): with auditing off they are the only record
        # that a challenged sign-in was granted, and the catalog marks them benign (no incident).
        reason = 0 if tx.outcome == "accept" and tx.reason_code is None else tx.reason_code
        if tx.outcome not in ("reject", "accept") or reason is None or tx.response is None:
            continue
        event = next(to_events([tx.response]))
        code = f"NPS-REASON-{reason}"
        entry = catalog.by_reason_code(reason)
        attrs = {"user": tx.user, "reason_code": str(reason), "server": tx.response.server or ""}
        if tx.auth_type_name:
            attrs["auth_type"] = tx.auth_type_name
        out.findings.append(Finding(event, code, "nps-audit", entry.id if entry else None, attrs))


def cross_source_findings(collector: Collector, catalog: Catalog, counts: StreamCounts) -> CrossSourceResult:
    """Whole-bundle findings; the caller feeds ``result.findings`` and ``result.auth_types`` to the incident stage."""
    out = CrossSourceResult()
    when = counts.first_time or EPOCH
    _registry_findings(collector, catalog, when, out)
    _accounting(collector, catalog, counts, out)
    accounting_rejects = any(f.kind == "nps-audit" for f in out.findings)
    if counts.azuremfa_events and not counts.audit_sources:
        # A bundle collected without the Security log (common: it is large, or only the extension's logs were
        # asked for) says nothing about NPS auditing; claiming it is off would be a false configuration problem.
        out.notes.append(
            "The bundle holds no NPS audit source (Security.evtx, NPS_EventLog.log or an accounting log): NPS's own "
            "decisions (grants, rejects and their reason codes) cannot be seen, and whether NPS auditing is on "
            "was not judged."
        )
    elif counts.azuremfa_events and not sum(counts.audit_events.values()) and not accounting_rejects:
        # The most frequent computer name; ties by name, so the read order cannot change the text.
        server = max(counts.computers.items(), key=lambda kv: (kv[1], kv[0]))[0] if counts.computers else "the server"
        text = (
            f"{counts.azuremfa_events} AzureMfa events on {server} between {human_time(iso_z(counts.first_time))} and "
            f"{human_time(iso_z(counts.last_time))} UTC but no NPS audit event 6272/6273 "
            f"(checked: {', '.join(counts.audit_sources)})"
        )
        out.notes.append(
            "NPS auditing appears disabled: " + text + ". Primary-authentication failures and grants cannot be seen."
        )
        entry = catalog.match(AUDITING_DISABLED, text)
        event = _synthetic_event(when, "(bundle)", "Security", "Microsoft-Windows-Security-Auditing", text)
        out.findings.append(Finding(event, AUDITING_DISABLED, "config", entry.id if entry else None, {}))
    return out


def capture_overviews(collector: Collector) -> dict[str, Any]:
    return {inp.name: overview for inp, overview in collector.get(CAPTURE_OVERVIEW)}


def extension_traces(collector: Collector) -> dict[str, Any]:
    """NPSExtension.etl summaries for the report (never the on-disk path: zip members live in a temp dir): the
    reader's counts with what the text sieve found in the trace's texts placed after ``texts``."""
    sieved = {id(inp): texts for inp, texts in collector.get(SIEVED_TEXTS)}
    out: dict[str, Any] = {}
    for inp, trace in collector.get(NPSEXT_SUMMARY):
        texts = sieved.get(id(inp), SievedTexts())
        doc: dict[str, Any] = {}
        for key, value in trace.as_dict().items():
            if key != "path":
                doc[key] = value
            if key == "texts":
                doc.update(texts.as_dict())
        doc["distinct_dropped"] += texts.distinct_dropped
        caps = summary_caps_note(trace, texts.distinct_dropped, texts.matches_dropped, text_sieve.MAX_MATCHES)
        doc["notes"] = [*doc["notes"], *([caps] if caps else [])]
        doc["undecodable_lines"] = trace.undecodable_lines()
        out[inp.name] = doc
    return out
