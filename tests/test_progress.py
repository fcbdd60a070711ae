"""Progress display: nothing new for short runs, a bar on a terminal and status lines elsewhere for long ones,
nothing at all with -q."""

from __future__ import annotations

import io

from click.testing import CliRunner

from nps_trace_analyzer.cli import main
from nps_trace_analyzer.cli.progress import ProgressDisplay


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _run(tty: bool, quiet: bool = False, long: bool = True) -> str:
    out, clock = io.StringIO(), Clock()
    display = ProgressDisplay(out, tty=tty, quiet=quiet, clock=clock)
    display.say("[1/2] reading Security.evtx")
    display.start(100 * 1024**2)
    for _ in range(10):
        clock.now += 1.0 if long else 0.1
        display.advance(50_000, 5 * 1024**2)
    display.say("writing reports")
    display.close()
    return out.getvalue()


def test_short_run_prints_only_the_stage_lines() -> None:
    for tty in (True, False):
        assert _run(tty, long=False) == "[1/2] reading Security.evtx\nwriting reports\n"


def test_long_run_on_a_terminal_draws_a_bar() -> None:
    text = _run(tty=True)
    assert "\r[" in text and "#" in text and "records/s" in text and "left" in text
    assert "50.0 MB of 100.0 MB" in text and "500,000 records" in text
    assert text.endswith("writing reports\x1b[K\n")  # the stage became the bar's label; the line is ended


def test_long_run_elsewhere_prints_plain_status_lines() -> None:
    text = _run(tty=False)
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    assert lines[0] == "[1/2] reading Security.evtx" and lines[-1] == "writing reports"
    assert any("records/s" in line and "about" in line for line in lines[1:-1])


def test_quiet_prints_nothing() -> None:
    assert _run(tty=True, quiet=True) == "" and _run(tty=False, quiet=True) == ""


def test_cli_quiet_has_no_progress_on_stderr(tmp_path) -> None:
    from pathlib import Path

    demo = Path(__file__).resolve().parents[1] / "samples" / "demo-bundle"
    result = CliRunner().invoke(main, ["analyze", "-q", "-j", "2", str(demo), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "reading" not in result.stderr and "records/s" not in result.stderr
