"""Damaged bundles: every file of the demo bundle truncated or bit-flipped, over many seeds.

A support bundle arrives copied from a live server, zipped, mailed and unzipped; any file may be cut short or
carry flipped bytes. Whatever the damage, analyze must finish, report what it could not read per file, and never
fall back on its per-file safety net ("internal error"), which would mean a reader raised.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from nps_trace_analyzer.pipeline import analyze
from tests.mutations import damage

DEMO = Path(__file__).resolve().parents[1] / "samples" / "demo-bundle"


def _damage(path: Path, rng: random.Random) -> str:
    data, how = damage(path.read_bytes(), rng)
    path.write_bytes(data)
    return how


@pytest.mark.parametrize("seed", range(40))
def test_damaged_demo_bundle_is_analysed_without_reader_errors(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    bundle = tmp_path / "bundle"
    shutil.copytree(DEMO, bundle)
    damaged = {}
    for path in sorted(bundle.iterdir()):
        if rng.random() < 0.6:
            damaged[path.name] = _damage(path, rng)
    result = analyze([bundle], tmp_path / "report")
    internal = {i.name: i.reason for i in result.inputs if "internal error" in i.reason}
    assert not internal, f"damage {damaged} made a reader raise: {internal}"
    assert (tmp_path / "report" / "report.html").stat().st_size > 0
    for inp in result.inputs:
        if inp.name in damaged and not inp.analysed:
            assert inp.reason, f"{inp.name} not analysed but no reason given"


@pytest.mark.parametrize("seed", range(10))
def test_damaged_zip_is_analysed_or_reported(seed: int, tmp_path: Path) -> None:
    """Flipped bytes in the zip itself: members with bad CRCs or headers are reported, the rest analysed."""
    rng = random.Random(1000 + seed)
    archive = tmp_path / "bundle.zip"
    shutil.copy(DEMO.with_suffix(".zip"), archive)
    _damage(archive, rng)
    result = analyze([archive], tmp_path / "report")
    assert not [i for i in result.inputs if "internal error" in i.reason]
    assert all(i.reason for i in result.inputs if not i.analysed and i.kind != "text")
