"""The compiled report templates kept between runs (report/template_cache.py): used when the cache folder is this
user's private one, never through a symlink or from a folder others may write, and never needed for a report."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from nps_trace_analyzer.report.html import _ENV
from nps_trace_analyzer.report.template_cache import PrivateBytecodeCache

TEMPLATE = "report.html.j2"


def _fresh_env() -> jinja2.Environment:
    """A new environment like the report's (same loader and settings), so nothing is remembered in memory."""
    return _ENV.overlay(cache_size=0, bytecode_cache=PrivateBytecodeCache())


def _loads_without_compiling(monkeypatch: pytest.MonkeyPatch) -> bool:
    env = _fresh_env()

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("compiled")

    with monkeypatch.context() as patch:
        patch.setattr(env, "compile", refuse)
        try:
            env.get_template(TEMPLATE)
        except AssertionError:
            return False
    return True


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    chosen = tmp_path / "cache"
    monkeypatch.setenv("NPS_TRACE_ANALYZER_CACHE", str(chosen))
    return chosen


def test_a_second_run_loads_the_compiled_template(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(_ENV.bytecode_cache, PrivateBytecodeCache)  # the report's own environment uses it
    assert not _loads_without_compiling(monkeypatch)  # nothing cached yet
    _fresh_env().get_template(TEMPLATE)  # compiled, and stored
    (stored,) = folder.glob("template-*.cache")
    assert stored.stat().st_mode & 0o022 == 0 and folder.stat().st_mode & 0o077 == 0
    assert _loads_without_compiling(monkeypatch)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="user ids and modes are POSIX")
def test_a_folder_others_may_write_is_not_trusted(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_env().get_template(TEMPLATE)
    folder.chmod(0o777)
    assert not _loads_without_compiling(monkeypatch)


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="O_NOFOLLOW is POSIX")
def test_a_symlinked_cache_file_is_not_followed(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_env().get_template(TEMPLATE)
    (stored,) = folder.glob("template-*.cache")
    elsewhere = folder.parent / "elsewhere.cache"
    stored.rename(elsewhere)
    stored.symlink_to(elsewhere)
    assert not _loads_without_compiling(monkeypatch)


def test_a_damaged_cache_file_is_compiled_again(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_env().get_template(TEMPLATE)
    (stored,) = folder.glob("template-*.cache")
    stored.write_bytes(stored.read_bytes()[:100])
    assert not _loads_without_compiling(monkeypatch)
    _fresh_env().get_template(TEMPLATE)
    assert _loads_without_compiling(monkeypatch)  # compiled again, the good copy is back


def test_turned_off_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPS_TRACE_ANALYZER_CACHE", "off")
    _fresh_env().get_template(TEMPLATE)
    assert not _loads_without_compiling(monkeypatch)
    assert not list(tmp_path.rglob("template-*.cache"))
