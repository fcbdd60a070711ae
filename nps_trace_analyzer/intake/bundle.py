"""Open a bundle: a folder, a zip (such as the health-check script's ``*_NpsLogging.zip``) or single files.

Zip members are never extracted under their own names: each is copied to ``<private temp dir>/<n>.bin``, so a
member called ``../../etc/passwd`` or ``C:\\Windows\\x`` cannot land outside the temp dir (no zip-slip).
Decompression is streamed with hard limits on member size, total size written, member count, compression ratio
(per member from its first byte, and per archive) and nesting depth, and central-directory entries whose data
overlap are refused, so a zip bomb stops with a reason instead of filling the disk. Only regular files are read: a
FIFO or a device (``/dev/zero``) would block or never end. Temp space running out stops the run with
:class:`TempSpaceFull` (the CLI's "disk full" status), not a "damaged member" that changes the diagnosis.
Every file found is returned as an :class:`~nps_trace_analyzer.core.model.InputFile`, including the ones that will
not be analysed, so the report can say why.
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
from typing import Any

from nps_trace_analyzer.core.exit_codes import DISK_FULL_ERRNOS
from nps_trace_analyzer.core.model import InputFile
from nps_trace_analyzer.intake.identify import SNIFF_BYTES, identify

_COPY_CHUNK = 1024 * 1024
# What a damaged member can raise while being decompressed (bad CRC, broken deflate stream, cut-off archive...).
_MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError, ValueError)


class IntakeError(Exception):
    """The bundle as a whole cannot be opened (missing path, unreadable zip directory...)."""


class TempSpaceFull(Exception):
    """The private temp dir's disk filled up while archive members were copied out."""


def _limit(default: int, doc: str) -> Any:
    """A limit with the sentence the README's Reliability table shows for it (generated, see report/limits_doc.py)."""
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class IntakeLimits:
    """Bounds that keep a hostile or broken archive from exhausting disk or memory."""

    max_member_bytes: int = _limit(4 * 1024**3, "largest archive member written to the temp dir")
    max_total_bytes: int = _limit(16 * 1024**3, "all archive members of a run together, as written to the temp dir")
    max_members: int = _limit(20_000, "archive members opened per run (the rest are listed as ignored)")
    max_ratio: int = _limit(
        250, "expanded/compressed size, per member from its first byte and per archive (kept members)"
    )
    ratio_floor_bytes: int = _limit(
        4096, "compressed sizes below this count as this for the ratio (tiny members compress oddly well)"
    )
    max_depth: int = _limit(2, "archives inside archives opened (zip in zip in the bundle zip)")


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


_FILE_TYPES = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def not_regular_reason(mode: int) -> str:
    """Why a file of this ``st_mode`` is not read ("" for a regular file): pipes and devices block or never end."""
    if stat.S_ISREG(mode):
        return ""
    what = next((label for test, label in _FILE_TYPES if test(mode)), "not a regular file")
    return f"{what}: only regular files are read"


def _sha256_and_head(path: str, hash_below: int | None = None) -> tuple[int, str, bytes]:
    """Size, SHA-256 and first bytes of a regular file; raises :class:`_NotRegular` for anything else.

    The file is opened non-blocking and checked with fstat on the same descriptor, so a FIFO cannot block the
    open and a file swapped for a device between a check and the open is still caught. A file of ``hash_below``
    bytes or more is not hashed ("" instead): the caller hashes it later.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        reason = not_regular_reason(info.st_mode)
        if reason:
            raise _NotRegular(reason)
        if hash_below is not None and info.st_size >= hash_below:
            return info.st_size, "", fh.read(SNIFF_BYTES)
        digest = hashlib.sha256()
        head = b""
        while chunk := fh.read(_COPY_CHUNK):
            if not head:
                head = chunk[:SNIFF_BYTES]
            digest.update(chunk)
    return info.st_size, digest.hexdigest(), head


class _NotRegular(Exception):
    pass


def sha256_of(path: str) -> str:
    """SHA-256 of a file (for the files whose hashing :func:`open_bundle` was asked to leave to the caller)."""
    return _sha256_and_head(path)[1]


def _display_name(raw: str) -> str:
    """Make a member name safe to show: forward slashes, no control characters, no leading slashes."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in raw.replace("\\", "/"))
    return cleaned.lstrip("/") or "(unnamed)"


