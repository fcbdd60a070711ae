"""What ``analyze`` of one bundle imports: not the modules only other commands or several bundles need.

Every run pays for its imports in start-up CPU; the sample generator (``synth``) is for the ``synth`` command and
the server comparison (``fleet.compare``, ``fleet.profile``) for several bundles only, so both are imported where
they are used (cli/analyze.py's lazy group, fleet/multi.py's ``analyze_servers``). Run in a fresh interpreter:
this test process has imported everything already.
"""

from __future__ import annotations

from pathlib import Path

from tests.cli_probe import analyze_with_exit_probe

NOT_FOR_ONE_BUNDLE = (
    "nps_trace_analyzer.synth",
    "nps_trace_analyzer.fleet.compare",
    "nps_trace_analyzer.fleet.profile",
)


def test_analyze_of_one_bundle_imports_no_generator_and_no_comparison(tmp_path: Path) -> None:
    report = (
        f"print('imported:', *sorted(m for m in sys.modules if m.startswith({NOT_FOR_ONE_BUNDLE!r})), file=sys.stderr)"
    )
    stderr = analyze_with_exit_probe(tmp_path, "sys", report)
    assert stderr.rsplit("imported:", 1)[1].split() == []
