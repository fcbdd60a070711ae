"""Reuse what was concluded from one sentence template for every event written from it.

The NPS extension writes a handful of sentences over and over, and only a few words change between two events of
the same sentence: the request's CID (a GUID), the user's address. Reading each event with the whole content-based
grammar (:mod:`.azuremfa`) and the catalog's ~46 documented messages costs ~50 us; a busy server writes hundreds
of thousands of them. This cache masks those words (one scan for ``@``, one for a GUID's dashed tail), keys a
bounded table on what is left — the *skeleton* — and keeps a *plan*: the conclusion with every masked word
replaced by a reference to its slot. An event of a known skeleton gets the plan filled with its own words.

Why the plan is the same conclusion the grammar would reach (the cache must never change a result):

- only words that no rule looks *into* are masked, and only in a form that pins down everything a rule could see
  of them: a GUID in lower-case hex (not the nil GUID, not the MFA client's application id), as a whole word, its
  key recording whether it starts with a letter or a digit; an address ``local@domain.tld`` in lower case as a
  whole word, not holding a GUID, its key recording its *shape* (each letter ``a``, each digit ``0``: the length and
  where dots, dashes and ``@`` stand) but keeping the local part's leading letters and the domain as they are, the
  parts a rule reading across the word's edges could see ("Access Rejected for user" + ``user@contoso.com``).
  Positions in the text are therefore the same for every event of a skeleton. (What is left: a GUID's leading
  hex letters are abstracted too, so a documented message ending in a word like "a" or "cafe" right before a GUID
  would escape the key; no grammar sentence and no catalog message ends that way before a CID.)
  Which slots hold equal words is part of the key (the CID written twice, as CID and as state, is not two
  requests). A text holding a GUID or an address in any other form (upper case, glued to other characters) is not
  cached at all: the grammar compares those with the masked ones.
- a plan is made only on a skeleton's second sighting, and only if it passes a check: the skeleton is read
  with *probe* words (each masked word's letters and digits rotated, so the shape is kept and every character
  differs), the conclusion is turned into the plan, and the plan filled with the real words must equal what the
  grammar concludes from the real event. A skeleton whose conclusion depends on anything inside a masked word
  (a code read out of a GUID, a documented message reaching into an address) fails the check and is then never
  cached (remembered as such). The conclusion's fixed part (codes, kinds, catalog entries) must hold no masked
  word at all.
- tests/test_templates.py reads every scenario's events, the real-text set and fuzzed variants both ways.

Bounds (issue #10): masking is linear in the text (each ``@`` is looked at once, GUID tails are found by one scan
led by a literal ``-``, each candidate word matched by an anchored, bounded pattern); texts longer than
:data:`MAX_CACHED_TEXT` are not cached; the tables hold at most :data:`MAX_SKELETONS` skeletons each, oldest
dropped first, so a hostile file of all-distinct sentences costs one mask and one table entry per event above the
grammar it runs anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from nps_trace_analyzer.extract.mfa_content import MFA_CLIENT_APP_ID

#: Longest text (and longest Data value list, summed) whose skeleton is cached.
MAX_CACHED_TEXT = 2048
#: Skeletons remembered (seen once) and plans kept, each.
MAX_SKELETONS = 2048
#: More Data values than this: not cached.
MAX_DATA_VALUES = 12

_GUID_ANY_RE = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_GUID_LOWER_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ADDRESS_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,8}\.[a-z]{2,24}")
_GUID_TAIL_RE = re.compile(r"-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_HEX8_RE = re.compile(r"[0-9A-Fa-f]{8}")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: Besides letters and digits, what the grammar's address pattern accepts right before an "@".
_LOCAL_GLUE = frozenset("_.*%+'#$!&-")
#: Characters that, next to a masked word, could make a rule read it as part of a longer word.
_GLUE = frozenset("_-.*%+'#$!&@\\")
_SHAPE = str.maketrans("abcdefghijklmnopqrstuvwxyz0123456789", "a" * 26 + "0" * 10)
_ROTATE_HEX = str.maketrans("0123456789abcdef", "1234567890bcdefa")
_ROTATE_WORD = str.maketrans("0123456789abcdefghijklmnopqrstuvwxyz", "1234567890bcdefghijklmnopqrstuvwxyza")
_MARK = "\x00"


class _NotCacheable(Exception):
    """The text holds a GUID or an address in a form the cache does not mask."""


#: The characters of an address's local part as the run before an "@" is measured (for ``str.rstrip``).
_LOCAL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789._-"


def _addresses(text: str, found: list[tuple[int, int, str]]) -> None:
    at = text.find("@")
    while at >= 0:
        before, after = text[at - 1] if at else "", text[at + 1 : at + 2]
        if not (before.isalnum() or before in _LOCAL_GLUE) or not (after.isalnum() or after == "_" or after == "-"):
            at = text.find("@", at + 1)  # no address can hold this "@" ("ERROR_CODE @ https://..."): a literal
            continue
        # the run of address characters ending at the "@" (at most 64): what rstrip takes off the window's end
        window = text[at - 64 if at > 64 else 0 : at]
        start = at - len(window) + len(window.rstrip(_LOCAL_CHARS))
        m = _ADDRESS_RE.match(text, start)
        if m is None or m.end() <= at:
            raise _NotCacheable
        end = m.end()
        after = text[end : end + 2]
        if start and (text[start - 1].isalnum() or text[start - 1] in _GLUE):
            raise _NotCacheable
        if after and (after[0].isalnum() or after[0] in "_-@\\" or (after[0] == "." and after[1:2].isalnum())):
            raise _NotCacheable  # glued, or "a@b.co.uk" cut short by the bound on labels
        word = m.group(0)
        if "-" in word and _GUID_ANY_RE.search(word):
            raise _NotCacheable
        kind = _ADDRESS_CLASSES.get(word)
        if kind is None:
            kind = _address_class(word)
            if len(_ADDRESS_CLASSES) >= MAX_SKELETONS:
                _ADDRESS_CLASSES.clear()
            _ADDRESS_CLASSES[word] = kind
        found.append((start, end, kind))
        at = text.find("@", end)


#: Addresses already classed (a log names a few thousand users over and over); bounded.
_ADDRESS_CLASSES: dict[str, str] = {}


def _address_class(word: str) -> str:
    """The key of an address slot: its shape, with the local part's leading letters and the domain kept as they
    are — a rule that reads across the slot's edge ("... for user" + "user@contoso.com") sees exactly those."""
    at = word.index("@")
    local = word[:at]
    rest = local.lstrip(_LETTERS)  # after the leading letters
    return "u" + local[: at - len(rest)] + rest.translate(_SHAPE) + word[at:]