def _numbered(name: str, number: int) -> str:
    """``dir/a.evtx`` -> ``dir/a (2).evtx``: a second member of the same name, told apart, kind and role kept."""
    head, sep, tail = name.rpartition("/")
    stem, dot, ext = tail.rpartition(".")
    renamed = f"{stem} ({number}).{ext}" if dot and stem else f"{tail} ({number})"
    return f"{head}{sep}{renamed}"


def _overlapping(infos: list[zipfile.ZipInfo]) -> set[int]:
    """Indexes of entries whose local header + data overlap an earlier entry's (a known zip-bomb construction).

    A member's bytes start at its local header offset and need at least a 30-byte header plus ``compress_size``;
    a well-formed archive never has two members inside one such span.
    """
    spans = sorted(range(len(infos)), key=lambda i: (infos[i].header_offset, i))
    bad: set[int] = set()
    reach = -1
    for index in spans:
        info = infos[index]
        if info.header_offset < reach:
            bad.add(index)
            continue
        reach = info.header_offset + 30 + info.compress_size
    return bad


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

    def skip(self, name: str, reason: str, size: int = 0, kind: str = "skipped") -> None:
        self.files.append(InputFile(name, "", size, "", kind, reason=reason))

    def add_disk_file(self, path: Path, name: str, depth: int) -> None:
        try:
            size, sha, head = _sha256_and_head(str(path), self.hash_later_from)
        except _NotRegular as exc:
            self.skip(name, str(exc))
            return
        except OSError as exc:
            self.skip(name, f"cannot read: {exc.strerror or exc}")
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
            # "analysed" here means opened and listed; whether anything in it could be read is told by its members
            # (AnalysisResult.content_read), so an archive of unreadable members still exits 1.
            inp.analysed = True
            inp.reason = "archive: its members are listed separately"
            infos = [i for i in archive.infolist() if not i.is_dir()]
            overlapping = _overlapping(infos)
            budget = _ArchiveBudget(self.limits.max_ratio * max(inp.size, self.limits.ratio_floor_bytes))
            seen: dict[str, int] = {}
            for index in sorted(range(len(infos)), key=lambda i: (infos[i].filename, i)):
                info = infos[index]
                name = f"{inp.name}!/{_display_name(info.filename)}"
                seen[name] = seen.get(name, 0) + 1
                if seen[name] > 1:
                    name = _numbered(name, seen[name])
                if index in overlapping:
                    self.skip(name, "its data overlaps another member's (zip bomb?): not extracted", info.file_size)
                    continue
                self._extract_member(archive, info, name, depth, budget)

    def _refusal(self, size: int, member_cap: int, budget: _ArchiveBudget) -> str:
        """Why a member of ``size`` expanded bytes may not be written ("" when it may)."""
        limits = self.limits
        if size > limits.max_member_bytes:
            return f"member larger than the {limits.max_member_bytes} byte limit"
        if self.total + size > limits.max_total_bytes:
            return f"bundle larger than the {limits.max_total_bytes} byte limit"
        if size > member_cap:
            return f"compression ratio above {limits.max_ratio}:1 (zip bomb?)"
        if budget.spent + size > budget.limit:
            return f"archive expands beyond {limits.max_ratio}:1 of its size (zip bomb?)"
        return ""

    def _extract_member(
        self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, depth: int, budget: _ArchiveBudget
    ) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            if self.members == self.limits.max_members + 1:
                self.skip(name, "too many archive members: rest ignored", info.file_size)
            return
        mode = (info.external_attr >> 16) & 0xFFFF
        if stat.S_ISLNK(mode):
            self.skip(name, "symbolic link: not followed", info.file_size)
            return
        if info.flag_bits & 0x1:
            self.skip(name, "encrypted member", info.file_size)
            return
        member_cap = self.limits.max_ratio * max(info.compress_size, self.limits.ratio_floor_bytes)
        # zipfile never yields more than the declared size (a member that lies is cut short and fails its CRC),
        # so the declared size decides most refusals before a byte is decompressed; the loop below re-checks.
        problem = self._refusal(info.file_size, member_cap, budget)
        if problem:
            self.skip(name, problem, info.file_size)
            return
        target = os.path.join(self._tmpdir(), f"{len(self.files):06d}.bin")
        digest = hashlib.sha256()
        head = b""
        written = 0
        try:
            with archive.open(info) as src, open(target, "wb") as dst:
                while chunk := src.read(_COPY_CHUNK):
                    written += len(chunk)
                    problem = self._refusal(written, member_cap, budget)
                    if problem:
                        break
                    if not head:
                        head = chunk[:SNIFF_BYTES]
                    digest.update(chunk)
                    dst.write(chunk)
        except OSError as exc:
            Path(target).unlink(missing_ok=True)
            if exc.errno in DISK_FULL_ERRNOS:
                raise TempSpaceFull(
                    f"temp space full while extracting {name} into {self._tmpdir()} ({exc.strerror}); "
                    "free space there or point TMPDIR at a larger disk"
                ) from exc
            problem = f"cannot extract (damaged archive member): {exc}"
        except _MEMBER_ERRORS as exc:
            problem = f"cannot extract (damaged archive member): {exc}"
        if problem:
            Path(target).unlink(missing_ok=True)
            self.skip(name, problem, info.file_size)
            return
        self.total += written
        budget.spent += written
        self._add_identified(target, name, written, digest.hexdigest(), head, depth)


