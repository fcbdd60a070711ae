"""The analysis's garbage-collector settings (pipeline.gc_policy): no full collections while a bundle is analysed,
in the analysing process and in its workers, and the caller's settings back afterwards."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from nps_trace_analyzer.fleet.multi import analyze_servers
from nps_trace_analyzer.pipeline import AnalyzeOptions, analyze, parallel
from nps_trace_analyzer.pipeline.gc_policy import NO_FULL_COLLECTIONS, young_collections_only
from nps_trace_analyzer.report.redact import Redactor
from nps_trace_analyzer.synth.bundle import DEFAULT_DAY, generate_bundle
from nps_trace_analyzer.synth.scenarios import SCENARIOS
from tests.cli_probe import analyze_with_exit_probe


@pytest.fixture
def full_collections() -> Iterator[list[int]]:
    """Generation-2 collections made in this process while the test runs."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(1)

    gc.callbacks.append(note)
    yield seen
    gc.callbacks.remove(note)


def test_settings_come_back_after_nested_and_concurrent_blocks() -> None:
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    entered, leave = threading.Event(), threading.Event()

    def other() -> None:
        with young_collections_only():
            entered.set()
            leave.wait(10)

    with young_collections_only():
        assert gc.get_threshold() == (before[0], before[1], NO_FULL_COLLECTIONS)
        assert gc.get_freeze_count() > frozen
        thread = threading.Thread(target=other)
        thread.start()
        assert entered.wait(10)
    assert gc.get_threshold()[2] == NO_FULL_COLLECTIONS  # the other analysis still runs
    leave.set()
    thread.join()
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen


def test_collection_turned_off_by_the_caller_stays_off() -> None:
    before = gc.get_threshold()
    gc.set_threshold(0, before[1], before[2])
    try:
        with young_collections_only():
            assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_analysis_makes_no_full_collection(jobs: int, tmp_path: Path, full_collections: list[int]) -> None:
    """Many small allocations during the run: with CPython's settings they trigger full collections."""
    bundle = generate_bundle(tmp_path / "b", [SCENARIOS[0].name], seed=3, host="NPS01", day=DEFAULT_DAY, healthy=40)
    before = gc.get_threshold()
    gc.set_threshold(700, 1, 1)  # a full collection at every chance, unless the analysis puts them off
    try:
        analyze([bundle], tmp_path / "r", AnalyzeOptions(jobs=jobs))
    finally:
        gc.set_threshold(*before)
    assert full_collections == []


@pytest.mark.parametrize("redacting", [False, True])
def test_several_servers_make_no_full_collection(redacting: bool, tmp_path: Path, full_collections: list[int]) -> None:
    """``analyze A B`` (fleet/multi.py) writes the per-server and combined reports itself, after the bundles'
    analyses: the same policy must hold there (its report writing once ran with the caller's settings)."""
    for host in ("NPS01", "NPS02"):
        generate_bundle(tmp_path / host, [SCENARIOS[0].name], seed=3, host=host, day=DEFAULT_DAY, healthy=40)
    options = AnalyzeOptions(jobs=1, redactor=Redactor(b"k" * 32) if redacting else None)
    before = gc.get_threshold()
    gc.set_threshold(700, 1, 1)  # a full collection at every chance, unless the analysis puts them off
    try:
        analyze_servers([tmp_path / "NPS01", tmp_path / "NPS02"], tmp_path / "r", options)
    finally:
        gc.set_threshold(*before)
    assert full_collections == []
    assert (tmp_path / "r" / "report.html").is_file()


def test_workers_collect_young_objects_only(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int, int]] = []
    monkeypatch.setattr(parallel, "_worker_catalog", None)
    with young_collections_only():
        parallel._init_worker(None)
        seen.append(gc.get_threshold())
    assert seen[0][2] == NO_FULL_COLLECTIONS and seen[0][0] >= 10_000


def test_the_command_line_skips_the_full_collection_at_exit(tmp_path: Path) -> None:
    """Run as a program: the objects alive when it ends are frozen before CPython's last full collection."""
    stderr = analyze_with_exit_probe(
        tmp_path, "gc, sys", "print('frozen at exit:', gc.get_freeze_count(), file=sys.stderr)"
    )  # after the command's freeze
    frozen = int(stderr.rsplit("frozen at exit:", 1)[1].split()[0])
    assert frozen > 10_000
