"""Intake: content identification, every file listed, zip-slip and zip-bomb defences."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from nps_trace_analyzer.intake import IntakeError, IntakeLimits, open_bundle
from nps_trace_analyzer.intake.identify import identify

EVTX_HEAD = b"ElfFile\x00" + b"\x00" * 120


def test_identify_by_content_not_name() -> None:
    assert identify("renamed.txt", EVTX_HEAD, 4096).kind == "evtx"
    assert identify("HOST_AuthZOptCh.evtx", EVTX_HEAD, 4096).role == "AuthZOptCh"
    assert identify("x.evtx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, 100).kind == "unknown"
    assert identify("x.evtx", b"", 0).kind == "empty"
    assert identify("a.zip", b"PK\x03\x04rest", 10).kind == "zip"
    assert identify("nettrace.cab", b"MSCF\x00\x00", 10).kind == "cab"
    reg = "\ufeffHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\AzureMfa\r\n".encode("utf-16-le")
    assert identify("BeforeRegAdd_AzureMFA.txt", reg, len(reg)).kind == "registry-dump"
    text = "\ufeffEvent[0]:\r\n  Log Name: Security\r\n".encode("utf-16-le")
    assert identify("NPS_EventLog.log", text, len(text)).kind == "nps-eventlog-text"
    db = b'"NPS01","IAS",03/07/2008,13:04:33,1,"client",,,,,,,,,9,"10.10.10.10","npsclient",,,,,,,1,,0,\r\n'
    assert identify("IN2403.log", db, len(db)).kind == "iaslog"


def test_mac_zip_companions_are_named_for_what_they_are() -> None:
    """A bundle zipped on a Mac holds ``__MACOSX/._Security.evtx`` beside each file: metadata, not a damaged log."""
    apple_double = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(60)
    found = identify("__MACOSX/NPS/._Security.evtx", apple_double, len(apple_double))
    assert (found.kind, found.note) == (
        "unknown",
        "macOS file metadata (AppleDouble '._' file added by a Mac's zip), not a log",
    )
    assert identify("x.evtx", b"\x89PNG\r\n\x1a\n" + bytes(64), 100).note.startswith("named like an evtx file")


@pytest.mark.parametrize(
    ("name", "role"),
    [
        # Windows' own file names in C:\\Windows\\System32\\winevt\\Logs ("/" of the channel written as %4)
        ("Microsoft-AzureMfa-AuthZ%4AuthZOptCh.evtx", "AuthZOptCh"),
        ("Microsoft-AzureMfa-AuthZ%4AuthZAdminCh.evtx", "AuthZAdminCh"),
        ("Microsoft-AzureMfa-AuthN%4AuthNOptCh.evtx", "AuthNOptCh"),
        ("Security.evtx", "Security"),
        ("System.evtx", "System"),
        ("SECURITY.EVTX", "Security"),
        ("security.evtx", "Security"),
        # the health-check script's names, other separators, host prefix or suffix
        ("NPS01_AuthZOptCh.evtx", "AuthZOptCh"),
        ("nps01-authzoptch.evtx", "AuthZOptCh"),
        ("C:/NPS/NPS01 AuthZOptCh.evtx", "AuthZOptCh"),
        ("NPS01_Security.evtx", "Security"),
        ("System_NPS01.evtx", "System"),
        ("export1.evtx", ""),  # nothing in the name: the records decide (pipeline settles the role)
        ("SystemHealth.evtx", ""),  # a word that merely starts like a log name is not that log
    ],
)
def test_evtx_role_from_windows_and_bundle_names(name: str, role: str) -> None:
    assert identify(name, EVTX_HEAD, 4096).role == role


def test_evtx_role_from_content_beats_the_name() -> None:
    # An AzureMfa channel named in the first record (UTF-16 as EVTX stores strings) wins over "Security.evtx".
    head = EVTX_HEAD.ljust(5000, b"\x00") + "Microsoft-AzureMfa-AuthZ/AuthZOptCh".encode("utf-16-le")
    assert identify("Security.evtx", head, 65536).role == "AuthZOptCh"


def test_folder_lists_every_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.txt").write_text("hello")
    (tmp_path / "empty.etl").write_bytes(b"")
    (tmp_path / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(64))
    with open_bundle([tmp_path]) as bundle:
        kinds = {f.name: f.kind for f in bundle.files}
    assert kinds == {"empty.etl": "empty", "pic.png": "unknown", "sub/notes.txt": "text"}


def test_missing_path_is_an_intake_error(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="no such file"):
        open_bundle([tmp_path / "nope"])


def _zip(entries: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def test_zip_slip_members_stay_inside_the_temp_dir(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    archive.write_bytes(
        _zip({"../../evil.txt": b"x" * 10, "/abs/evil2.txt": b"y", "C:\\Windows\\evil3.txt": b"z"}, symlink="link")
    )
    with open_bundle([archive]) as bundle:
        tmp_root = Path(bundle._tmp.name) if bundle._tmp else None
        members = [f for f in bundle.files if "!/" in f.name]
        assert {f.name for f in members} == {
            "bundle.zip!/../../evil.txt",
            "bundle.zip!/abs/evil2.txt",
            "bundle.zip!/C:/Windows/evil3.txt",
            "bundle.zip!/link",
        }
        for f in members:
            if f.path:
                assert tmp_root is not None and Path(f.path).resolve().is_relative_to(tmp_root.resolve())
        link = next(f for f in members if f.name.endswith("link"))
        assert link.kind == "skipped" and "symbolic link" in link.reason
    assert not (tmp_path.parent / "evil.txt").exists()
    assert tmp_root is not None and not tmp_root.exists()  # cleaned up on close


def test_zip_bomb_is_stopped_with_a_reason(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    archive.write_bytes(_zip({"big.evtx": b"\x00" * (40 * 1024 * 1024), "ok.txt": b"fine"}))
    with open_bundle([archive], IntakeLimits(max_ratio=100)) as bundle:
        big = next(f for f in bundle.files if f.name.endswith("big.evtx"))
        ok = next(f for f in bundle.files if f.name.endswith("ok.txt"))
    assert big.kind == "skipped" and "ratio" in big.reason
    assert ok.kind == "text"


def test_member_and_total_size_limits(tmp_path: Path) -> None:
    archive = tmp_path / "b.zip"
    archive.write_bytes(_zip({"a.bin": os.urandom(3000), "b.bin": os.urandom(3000), "c.bin": os.urandom(10)}))
    with open_bundle([archive], IntakeLimits(max_member_bytes=2000)) as bundle:
        reasons = {f.name.rsplit("/", 1)[-1]: f.reason for f in bundle.files if "!/" in f.name}
    assert "limit" in reasons["a.bin"] and "limit" in reasons["b.bin"]
    with open_bundle([archive], IntakeLimits(max_total_bytes=4000)) as bundle:
        reasons = {f.name.rsplit("/", 1)[-1]: f.reason for f in bundle.files if "!/" in f.name}
    assert reasons["a.bin"] == "" or "limit" not in reasons["a.bin"]
    assert "bundle larger" in reasons["b.bin"]


def test_nested_zip_depth_limit(tmp_path: Path) -> None:
    inner = _zip({"deep.txt": b"deep"})
    middle = _zip({"inner.zip": inner})
    archive = tmp_path / "outer.zip"
    archive.write_bytes(_zip({"middle.zip": middle}))
    with open_bundle([archive], IntakeLimits(max_depth=2)) as bundle:
        names = {f.name: f.reason for f in bundle.files}
    assert names["outer.zip!/middle.zip"].startswith("archive")
    assert "deeper than 2" in names["outer.zip!/middle.zip!/inner.zip"]
    assert "outer.zip!/middle.zip!/inner.zip!/deep.txt" not in names


def test_corrupt_zip_is_reported_not_raised(tmp_path: Path) -> None:
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"PK\x03\x04" + os.urandom(200))
    with open_bundle([archive]) as bundle:
        (only,) = bundle.files
    assert only.kind == "zip" and not only.analysed and "cannot open zip" in only.reason
