"""findings.json's fast writer gives exactly the bytes of ``json.dump(..., indent=2, ensure_ascii=False)``."""

from __future__ import annotations

import io
import json
import random
from enum import IntEnum
from pathlib import Path

import pytest

from nps_trace_analyzer.api import analyze_bundle
from nps_trace_analyzer.report.json_out import dump_indented

ROOT = Path(__file__).resolve().parents[1]


def _stdlib(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _fast(value: object, seekable: bool = True) -> str:
    buffer = io.StringIO()
    if not seekable:
        buffer.seekable = lambda: False  # type: ignore[method-assign]
    dump_indented(value, buffer)
    return buffer.getvalue()


class Level(IntEnum):
    HIGH = 3


def _awkward(rng: random.Random, depth: int = 0) -> object:
    scalars = [
        "",
        "plain",
        'quote " back \\ slash',
        "line\nbreak\ttab\x00nul\x1f",
        "ünïcødé ✓ \u2028 \ud800",
        0,
        -7,
        10**30,
        Level.HIGH,
        True,
        False,
        None,
        0.1,
        -0.0,
        1e300,
        float("nan"),
        float("inf"),
        -float("inf"),
    ]
    if depth > 4 or rng.random() < 0.4:
        return rng.choice(scalars)
    if rng.random() < 0.5:
        items = [_awkward(rng, depth + 1) for _ in range(rng.randrange(4))]
        return tuple(items) if rng.random() < 0.2 else items
    keys = ["k", "", "é", 1, 2.5, True, False, None, "x y"]
    return {rng.choice(keys): _awkward(rng, depth + 1) for _ in range(rng.randrange(4))}


def test_same_bytes_as_json_dump_on_awkward_values() -> None:
    rng = random.Random(12)
    for _ in range(3000):
        value = _awkward(rng)
        assert _fast(value) == _stdlib(value)
        assert _fast(value, seekable=False) == _stdlib(value)


def test_same_bytes_on_a_real_document(tmp_path: Path) -> None:
    analysis = analyze_bundle(ROOT / "samples" / "demo-bundle", out_dir=tmp_path / "out")
    written = (tmp_path / "out" / "findings.json").read_text(encoding="utf-8")
    assert written == _stdlib(json.loads(written)) + "\n"
    assert analysis is not None


@pytest.mark.parametrize("value", [{"a": {1, 2}}, [object()], {(1, 2): "tuple key"}])
def test_what_json_cannot_write_fails_as_json_dump_does(value: object) -> None:
    with pytest.raises(TypeError):
        json.dumps(value, indent=2)
    buffer = io.StringIO("")
    with pytest.raises(TypeError):
        dump_indented(value, buffer)


def test_circular_document_fails_as_json_dump_does() -> None:
    loop: list[object] = []
    loop.append([loop])
    with pytest.raises(ValueError, match="Circular"):
        dump_indented({"a": loop}, io.StringIO())


def test_fallback_rewinds_what_was_written() -> None:
    buffer = io.StringIO()
    buffer.write("head ")
    with pytest.raises(TypeError) as raised:
        dump_indented({"ok": [1, 2], "later": [{"x"}]}, buffer)
    with pytest.raises(TypeError) as expected:
        json.dumps({"ok": [1, 2], "later": [{"x"}]}, indent=2)
    assert str(raised.value) == str(expected.value)
    assert buffer.getvalue().startswith("head {")  # written by json.dump after the rewind, not twice
    assert buffer.getvalue().count('"ok"') == 1
