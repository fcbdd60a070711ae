"""The analysis result as one plain, JSON-ready document; every report is rendered from it.

Building the document once keeps the HTML, CSV and JSON outputs consistent with each other and makes the
JSON the documented contract (README "findings.json"). Ordering is fixed by construction so the same bundle
always gives the same bytes; only ``generated_at`` changes (pin it with ``SOURCE_DATE_EPOCH``).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from nps_trace_analyzer.catalog.schema import SEVERITIES
from nps_trace_analyzer.core.model import Incident, InputFile, iso_z
from nps_trace_analyzer.core.wintime import FILETIME_EPOCH
from nps_trace_analyzer.report.json_out import StreamedList
from nps_trace_analyzer.version import __version__

SCHEMA_VERSION = "1"


def generation_time() -> datetime:
    """Now, or ``SOURCE_DATE_EPOCH`` when set (reproducible reports for tests and golden files)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(tz=timezone.utc)


@dataclass
class AnalysisResult:
    bundle_name: str
    inputs: list[InputFile]
    incidents: list[Incident]
    catalog_version: str
    events_total: int = 0
    events_by_source: dict[str, int] = field(default_factory=dict)
    server_config: list[dict[str, Any]] = field(default_factory=list)
    capture: dict[str, Any] = field(default_factory=dict)
    extension_traces: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    timeline: dict[str, Any] = field(default_factory=dict)
    redacted: bool = False
    generated_at: datetime = field(default_factory=generation_time)

    @property
    def analysed_inputs(self) -> list[InputFile]:
        return [i for i in self.inputs if i.analysed]

    @property
    def content_read(self) -> list[InputFile]:
        """Analysed inputs that are not archives: an archive is "analysed" once listed, which reads nothing."""
        return [i for i in self.inputs if i.analysed and i.kind != "zip"]


def _input_doc(inp: InputFile) -> dict[str, Any]:
    return {
        "name": inp.name,
        "size": inp.size,
        "sha256": inp.sha256,
        "kind": inp.kind,
        "role": inp.role,
        "analysed": inp.analysed,
        "reason": inp.reason,
        "records_read": inp.records_read,
        "records_skipped": inp.records_skipped,
        "records_lost": inp.records_lost,
        "events_kept": inp.events_kept,
        "channels": dict(sorted(inp.channels.items())),
        "first_time": iso_z(inp.first_time) or None,
        "last_time": iso_z(inp.last_time) or None,
        "warnings": list(inp.warnings),
    }


class _IsoTimes(dict):  # type: ignore[type-arg]
    """``iso_z`` of each time, remembered: an incident's times repeat in its evidence (30 k incidents on a busy
    day format half as many times), and every incident then shares one string per instant."""

    def __missing__(self, value: datetime | None) -> str:
        text = self[value] = iso_z(value)
        return text


def _incident_doc(inc: Incident, iso: _IsoTimes | None = None) -> dict[str, Any]:
    """``iso``: the times formatted so far (shared by the incidents of one document)."""
    if iso is None:
        iso = _IsoTimes()
    return {
        "id": inc.id,
        "kind": inc.kind,
        "cid": inc.cid,
        "user": inc.user,
        "server": inc.server,
        "first_seen": iso[inc.first_seen],
        "last_seen": iso[inc.last_seen],
        "count": inc.count,
        "codes": list(inc.codes),
        "primary_code": inc.primary_code,
        "category": inc.category,
        "severity": inc.severity,
        "benign": inc.benign,
        "in_catalog": inc.in_catalog,
        "generic": inc.generic,
        "title": inc.title,
        "summary": inc.summary,
        "steps": list(inc.steps),
        "doc_links": list(inc.doc_links),
        "details": dict(sorted(inc.attrs.items())),
        "evidence": [
            {
                "file": ev.file,
                "channel": ev.channel,
                "event_id": ev.event_id,
                "record_id": ev.record_id,
                "time": iso[ev.time],
                "code": ev.code,
                "text": ev.text,
            }
            for ev in inc.evidence
        ],
    }


#: Incidents whose findings.json documents the pipeline makes all at once (measured ~2 KB each: ~100 MB at most);
#: beyond this many they are made as they are written (:class:`IncidentDocs`), a batch at a time. Below it the
#: whole list is the cheaper way (about a tenth of the report stage's CPU on 30 k incidents, measured); above it
#: memory matters more.
STREAM_INCIDENTS_FROM = 50_000
#: Times an :class:`IncidentDocs` remembers formatted; beyond this it starts again (same text, bounded memory).
ISO_TIMES_KEPT = 4096


class IncidentDocs(StreamedList):
    """findings.json's incidents, each made into its document only when read (and redacted then, when asked).

    Why: a bundle of failures has as many incidents as records; their documents held all at once, beside the
    incidents themselves, were the peak of the whole run (report/writer.py writes findings.json, incidents.csv and
    the page in one pass over them). Read again, they are made again: the same documents.
    """

    def __init__(self, incidents: Sequence[Incident], redact: Callable[[Any], Any] | None = None) -> None:
        self._incidents, self._redact = incidents, redact

    def __len__(self) -> int:
        return len(self._incidents)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        iso, redact = _IsoTimes(), self._redact
        for inc in self._incidents:
            if len(iso) > ISO_TIMES_KEPT:
                iso = _IsoTimes()
            doc = _incident_doc(inc, iso)
            yield doc if redact is None else redact(doc)

    def redacted(self, redact: Callable[[Any], Any]) -> IncidentDocs:
        """The same incidents, each document passed through ``redact`` (the redactor's document copy)."""
        return IncidentDocs(self._incidents, redact)


