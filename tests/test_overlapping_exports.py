"""Two exports of one log that overlap in time count each record once, in any read order, with a note; records
that only look alike (same text, another EventRecordID in the same log) still count separately."""

from __future__ import annotations

import json
import random
import shutil
import tracemalloc
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from nps_trace_analyzer.core.model import Event, InputFile
from nps_trace_analyzer.pipeline import AnalyzeOptions, analyze
from nps_trace_analyzer.pipeline import run as pipeline
from nps_trace_analyzer.sources import overlap
from nps_trace_analyzer.sources.overlap import OverlapFilter, overlapping_inputs
from nps_trace_analyzer.synth.evtx.writer import EvtxWriter
from nps_trace_analyzer.synth.spec import EventSpec
from nps_trace_analyzer.synth.textfiles import render_description

T0 = datetime(2025, 3, 12, 9, 0, 0, tzinfo=timezone.utc)


def _reject(n: int) -> EventSpec:
    return EventSpec(
        provider="Microsoft-Windows-Security-Auditing",
        event_id=6273,
        time=T0 + timedelta(minutes=n),
        channel="Security",
        computer="NPS01.contoso.local",
        level=0,
        event_data=(("SubjectUserName", f"user{n}"), ("ReasonCode", "16"), ("Reason", "credentials mismatch")),
    )


def _export(path: Path, numbers: Sequence[int]) -> None:
    """Consecutive records n, n+1, ... keep their EventRecordID 100 + n in every export, as Windows keeps them."""
    with EvtxWriter(path, first_record_id=100 + numbers[0]) as writer:
        for n in numbers:
            writer.write(_reject(n))


def _run(bundle: Path, out: Path, monkeypatch: pytest.MonkeyPatch, reverse: bool, jobs: int = 2) -> dict:
    original = pipeline._read_order

    def order(files: Sequence[InputFile]) -> list[InputFile]:
        chosen = original(files)
        return chosen[::-1] if reverse else chosen

    monkeypatch.setattr(pipeline, "_read_order", order)
    analyze([bundle], out, AnalyzeOptions(jobs=jobs))
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


def test_overlapping_evtx_exports_count_each_record_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    _export(bundle / "Security_monday.evtx", [0, 1, 2, 3])
    _export(bundle / "Security_tuesday.evtx", [2, 3, 4])  # records 2 and 3 in both exports
    first = _run(bundle, tmp_path / "a", monkeypatch, reverse=False)
    second = _run(bundle, tmp_path / "b", monkeypatch, reverse=True)
    strip = {k: v for k, v in first.items() if k not in ("generated",)}
    assert strip == {k: v for k, v in second.items() if k not in ("generated",)}
    # Held in the parent whether the shards were read in-process or by workers (which then send events back).
    one_job = _run(bundle, tmp_path / "c", monkeypatch, reverse=False, jobs=1)
    assert strip == {k: v for k, v in one_job.items() if k not in ("generated",)}
    text = json.dumps(first)
    assert "2 event(s) in Security_tuesday.evtx are the same records as in Security_monday.evtx" in text
    per_user = {inc["user"]: inc["count"] for inc in first["incidents"] if inc["primary_code"] == "NPS-REASON-16"}
    assert per_user == {f"user{n}": 1 for n in range(5)}  # users 2 and 3 were in both exports: still once


def _event(source: str, record_id: int, kind: str = "evtx", user: str = "alice") -> Event:
    return Event(
        time=T0,
        source_file=source,
        channel="Security",
        provider="Microsoft-Windows-Security-Auditing",
        event_id=6273,
        level=0,
        record_id=record_id,
        computer="NPS01",
        data=(("SubjectUserName", user), ("ReasonCode", "16")),
        text="",
        source_kind=kind,
    )


def _inp(name: str, kind: str = "evtx", role: str = "Security") -> InputFile:
    return InputFile(name, name, 1, "", kind, role=role)


