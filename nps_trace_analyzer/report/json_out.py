"""findings.json written fast, byte for byte as ``json.dump(document, fh, indent=2, ensure_ascii=False)``.

Why not plain ``json.dump``: with ``indent`` CPython leaves its C encoder out and walks the document with a
generator per container; on a worst-case bundle (300 k extension records, 30 k incidents, 100 MB of JSON) that
pure-Python walk is seconds of the parent's serial time (issue #12). Here the long lists (incidents, inputs,
causes) are cut into batches, and a batch of plain JSON data — exactly str, int, bool, None, list, tuple and dict
with str keys, no float — is encoded and indented in C by msgspec (BSD-3-Clause: its JSON encoder escapes
strings as the standard library does with ``ensure_ascii=False``, and ``msgspec.json.format`` lays out with the
standard library's ``indent=2`` rules; tests/test_json_out.py checks every code point). A float (whose text
differs: NaN, 1e+16) or any other type sends that batch through the C string escaper of the standard library and
one ``join`` per container instead; anything outside plain JSON data (another type, a non-string key that is not
a number, bool or None, a container holding itself) makes the whole document go through ``json.dump``, so the
errors stay the standard library's. Both are compared with ``json.dump`` in tests/test_json_out.py.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from itertools import islice
from json.encoder import encode_basestring  # the C escaper when available (ensure_ascii=False uses it too)
from typing import IO, Any

import msgspec

INDENT = "  "
#: Containers nested deeper than this are written in one piece; shallower ones a child at a time, so the
#: document never sits in memory twice (its events/incidents lists can be tens of MB).
STREAM_DEPTH = 2
#: Items of a streamed list encoded by msgspec in one call: large enough to leave Python out of the loop, small
#: enough that a batch's text is a few MB at most.
BATCH = 256
#: Plain data nested deeper than this goes the slow way (msgspec and the walk below both recurse).
MAX_FAST_DEPTH = 64

_ENCODER = msgspec.json.Encoder()
_FORMAT = msgspec.json.format


class StreamedList:
    """A list whose items are made as they are read (``len`` and iteration only): written like a list, in batches,
    so its items are never all in memory (the incidents of findings.json, :class:`report.result.IncidentDocs`)."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError


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
    if isinstance(value, (list, tuple, dict, StreamedList)):
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
    if is_dict:
        items: Any = value.items()
    else:
        items = _batched(value, level)
    first = True
    for item in items:
        if type(item) is bytes:  # a batch of list items, encoded and indented by msgspec
            yield item if first else b"," + item
            first = False
            continue
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


def _batched(items: Any, level: int) -> Any:
    """The list's items one by one, except that runs of plain containers come as encoded batches (bytes: each
    item on a new line, indented for ``level + 1``, joined by commas, as the slow path lays them out)."""
    # msgspec lays out a top-level value; the batch is put ``level`` lists deep so that its items come out
    # indented as inside the document, and the wrapping lines are cut off (no re-indenting pass over the text).
    # Each of the level + 1 lists opens with "[" + "\n" + its items' indent and closes with "\n" + indent + "]".
    cut = sum(len(INDENT) * depth + 2 for depth in range(level + 1))
    remaining = iter(items)  # a list or a StreamedList: batches are taken as the items come
    while batch := list(islice(remaining, BATCH)):
        encoded = _fast_batch(batch, level)
        if encoded is None:
            yield from batch
            continue
        yield encoded[cut - 1 : -cut]  # from the newline before the first item to the end of the last


def _fast_batch(batch: Any, level: int = 0) -> bytes | None:
    """The batch as ``json.dumps`` with ``indent=2, ensure_ascii=False`` encodes it inside ``level`` lists, or None
    when it is not plain data msgspec writes the same way (then the caller takes the slow path, which also raises
    the errors)."""
    if not batch or not all(_plain(item, 0) for item in batch):
        return None
    wrapped: Any = batch
    for _ in range(level):
        wrapped = [wrapped]
    try:
        return _FORMAT(_ENCODER.encode(wrapped), indent=2)
    except (TypeError, ValueError, RecursionError, UnicodeEncodeError):  # e.g. a lone surrogate
        return None


def _plain(value: Any, depth: int) -> bool:
    """Is ``value`` a container of exactly str, int, bool, None, list, tuple and str-keyed dict (no float, no
    subclass: their JSON text is the same from msgspec and from the standard library)?"""
    if depth > MAX_FAST_DEPTH:
        return False
    kind = type(value)
    if kind is dict:
        if any(type(key) is not str for key in value):
            return False
        return _all_plain(value.values(), depth)
    if kind is list or kind is tuple:
        return _all_plain(value, depth)
    return False


def _all_plain(items: Any, depth: int) -> bool:
    """Every item a JSON scalar msgspec writes as the standard library does, or a plain container (:func:`_plain`)."""
    for item in items:
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if not _plain(item, depth + 1):
            return False
    return True


def dump_indented(document: Any, fh: IO[Any]) -> None:
    """Write ``document`` as ``json.dump(document, fh, indent=2, ensure_ascii=False)`` would, only faster.

    ``fh`` is a text file, or a binary one that gets the UTF-8 of that text. Pieces are written as they are made
    (a seekable file is rewound for the fallback); an unseekable one gets the whole text at the end instead.
    """
    binary = not isinstance(fh, io.TextIOBase)
    seekable = fh.seekable()
    start = fh.tell() if seekable else 0
    try:
        if seekable:
            for piece in _chunks(document, binary):
                fh.write(piece)
        else:
            fh.write((b"" if binary else "").join(_chunks(document, binary)))
    except _NotPlain:
        if seekable:
            fh.seek(start)
            fh.truncate()
        document = _listed(document)  # the standard library writes lists, not StreamedList
        if binary:
            text = io.TextIOWrapper(fh, encoding="utf-8", newline="")
            json.dump(document, text, indent=2, ensure_ascii=False)
            text.detach()  # flushed into fh, which stays open for the caller
        else:
            json.dump(document, fh, indent=2, ensure_ascii=False)


def _chunks(document: Any, binary: bool) -> Any:
    """The pieces of the document: str from the slow path and bytes from msgspec, converted to what fh takes."""
    for piece in _pieces(document):
        if binary:
            yield piece if type(piece) is bytes else piece.encode("utf-8")
        else:
            yield piece if type(piece) is str else piece.decode("utf-8")


def _pieces(document: Any) -> Any:
    text = _scalar(document)
    if text is not None:
        yield text
        return
    yield from _container(document, 0, set())


def _listed(document: Any) -> Any:
    """The document with its StreamedList values (at the top level, where the pipeline puts them) as lists."""
    if isinstance(document, dict):
        return {k: list(v) if isinstance(v, StreamedList) else v for k, v in document.items()}
    return list(document) if isinstance(document, StreamedList) else document
