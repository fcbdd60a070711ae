"""The README design table lists the package's layout one to one: every subpackage and top-level module of
``nps_trace_analyzer/`` has exactly one row, and every row names one that exists (a move or a new package that
forgets the README fails here). Deeper packages (``sources/etl``, ``analysis/incidents/rules`` ...) get no row of
their own, which would make the table long, but each is named as ```name/``` in its top-level package's row."""

from __future__ import annotations

import re
from pathlib import Path

import nps_trace_analyzer

ROOT = Path(nps_trace_analyzer.__file__).resolve().parent
README = ROOT.parent / "README.md"
PATH_IN_CELL = re.compile(r"`(nps_trace_analyzer/[^`]*)`")


def _design_lines() -> list[str]:
    """Rows of the table under '## Design' (header and separator rows left out)."""
    section = README.read_text(encoding="utf-8").split("\n## Design\n", 1)[1].split("\n## ", 1)[0]
    table = section.split("\n| Package", 1)[1].split("\n\n", 1)[0]
    return table.splitlines()[2:]


def _design_rows() -> list[str]:
    """First cells of the design table's rows."""
    return [line.split("|")[1] for line in _design_lines()]


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


def test_every_deeper_package_is_named_in_its_top_level_row() -> None:
    jobs = {PATH_IN_CELL.findall(line.split("|")[1])[0]: line.split("|")[2] for line in _design_lines()}
    deeper = sorted(p.parent.relative_to(ROOT) for p in ROOT.glob("*/*/**/__init__.py"))
    assert deeper, "no deeper package found: the walk is wrong"
    unnamed = [
        str(path) for path in deeper if f"`{path.name}/`" not in jobs.get(f"nps_trace_analyzer/{path.parts[0]}/", "")
    ]
    assert unnamed == [], f"README design table: name these in their top-level package's row: {unnamed}"
