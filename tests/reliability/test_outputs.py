"""Issue #10 items 5, 6, 11, 12, 13, 14: outputs complete or absent, links never followed, statuses that say why,
terminal lines and reports that a hostile name cannot rewrite."""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from nps_trace_analyzer.cli import main
from nps_trace_analyzer.core.exit_codes import ExitCode
from nps_trace_analyzer.core.interrupt import Interrupted
from nps_trace_analyzer.pipeline import analyze
from nps_trace_analyzer.report import writer as report_writer
from nps_trace_analyzer.report.output_dir import MARKER_NAME, staged_report_dir
from tests.reliability.helpers import DEMO, make_zip, run_cli

TEXT_LOG = Path(__file__).resolve().parents[1] / "data" / "text" / "nps_eventlog" / "NPS_EventLog_utc.log"


def _report_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".nps-report-"))


@contextlib.contextmanager
def _small_tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A real tmpfs of ``size`` (needs root and mount permission); skips with the reason otherwise."""
    where.mkdir()
    try:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    except FileNotFoundError:
        pytest.skip("no mount command here: cannot make a small tmpfs")
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({proc.stderr.decode().strip() or 'not permitted'})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


# --- item 11: all or nothing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["disk-full", "interrupted"])
def test_failed_run_leaves_the_previous_report_intact(
    failure: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report"
    analyze([DEMO], out)
    before = _report_files(out)
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(TEXT_LOG, other / "NPS_EventLog.log")

    def broken_html(path: Path, document: object) -> None:  # events.csv and findings.json are written by now
        path.write_text("<html><body>half")
        if failure == "disk-full":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        raise Interrupted(signal.SIGTERM)

    monkeypatch.setattr(report_writer, "write_html", broken_html)  # the report folder's one writer
    result = CliRunner().invoke(main, ["analyze", str(other), "-o", str(out)])
    expected = ExitCode.DISK_FULL if failure == "disk-full" else ExitCode.INTERRUPTED_TERM
    assert result.exit_code == expected, result.output
    assert _report_files(out) == before
    assert _leftovers(tmp_path) == []


def test_failed_first_run_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_html(path: Path, document: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(report_writer, "write_html", broken_html)  # the report folder's one writer
    result = CliRunner().invoke(main, ["analyze", str(DEMO), "-o", str(tmp_path / "report")])
    assert result.exit_code == ExitCode.DISK_FULL
    assert "disk full" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_disk_full_while_streaming_events_csv_stops_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC on events.csv is not one file's "internal error": the run stops, no report claims to be complete."""
    from nps_trace_analyzer.report import tables

    original = tables.EventsCsv.add
    calls = {"n": 0}

    def add(self: tables.EventsCsv, event: object) -> None:
        calls["n"] += 1
        if calls["n"] == 100:
            raise OSError(errno.ENOSPC, "No space left on device")
        original(self, event)  # type: ignore[arg-type]

    monkeypatch.setattr(tables.EventsCsv, "add", add)
    result = CliRunner().invoke(main, ["analyze", str(DEMO), "-o", str(tmp_path / "report")])
    assert result.exit_code == ExitCode.DISK_FULL, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_interrupted_swap_puts_the_previous_report_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report"
    analyze([DEMO], out)
    before = _report_files(out)
    real_rename = os.rename

    def rename(src: object, dst: object) -> None:
        if Path(str(src)).name.startswith(".nps-report-staging-"):
            raise Interrupted(signal.SIGTERM)  # the signal lands between moving the old report aside and the new in
        real_rename(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(Interrupted):
        analyze([DEMO], out)
    assert _report_files(out) == before
    assert _leftovers(tmp_path) == []


def test_runs_committing_together_never_mix(tmp_path: Path) -> None:
    """A run that commits while another is staging: the final folder is one run's files, whole."""
    out = tmp_path / "report"
    with staged_report_dir(out) as first:
        (first / "events.csv").write_text("first")
        with staged_report_dir(out) as second:
            (second / "events.csv").write_text("second")
            (second / "only-second.txt").write_text("x")
        assert (out / "only-second.txt").exists()
        (first / "findings.json").write_text("first")
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER_NAME, "events.csv", "findings.json"])
    assert (out / "events.csv").read_text() == "first"
    assert _leftovers(tmp_path) == []


