"""Open a bundle: a folder, a zip (such as the health-check script's ``*_NpsLogging.zip``) or single files.

Zip members are never extracted under their own names: each is copied to ``<private temp dir>/<n>.bin``, so a
member called ``../../etc/passwd`` or ``C:\\Windows\\x`` cannot land outside the temp dir (no zip-slip).
Decompression is streamed with hard limits on member size, total size, member count, compression ratio and
nesting depth, so a zip bomb stops with a reason instead of filling the disk. Every file found is returned as
an :class:`~nps_trace_analyzer.model.InputFile`, including the ones that will not be analysed, so the report can
say why.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nps_trace_analyzer.intake.identify import SNIFF_BYTES, identify
from nps_trace_analyzer.model import InputFile

_COPY_CHUNK = 1024 * 1024
# What a damaged member can raise while being decompressed (bad CRC, broken deflate stream, cut-off archive...).
_MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError, ValueError)


class IntakeError(Exception):
    """The bundle as a whole cannot be opened (missing path, unreadable zip directory...)."""


@dataclass(frozen=True)
class IntakeLimits:
    """Bounds that keep a hostile or broken archive from exhausting disk or memory."""

    max_member_bytes: int = 4 * 1024**3
    max_total_bytes: int = 16 * 1024**3
    max_members: int = 20_000
    max_ratio: int = 250  # uncompressed/compressed, checked once a member passes 16 MiB
    max_depth: int = 2  # zip inside zip inside the bundle zip


@dataclass
class Bundle:
    """The files of one bundle; a context manager that removes the private temp dir on exit."""

    name: str
    files: list[InputFile] = field(default_factory=list)
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def analysable(self) -> list[InputFile]:
        return [f for f in self.files if f.kind not in ("zip", "cab", "empty", "unknown", "text", "skipped")]


def _sha256_and_head(path: str, hash_it: bool = True) -> tuple[str, bytes]:
    if not hash_it:
        with open(path, "rb") as fh:
            return "", fh.read(SNIFF_BYTES)
    digest = hashlib.sha256()
    head = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(_COPY_CHUNK):
            if not head:
                head = chunk[:SNIFF_BYTES]
            digest.update(chunk)
    return digest.hexdigest(), head


def sha256_of(path: str) -> str:
    """SHA-256 of a file (for the files whose hashing :func:`open_bundle` was asked to leave to the caller)."""
    return _sha256_and_head(path)[0]


def _display_name(raw: str) -> str:
    """Make a member name safe to show: forward slashes, no control characters, no leading slashes."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in raw.replace("\\", "/"))
    return cleaned.lstrip("/") or "(unnamed)"


