"""Write a report folder all at once or not at all.

A report is several files that only make sense together (findings.json must describe the same run as
report.html). Writing them in place left, after a full disk or a kill, a truncated report.html beside a complete
findings.json, or a new events.csv beside the previous run's report; two runs into one folder interleaved rows.
So every writer works in a private staging folder created beside the target, and the staging folder replaces the
target by rename only once everything in it is complete. The swap is done under a lock on the parent folder
(two runs finishing together commit one after the other; each result is whole). Nothing is ever written through
a symbolic link: the staging folder is new and private, and a target that is itself a link is refused.

The same rules, for a single file, are in :func:`atomic_file` (used by ``pcap``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NoReturn

from nps_trace_analyzer.core.exit_codes import DISK_FULL_ERRNOS

# A folder carrying this marker was written by this tool and may be replaced by a newer report.
MARKER_NAME = ".nps-trace-analyzer-report"
# Report folders written before the marker existed hold only these names; such a folder may be replaced too.
LEGACY_REPORT_NAMES = frozenset({"report.html", "incidents.csv", "events.csv", "findings.json", "summary.md"})
_STAGING_PREFIX = ".nps-report-staging-"
_OLD_PREFIX = ".nps-report-old-"


class OutputError(Exception):
    """The output cannot be written where asked (permission, a link in its place, a foreign folder)."""


class DiskFullError(OutputError):
    """The disk holding the output ran out of space while it was written."""


def raise_for_os_error(exc: OSError, what: Path) -> NoReturn:
    """Turn an OSError met while writing ``what`` into :class:`DiskFullError` or :class:`OutputError`."""
    if exc.errno in DISK_FULL_ERRNOS:
        raise DiskFullError(f"{what}: disk full ({exc.strerror})") from exc
    raise OutputError(f"{what}: cannot write: {exc.strerror or exc}") from exc


def _umask_mode(base: int) -> int:
    current = os.umask(0)
    os.umask(current)
    return base & ~current


def _may_replace(target: Path) -> None:
    """Refuse a target that is a link, a file, or a folder holding things this tool did not write."""
    if target.is_symlink():
        raise OutputError(f"{target}: is a symbolic link; not followed (choose another output folder)")
    if not target.exists():
        return
    cwd = Path.cwd().resolve()
    if cwd == target.resolve() or target.resolve() in cwd.parents:
        raise OutputError(
            f"{target}: is (or holds) the current folder, which a new report would replace as a whole; "
            "choose another output folder"
        )
    if not target.is_dir():
        raise OutputError(f"{target}: exists and is not a folder")
    names = set(os.listdir(target))
    if not names or MARKER_NAME in names or names <= LEGACY_REPORT_NAMES:
        return
    raise OutputError(
        f"{target}: folder holds files that are not a report of this tool ({sorted(names)[0]} ...); "
        "it would be replaced: choose an empty or new output folder"
    )


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (flock on the folder itself: no lock file is left behind).

    Where flock does not exist (Windows) the commit goes unlocked; each run still commits a whole folder by rename.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _commit(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging``: old target aside, staging in, old target removed.

    Whatever stops the swap half-way (an OSError, a signal raised as an exception), the previous report is put
    back when the new one did not take its place.
    """
    with _lock(target.parent):
        _may_replace(target)  # again: another run may have changed it meanwhile
        old: Path | None = None
        try:
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=_OLD_PREFIX, dir=target.parent))
                os.rename(target, old / "report")
            os.rename(staging, target)
        except BaseException:
            if old is not None and (old / "report").exists() and not target.exists():
                os.rename(old / "report", target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def staged_report_dir(target: Path) -> Iterator[Path]:
    """Yield a private, empty folder beside ``target``; on a clean exit it becomes ``target``.

    On any exception (disk full, interruption, a bug) the staging folder is removed and ``target`` is left as it
    was. OSErrors become :class:`OutputError` / :class:`DiskFullError` with the path in the message.
    """
    target = Path(os.path.abspath(target))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _may_replace(target)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=target.parent))
    except OSError as exc:
        raise_for_os_error(exc, target)
    try:
        (staging / MARKER_NAME).write_text("written by nps-trace-analyzer; this folder is replaced on re-runs\n")
        yield staging
        os.chmod(staging, _umask_mode(0o777))
        _commit(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise_for_os_error(exc, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[IO[bytes]]:
    """Yield a binary file that replaces ``target`` only once complete; on failure nothing is left behind.

    ``os.replace`` swaps the directory entry, so a symbolic link planted at ``target`` is replaced, never
    followed (the file it pointed to is untouched).
    """
    target = Path(os.path.abspath(target))
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    except OSError as exc:
        raise_for_os_error(exc, target)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.chmod(tmp, _umask_mode(0o666))
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise_for_os_error(exc, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
