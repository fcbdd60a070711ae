"""The README's list of runtime dependencies names exactly pyproject's ``[project] dependencies``.

pyproject.toml is the one place the dependencies are written; the README sentence that lists them (with their
licences) is checked against it so that adding or dropping a dependency cannot leave the README behind.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: The name (with extras) before any version specifier or marker: "dask[distributed]>=2024.8" -> dask[distributed].
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9_.\-]+(?:\[[^\]]*\])?)")


def _pyproject_dependencies() -> set[str]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the project also supports 3.10
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    names = set()
    for requirement in config["project"]["dependencies"]:
        match = REQUIREMENT_NAME.match(requirement)
        assert match, f"unreadable requirement in pyproject.toml: {requirement!r}"
        names.add(match.group(1))
    return names


def _readme_dependencies() -> set[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n\n") if p.startswith("Runtime dependencies are")]
    assert len(paragraphs) == 1, "the README should have one paragraph starting 'Runtime dependencies are'"
    return set(re.findall(r"`([^`]+)`", paragraphs[0]))


def test_readme_lists_exactly_the_runtime_dependencies() -> None:
    listed, declared = _readme_dependencies(), _pyproject_dependencies()
    assert listed == declared, f"README only: {sorted(listed - declared)}; pyproject only: {sorted(declared - listed)}"
