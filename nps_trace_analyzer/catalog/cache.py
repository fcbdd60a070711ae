"""A per-user cache of the parsed built-in catalog, so a run does not parse ~450 KB of YAML (nor import PyYAML).

Parsing the built-in YAML was ~0.05 s of every run's serial start-up (0.08 s with building the entries; the bare
pyevtx-rs iteration the throughput target compares with takes ~0.9 s for a busy server's whole bundle). The cache
holds what the YAML files parse to — plain JSON, never pickle, so reading it cannot run code — and is keyed by
the SHA-256 of every built-in file's label and text: editing the catalog makes a new key, never a stale hit.

Nothing read from the cache is trusted more than the YAML: the entries are built and cross-checked exactly as
from YAML. A cache file is used only if it and its folder belong to the current user and nobody else may write
them, it is a regular file of bounded size, it parses, its structure is as written and its key matches;
otherwise the YAML is parsed. Writing is atomic (a temporary file renamed over the old one) and skipped when the
folder cannot be made safe, when the parse result does not survive JSON unchanged (a YAML date, say), or when
``NPS_TRACE_ANALYZER_CACHE=off``. ``NPS_TRACE_ANALYZER_CACHE=FOLDER`` puts it elsewhere (tests do).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CACHE_ENV = "NPS_TRACE_ANALYZER_CACHE"
FORMAT = 1
MAX_CACHE_BYTES = 32 * 1024 * 1024

#: One built-in file as the loader reads it: (label, file name, text).
Text = tuple[str, str, str]
#: One built-in file as the loader parses it: (label, family, raw entries).
Parsed = tuple[str, str, list[Any]]


def cache_dir() -> Path | None:
    """The cache folder: NPS_TRACE_ANALYZER_CACHE, else $XDG_CACHE_HOME or ~/.cache; None when turned off."""
    chosen = os.environ.get(CACHE_ENV, "")
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nps-trace-analyzer"


def key_of(texts: Sequence[Text]) -> str:
    """SHA-256 over the cache format and every file's label, name and text (lengths included: unambiguous)."""
    digest = hashlib.sha256(f"nps-trace-analyzer catalog cache {FORMAT}\n".encode())
    for part in (p for text in texts for p in text):
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def owned_and_private(st: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else (on systems with user ids)."""
    if not hasattr(os, "getuid"):
        return True  # Windows: the per-user profile folder's ACLs do this job
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _file_for(folder: Path, key: str) -> Path:
    return folder / f"catalog-{key[:40]}.json"


def load(texts: Sequence[Text]) -> list[Parsed] | None:
    """The parsed files from the cache, or None (missing, unsafe, corrupt, other key: parse the YAML)."""
    folder = cache_dir()
    if folder is None:
        return None
    key = key_of(texts)
    try:
        if not owned_and_private(os.stat(folder)):
            return None
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(_file_for(folder, key), flags)
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode) or not owned_and_private(st) or st.st_size > MAX_CACHE_BYTES:
                return None
            data = fh.read(MAX_CACHE_BYTES + 1)
        doc = json.loads(data)
    except (OSError, ValueError, RecursionError):
        return None
    return _checked(doc, key, [name for _label, name, _text in texts])


def _checked(doc: Any, key: str, names: list[str]) -> list[Parsed] | None:
    """The cache document's files if it has exactly the written structure for this key, else None."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("key") != key:
        return None
    files = doc.get("files")
    if not isinstance(files, list) or len(files) != len(names):
        return None
    parsed: list[Parsed] = []
    for item in files:
        if not (isinstance(item, list) and len(item) == 3):
            return None
        label, family, raws = item
        if not (isinstance(label, str) and isinstance(family, str) and isinstance(raws, list)):
            return None
        parsed.append((label, family, raws))
    return parsed


def store(texts: Sequence[Text], parsed: Sequence[Parsed]) -> None:
    """Write the cache for these texts (best effort: any failure leaves the YAML as the only source)."""
    folder = cache_dir()
    if folder is None:
        return
    key = key_of(texts)
    doc = {"format": FORMAT, "key": key, "files": [[label, family, raws] for label, family, raws in parsed]}
    try:
        payload = json.dumps(doc, ensure_ascii=False, allow_nan=False)
        if json.loads(payload) != doc:
            return  # something JSON cannot carry unchanged: always parse the YAML
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not owned_and_private(os.stat(folder)):
            return
        fd, temp = tempfile.mkstemp(prefix=".catalog-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload)
            os.replace(temp, _file_for(folder, key))
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except (OSError, ValueError, TypeError, RecursionError):
        return
