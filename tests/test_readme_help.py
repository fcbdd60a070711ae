"""The README shows each command's --help; this test keeps it from drifting (as sqlite-utils does with cog).

Regenerate after changing an option:  UPDATE_README=1 python -m pytest tests/test_readme_help.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from nps_trace_analyzer.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- help: (?P<cmd>[a-z ]+) -->\n```text\n)(?P<body>.*?)(```\n<!-- /help -->)", re.DOTALL)


def _help(command: str) -> str:
    args = [*command.split(), "--help"] if command != "main" else ["--help"]
    result = CliRunner().invoke(main, args, terminal_width=100, prog_name="nps-trace-analyzer")
    assert result.exit_code == 0, result.output
    return result.output


def test_readme_help_blocks_match_the_cli() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = list(BLOCK.finditer(text))
    assert {m.group("cmd") for m in blocks} >= {"main", "analyze", "catalog", "explain", "synth", "pcap", "fleet"}
    if os.environ.get("UPDATE_README"):
        README.write_text(BLOCK.sub(lambda m: m.group(1) + _help(m.group("cmd")) + m.group(4), text), encoding="utf-8")
        pytest.skip("README help blocks rewritten")
    for match in blocks:
        assert match.group("body") == _help(match.group("cmd")), f"README help for '{match.group('cmd')}' is stale"