class _Opener:
    def __init__(self, limits: IntakeLimits, hash_later_from: int | None = None) -> None:
        self.limits = limits
        self.hash_later_from = hash_later_from
        self.tmp: tempfile.TemporaryDirectory[str] | None = None
        self.total = 0
        self.members = 0
        self.files: list[InputFile] = []

    def _tmpdir(self) -> str:
        if self.tmp is None:
            self.tmp = tempfile.TemporaryDirectory(prefix="nps-trace-analyzer-")
        return self.tmp.name

    def add_disk_file(self, path: Path, name: str, depth: int) -> None:
        try:
            size = path.stat().st_size
            later = self.hash_later_from is not None and size >= self.hash_later_from
            sha, head = _sha256_and_head(str(path), hash_it=not later)
        except OSError as exc:
            self.files.append(
                InputFile(name, str(path), 0, "", "skipped", reason=f"cannot read: {exc.strerror or exc}")
            )
            return
        self._add_identified(str(path), name, size, sha, head, depth)

    def _add_identified(self, path: str, name: str, size: int, sha: str, head: bytes, depth: int) -> None:
        ident = identify(name, head, size)
        inp = InputFile(name, path, size, sha, ident.kind, role=ident.role, reason=ident.note)
        self.files.append(inp)
        if ident.kind == "zip":
            if depth >= self.limits.max_depth:
                inp.reason = f"nested archive deeper than {self.limits.max_depth} levels: not opened"
                return
            self.add_zip(inp, depth + 1)

    def add_zip(self, inp: InputFile, depth: int) -> None:
        try:
            archive = zipfile.ZipFile(inp.path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            inp.reason = f"cannot open zip: {exc}"
            return
        with archive:
            inp.analysed = True
            inp.reason = "archive: its members are listed separately"
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if info.is_dir():
                    continue
                self._extract_member(archive, info, inp.name, depth)

    def _extract_member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, parent: str, depth: int) -> None:
        name = f"{parent}!/{_display_name(info.filename)}"
        self.members += 1
        if self.members > self.limits.max_members:
            if self.members == self.limits.max_members + 1:
                self.files.append(
                    InputFile(
                        name,
                        "",
                        info.file_size,
                        "",
                        "skipped",
                        reason="too many archive members: rest ignored",
                    )
                )
            return
        mode = (info.external_attr >> 16) & 0xFFFF
        if stat.S_ISLNK(mode):
            self.files.append(InputFile(name, "", info.file_size, "", "skipped", reason="symbolic link: not followed"))
            return
        if info.flag_bits & 0x1:
            self.files.append(InputFile(name, "", info.file_size, "", "skipped", reason="encrypted member"))
            return
        target = os.path.join(self._tmpdir(), f"{len(self.files):06d}.bin")
        digest = hashlib.sha256()
        head = b""
        written = 0
        problem = ""
        try:
            with archive.open(info) as src, open(target, "wb") as dst:
                while chunk := src.read(_COPY_CHUNK):
                    written += len(chunk)
                    if written > self.limits.max_member_bytes:
                        problem = f"member larger than the {self.limits.max_member_bytes} byte limit"
                        break
                    if self.total + written > self.limits.max_total_bytes:
                        problem = f"bundle larger than the {self.limits.max_total_bytes} byte limit"
                        break
                    if written > 16 * 1024**2 and written > self.limits.max_ratio * max(info.compress_size, 1):
                        problem = f"compression ratio above {self.limits.max_ratio}:1 (zip bomb?)"
                        break
                    if not head:
                        head = chunk[:SNIFF_BYTES]
                    digest.update(chunk)
                    dst.write(chunk)
        except _MEMBER_ERRORS as exc:
            problem = f"cannot extract (damaged archive member): {exc}"
        if problem:
            Path(target).unlink(missing_ok=True)
            self.files.append(InputFile(name, "", info.file_size, "", "skipped", reason=problem))
            return
        self.total += written
        self._add_identified(target, name, written, digest.hexdigest(), head, depth)


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for fname in sorted(filenames):
            yield Path(dirpath) / fname


def open_bundle(
    paths: Sequence[str | os.PathLike[str]], limits: IntakeLimits | None = None, *, hash_later_from: int | None = None
) -> Bundle:
    """Collect and identify every file of the given folder(s), zip(s) or file(s).

    Files on disk of ``hash_later_from`` bytes or more are identified from their first bytes and left with an
    empty ``sha256`` for the caller to fill (:func:`sha256_of`), so a 1 GB log is not read once just to hash it
    before the real reading starts: the pipeline hashes such files in its worker processes.
    """
    if not paths:
        raise IntakeError("no input given")
    opener = _Opener(limits or IntakeLimits(), hash_later_from)
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise IntakeError(f"{raw}: no such file or directory")
        if path.is_dir():
            for file in _walk(path):
                rel = file.relative_to(path).as_posix()
                if file.is_symlink():
                    opener.files.append(InputFile(rel, "", 0, "", "skipped", reason="symbolic link: not followed"))
                    continue
                opener.add_disk_file(file, rel if len(paths) == 1 else f"{path.name}/{rel}", 0)
        else:
            opener.add_disk_file(path, path.name, 0)
    first = Path(paths[0])
    name = first.name if len(paths) == 1 else f"{first.name} (+{len(paths) - 1} more)"
    bundle = Bundle(name=name, files=opener.files, _tmp=opener.tmp)
    return bundle
