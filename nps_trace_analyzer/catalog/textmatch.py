"""Wording-tolerant comparison of documented messages with logged text.

Microsoft reworded the documented messages between doc versions ("does not" -> "doesn't", "was not" ->
"wasn't", a space added after a full stop) and uses ``{0}`` placeholders and backslashes as separators.
The catalog keeps the messages as documented; this module turns both sides into one canonical form so a
documented message can be found inside a real event text whatever the doc version.
"""

from __future__ import annotations

import re

_CONTRACTIONS = {
    "doesn't": "does not",
    "don't": "do not",
    "didn't": "did not",
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "weren't": "were not",
    "couldn't": "could not",
    "can't": "cannot",
    "won't": "will not",
    "hasn't": "has not",
    "haven't": "have not",
}
_SEPARATORS = re.compile(r"[\\/]")
_TIGHT_PUNCTUATION = ".:,;!?()[]'\""
_SPACES = re.compile(r"\s+")
_PLACEHOLDER = re.compile(r"\{\d+\}")
#: Copies of messages from web pages and mail carry typographic quotes and dashes.
_TYPOGRAPHIC = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u00a0": " "}
)
#: What a ``{0}`` placeholder may stand for: bounded, so a search stays linear in the text length.
PLACEHOLDER_SPAN = 200


def normalize(text: str) -> str:
    """Return ``text`` case-folded, contractions expanded, separators and spacing made uniform."""
    out = text.casefold().translate(_TYPOGRAPHIC)
    for short, full in _CONTRACTIONS.items():
        out = out.replace(short, full)
    out = _SEPARATORS.sub(" ", out)
    # Spaces are collapsed first, so at most one space sits beside a punctuation mark: plain replacements
    # then remove it in linear time whatever the input (issue #10).
    out = _SPACES.sub(" ", out)
    for mark in _TIGHT_PUNCTUATION:
        out = out.replace(" " + mark, mark).replace(mark + " ", mark)
    return out.strip()


def message_regex(message: str) -> re.Pattern[str] | None:
    """Compile a documented message into a regex over :func:`normalize`-d text.

    ``{0}``-style placeholders match up to :data:`PLACEHOLDER_SPAN` characters. A trailing full stop is
    optional. Returns None for a message that is empty once normalised (nothing to look for).
    """
    norm = normalize(message).rstrip(".").strip()
    if not norm:
        return None
    parts = [re.escape(part.strip()) for part in _PLACEHOLDER.split(norm)]
    return re.compile(f".{{0,{PLACEHOLDER_SPAN}}}?".join(parts))
