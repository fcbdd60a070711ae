"""Scoring of the real event texts in tests/data/real_texts/ (shared by the test and by before/after runs).

Kept free of pytest so that the same scoring can be run against another checkout of the package
(``PYTHONPATH=<checkout> python tests/real_texts.py``) to compare versions on the same texts.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data" / "real_texts"
DATA = DATA_DIR / "azuremfa.yaml"
# The NPS decision each audit event id records (what "outcome" in the data files means).
DECISIONS = {6272: "granted", 6278: "granted", 6273: "denied", 6274: "discarded"}


def load_cases(names: tuple[str, ...] = ("azuremfa.yaml", "eventlogs.yaml")) -> list[dict[str, Any]]:
    """Every recorded real text with its source and conclusion (AzureMfa texts, then Security/System/NPS-log texts)."""
    cases: list[dict[str, Any]] = []
    for name in names:
        cases.extend(yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))["texts"])
    return cases


def event_for(text: str, level: int = 4) -> Any:
    """The text as the one Data string of an AuthZOptCh event (how an exported .evtx delivers it)."""
    from nps_trace_analyzer.core.model import Event

    return Event(
        time=datetime(2024, 1, 1, tzinfo=timezone.utc),
        source_file="AuthZOptCh.evtx",
        channel="AuthZOptCh",
        provider="Microsoft-AzureMfa-AuthZ",
        event_id=1,
        level=level,
        record_id=1,
        computer="NPS01",
        data=((None, text),),
        text=text,
    )


def _message_event(case: dict[str, Any]) -> Any:
    """A Security or System event that carries only its rendered message (what a post or a SIEM row keeps)."""
    from nps_trace_analyzer.core.model import Event

    security = case["form"] == "security-message"
    return Event(
        time=datetime(2024, 1, 1, tzinfo=timezone.utc),
        source_file="Security.evtx" if security else "System.evtx",
        channel="Security" if security else "System",
        provider="Microsoft-Windows-Security-Auditing" if security else case["provider"],
        event_id=case["event_id"],
        level=0 if security else case.get("level"),
        record_id=1,
        computer="NPS01",
        data=(),
        text=case["text"],
    )


def events_for(case: dict[str, Any]) -> list[Any]:
    """The events the analyzer makes of a case's text, by the form the text has (see the data files' headers)."""
    form = case.get("form", "azuremfa")
    if form == "azuremfa":
        return [event_for(case["text"], case.get("level", 4))]
    if form in ("security-message", "system-message"):
        return [_message_event(case)]
    if form == "event-text":
        from nps_trace_analyzer.sources.nps_eventlog_text import parse_wevtutil_text

        return list(parse_wevtutil_text(case["text"], "pasted.txt"))
    if form == "event-xml":
        from nps_trace_analyzer.sources.event_xml import parse_event_xml

        return list(parse_event_xml(case["text"], "pasted.xml"))
    if form == "nps-log":
        from nps_trace_analyzer.sources.iaslog import parse_nps_log, to_events

        return list(to_events(parse_nps_log(case["text"], "IN2401.log")))
    raise ValueError(f"unknown form {form!r} in case {case['id']}")


def findings_of(case: dict[str, Any], catalog: Any) -> tuple[list[Any], list[Any]]:
    """(events, findings) of one case."""
    from nps_trace_analyzer.analysis.findings import findings_for

    events = events_for(case)
    return events, [f for event in events for f in findings_for(event, catalog)]


def _record_problems(case: dict[str, Any]) -> list[str]:
    """nps-log cases: the rows the reader gives, field by field, against what the source shows."""
    from nps_trace_analyzer.sources.iaslog import parse_nps_log

    rows = list(parse_nps_log(case["text"], "IN2401.log"))
    out = [f"{len(rows)} rows read, expected {len(case['records'])}"] if len(rows) != len(case["records"]) else []
    for index, (row, want) in enumerate(zip(rows, case["records"], strict=False)):
        got = {
            "packet_type": row.packet_type,
            "user": row.user or row.fq_user,
            "reason_code": row.reason_code,
            "policy": row.policy_name,
        }
        out += [
            f"row {index} {key} is {got[key]!r}, expected {value!r}" for key, value in want.items() if got[key] != value
        ]
    return out


def problems(case: dict[str, Any], findings: list[Any], events: list[Any] | None = None) -> list[str]:
    """How the findings of one case differ from what its source concluded (empty: diagnosed as concluded)."""
    codes = {f.code for f in findings}
    out = [f"missing {code}" for code in case.get("codes", []) if code not in codes]
    if case.get("any_of") and not codes & set(case["any_of"]):
        out.append(f"none of {case['any_of']}")
    out += [f"unexpected {code}" for code in case.get("not", []) if code in codes]
    attrs: dict[str, str] = {}
    for finding in findings:
        for key in ("user", "cid"):
            if key in finding.attrs:
                attrs.setdefault(key, finding.attrs[key])
    for key in ("user", "cid"):
        if key in case and attrs.get(key) != case[key]:
            out.append(f"{key} is {attrs.get(key)!r}, expected {case[key]!r}")
    if case.get("no_findings") and findings:
        out.append(f"expected no finding, got {sorted(codes)}")
    if events is not None and case.get("form") in ("event-text", "event-xml"):
        ids = [e.event_id & 0xFFFF for e in events]
        if ids != [case["event_id"]]:
            out.append(f"events read {ids}, expected [{case['event_id']}]")
    if "outcome" in case:
        decisions = {DECISIONS.get(e.event_id & 0xFFFF) for e in events or []} - {None}
        decisions |= {f.attrs["outcome"] for f in findings if "outcome" in f.attrs}
        if decisions != {case["outcome"]}:
            out.append(f"outcome is {sorted(decisions)}, expected {case['outcome']!r}")
    if "records" in case:
        out += _record_problems(case)
    return out


def score(names: tuple[str, ...] = ("azuremfa.yaml", "eventlogs.yaml")) -> tuple[int, int, dict[str, list[str]]]:
    """(diagnosed as concluded, total, problems by case id) with the package found on sys.path."""
    from nps_trace_analyzer.catalog import load_catalog

    catalog = load_catalog()
    failed: dict[str, list[str]] = {}
    cases = load_cases(names)
    for case in cases:
        try:
            events, found = findings_of(case, catalog)
            issues = problems(case, found, events)
        except Exception as exc:  # an older checkout may not have a reader: score it as a miss, not a crash
            issues = [f"raised {type(exc).__name__}: {exc}"]
        if issues:
            failed[case["id"]] = issues
    return len(cases) - len(failed), len(cases), failed


if __name__ == "__main__":
    ok, total, failed = score(tuple(sys.argv[1:]) or ("azuremfa.yaml", "eventlogs.yaml"))
    for case_id, issues in failed.items():
        print(f"{case_id}: {'; '.join(issues)}")
    print(f"{ok}/{total} real texts diagnosed as their source concluded")
    sys.exit(0)
