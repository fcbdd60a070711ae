"""Find every bundle under a root folder, and name each by its content.

A bundle is a folder that holds log files directly (its sub-folders belong to it), or a zip that is not inside
such a folder. The key is a SHA-256 over the bundle's content (file names relative to the bundle and their
bytes), so a bundle that is copied or moved keeps its key and a bundle whose files change gets a new one: that is
what lets ``fleet`` analyse each bundle once.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nps_trace_analyzer.fleet.multi import LOG_SUFFIXES

_CHUNK = 1024 * 1024
KEY_LENGTH = 32  # hex digits of the SHA-256 kept in paths (128 bits)


@dataclass(frozen=True)
class FoundBundle:
    """A bundle under the fleet root: its path, the path relative to the root (for display) and its key."""

    path: Path
    relative: str
    key: str


def _holds_logs(files: list[str]) -> bool:
    return any(name.lower().endswith(LOG_SUFFIXES) for name in files)


def symlinks_under(root: Path, skip: Path | None = None) -> list[str]:
    """Symbolic links under ``root`` (relative paths): never followed, but named so nothing is skipped silently."""
    root = root.resolve()
    skip = skip.resolve() if skip is not None else None
    links = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        if skip is not None and (here == skip or skip in here.parents):
            dirnames[:] = []
            continue
        links += [(here / n).relative_to(root).as_posix() for n in [*dirnames, *filenames] if (here / n).is_symlink()]
    return sorted(links)


def _bundle_paths(root: Path, skip: Path | None) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        if skip is not None and (here == skip or skip in here.parents):
            dirnames[:] = []
            continue
        dirnames.sort()
        if _holds_logs(filenames):
            dirnames[:] = []
            yield here
            continue
        for name in sorted(filenames):
            path = here / name
            if name.lower().endswith(".zip") and not path.is_symlink():
                yield path


def _hash_file(path: Path, digest: hashlib._Hash) -> None:
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)


def content_key(path: Path) -> str:
    """SHA-256 of a zip's bytes, or of a folder's (relative name, size, bytes) in name order."""
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(b"zip\0")
        _hash_file(path, digest)
    else:
        digest.update(b"folder\0")
        for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()):
            rel = file.relative_to(path).as_posix().encode("utf-8", "surrogateescape")
            digest.update(len(rel).to_bytes(4, "big") + rel + file.stat().st_size.to_bytes(8, "big"))
            _hash_file(file, digest)
    return digest.hexdigest()[:KEY_LENGTH]


def signature(path: Path) -> str:
    """What the file system says about a bundle without reading it: names, sizes and modification times."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    for file in files:
        info = file.stat()
        rel = file.relative_to(path).as_posix() if file != path else ""
        digest.update(f"{rel}\0{info.st_size}\0{info.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def find_bundles(
    root: Path,
    skip: Path | None = None,
    known: dict[str, tuple[str, str]] | None = None,
    path_key: Callable[[str], str] = str,
) -> list[FoundBundle]:
    """Every bundle under ``root`` (not under ``skip``, the output folder), sorted by relative path.

    ``known`` maps a relative path (as ``path_key`` names it: a keyed token when redacting) to ``(signature, key)``
    from an earlier run: a bundle whose signature is unchanged keeps its key without being read again (a rerun over
    a large fleet reads no bundle it has seen).
    """
    root = root.resolve()
    skip = skip.resolve() if skip is not None else None
    known = known or {}
    found = []
    for path in _bundle_paths(root, skip):
        relative = path.relative_to(root).as_posix()
        cached = known.get(path_key(relative))
        key = cached[1] if cached and cached[0] == signature(path) else content_key(path)
        found.append(FoundBundle(path, relative, key))
    return sorted(found, key=lambda b: b.relative)