def test_look_alikes_are_not_repeats() -> None:
    flt = OverlapFilter({"a.evtx", "b.evtx", "c.txt"})
    a, b, c = _inp("a.evtx"), _inp("b.evtx"), _inp("c.txt", "nps-eventlog-text")
    flt.hold(a, _event("a.evtx", 7), [])
    flt.hold(a, _event("a.evtx", 8), [])  # same text, another record of the same log: a real second event
    flt.hold(b, _event("b.evtx", 9), [])  # another record id in another export: not the same record
    flt.hold(b, _event("b.evtx", 7, user="bob"), [])  # same id, other content: not the same record
    flt.hold(b, _event("b.evtx", 7), [])  # the same record
    flt.hold(c, _event("c.txt", 0, kind="nps-text"), [])  # a text copy has no record id: the same record
    released = list(flt.release())
    assert sum(kept for _e, _f, kept in released) == 4
    assert flt.repeats == {("b.evtx", "a.evtx"): 1, ("c.txt", "a.evtx"): 1}


def test_only_inputs_sharing_a_channel_are_held() -> None:
    files = [_inp("Security.evtx"), _inp("System.evtx", role="System"), _inp("AuthZOptCh.evtx", role="AuthZOptCh")]
    assert overlapping_inputs(files) == set()
    files.append(_inp("Security.xml", "event-xml"))
    assert overlapping_inputs(files) == {"Security.evtx", "Security.xml"}
    files.append(_inp("export.evtx", role=""))  # unknown channel: may repeat anything
    assert "export.evtx" in overlapping_inputs(files)


def test_an_input_of_unknown_channel_is_compared_with_a_lone_log() -> None:
    """An export whose channel is unknown until read may repeat a log no other input shares (a lone Security.evtx):
    that log is held too, so the two are compared; an input set aside whole as a repeat is not."""
    files = [_inp("Security.evtx"), _inp("AuthZOptCh.evtx", role="AuthZOptCh"), _inp("events.json", "event-json", "")]
    assert overlapping_inputs(files) == {"Security.evtx", "AuthZOptCh.evtx", "events.json"}
    files.append(_inp("NPS_EventLog.log", "nps-eventlog-text", "Security-text"))
    assert "NPS_EventLog.log" not in overlapping_inputs(files, repeats={"NPS_EventLog.log"})
    assert overlapping_inputs(files[:1]) == set()


def _json_export(path: Path, numbers: Sequence[int]) -> None:
    """``Get-WinEvent -LogName Security | Select-Object Id,RecordId,... | ConvertTo-Json`` without ``LogName``: the
    channel is unknown until read (the reader gives the auditing provider's events to Security). Messages are
    rendered as Windows renders them, "-" for the fields the record does not carry."""
    objects = []
    for n in numbers:
        spec = _reject(n)
        event = Event(
            time=spec.time,
            source_file="",
            channel=spec.channel,
            provider=spec.provider,
            event_id=spec.event_id,
            level=0,
            record_id=100 + n,
            computer=spec.computer,
            data=spec.event_data,
            text="",
        )
        objects.append(
            {
                "Message": render_description(event),
                "Id": spec.event_id,
                "RecordId": 100 + n,
                "ProviderName": spec.provider,
                "MachineName": spec.computer,
                "TimeCreated": spec.time.isoformat(),
            }
        )
    path.write_text(json.dumps(objects, indent=2), encoding="utf-8")


