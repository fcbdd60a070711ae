"""A zip beside the folder it was extracted from is one bundle, not two servers.

Support bundles are often handed over as ``C_NPS.zip`` plus the ``C_NPS`` folder someone already unpacked. Taken
as two bundles, every incident would be reported twice (as two servers of the same name). A zip is a copy of a
sibling folder when it is named after it and holds the same files: same paths (below an optional top folder of
that name), sizes and CRC-32s. The zip's CRC-32s come from its directory, so it is not decompressed.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

__all__ = ["zip_copies"]

_CHUNK = 1 << 20


def _folder_files(folder: Path) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        crc = 0
        with file.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                crc = zlib.crc32(chunk, crc)
        out[file.relative_to(folder).as_posix()] = (file.stat().st_size, crc)
    return out


def _zip_files(path: Path, top: str) -> dict[str, tuple[int, int]] | None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
    except (OSError, zipfile.BadZipFile):
        return None
    prefix = f"{top}/"
    if members and all(m.filename.startswith(prefix) for m in members):
        return {m.filename[len(prefix) :]: (m.file_size, m.CRC) for m in members}
    return {m.filename: (m.file_size, m.CRC) for m in members}


def zip_copies(bundles: Sequence[Path]) -> dict[Path, Path]:
    """``{zip: folder}`` for every zip among ``bundles`` that holds exactly the files of a sibling folder."""
    folders = {(p.parent, p.name.lower()): p for p in bundles if p.is_dir()}
    copies: dict[Path, Path] = {}
    for path in bundles:
        if path.is_dir() or path.suffix.lower() != ".zip":
            continue
        folder = folders.get((path.parent, path.stem.lower()))
        if folder is None:
            continue
        members = _zip_files(path, folder.name)
        if members and members == _folder_files(folder):
            copies[path] = folder
    return copies
