"""What ``analyze`` of one bundle imports: not the modules only other commands or several bundles need.

Every run pays for its imports in start-up CPU; the sample generator (``synth``) is for the ``synth`` command and
the server comparison (``fleet.compare``, ``fleet.profile``) for several bundles only, so both are imported where
they are used (cli/analyze.py's lazy group, fleet/multi.py's ``analyze_servers``). Run in a fresh interpreter:
this test process has imported everything already.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nps_trace_analyzer.synth.bundle import DEFAULT_DAY, generate_bundle
from nps_trace_analyzer.synth.scenarios import SCENARIOS

NOT_FOR_ONE_BUNDLE = (
    "nps_trace_analyzer.synth",
    "nps_trace_analyzer.fleet.compare",
    "nps_trace_analyzer.fleet.profile",
)


def test_analyze_of_one_bundle_imports_no_generator_and_no_comparison(tmp_path: Path) -> None:
    bundle = generate_bundle(tmp_path / "b", [SCENARIOS[0].name], seed=3, host="NPS01", day=DEFAULT_DAY, healthy=5)
    probe = (
        "import atexit, sys\n"
        "from nps_trace_analyzer.cli import main\n"
        "atexit.register(lambda: print('imported:', *sorted(m for m in sys.modules if m.startswith(\n"
        f"    {NOT_FOR_ONE_BUNDLE!r})), file=sys.stderr))\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "analyze", str(bundle), "-o", str(tmp_path / "r"), "-q", "--jobs", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.rsplit("imported:", 1)[1].split() == []
    assert (tmp_path / "r" / "report.html").is_file()