def _guids(text: str, found: list[tuple[int, int, str]]) -> None:
    """GUIDs, found from their first dash: the 28 characters from it by one pattern led by a literal ``-`` (a
    fast scan), the 8 before it checked after. The dashes inside such a run cannot be a GUID's first dash (8 hex
    digits must precede that), so scanning the runs without overlap misses none."""
    for tail in _GUID_TAIL_RE.finditer(text):
        dash = tail.start()
        start = dash - 8
        end = tail.end()
        if start < 0:
            continue
        if not _GUID_LOWER_RE.fullmatch(text, start, end):  # the usual GUID passes with one test
            if _HEX8_RE.fullmatch(text, start, dash):
                raise _NotCacheable
            continue  # no GUID starts 8 characters before this dash
        word = text[start:end]
        if (
            not word.strip("0-")
            or word == MFA_CLIENT_APP_ID
            or (start and (text[start - 1].isalnum() or text[start - 1] in _GLUE))
            or (end < len(text) and (text[end].isalnum() or text[end] in "_-"))
        ):
            raise _NotCacheable
        found.append((start, end, "g" if word[0].isalpha() else "h"))


def mask(text: str, words: list[str]) -> str:
    """``text`` with each maskable word replaced by a slot mark; the words are appended to ``words``.

    The mark names the word's class and the first slot (over ``words``) that holds the same word, so two texts
    with the same skeleton place equal words alike. Raises :class:`_NotCacheable`.
    """
    if _MARK in text:
        raise _NotCacheable
    found: list[tuple[int, int, str]] = []
    if "@" in text:
        _addresses(text, found)
    if "-" in text:
        addresses = len(found)
        _guids(text, found)
        if addresses and len(found) > addresses:
            found.sort()
    if not found:
        return text
    pieces: list[str] = []
    pos = 0
    for start, end, kind in found:
        word = text[start:end]
        first = words.index(word) if word in words else len(words)
        words.append(word)
        pieces.append(text[pos:start])
        pieces.append(f"{_MARK}{first}:{kind}{_MARK}")
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


Data = Sequence[tuple[str | None, str]]
#: What a cached computation returns: a fixed part (no masked word in it) and named strings that may hold some.
Outcome = tuple[Hashable, dict[str, str]]
Compute = Callable[[str, Data, Hashable], Outcome]
_Template = str | int | tuple[Any, ...]  # a literal, a slot, or (literal, slot, literal, slot, ..., literal)


def _probe(word: str) -> str:
    """A word of the same shape in which every letter and digit differs (a GUID stays a lower-case hex GUID)."""
    if word[8:9] == "-" and _GUID_LOWER_RE.fullmatch(word):
        return word.translate(_ROTATE_HEX)
    return word.translate(_ROTATE_WORD)


def _instantiate(skeleton: str, values: Sequence[str]) -> str:
    """The skeleton with slot ``i`` given ``values[i]`` (the inverse of :func:`mask`)."""
    if _MARK not in skeleton:
        return skeleton
    parts = skeleton.split(_MARK)
    return "".join(part if index % 2 == 0 else values[int(part.split(":", 1)[0])] for index, part in enumerate(parts))


