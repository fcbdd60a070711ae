"""Compiled report templates kept between runs, in the per-user cache folder of the catalog (catalog/cache.py).

Why: Jinja2 compiles report.html.j2 to Python on every run, ~0.05 s of CPU of each ``analyze`` (measured: 0.049 s
compiling against 0.001 s loading the compiled form). Jinja2's bytecode cache stores that compiled code.

Why it is safe: loading compiled code runs it, so a cache file is trusted exactly as far as Python trusts its own
``__pycache__``: only when the folder and the file belong to the current user and nobody else may write them (the
catalog cache's rule, :func:`~nps_trace_analyzer.catalog.cache.owned_and_private`), the file is a regular file
(never a symlink followed) of bounded size. Jinja2 checks the header (its version and Python's) and the template
source's checksum itself, so an edited template or another Python compiles afresh. Writing is atomic (a temporary
file renamed) and best effort; ``NPS_TRACE_ANALYZER_CACHE=off`` turns this off with the catalog cache. The folder is
looked up at each use, so a setting made after import (tests) holds.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import jinja2

from nps_trace_analyzer.catalog.cache import cache_dir, owned_and_private

#: Far above a compiled report template (~0.1 MB); a larger file is not ours.
MAX_TEMPLATE_BYTES = 8 * 1024 * 1024


def _file_for(folder: Path, bucket: jinja2.bccache.Bucket) -> Path:
    return folder / f"template-{bucket.key}.cache"


class PrivateBytecodeCache(jinja2.BytecodeCache):
    """Jinja2's bytecode cache, read and written only in a folder private to this user."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        folder = cache_dir()
        if folder is None:
            return
        try:
            if not owned_and_private(os.stat(folder)):
                return
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
            fd = os.open(_file_for(folder, bucket), flags)
            with os.fdopen(fd, "rb") as fh:
                st = os.fstat(fh.fileno())
                if stat.S_ISREG(st.st_mode) and owned_and_private(st) and st.st_size <= MAX_TEMPLATE_BYTES:
                    bucket.load_bytecode(fh)  # a wrong header or checksum leaves the bucket empty: compiled anew
        except Exception:  # a damaged cache file (cut short, say) must never fail the report: compile anew
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        folder = cache_dir()
        if folder is None:
            return
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not owned_and_private(os.stat(folder)):
                return
            fd, temp = tempfile.mkstemp(prefix=".template-", suffix=".tmp", dir=folder)
            try:
                with os.fdopen(fd, "wb") as fh:
                    bucket.write_bytecode(fh)
                os.replace(temp, _file_for(folder, bucket))
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except (OSError, ValueError, TypeError):
            return