@dataclass
class _ArchiveBudget:
    """Bytes one archive's kept members may expand to (its size times the ratio limit).

    Members refused for their own ratio do not count: each is stopped at ratio x its compressed size, and refused
    overlaps mean compressed sizes add up to at most the archive's size, so the work on refused members is bounded
    too, and one bomb member cannot starve the honest members beside it.
    """

    limit: int
    spent: int = 0


def _walk(root: Path, opener: _Opener, prefix: str) -> Iterator[tuple[Path, str]]:
    """Regular walk of ``root``; folders that cannot be listed and linked folders are recorded as skipped."""

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else root
        rel = where.relative_to(root).as_posix() if where != root else "."
        opener.skip(f"{prefix}{rel}/", f"folder cannot be read: {exc.strerror or exc}; its files are not analysed")

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=False):
        here = Path(dirpath)
        for dname in sorted(dirnames):
            if (here / dname).is_symlink():
                rel = (here / dname).relative_to(root).as_posix()
                opener.skip(f"{prefix}{rel}/", "symbolic link to a folder: not followed")
        dirnames.sort()
        for fname in sorted(filenames):
            yield here / fname, prefix + (here / fname).relative_to(root).as_posix()


def open_bundle(
    paths: Sequence[str | os.PathLike[str]], limits: IntakeLimits | None = None, *, hash_later_from: int | None = None
) -> Bundle:
    """Collect and identify every file of the given folder(s), zip(s) or file(s).

    Whatever stops the intake (an error, a signal turned into an exception), the temp dir is removed before the
    exception leaves this function. Files on disk of ``hash_later_from`` bytes or more are identified from their
    first bytes and left with an empty ``sha256`` for the caller to fill (:func:`sha256_of`), so a 1 GB log is not
    read once just to hash it before the real reading starts: the pipeline hashes such files in its workers.
    """
    if not paths:
        raise IntakeError("no input given")
    opener = _Opener(limits or IntakeLimits(), hash_later_from)
    try:
        for raw in paths:
            path = Path(raw)
            if not path.exists() and not path.is_symlink():
                raise IntakeError(f"{raw}: no such file or directory")
            if path.is_dir():
                prefix = "" if len(paths) == 1 else f"{path.name}/"
                for file, name in _walk(path, opener, prefix):
                    if file.is_symlink():
                        opener.skip(name, "symbolic link: not followed")
                        continue
                    opener.add_disk_file(file, name, 0)
            else:
                opener.add_disk_file(path, path.name, 0)
    except BaseException:
        if opener.tmp is not None:
            opener.tmp.cleanup()
        raise
    first = Path(paths[0])
    name = first.name if len(paths) == 1 else f"{first.name} (+{len(paths) - 1} more)"
    bundle = Bundle(name=name, files=opener.files, _tmp=opener.tmp)
    return bundle
