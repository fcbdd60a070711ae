"""findings.json written fast, byte for byte as ``json.dump(document, fh, indent=2, ensure_ascii=False)``.

Why not plain ``json.dump``: with ``indent`` CPython leaves its C encoder out and walks the document with a
generator per container; on a worst-case bundle (300 k extension records) that pure-Python walk is seconds of the
parent's serial time (issue #12). Here each string goes through the C string escaper and each container is
built with one ``join``; the layout rules are the standard library's (item separator ``","`` + newline,
``": "`` between key and value, ``[]``/``{}`` for empty containers). Anything outside plain JSON data (another
type, a non-string key that is not a number, bool or None, a container holding itself) makes the whole document
go through ``json.dump`` instead, so the errors stay the standard library's.
tests/test_json_out.py compares both on the demo bundle's document and on generated awkward values.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # the C escaper when available (ensure_ascii=False uses it too)
from typing import Any, TextIO

INDENT = "  "
#: Containers nested deeper than this are written in one piece; shallower ones a child at a time, so the
#: document never sits in memory twice (its events/incidents lists can be tens of MB).
STREAM_DEPTH = 2


class _NotPlain(Exception):
    """The document holds something only ``json.dump`` knows how to write (or refuse)."""


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)


def _scalar(value: Any) -> str | None:
    """The JSON of a scalar in the standard library's order of type tests; None for a container."""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, (list, tuple, dict)):
        return None
    raise _NotPlain


def _key(key: Any) -> str:
    if isinstance(key, str):
        return encode_basestring(key)
    if isinstance(key, float):
        return encode_basestring(_float(key))
    if key is True:
        return '"true"'
    if key is False:
        return '"false"'
    if key is None:
        return '"null"'
    if isinstance(key, int):
        return encode_basestring(int.__repr__(key))
    raise _NotPlain


def _encode(value: Any, level: int, seen: set[int]) -> str:
    """The whole JSON of ``value`` nested at ``level``."""
    text = _scalar(value)
    if text is not None:
        return text
    return "".join(_container(value, level, seen))


def _container(value: Any, level: int, seen: set[int]) -> list[str] | Any:
    """Pieces of a list/tuple/dict at ``level``: streamed (a generator) above STREAM_DEPTH, else a list."""
    if not value:
        return ["{}" if isinstance(value, dict) else "[]"]
    if id(value) in seen:
        raise _NotPlain  # circular: json.dump raises its own error
    inner = "\n" + INDENT * (level + 1)
    closing = "\n" + INDENT * level + ("}" if isinstance(value, dict) else "]")
    if level < STREAM_DEPTH:
        return _stream(value, level, seen, inner, closing)
    seen.add(id(value))
    if isinstance(value, dict):
        out = ["{", ",".join(inner + _key(k) + ": " + _encode(v, level + 1, seen) for k, v in value.items()), closing]
    else:
        out = ["[", ",".join(inner + _encode(v, level + 1, seen) for v in value), closing]
    seen.discard(id(value))
    return out


def _stream(value: Any, level: int, seen: set[int], inner: str, closing: str) -> Any:
    seen.add(id(value))
    is_dict = isinstance(value, dict)
    yield "{" if is_dict else "["
    first = True
    for item in value.items() if is_dict else value:
        head = inner if first else "," + inner
        first = False
        child = item[1] if is_dict else item
        if is_dict:
            head += _key(item[0]) + ": "
        text = _scalar(child)
        if text is not None:
            yield head + text
        else:
            yield head
            yield from _container(child, level + 1, seen)
    yield closing
    seen.discard(id(value))


def dump_indented(document: Any, fh: TextIO) -> None:
    """Write ``document`` as ``json.dump(document, fh, indent=2, ensure_ascii=False)`` would, only faster.

    Pieces are written as they are made (a seekable file is rewound for the fallback); an unseekable one gets
    the whole text at the end instead.
    """
    seekable = fh.seekable()
    start = fh.tell() if seekable else 0
    try:
        if seekable:
            for piece in _chunks(document):
                fh.write(piece)
        else:
            fh.write("".join(_chunks(document)))
    except _NotPlain:
        if seekable:
            fh.seek(start)
            fh.truncate()
        json.dump(document, fh, indent=2, ensure_ascii=False)


def _chunks(document: Any) -> Any:
    text = _scalar(document)
    if text is not None:
        yield text
        return
    yield from _container(document, 0, set())
