"""Issue #10 item 15: every ``--healthy`` count the option accepts fits into the synthetic day."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from nps_trace_analyzer.cli import main


def test_large_healthy_count_is_generated(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["synth", "healthy", "-o", str(tmp_path / "b"), "--healthy", "1500"])
    assert result.exit_code == 0, result.output
    expected = json.loads((tmp_path / "b.expected.json").read_text(encoding="utf-8"))
    assert expected["incidents"] == []
    security = (tmp_path / "b" / "NPS_EventLog.log").read_bytes().decode("utf-16")
    assert security.count("Event ID: 6272") >= 1500
