"""The README's Reliability tables are generated from ``IntakeLimits`` and ``ExitCode``; this keeps them equal."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from nps_trace_analyzer.core.exit_codes import EXIT_LABELS, EXIT_MEANINGS, ExitCode
from nps_trace_analyzer.report.limits_doc import reliability_tables

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"(<!-- reliability: [^\n]*-->\n)(?P<body>.*?)(<!-- /reliability -->)", re.DOTALL)


def test_readme_reliability_tables_match_the_constants() -> None:
    text = README.read_text(encoding="utf-8")
    match = BLOCK.search(text)
    assert match, "README has no generated Reliability block"
    if os.environ.get("UPDATE_README"):
        README.write_text(BLOCK.sub(lambda m: m.group(1) + reliability_tables() + m.group(3), text), encoding="utf-8")
        pytest.skip("README Reliability block rewritten")
    assert match.group("body") == reliability_tables()


def test_every_exit_code_is_documented() -> None:
    assert set(EXIT_MEANINGS) == set(ExitCode) == set(EXIT_LABELS)
    assert len({int(code) for code in ExitCode}) == len(ExitCode)