def _causes(incidents: list[Incident]) -> list[dict[str, Any]]:
    """Incidents grouped by primary code: "4 sign-ins of 3 users failed with HTTPS_COMMUNICATION_ERROR"."""
    groups: dict[str, list[Incident]] = {}
    for inc in incidents:
        groups.setdefault(inc.primary_code, []).append(inc)
    rows = []
    for code, members in groups.items():
        rows.append(
            {
                "primary_code": code,
                "title": members[0].title,
                "category": members[0].category,
                "severity": members[0].severity,
                "benign": all(m.benign for m in members),
                "incidents": len(members),
                "users": sorted({m.user for m in members if m.user}),
                "servers": sorted({m.server for m in members if m.server}),
                "first_seen": iso_z(min((m.first_seen for m in members), key=lambda t: (t == FILETIME_EPOCH, t))),
                "last_seen": iso_z(max(m.last_seen for m in members)),
                "incident_ids": [m.id for m in members],
            }
        )
    rows.sort(key=lambda r: (r["benign"], -r["incidents"], r["primary_code"]))
    return rows


def _verdict(causes: list[dict[str, Any]], headline: int) -> dict[str, Any] | None:
    """The cause to fix first: the most severe non-benign cause, and among equals the one behind most incidents.

    Severity comes first because a critical server fault (the extension cannot reach Entra ID) breaks every
    sign-in, while a larger number of wrong-code rejections is users' business.
    """
    real = [c for c in causes if not c["benign"]]
    if not real:
        return None
    rank = {s: n for n, s in enumerate(SEVERITIES)}
    best = min(real, key=lambda c: (rank.get(c["severity"], len(rank)), -c["incidents"], c["primary_code"]))
    share = best["incidents"] / headline if headline else 0.0
    return {
        "primary_code": best["primary_code"],
        "title": best["title"],
        "category": best["category"],
        "severity": best["severity"],
        "incidents": best["incidents"],
        "users": len(best["users"]),
        "share": round(share, 4),
        "first_seen": best["first_seen"],
        "last_seen": best["last_seen"],
        "why": (
            f"the most severe cause found ({best['severity']}), behind {best['incidents']} of {headline} incident(s)"
            + (f" and {len(best['users'])} user(s)" if best["users"] else "")
        ),
    }


def _top(incidents: list[Incident], what: str, limit: int = 10) -> list[dict[str, Any]]:
    """The users or NAS (RADIUS clients) behind most non-benign incidents, with their count."""
    counts: Counter[str] = Counter()
    for inc in incidents:
        if inc.benign:
            continue
        value = inc.user if what == "user" else (inc.attrs.get("nas") or inc.attrs.get("radius_client"))
        if value:
            counts[value] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"name": name, "incidents": n} for name, n in ranked[:limit]]


def to_document(result: AnalysisResult, stream_incidents: bool = False) -> dict[str, Any]:
    """The whole result as the ``findings.json`` document; with ``stream_incidents`` its incidents are an
    :class:`IncidentDocs` (made as they are written) instead of a list."""
    times = [t for i in result.inputs for t in (i.first_time, i.last_time) if t is not None]
    servers = sorted({inc.server for inc in result.incidents if inc.server})
    headline = [i for i in result.incidents if not i.benign]
    by_category = Counter(i.category for i in headline)
    benign_by_category = Counter(i.category for i in result.incidents if i.benign)
    causes = _causes(result.incidents)
    iso = _IsoTimes()
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "nps-trace-analyzer", "version": __version__},
        "catalog_version": result.catalog_version,
        "generated_at": iso_z(result.generated_at),
        "bundle": result.bundle_name,
        "time_range": {"first": iso_z(min(times)) if times else None, "last": iso_z(max(times)) if times else None},
        "servers": servers,
        "summary": {
            "incidents": len(headline),
            "benign_incidents": len(result.incidents) - len(headline),
            "by_category": dict(sorted(by_category.items())),
            "benign_by_category": dict(sorted(benign_by_category.items())),
            "inputs": len(result.inputs),
            "inputs_analysed": len(result.analysed_inputs),
            "inputs_not_analysed": len(result.inputs) - len(result.analysed_inputs),
            "records_read": sum(i.records_read for i in result.inputs),
            "records_skipped": sum(i.records_skipped for i in result.inputs),
            "records_lost": sum(i.records_lost for i in result.inputs),
            "events": result.events_total,
            "events_by_source": dict(sorted(result.events_by_source.items())),
        },
        "redacted": result.redacted,
        "verdict": _verdict(causes, len(headline)),
        "causes": causes,
        "top": {"users": _top(result.incidents, "user"), "nas": _top(result.incidents, "nas")},
        "timeline": dict(result.timeline),
        "notes": list(result.notes),
        "inputs": [_input_doc(i) for i in result.inputs],
        "server_config": list(result.server_config),
        "capture": dict(result.capture),
        "extension_traces": dict(result.extension_traces),
        "incidents": IncidentDocs(result.incidents)
        if stream_incidents
        else [_incident_doc(i, iso) for i in result.incidents],
    }
