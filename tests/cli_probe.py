"""Run ``analyze`` on a small generated bundle in a fresh interpreter that reports on itself at exit.

Start-up imports and the collector's state at exit can only be seen from a new process (this test process has
imported everything and collected as it pleased); the probe's ``atexit`` line prints what the test asks about.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nps_trace_analyzer.synth.bundle import DEFAULT_DAY, generate_bundle
from nps_trace_analyzer.synth.scenarios import SCENARIOS


def analyze_with_exit_probe(tmp_path: Path, imports: str, at_exit: str) -> str:
    """stderr of ``analyze`` (one job, quiet) run by ``main()`` after ``import {imports}`` and
    ``atexit.register(lambda: {at_exit})``; fails the test when the command fails or writes no report."""
    bundle = generate_bundle(tmp_path / "b", [SCENARIOS[0].name], seed=3, host="NPS01", day=DEFAULT_DAY, healthy=5)
    probe = (
        f"import atexit, {imports}\n"
        "from nps_trace_analyzer.cli import main\n"
        f"atexit.register(lambda: {at_exit})\n"
        "main()\n"
    )  # atexit runs its handlers last registered first: this one after the command's own
    done = subprocess.run(
        [sys.executable, "-c", probe, "analyze", str(bundle), "-o", str(tmp_path / "r"), "-q", "--jobs", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r" / "report.html").is_file()
    return done.stderr
