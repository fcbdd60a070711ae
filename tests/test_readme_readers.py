"""The README's reader table lists the registered readers: one row each, in the order intake asks them."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from nps_trace_analyzer.sources.readers import readers

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- readers -->\n)(?P<body>.*?)(<!-- /readers -->)", re.DOTALL)


def _table() -> str:
    rows = [
        "| kind | files (by name, when renamed the content still decides) | contributes | collector artifacts |",
        "|---|---|---|---|",
    ]
    for spec in readers():
        names = ", ".join(f"`{p}`" for p in spec.name_patterns) or "recognised by content only"
        artifacts = ", ".join(f"`{a.name}`" for a in spec.artifacts) or "none"
        rows.append(f"| `{spec.kind}` | {names} | {spec.contributes} | {artifacts} |")
    return "\n".join(rows) + "\n"


def test_readme_reader_table_matches_the_registered_readers() -> None:
    text = README.read_text(encoding="utf-8")
    match = BLOCK.search(text)
    assert match, "README has no <!-- readers --> block"
    if os.environ.get("UPDATE_README"):
        README.write_text(BLOCK.sub(lambda m: m.group(1) + _table() + m.group(3), text), encoding="utf-8")
        pytest.skip("README reader table rewritten")
    assert match.group("body") == _table(), "README reader table is stale: run with UPDATE_README=1"
