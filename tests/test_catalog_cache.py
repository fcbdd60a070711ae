"""The parsed-catalog cache: used when it is sound and private, ignored (the YAML parsed) in every other case."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nps_trace_analyzer.catalog import cache, loader
from nps_trace_analyzer.catalog.loader import load_catalog


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(folder))
    return folder


@pytest.fixture
def yaml_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Labels of the files parsed from YAML during the test."""
    seen: list[str] = []
    real = loader._parse_documents

    def counting(label: str, name: str, text: str):  # type: ignore[no-untyped-def]
        seen.append(label)
        return real(label, name, text)

    monkeypatch.setattr(loader, "_parse_documents", counting)
    return seen


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert a.entries == b.entries and a.version == b.version and a.sources == b.sources


def _cache_file(folder: Path) -> Path:
    (path,) = folder.glob("catalog-*.json")
    return path


def test_second_load_comes_from_the_cache(cache_dir: Path, yaml_parses: list[str]) -> None:
    first = load_catalog()
    parsed = len(yaml_parses)
    assert parsed > 5 and _cache_file(cache_dir).stat().st_mode & 0o077 == 0
    second = load_catalog()
    assert len(yaml_parses) == parsed, "the second load parsed YAML"
    _same(first, second)


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b"\x00garbage"),
        lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
        lambda p: p.write_text(json.dumps({"format": 1, "key": "x", "files": []})),
        lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "files": [["a", "b", "c"]]})),
        # right key, an entry no YAML could pass: built, rejected, YAML parsed instead (no error for the user)
        lambda p: p.write_text(
            json.dumps({**json.loads(p.read_text()), "files": [["x.yaml", "x", [{"code": 1, "bogus": True}]]] * 15})
        ),
    ],
    ids=["garbage", "truncated", "wrong-key", "wrong-shape", "invalid-entry"],
)
def test_a_damaged_cache_is_never_trusted(cache_dir: Path, yaml_parses: list[str], damage) -> None:  # type: ignore[no-untyped-def]
    reference = load_catalog()
    path = _cache_file(cache_dir)
    damage(path)
    yaml_parses.clear()
    _same(reference, load_catalog())
    assert yaml_parses, "the damaged cache was used"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_others_may_write_is_ignored(cache_dir: Path, yaml_parses: list[str]) -> None:
    reference = load_catalog()
    path = _cache_file(cache_dir)
    path.chmod(0o666)
    yaml_parses.clear()
    _same(reference, load_catalog())
    assert yaml_parses
    path.chmod(0o600)
    cache_dir.chmod(0o777)
    yaml_parses.clear()
    load_catalog()
    assert yaml_parses


def test_turned_off_means_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yaml_parses: list[str]) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    load_catalog()
    load_catalog()
    assert not list(tmp_path.rglob("*.json")) and len(yaml_parses) > 10


def test_a_catalog_edit_changes_the_key() -> None:
    texts = [("a/x.yaml", "x.yaml", "entries: []"), ("a/y.yaml", "y.yaml", "")]
    assert cache.key_of(texts) != cache.key_of([texts[0], ("a/y.yaml", "y.yaml", " ")])
    assert cache.key_of(texts) != cache.key_of([("a/x.yaml", "x.yamle", "ntries: []"), texts[1]])


def test_what_json_cannot_carry_is_not_cached(cache_dir: Path) -> None:
    texts = [("a/x.yaml", "x.yaml", "when: 2025-01-01")]
    cache.store(texts, [("a/x.yaml", "x", [{"when": __import__("datetime").date(2025, 1, 1)}])])
    assert cache.load(texts) is None
