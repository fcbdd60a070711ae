"""End to end: every generator scenario, the combined bundle and the committed demo bundle are diagnosed as their
expected.json says — one incident per expected incident, with the expected primary code, category and benign flag,
and no incident that was not expected."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nps_trace_analyzer.cli import main
from nps_trace_analyzer.core.identity import user_key
from nps_trace_analyzer.synth.bundle import DEFAULT_DAY, expected_path, generate_bundle
from nps_trace_analyzer.synth.scenarios import SCENARIOS

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "samples" / "demo-bundle"
NAMES = [s.name for s in SCENARIOS]


def _key(inc: dict[str, Any]) -> tuple[str, ...]:
    kind = inc["kind"]
    if kind == "sign-in" or (kind == "challenge-no-result" and inc.get("cid")):
        return (kind, (inc.get("cid") or "").lower())
    if kind in ("server", "server-config"):
        # One code can make two server incidents (the benign IP_WHITELIST and a real missing key), and capture
        # incidents are per NAS: category and NAS tell them apart.
        nas = (
            inc.get("nas") or (inc.get("details") or {}).get("nas", "")
            if inc["primary_code"].startswith("CAPTURE-")
            else ""
        )
        return (kind, (inc.get("server") or "").lower(), inc["primary_code"], inc["category"], nas)
    return (kind, user_key(inc.get("user")), inc["primary_code"])


def assert_diagnosis(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    remaining = list(actual)
    problems: list[str] = []
    for exp in expected:
        match = next((a for a in remaining if _key(a) == _key(exp)), None)
        if match is None:
            problems.append(f"missing {_key(exp)} (expected {exp['primary_code']}/{exp['category']})")
            continue
        remaining.remove(match)
        for field in ("primary_code", "category", "benign"):
            if match[field] != exp[field]:
                problems.append(f"{_key(exp)}: {field} is {match[field]!r}, expected {exp[field]!r}")
        missing_codes = set(exp.get("codes", [])) - set(match["codes"])
        if missing_codes:
            problems.append(f"{_key(exp)}: codes {sorted(missing_codes)} not joined (has {match['codes']})")
    problems.extend(f"unexpected {_key(a)} {a['primary_code']}/{a['category']}: {a['summary']}" for a in remaining)
    assert not problems, "\n".join(problems)


def _analyze(target: Path, out: Path) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["analyze", "-q", str(target), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", NAMES)
def test_scenario(name: str, tmp_path: Path) -> None:
    bundle = generate_bundle(tmp_path / name, [name], seed=11, host="NPS01", day=DEFAULT_DAY, healthy=6)
    expected = json.loads(expected_path(bundle).read_text(encoding="utf-8"))
    doc = _analyze(bundle, tmp_path / "report")
    assert_diagnosis(doc["incidents"], expected["incidents"])


def test_all_scenarios_in_one_bundle(tmp_path: Path) -> None:
    bundle = generate_bundle(tmp_path / "all", ["all"], seed=5, host="NPS02", day=DEFAULT_DAY, healthy=40)
    expected = json.loads(expected_path(bundle).read_text(encoding="utf-8"))
    doc = _analyze(bundle, tmp_path / "report")
    assert_diagnosis(doc["incidents"], expected["incidents"])


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_demo_bundle(form: str, tmp_path: Path) -> None:
    expected = json.loads(expected_path(DEMO).read_text(encoding="utf-8"))
    target = DEMO if form == "folder" else DEMO.with_suffix(".zip")
    doc = _analyze(target, tmp_path / "report")
    assert_diagnosis(doc["incidents"], expected["incidents"])
    assert doc["summary"]["records_skipped"] == 0
    assert {i["role"] for i in doc["inputs"] if i["kind"] == "evtx"} >= {"AuthZOptCh", "Security", "System"}
    # Capture findings are worded as what the packets show: no server logged them.
    capture = [i for i in doc["incidents"] if i["primary_code"].startswith("CAPTURE-")]
    assert capture and all(i["summary"].startswith("The packet capture") for i in capture), capture
    # Every file of the sample is one the analyzer reads: nothing in it shows as "not analysed".
    assert all(i["kind"] not in ("unknown", "text", "skipped") for i in doc["inputs"]), doc["inputs"]


def test_reports_are_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    first, second = tmp_path / "a", tmp_path / "b"
    _analyze(DEMO, first)
    _analyze(DEMO, second)
    for name in ("report.html", "incidents.csv", "events.csv", "findings.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_nothing_readable_exits_1(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("just a note")
    shutil.copy(REPO / "LICENSE", tmp_path / "LICENSE")
    result = CliRunner().invoke(main, ["analyze", str(tmp_path), "-o", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "nothing in the input could be read" in result.output
    assert "not analysed: notes.txt" in result.output


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["analyze", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_a_reader_bug_costs_one_file_not_the_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception in one file's reader is reported for that file; the rest is still analysed."""
    from nps_trace_analyzer.sources import evtx_source

    def boom(*_args: object) -> None:
        raise RuntimeError("simulated reader bug")

    monkeypatch.setattr(evtx_source, "_decode_json", boom)  # Security/System (JSON path) fail, AzureMfa (XML) works
    result = CliRunner().invoke(main, ["analyze", "-q", str(DEMO), "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "r" / "findings.json").read_text(encoding="utf-8"))
    reasons = {i["name"]: i["reason"] for i in doc["inputs"]}
    assert "simulated reader bug" in reasons["Security.evtx"] and "internal error" in reasons["Security.evtx"]
    assert any(i["primary_code"] == "HTTPS_COMMUNICATION_ERROR" for i in doc["incidents"])
    assert "Traceback" not in result.output


def test_extension_trace_joins_the_incidents(tmp_path: Path) -> None:
    """NPSExtension.etl: a copy of an event-log message is not counted twice; a trace-only message with the CID
    joins that sign-in; an error without a code is a server incident."""
    from datetime import datetime, timedelta

    from nps_trace_analyzer.synth.etl.npsext import NpsExtTraceRecord, write_npsext_etl

    bundle = tmp_path / "bundle"
    shutil.copytree(DEMO, bundle, ignore=shutil.ignore_patterns("NPSExtension.etl"))
    first = _analyze(bundle, tmp_path / "before")
    target = next(i for i in first["incidents"] if i["primary_code"] == "HTTPS_COMMUNICATION_ERROR")
    when = datetime.fromisoformat(target["first_seen"].replace("Z", "+00:00"))
    copy_text = next(e["text"] for e in target["evidence"] if e["code"] == "HTTPS_COMMUNICATION_ERROR")
    records = [
        NpsExtTraceRecord(when + timedelta(milliseconds=5), copy_text, level=2),
        NpsExtTraceRecord(
            when + timedelta(seconds=30),
            f"NPS Extension for Azure MFA: CID: {target['cid']} :Exception in Authentication Ext for User "
            f"{target['user']} :: ErrorCode:: CID :{target['cid']} HTTPS_COMMUNICATION_ERROR Msg:: retry failed",
            level=2,
        ),
        NpsExtTraceRecord(when + timedelta(seconds=1), "MfaClient::SendRequest failed with 0x80072efd", level=2),
    ]
    write_npsext_etl(bundle / "NPSExtension.etl", records, buffer_size=64 * 1024)
    doc = _analyze(bundle, tmp_path / "after")
    joined = next(i for i in doc["incidents"] if i.get("cid") == target["cid"])
    assert [e["text"] for e in joined["evidence"] if e["file"] == "NPSExtension.etl"] == [records[1].message]
    assert joined["count"] == target["count"] + 1  # the copy is not counted
    trace_errors = [i for i in doc["incidents"] if i["primary_code"] == "NPSEXT-TRACE-ERROR"]
    assert len(trace_errors) == 1 and trace_errors[0]["category"] == "needs-support"
    assert "NPSExtension.etl" in doc["extension_traces"]
    assert "path" not in doc["extension_traces"]["NPSExtension.etl"]
    assert len(doc["incidents"]) == len(first["incidents"]) + 1
