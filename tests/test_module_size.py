"""No module of the package over MAX_LINES lines without its reason written at its top.

A long module is allowed when its docstring says why, in a line starting with ``Size:`` (e.g. "Size: one table
the readers share ..."); otherwise split it by job. The limit is the issue's "about 600 lines".
"""

from __future__ import annotations

import ast
from pathlib import Path

import nps_trace_analyzer

ROOT = Path(nps_trace_analyzer.__file__).resolve().parent
MAX_LINES = 600


def _unexplained(source: str) -> bool:
    """Over the limit with no ``Size:`` line (with a reason after it) in the module docstring."""
    if source.count("\n") + (not source.endswith("\n")) <= MAX_LINES:
        return False
    doc = ast.get_docstring(ast.parse(source)) or ""
    return not any(line.startswith("Size:") and len(line) > len("Size: ") for line in doc.splitlines())


def test_long_modules_say_why_at_their_top() -> None:
    bad = sorted(str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py") if _unexplained(p.read_text(encoding="utf-8")))
    assert bad == [], f"over {MAX_LINES} lines without a 'Size: <reason>' line in the docstring (or split): {bad}"


def test_the_check_sees_a_long_module_without_a_reason() -> None:
    body = "x = 1\n" * MAX_LINES
    assert _unexplained('"""A module."""\n' + body)
    assert not _unexplained('"""A module.\n\nSize: one table, read whole.\n"""\n' + body)
    assert not _unexplained('"""Short."""\n' + "x = 1\n" * (MAX_LINES - 1))
