"""Every finding the pipeline produces has a kind that model.FINDING_KINDS documents, and every documented
kind is produced by some scenario (so the list neither misses a kind nor keeps one nothing makes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nps_trace_analyzer.analysis.incidents import Intake
from nps_trace_analyzer.core.model import FINDING_KINDS, Finding
from nps_trace_analyzer.pipeline import run as pipeline
from nps_trace_analyzer.synth.bundle import DEFAULT_DAY, generate_bundle

# Kinds the "all" bundle does not show, each with why.
NOT_IN_ALL_BUNDLE = {
    "info": "every AzureMfa text of the scenarios carries a known code; an unknown informational one is not generated",
}


def test_produced_finding_kinds_are_the_documented_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: set[str] = set()
    real_add = Intake.add

    def spy(self: Intake, finding: Finding) -> None:
        seen.add(finding.kind)
        real_add(self, finding)

    # Every finding is filed through Intake.add: by the engine, or per .evtx shard (in-process with one job).
    monkeypatch.setattr(Intake, "add", spy)
    bundle = generate_bundle(tmp_path / "all", ["all"], seed=5, host="NPS02", day=DEFAULT_DAY, healthy=10)
    pipeline.analyze([bundle], tmp_path / "report", pipeline.AnalyzeOptions(jobs=1))
    assert seen <= set(FINDING_KINDS), seen - set(FINDING_KINDS)
    assert seen | set(NOT_IN_ALL_BUNDLE) == set(FINDING_KINDS), set(FINDING_KINDS) - seen - set(NOT_IN_ALL_BUNDLE)
