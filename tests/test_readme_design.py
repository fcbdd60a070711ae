"""The README design table lists the package's layout one to one: every subpackage and top-level module of
``nps_trace_analyzer/`` has exactly one row, and every row names one that exists (a move or a new package that
forgets the README fails here)."""

from __future__ import annotations

import re
from pathlib import Path

import nps_trace_analyzer

ROOT = Path(nps_trace_analyzer.__file__).resolve().parent
README = ROOT.parent / "README.md"
PATH_IN_CELL = re.compile(r"`(nps_trace_analyzer/[^`]*)`")


def _design_rows() -> list[str]:
    """First cells of the table under '## Design' (header and separator rows left out)."""
    section = README.read_text(encoding="utf-8").split("\n## Design\n", 1)[1].split("\n## ", 1)[0]
    table = section.split("\n| Package", 1)[1].split("\n\n", 1)[0]
    return [line.split("|")[1] for line in table.splitlines()[2:]]


def _layout() -> list[str]:
    packages = [f"nps_trace_analyzer/{p.name}/" for p in ROOT.iterdir() if (p / "__init__.py").is_file()]
    modules = [f"nps_trace_analyzer/{p.name}" for p in ROOT.glob("*.py")]
    return sorted(packages + modules)


def test_every_design_row_names_one_package_or_module() -> None:
    rows = _design_rows()
    assert len(rows) > 10
    bad = [row for row in rows if len(PATH_IN_CELL.findall(row)) != 1]
    assert bad == [], "each design row names exactly one nps_trace_analyzer/ path"


def test_design_table_matches_the_package_layout_one_to_one() -> None:
    named = sorted(PATH_IN_CELL.findall(row)[0] for row in _design_rows())
    assert len(named) == len(set(named)), "a package is listed twice"
    layout = _layout()
    missing, stale = sorted(set(layout) - set(named)), sorted(set(named) - set(layout))
    assert (missing, stale) == ([], []), f"README design table: no row for {missing}; rows naming nothing: {stale}"
