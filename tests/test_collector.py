"""Typed hand-offs: a reader's side result goes in and comes out under its declared Artifact, with its type."""

from __future__ import annotations

import pytest

from nps_trace_analyzer.core.model import InputFile
from nps_trace_analyzer.sources.readers import Artifact, Collector, readers

NOTES: Artifact[list[str]] = Artifact("test-notes", list)


def _inp(name: str) -> InputFile:
    return InputFile(name, f"/nowhere/{name}", 1, "0" * 64, "text")


def test_values_come_back_per_artifact_by_input_name() -> None:
    collector = Collector()
    collector.add(NOTES, _inp("b.txt"), ["second"])
    collector.add(NOTES, _inp("a.txt"), ["first"])
    assert [(inp.name, value) for inp, value in collector.get(NOTES)] == [("a.txt", ["first"]), ("b.txt", ["second"])]
    assert collector.get(Artifact("other", list)) == []


def test_a_value_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(TypeError, match="test-notes"):
        Collector().add(NOTES, _inp("a.txt"), "not a list")  # type: ignore[arg-type]


def test_every_artifact_has_one_name() -> None:
    """Two artifacts may not share a name: the name is what the report and the README show."""
    declared = {a for spec in readers() for a in spec.artifacts}
    assert len({a.name for a in declared}) == len(declared)