def _template(value: str, probes: list[tuple[str, int]]) -> _Template:
    """``value`` with each probe word replaced by its slot number (longest probes first)."""
    pieces: list[Any] = [value]
    for probe, slot in probes:
        if probe not in value:
            continue
        out: list[Any] = []
        for piece in pieces:
            if isinstance(piece, int) or probe not in piece:
                out.append(piece)
                continue
            for index, text in enumerate(piece.split(probe)):
                if index:
                    out.append(slot)
                out.append(text)
        pieces = out
    if len(pieces) == 1:
        return pieces[0]
    if len(pieces) == 3 and pieces[0] == pieces[2] == "":
        return pieces[1]  # the whole value is one word (a CID, a user): its slot number
    merged: list[Any] = [""]  # literal, slot, literal, ...: adjacent literals joined
    for piece in pieces:
        if isinstance(piece, int):
            merged += [piece, ""]
        else:
            merged[-1] += piece
    return tuple(merged)


def _fill(template: _Template, values: Sequence[str]) -> str:
    if type(template) is str:
        return template
    if type(template) is int:
        return values[template]
    out = [template[0]]
    for index in range(1, len(template), 2):
        out.append(values[template[index]])
        out.append(template[index + 1])
    return "".join(out)


class TemplateCache:
    """Memoise ``compute(text, data, extra)`` per skeleton of ``text`` and ``data`` (see the module docstring)."""

    def __init__(self, compute: Compute, max_skeletons: int = MAX_SKELETONS) -> None:
        self.compute = compute
        self.max_skeletons = max_skeletons
        self.seen: dict[Hashable, None] = {}
        self.plans: dict[Hashable, tuple[Hashable, tuple[tuple[str, _Template], ...]] | None] = {}
        self.hits = 0
        self.misses = 0

    def _key(self, text: str, data: Data, extra: Hashable) -> tuple[Hashable, list[str]] | None:
        if len(text) > MAX_CACHED_TEXT or len(data) > MAX_DATA_VALUES:
            return None
        words: list[str] = []
        try:
            skeleton = mask(text, words)
            if len(data) == 1 and data[0][0] is None and data[0][1] == text:
                data_key: Hashable = None  # the usual AzureMfa record: one unnamed Data string, the text itself
            else:
                if sum(len(value) for _name, value in data) > MAX_CACHED_TEXT:
                    return None
                data_key = tuple((name, mask(value, words)) for name, value in data)
        except _NotCacheable:
            return None
        return (skeleton, data_key, extra), words

    def __call__(self, text: str, data: Data, extra: Hashable = None) -> Outcome:
        keyed = self._key(text, data, extra)
        if keyed is None:
            return self.compute(text, data, extra)
        key, words = keyed
        plan = self.plans.get(key, False)
        if plan:
            self.hits += 1
            fixed, strings = plan
            return fixed, {
                name: template
                if type(template) is str
                else words[template]
                if type(template) is int
                else _fill(template, words)
                for name, template in strings
            }
        self.misses += 1
        outcome = self.compute(text, data, extra)
        if plan is None:  # failed its check once: never cached
            return outcome
        if key not in self.seen:
            self._remember(self.seen, key, None)
        else:
            del self.seen[key]
            self._remember(self.plans, key, self._plan(key, words, outcome))
        return outcome

    def _remember(self, table: dict[Hashable, Any], key: Hashable, value: Any) -> None:
        if len(table) >= self.max_skeletons:
            del table[next(iter(table))]  # the oldest
        table[key] = value

    def _plan(
        self, key: Hashable, words: list[str], outcome: Outcome
    ) -> tuple[Hashable, tuple[tuple[str, _Template], ...]] | None:
        """The plan of a skeleton, from a read of its probe instantiation, if it reproduces ``outcome``."""
        skeleton, data_key, extra = key  # type: ignore[misc]
        probes = [_probe(word) for word in words]
        if len(set(probes)) != len(set(words)) or any(p in skeleton for p in probes):
            return None
        text = _instantiate(skeleton, probes)
        data = [(None, text)] if data_key is None else [(n, _instantiate(v, probes)) for n, v in data_key]
        fixed, strings = self.compute(text, data, extra)
        order = sorted({(p, words.index(w)) for p, w in zip(probes, words, strict=True)}, key=lambda pw: -len(pw[0]))
        if any(p in repr(fixed) for p, _slot in order):
            return None
        plan = (fixed, tuple((name, _template(value, order)) for name, value in strings.items()))
        filled = {name: _fill(template, words) for name, template in plan[1]}
        if fixed != outcome[0] or filled != outcome[1] or list(filled) != list(outcome[1]):
            return None
        return plan
