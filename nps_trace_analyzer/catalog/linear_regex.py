"""User-catalog patterns run on RE2, whose matching time is linear in the text whatever the pattern.

A pattern from a user's ``--catalog`` file is run against every event text of a bundle. Python's ``re`` backtracks:
``^(\\w+\\s?)+$`` takes exponential time on a line of words ending in a symbol, so one careless pattern could stall
the run for hours. Rather than guess which constructs are dangerous (nested quantifiers, ambiguous alternations,
adjacent overlapping repeats... the list is never complete), user patterns are compiled with Google's RE2
(``google-re2``, BSD), an automaton engine with a linear-time guarantee. The few constructs RE2 cannot run in
linear time (backreferences, lookaround, possessive/atomic groups) are refused when the catalog is loaded, with the
file, the entry and the reason on one line. The built-in catalog is reviewed and keeps Python's ``re``.

Known difference: in RE2 ``\\d``, ``\\s`` and ``\\w`` are ASCII classes (use ``\\pL``/``\\pN`` for any letter/digit).
"""

from __future__ import annotations

import re
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print its own lines on stderr; the reason goes into our one-line error


class NotLinear(ValueError):
    """The pattern is valid for Python but uses a construct RE2 cannot match in linear time."""


def compile_linear(source: str) -> Any:
    """Compile ``source`` with RE2 (same ``search``/``pattern`` API as ``re``); ``re.error`` for invalid syntax,
    :class:`NotLinear` for a construct that needs backtracking."""
    re.compile(source)  # invalid syntax reads the same as for built-in patterns
    try:
        return re2.compile(source, _OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise NotLinear(
            f"uses a construct that cannot be matched in linear time ({detail}); user patterns run on RE2: "
            "rewrite it without backreferences, lookahead/lookbehind or atomic groups"
        ) from None