def test_two_concurrent_cli_runs_leave_one_consistent_report(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(TEXT_LOG, other / "NPS_EventLog.log")
    out = tmp_path / "report"
    cmd = [sys.executable, "-m", "nps_trace_analyzer", "analyze", "-q", "-o", str(out)]
    sources = (DEMO, other)
    procs = [subprocess.Popen([*cmd, str(src)], stdout=subprocess.PIPE, stderr=subprocess.PIPE) for src in sources]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    with (out / "events.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = sum(1 for _row in csv.reader(fh)) - 1
    assert rows == doc["summary"]["events"]
    assert doc["bundle"] in (out / "report.html").read_text(encoding="utf-8")
    assert _leftovers(tmp_path) == []


def test_a_folder_of_other_files_is_not_replaced(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    result = CliRunner().invoke(main, ["analyze", str(DEMO), "-o", str(out)])
    assert result.exit_code == ExitCode.OUTPUT_UNWRITABLE
    assert (out / "thesis.docx").read_text() == "precious"


def test_the_current_folder_is_not_swapped_away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    result = CliRunner().invoke(main, ["analyze", str(DEMO), "-o", "."])
    assert result.exit_code == ExitCode.OUTPUT_UNWRITABLE
    assert "current folder" in result.output
    assert here.exists() and list(here.iterdir()) == []


# --- item 12: never follow links ---------------------------------------------------------------------------------


def test_link_planted_in_the_report_folder_is_not_followed(tmp_path: Path) -> None:
    out = tmp_path / "report"
    analyze([DEMO], out)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (out / "events.csv").unlink()
    os.symlink(victim, out / "events.csv")
    analyze([DEMO], out)
    assert victim.read_text() == "keep me"
    assert not (out / "events.csv").is_symlink()


def test_output_folder_that_is_a_link_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "report").symlink_to(real)
    result = CliRunner().invoke(main, ["analyze", str(DEMO), "-o", str(tmp_path / "report")])
    assert result.exit_code == ExitCode.OUTPUT_UNWRITABLE
    assert "symbolic link" in result.output
    assert list(real.iterdir()) == []


def test_pcap_replaces_a_planted_link_and_leaves_the_victim(tmp_path: Path) -> None:
    etl = next(iter(sorted(DEMO.glob("*.etl"))), None)
    if etl is None:
        pytest.skip("demo bundle has no .etl")
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    out = tmp_path / "out.pcapng"
    out.symlink_to(victim)
    proc = run_cli("pcap", str(etl), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert victim.read_text() == "keep me"
    assert not out.is_symlink() and out.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"


def test_failed_pcap_leaves_no_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.etl"
    bad.write_bytes(bytes(8192))
    out = tmp_path / "out.pcapng"
    proc = run_cli("pcap", str(bad), "-o", str(out))
    assert proc.returncode == ExitCode.NOTHING_READ
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


# --- item 13: exit statuses --------------------------------------------------------------------------------------


def test_unwritable_output_has_its_own_status(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(main, ["analyze", str(DEMO), "-o", str(blocker / "report")])
    assert result.exit_code == ExitCode.OUTPUT_UNWRITABLE, result.output
    assert "Traceback" not in result.output


# --- items 5 and 6: signals and a full temp disk -----------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_signal_removes_extracted_members(signum: int, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    slow = tmp_path / "slow.bin"  # a sparse 3 GB file: hashing it keeps the run busy while members sit in temp
    with slow.open("wb") as fh:
        fh.truncate(3 * 1024**3)
    out = tmp_path / "report"
    proc = subprocess.Popen(
        [sys.executable, "-m", "nps_trace_analyzer", "analyze", str(DEMO.with_suffix(".zip")), str(slow), *("-o", out)],
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not any(temp.glob("nps-trace-analyzer-*/*.bin")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    assert proc.poll() is None, "run ended before members were extracted"
    proc.send_signal(signum)
    _stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, stderr
    assert list(temp.iterdir()) == []
    assert not out.exists() and _leftovers(tmp_path) == []


def test_temp_space_running_out_says_disk_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "big.zip"
    archive.write_bytes(make_zip([("nettrace.etl", os.urandom(3 * 1024**2)), ("a.txt", b"x")]))
    with _small_tmpfs(tmp_path / "small", "1m") as small:
        monkeypatch.setenv("TMPDIR", str(small))
        monkeypatch.setattr("tempfile.tempdir", None)
        result = CliRunner().invoke(main, ["analyze", str(archive), "-o", str(tmp_path / "report")])
        assert list(small.iterdir()) == []
    assert result.exit_code == ExitCode.DISK_FULL, result.output
    assert "disk full" in result.output and "temp space" in result.output
    assert not (tmp_path / "report").exists()


def test_temp_space_full_simulated_says_disk_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same without root: the member writer's disk fills after 1 MiB (ENOSPC from write)."""
    from nps_trace_analyzer.intake import bundle as intake_bundle

    class FullDisk:
        def __init__(self, path: str, mode: str) -> None:
            self._fh = open(path, mode)  # closed in __exit__
            self._written = 0

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self._fh.close()

        def write(self, data: bytes) -> int:
            self._written += len(data)
            if self._written > 1024**2:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self._fh.write(data)

    monkeypatch.setattr(intake_bundle, "open", FullDisk, raising=False)
    archive = tmp_path / "big.zip"
    archive.write_bytes(make_zip([("nettrace.etl", os.urandom(3 * 1024**2))]))
    result = CliRunner().invoke(main, ["analyze", str(archive), "-o", str(tmp_path / "report")])
    assert result.exit_code == ExitCode.DISK_FULL, result.output
    assert "temp space full" in result.output
    assert not (tmp_path / "report").exists()


def test_report_disk_running_out_says_disk_full(tmp_path: Path) -> None:
    with _small_tmpfs(tmp_path / "small", "64k") as small:
        proc = run_cli("analyze", str(DEMO), "-o", str(small / "report"))
        left = sorted(p.name for p in small.iterdir())
    assert proc.returncode == ExitCode.DISK_FULL, proc.stderr
    assert "disk full" in proc.stderr
    assert left == []


# --- item 14: escapes and bidi controls ---------------------------------------------------------------------------


def _hostile_bundle(root: Path) -> Path:
    text = TEXT_LOG.read_text()
    text = text.replace("Event ID: 6272", "Event ID: 6273").replace("granted access", "denied access")
    text = text.replace("alice@contoso.com", "ev\x1b]0;owned\x07il\x1b[2J@contoso.com")
    text = text.replace(
        "\tLogging Results:", "\tReason Code:\t\t\t16\r\n\tReason:\t\t\t\tbad password\r\n\tLogging Results:"
    )
    bundle = root / "bundle"
    bundle.mkdir()
    (bundle / "NPS_EventLog.log").write_text(text, newline="")
    (bundle / "x\x1b[31mred\u202etxt.exe").write_text("hello")
    return bundle


def test_terminal_lines_escape_control_sequences(tmp_path: Path) -> None:
    proc = run_cli("analyze", str(_hostile_bundle(tmp_path)), "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    both = proc.stdout + proc.stderr
    assert "\x1b" not in both and "\x07" not in both and "\u202e" not in both
    assert "ev\\x1b]0;owned\\x07il\\x1b[2J@contoso.com" in proc.stdout  # the user name, visible in the incident
    assert "x\\x1b[31mred\\u202etxt.exe" in proc.stderr


def test_bidi_controls_are_marked_in_html_and_csv(tmp_path: Path) -> None:
    out = tmp_path / "out"
    analyze([_hostile_bundle(tmp_path)], out)
    for name in ("report.html", "findings.json", "events.csv", "incidents.csv"):
        assert "\u202e" not in (out / name).read_text(encoding="utf-8") or name == "findings.json"
    assert "red[U+202E]txt.exe" in (out / "report.html").read_text(encoding="utf-8")
