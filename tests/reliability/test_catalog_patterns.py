"""Issue #10 item 2: a user-catalog pattern cannot stall the run (RE2, linear time) and constructs that need
backtracking are refused at load with one line naming the file and the entry."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.reliability.helpers import DEMO, run_cli

CATASTROPHIC = r"^(\w+\s?)+$"


def _user_catalog(path: Path, pattern: str, code: str = "ESTS_TOKEN_ERROR") -> Path:
    path.write_text(
        textwrap.dedent(
            f"""\
            entries:
              - code: {code}
                slug: site-rule
                title: Site rule
                category: configuration
                severity: warning
                audience: [admin]
                meaning: x
                steps: [y]
                examples: ["word word"]
                patterns: ['{pattern}']
            """
        ),
        encoding="utf-8",
    )
    return path


def test_catastrophic_user_pattern_finishes_in_linear_time(tmp_path: Path) -> None:
    catalog = _user_catalog(tmp_path / "site.yaml", CATASTROPHIC)
    script = (
        "import sys, time\n"
        "from nps_trace_analyzer.catalog import load_catalog\n"
        "cat = load_catalog([sys.argv[1]])\n"
        "text = 'word ' * 200_000 + '!'\n"  # 1 MB that Python's backtracking engine would never finish
        "start = time.perf_counter()\n"
        "entry = cat.get('ESTS_TOKEN_ERROR#site-rule')\n"
        "assert not entry.matches_text(text) and entry.matches_text('word word')\n"
        "print(time.perf_counter() - start)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(catalog)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout) < 1.0


def test_analyze_with_a_catastrophic_user_pattern_completes(tmp_path: Path) -> None:
    catalog = _user_catalog(tmp_path / "site.yaml", CATASTROPHIC)
    proc = run_cli("analyze", str(DEMO), "-o", str(tmp_path / "out"), "--catalog", str(catalog), timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_backtracking_only_pattern_is_refused_in_one_line(tmp_path: Path) -> None:
    catalog = _user_catalog(tmp_path / "site.yaml", r"(\w+)\s+\1")
    proc = run_cli("analyze", str(DEMO), "-o", str(tmp_path / "out"), "--catalog", str(catalog), timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr  # RE2's own log lines are silenced
    assert str(catalog) in lines[0] and "ESTS_TOKEN_ERROR#site-rule" in lines[0]
    assert "cannot be matched in linear time" in lines[0]
    assert not (tmp_path / "out").exists()


def test_every_built_in_pattern_also_runs_on_re2() -> None:
    """A user file may ``merge: true`` into any built-in entry, whose patterns are then compiled for RE2."""
    from nps_trace_analyzer.catalog import load_catalog
    from nps_trace_analyzer.catalog.linear_regex import NotLinear, compile_linear

    sources = [
        (entry.id, text)
        for entry in load_catalog([])
        for text in (*entry.pattern_texts, *([entry.code_pattern.pattern] if entry.code_pattern else []))
    ]
    assert sources
    refused = []
    for entry_id, text in sources:
        try:
            compile_linear(text)
        except NotLinear as exc:
            refused.append(f"{entry_id}: {exc}")
    assert refused == []
