"""Issue #10 items 3, 4, 9, 10, 15 (zip names): hostile or odd inputs are bounded and listed, never silently lost."""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from nps_trace_analyzer.intake import IntakeLimits, open_bundle
from tests.reliability.helpers import DEMO, make_zip, overlapping_zip, run_cli


def _fifo(path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    os.mkfifo(path)
    return path


# --- item 3: FIFOs and devices are listed, never read ------------------------------------------------------------


def test_fifo_and_device_in_a_folder_are_listed_not_read(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(DEMO, bundle)
    _fifo(bundle / "pipe.log")
    device = bundle / "zero.evtx"
    try:
        os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # the same device as /dev/zero
    except (PermissionError, AttributeError):
        os.symlink("/dev/zero", device)  # without root: at least the link is listed, not followed
    proc = run_cli("analyze", str(bundle), "-o", str(tmp_path / "out"), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "pipe.log: a named pipe (FIFO): only regular files are read" in proc.stderr
    assert "zero.evtx: " in proc.stderr


@pytest.mark.parametrize("source", ["/dev/zero", "fifo"])
def test_fifo_or_dev_zero_as_the_input_ends_with_status_1(source: str, tmp_path: Path) -> None:
    path = str(_fifo(tmp_path / "in.evtx")) if source == "fifo" else source
    proc = run_cli("analyze", path, "-o", str(tmp_path / "out"), timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "only regular files are read" in proc.stderr


def test_pcap_refuses_a_fifo(tmp_path: Path) -> None:
    fifo = _fifo(tmp_path / "trace.etl")
    proc = run_cli("pcap", str(fifo), "-o", str(tmp_path / "out.pcapng"), timeout=30)
    assert proc.returncode == 1
    assert "only regular files are read" in proc.stderr
    assert not (tmp_path / "out.pcapng").exists()


# --- item 4: zip amplification -----------------------------------------------------------------------------------


def test_ratio_is_checked_from_the_first_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Members far below the old 16 MiB threshold but expanding 1000:1 are refused before any decompression."""
    archive = tmp_path / "many.zip"
    archive.write_bytes(make_zip([(f"m{i:03d}.bin", bytes(4 * 1024**2)) for i in range(30)] + [("ok.txt", b"ok")]))
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def counting_open(self: zipfile.ZipFile, name: object, *args: object, **kwargs: object) -> object:
        opened.append(getattr(name, "filename", str(name)))
        return real_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    with open_bundle([archive]) as bundle:
        members = [f for f in bundle.files if "!/m" in f.name]
        ok = next(f for f in bundle.files if f.name.endswith("ok.txt"))
    assert len(members) == 30
    assert all(f.kind == "skipped" and "compression ratio above 250:1" in f.reason for f in members)
    assert ok.kind == "text"
    assert opened == ["ok.txt"]


def test_archive_budget_counts_what_is_written(tmp_path: Path) -> None:
    """Many members each under the per-member cap still cannot expand the archive beyond ratio x its size."""
    limits = IntakeLimits(max_ratio=20, ratio_floor_bytes=64 * 1024)
    archive = tmp_path / "wide.zip"
    archive.write_bytes(make_zip([(f"m{i:03d}.bin", bytes(600 * 1024)) for i in range(200)]))
    with open_bundle([archive], limits) as bundle:
        kept = [f for f in bundle.files if f.kind != "skipped" and "!/" in f.name]
        refused = [f for f in bundle.files if "expands beyond 20:1" in f.reason]
        written = sum(f.size for f in kept)
    assert refused, "the archive budget never triggered"
    assert written <= 20 * archive.stat().st_size


def test_overlapping_central_directory_entries_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "overlap.zip"
    archive.write_bytes(overlapping_zip(2000, bytes(1024**2)))
    with open_bundle([archive]) as bundle:
        members = [f for f in bundle.files if "!/" in f.name]
    assert len(members) == 2000
    refused = [f for f in members if "overlaps another member" in f.reason]
    assert len(refused) == 1999


# --- item 9: folders that cannot be read, linked folders ---------------------------------------------------------


def test_symlinked_folder_is_listed_with_the_reason(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "real").mkdir(parents=True)
    (bundle / "real" / "notes.txt").write_text("x")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", bundle / "linked")
    with open_bundle([bundle]) as b:
        reasons = {f.name: f.reason for f in b.files}
    assert reasons["linked/"] == "symbolic link to a folder: not followed"


def test_unreadable_folder_is_listed_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "locked").mkdir(parents=True)
    (bundle / "locked" / "Security.evtx").write_bytes(b"x")
    (bundle / "ok.txt").write_text("x")
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:  # root ignores chmod 000, so refuse the listing the way the OS would
        if Path(str(path)).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    with open_bundle([bundle]) as b:
        reasons = {f.name: f.reason for f in b.files}
    assert reasons["locked/"] == "folder cannot be read: Permission denied; its files are not analysed"


# --- item 10: an archive of unreadable members ------------------------------------------------------------------


def test_zip_whose_members_are_all_unreadable_exits_1(tmp_path: Path) -> None:
    archive = tmp_path / "bad.zip"
    archive.write_bytes(make_zip([("a.evtx", b"ElfFile\x00" + bytes(8000)), ("b.etl", bytes(3000))]))
    proc = run_cli("analyze", str(archive), "-o", str(tmp_path / "out"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "0 of 2 files analysed" in proc.stdout
    assert "nothing in the input could be read" in proc.stderr


# --- item 15: duplicate member names ---------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")  # the hostile archive is written on purpose
def test_duplicate_member_names_are_told_apart(tmp_path: Path) -> None:
    archive = tmp_path / "dup.zip"
    archive.write_bytes(make_zip([("logs/a.txt", b"first"), ("logs/a.txt", b"second"), ("logs/a.txt", b"third")]))
    with zipfile.ZipFile(archive) as zf:
        assert [i.filename for i in zf.infolist()] == ["logs/a.txt"] * 3
    with open_bundle([archive]) as bundle:
        names = [f.name for f in bundle.files if "!/" in f.name]
    assert names == ["dup.zip!/logs/a.txt", "dup.zip!/logs/a (2).txt", "dup.zip!/logs/a (3).txt"]