def test_an_export_of_unknown_channel_does_not_count_a_lone_security_log_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    alone, both = tmp_path / "alone", tmp_path / "both"
    alone.mkdir()
    _export(alone / "Security.evtx", [0, 1, 2, 3])
    shutil.copytree(alone, both)
    _json_export(both / "events.json", [1, 2, 3])  # an export of part of the same log
    expected = _run(alone, tmp_path / "a", monkeypatch, reverse=False)
    for reverse, jobs in ((False, 2), (True, 1)):
        found = _run(both, tmp_path / f"b{reverse}", monkeypatch, reverse=reverse, jobs=jobs)
        assert "3 event(s) in events.json are the same records as in Security.evtx" in " ".join(found["notes"])
        assert found["timeline"] == expected["timeline"]  # each sign-in attempt once, not 1-3 twice
        assert found["summary"]["events"] == expected["summary"]["events"] + 3  # listed in events.csv all the same
        per_user = {inc["user"]: inc["count"] for inc in found["incidents"] if inc["primary_code"] == "NPS-REASON-16"}
        assert per_user == {f"user{n}": 1 for n in range(4)}


def _hold_all(flt: OverlapFilter, copies: Sequence[tuple[str, Event]]) -> list[tuple[str, int | None, bool]]:
    for name, event in copies:
        flt.hold(_inp(name, event.source_kind), event, [])
    return [(e.source_file, e.record_id, kept) for e, _f, kept in flt.release()]


def test_held_events_beyond_the_memory_cap_go_to_disk_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same copies give the same release order, kept flags and repeats whether they fit in memory or not."""
    rng = random.Random(7)
    copies = []
    for n in range(400):
        name = rng.choice(["a.evtx", "b.evtx", "c.txt"])
        kind = "nps-text" if name == "c.txt" else "evtx"
        event = _event(name, rng.randrange(20), kind=kind, user=f"u{rng.randrange(5)}")
        copies.append((name, replace(event, time=T0 + timedelta(seconds=rng.randrange(3)), text=str(n))))
    names = {"a.evtx", "b.evtx", "c.txt"}
    whole, spilled = OverlapFilter(names), OverlapFilter(names, in_memory=7)
    monkeypatch.setattr(overlap, "MAX_RUNS", 4)  # 57 runs: merged into one every 4, few files open at a time
    open_runs: list[int] = []  # runs on disk each time one is written
    original = overlap._write_run
    monkeypatch.setattr(overlap, "_write_run", lambda c: open_runs.append(len(spilled._runs)) or original(c))
    assert _hold_all(spilled, copies) == _hold_all(whole, copies)
    assert len(open_runs) > 57 and max(open_runs) <= 4  # merges wrote runs too; never more than 4 runs at once
    assert spilled.repeats == whole.repeats and sum(whole.repeats.values()) > 50
    assert sum(spilled.spilled().values()) == 399 and whole.spilled() == {}  # 57 runs of 7; the last one in memory


def test_memory_held_for_the_overlap_check_is_bounded() -> None:
    """A hostile bundle of many unknown-channel exports: what is held in memory stays under the cap's worth."""
    flt = OverlapFilter({"export.evtx"}, in_memory=500)
    inp = _inp("export.evtx", role="")
    tracemalloc.start()
    try:
        for n in range(20_000):
            flt.hold(inp, replace(_event("export.evtx", n), text=f"{n} " + "x" * 1000), [])
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024**2  # all 20,000 in memory take over 25 MB
    assert sum(1 for _ in flt.release()) == 20_000


def test_the_report_says_which_inputs_were_held_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    _export(bundle / "Security_monday.evtx", [0, 1, 2, 3])
    _export(bundle / "Security_tuesday.evtx", [2, 3, 4])
    in_memory = _run(bundle, tmp_path / "a", monkeypatch, reverse=False, jobs=1)
    monkeypatch.setattr(overlap, "HELD_IN_MEMORY", 2)
    on_disk = _run(bundle, tmp_path / "b", monkeypatch, reverse=False, jobs=1)
    warnings = {inp["name"]: inp.pop("warnings") for inp in on_disk["inputs"]}
    assert warnings["Security_monday.evtx"] == [overlap.held_on_disk_note(4)]
    assert warnings["Security_tuesday.evtx"] == [overlap.held_on_disk_note(2)]  # its last event stayed in memory
    for inp in in_memory["inputs"]:
        assert inp.pop("warnings") == []
    assert on_disk == in_memory
