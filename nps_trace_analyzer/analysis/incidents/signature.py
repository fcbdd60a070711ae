"""The text signature of an event: its wording with every variable part masked.

Why: events nothing could place (no code the catalog knows, or a text no grammar recognises) must not be merged
into one incident because they share a placeholder code; two lines are "the same unrecognised thing" only when
they say the same words. GUIDs, numbers (any token holding a digit), hex values, addresses and user names vary
from one occurrence of the same message to the next, so they are masked before comparing.
"""

from __future__ import annotations

import re

MAX_SIGNATURE = 160
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?"), "<guid>"),
    (re.compile(r"[^\s@:;,()\[\]'\"]+@[^\s@:;,()\[\]'\"]+"), "<user>"),
    (re.compile(r"\b[\w.-]+\\[^\s:;,()'\"]+"), "<user>"),
    (re.compile(r"(?i)(\bfor\s+(?:the\s+)?user\s+)(?!<user>)[^\s:;,]+"), r"\1<user>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), "<ip>"),
    (re.compile(r"\b0x[0-9A-Fa-f]+\b"), "<hex>"),
    (re.compile(r"-?[\w.-]*\d[\w.-]*"), "<n>"),  # any token holding a digit: ids, counts, versions
)


def text_signature(text: str) -> str:
    """``text`` with variable parts masked, whitespace collapsed, lower-cased and cut to a bounded length."""
    out = " ".join(text.split())
    for pattern, mask in _MASKS:
        out = pattern.sub(mask, out)
    return out.casefold()[:MAX_SIGNATURE]


def masked_words(text: str, limit: int = 4000) -> frozenset[str]:
    """The distinct words of ``text`` (its first ``limit`` characters) with variable parts masked: what two copies
    of one message share even when one is split into parts, reordered, or lacks the product prefix."""
    out = " ".join(text[:limit].split())
    for pattern, mask in _MASKS:
        out = pattern.sub(mask, out)
    return frozenset(word.strip(".,;:()[]'\"") for word in out.casefold().split()) - {""}
