"""Order independence: the same bundle read in any file order gives a byte-identical findings.json.

Every scenario's bundle (event logs, Security.evtx and its NPS_EventLog.log copy, NPSExtension.etl repeating the
event logs, accounting log, registry dumps, capture) is analysed with the files read in the pipeline's order,
reversed, and shuffled; at the engine level, the findings of the combined bundle are fed in many random orders.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import pytest

from nps_trace_analyzer.analysis.incidents import IncidentEngine, Intake
from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.core.model import Finding, InputFile
from nps_trace_analyzer.pipeline import AnalyzeOptions, analyze
from nps_trace_analyzer.pipeline import run as pipeline
from nps_trace_analyzer.report.result import AnalysisResult, to_document
from nps_trace_analyzer.synth.bundle import DEFAULT_DAY, generate_bundle
from nps_trace_analyzer.synth.scenarios import SCENARIOS

NAMES = [s.name for s in SCENARIOS]


def _orders(seed: int) -> list[tuple[str, object]]:
    return [("reversed", None), ("shuffled", seed), ("shuffled", seed + 1)]


def _analyse(bundle: Path, out: Path, monkeypatch: pytest.MonkeyPatch, order: tuple[str, object] | None) -> bytes:
    original = pipeline._read_order

    def reorder(files: Sequence[InputFile]) -> list[InputFile]:
        chosen = original(files)
        if order is None:
            return chosen
        if order[0] == "reversed":
            return chosen[::-1]
        random.Random(order[1]).shuffle(chosen)
        return chosen

    monkeypatch.setattr(pipeline, "_read_order", reorder)
    analyze([bundle], out)
    return (out / "findings.json").read_bytes()


@pytest.mark.parametrize("name", [*NAMES, "all"])
def test_read_order_does_not_change_findings_json(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    healthy = 20 if name == "all" else 6
    bundle = generate_bundle(tmp_path / name, [name], seed=3, host="NPS01", day=DEFAULT_DAY, healthy=healthy)
    reference = _analyse(bundle, tmp_path / "ref", monkeypatch, None)
    for i, order in enumerate(_orders(len(name))):
        got = _analyse(bundle, tmp_path / f"r{i}", monkeypatch, order)
        assert got == reference, f"findings.json differs when files are read {order}"


def test_engine_is_indifferent_to_the_order_findings_arrive_in(tmp_path: Path) -> None:
    """Throughput workers hand findings over in any order: same incidents, field for field."""
    bundle = generate_bundle(tmp_path / "all", ["all"], seed=9, host="NPS01", day=DEFAULT_DAY, healthy=30)
    collected: list[Finding] = []
    real_add = Intake.add

    def spy(self: Intake, finding: Finding) -> None:
        collected.append(finding)
        real_add(self, finding)

    # Every finding is filed through Intake.add: by the engine, or per shard (in-process with one job) and merged.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Intake, "add", spy)
        result = analyze([bundle], tmp_path / "out", AnalyzeOptions(jobs=1))
    assert len(collected) > 100
    catalog = load_catalog([])

    def document(findings: list[Finding]) -> list[dict[str, object]]:
        engine = IncidentEngine(catalog)
        for finding in findings:
            engine.add(finding)
        incidents = engine.incidents()
        doc = to_document(AnalysisResult(bundle_name="x", inputs=[], incidents=incidents, catalog_version="v"))
        return doc["incidents"]

    reference = document(collected)
    assert [i["primary_code"] for i in reference] == [i.primary_code for i in result.incidents]
    rng = random.Random(1)
    for _ in range(5):
        shuffled = list(collected)
        rng.shuffle(shuffled)
        assert document(shuffled) == reference
