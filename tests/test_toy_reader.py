"""A new reader is one module: registered from this test file alone, `analyze` recognises its files by content,
reads them and reports their events, with no other change to the program."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from nps_trace_analyzer.core.model import Event, InputFile
from nps_trace_analyzer.pipeline import analyze
from nps_trace_analyzer.sources import readers
from nps_trace_analyzer.sources.readers import Collector, Identity, ReaderSpec, Sniffed

MAGIC = "TOYLOG/1"


def sniff_toy(file: Sniffed) -> Identity | None:
    return Identity("toy-log", "toy") if file.stripped.startswith(MAGIC) else None


def read_toy(inp: InputFile, collector: Collector) -> Iterator[Event]:
    """Each line ``<ISO time> <text>`` after the magic line is one event."""
    inp.analysed = True
    with open(inp.path, encoding="utf-8") as fh:
        for number, line in enumerate(fh.read().splitlines()[1:], 1):
            when, _, text = line.partition(" ")
            inp.events_kept += 1
            yield Event(
                time=datetime.fromisoformat(when).replace(tzinfo=timezone.utc),
                source_file=inp.name,
                channel="Toy",
                provider="toy",
                event_id=1,
                level=4,
                record_id=number,
                computer="NPS01",
                data=(),
                text=text,
                source_kind="toy",
            )


TOY = ReaderSpec(
    kind="toy-log",
    read=read_toy,
    sniff=sniff_toy,
    sniff_rank=30,
    name_patterns=("*.toy",),
    signature="TOYLOG/1 first line",
    contributes="one event per line",
)


@pytest.fixture
def toy_reader(monkeypatch: pytest.MonkeyPatch) -> ReaderSpec:
    readers.load_builtin_readers()
    monkeypatch.setitem(readers._READERS, TOY.kind, TOY)  # removed again after the test
    return TOY


def test_a_registered_reader_is_used_by_analyze(tmp_path: Path, toy_reader: ReaderSpec) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    # Named like nothing in particular: the content decides.
    (bundle / "notes.txt").write_text(f"{MAGIC}\n2025-03-12T08:00:00 first toy line\n2025-03-12T08:00:05 second\n")
    (bundle / "broken.toy").write_bytes(b"\x00\x01\x02 not a toy log")
    out = tmp_path / "report"
    analyze([bundle], out)
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    inputs = {i["name"]: i for i in doc["inputs"]}
    assert inputs["notes.txt"]["kind"] == "toy-log" and inputs["notes.txt"]["role"] == "toy"
    assert inputs["broken.toy"]["kind"] == "unknown"
    assert "named like a toy-log file but has no TOYLOG/1 first line" in json.dumps(inputs["broken.toy"])
    with (out / "events.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["SourceFile"] == "notes.txt"]
    assert [r["Text"] for r in rows] == ["first toy line", "second"]


def test_without_the_reader_the_file_is_plain_text(tmp_path: Path) -> None:
    """The same file is not read when the toy reader is not registered: the registration is what made it work."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "notes.txt").write_text(f"{MAGIC}\n2025-03-12T08:00:00 first toy line\n")
    out = tmp_path / "report"
    analyze([bundle], out)
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert [i["kind"] for i in doc["inputs"]] == ["text"]
