"""Every pointer to a reference note resolves inside the repository (docs/reference/), none points outside it."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCANNED = ("nps_trace_analyzer", "tests", "catalog", "docs", "samples", "benchmarks")
SUFFIXES = {".py", ".md", ".yaml", ".yml", ".txt", ".toml"}
NOTE_RE = re.compile(r"(?:docs/)?reference/([\w.-]+\.md)|\b(domain-facts|evtx-format-notes)\b")


def _texts() -> list[tuple[Path, str]]:
    files = [REPO / "README.md"]
    for top in SCANNED:
        files += [p for p in (REPO / top).rglob("*") if p.suffix in SUFFIXES and p.is_file()]
    return [(p, p.read_text(encoding="utf-8", errors="replace")) for p in files if p != Path(__file__).resolve()]


def test_no_pointer_leaves_the_repository() -> None:
    outside = [f"{p.relative_to(REPO)}" for p, text in _texts() if "shared/reference" in text]
    assert not outside, f"pointers to ../shared/reference (not part of the repository): {outside}"


def test_every_cited_note_exists() -> None:
    notes = REPO / "docs" / "reference"
    cited = set()
    for _path, text in _texts():
        for m in NOTE_RE.finditer(text):
            cited.add(m.group(1) or f"{m.group(2)}.md")
    assert cited, "the scan found no citation at all: the pattern is wrong"
    missing = sorted(name for name in cited if not (notes / name).is_file())
    assert not missing, f"cited but not in docs/reference/: {missing}"
