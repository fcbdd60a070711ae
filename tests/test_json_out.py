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


def _fast_binary(value: object) -> bytes:
    buffer = io.BytesIO()
    dump_indented(value, buffer)
    return buffer.getvalue()


def _records(rng: random.Random, count: int) -> list[object]:
    """Lists of incident-like records: nested lists and dicts, empty ones, ints, bools, None, text."""
    words = ["", "plain", 'q"uote', "back\\slash", "line\nend", "tab\t", "\x00\x1f\x7f", "é ✓ 😀", "\u2028</script>"]
    return [
        {
            "id": f"INC-{n}",
            "count": rng.choice([rng.randrange(-5, 10**12), 10**40, -(2**64)]),
            "benign": rng.random() < 0.5,
            "cid": None if rng.random() < 0.3 else rng.choice(words),
            "codes": [rng.choice(words) for _ in range(rng.randrange(3))],
            "details": {rng.choice(words): rng.choice(words) for _ in range(rng.randrange(4))},
            "evidence": [{"record_id": rng.choice([None, n]), "text": rng.choice(words), "x": []} for _ in range(2)],
            "pair": (n, "t"),
        }
        for n in range(count)
    ]


def test_batches_encoded_in_c_are_the_bytes_of_json_dump() -> None:
    """Long lists of plain records (the incidents) go through msgspec in batches: same bytes, text or binary."""
    rng = random.Random(5)
    records = _records(rng, 700)
    for document in ({"schema": "1", "incidents": records, "tail": [records[:3]]}, records, {"a": {"b": records}}):
        assert _fast(document) == _stdlib(document)
        assert _fast_binary(document) == _stdlib(document).encode("utf-8")


def test_every_code_point_is_escaped_as_json_dump_escapes_it() -> None:
    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    document = {"incidents": [{"text": text[start : start + 4096]} for start in range(0, len(text), 4096)]}
    assert _fast_binary(document) == _stdlib(document).encode("utf-8")


def test_a_batch_of_other_data_takes_the_slow_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A float (NaN, 1e+16: msgspec writes them otherwise), a str subclass or a non-str key anywhere in a batch
    sends that batch the slow way; the plain batches around it still go through msgspec; the bytes are the same.
    (Ints of any size are plain: msgspec writes their digits as json does; the records hold 10**40.)"""
    from nps_trace_analyzer.report import json_out

    class Name(str):
        pass

    encoded: list[bool] = []
    original = json_out._fast_batch

    def spy(batch: object, level: int) -> bytes | None:
        result = original(batch, level)
        encoded.append(result is not None)
        return result

    monkeypatch.setattr(json_out, "_fast_batch", spy)
    rng = random.Random(6)
    for odd in (float("nan"), 1e16, 0.5, Name("n"), {1: "x"}, {True: 1}):
        records = _records(rng, 3 * json_out.BATCH)
        records[json_out.BATCH + 7]["details"] = {"deep": [{"odd": odd}]}
        encoded.clear()
        document = {"incidents": records}
        assert _fast(document) == _stdlib(document)
        assert _fast_binary(document) == _stdlib(document).encode("utf-8")
        assert encoded == [True, False, True, True, False, True]  # the odd batch alone, in text and binary


def test_a_lone_surrogate_fails_in_binary_as_a_utf8_text_file_does() -> None:
    document = {"incidents": [{"text": "bad \ud800"}] * 3}
    with pytest.raises(UnicodeEncodeError):
        json.dump(document, io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), indent=2, ensure_ascii=False)
    with pytest.raises(UnicodeEncodeError):
        _fast_binary(document)
    assert _fast(document) == _stdlib(document)  # a text buffer takes it, as json.dump's does
