"""Builders shared by the reliability tests: small zips (including hostile ones) and CLI runs in a subprocess."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "samples" / "demo-bundle"


def make_zip(entries: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``entries`` in order (duplicate names allowed, as some zip tools write them)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries:
            zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 5, 2, 8, 0, 0)), data, compress_type=compression)
    return buf.getvalue()


def overlapping_zip(copies: int, payload: bytes) -> bytes:
    """One member's data, announced ``copies`` times by central-directory entries that all point at it."""
    raw = make_zip([("a.bin", payload)])
    eocd = raw.rindex(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<II", raw, eocd + 12)
    entry = raw[cd_offset : cd_offset + cd_size]
    name_len = struct.unpack_from("<H", entry, 28)[0]
    assert entry[46 : 46 + name_len] == b"a.bin"
    entries = b"".join(entry[:46] + f"{i:05d}".encode() + entry[46 + name_len :] for i in range(copies))
    end = bytearray(raw[eocd:])
    struct.pack_into("<HHII", end, 8, copies, copies, len(entries), cd_offset)
    return raw[:cd_offset] + entries + bytes(end)


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m nps_trace_analyzer ARGS`` with a hard timeout (a hang fails the test instead of blocking CI)."""
    return subprocess.run(
        [sys.executable, "-m", "nps_trace_analyzer", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
