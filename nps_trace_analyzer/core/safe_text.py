"""Untrusted text on its way out: to a terminal, into HTML or CSV.

File names, member names and user names come from the bundle, i.e. from strangers. Printed raw, an ANSI/OSC
escape sequence in a name can rewrite the engineer's terminal (change its title, hide lines, plant a hyperlink);
a right-to-left override (U+202E) makes ``exe.txt`` read as ``txt.exe`` in a report or spreadsheet. Terminal lines
show every control and bidi character as a visible escape; HTML and CSV show bidi controls as a visible mark.
"""

from __future__ import annotations

import re

# Unicode bidirectional formatting characters (UAX #9): embeddings, overrides, isolates and the implicit marks.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI_RE = re.compile(f"[{BIDI_CONTROLS}]")
# C0 and C1 controls (ESC starts ANSI/OSC sequences, U+009B is a one-character CSI), DEL, line/paragraph separators.
_TERMINAL_RE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every control and bidi character written as a visible ``\\xNN`` / ``\\uNNNN`` escape."""
    return _TERMINAL_RE.sub(_escape, text)


def mark_bidi(text: str) -> str:
    """``text`` with each bidi control shown as ``[U+202E]`` so it cannot reorder what is displayed around it."""
    if text.isascii() or not _BIDI_RE.search(text):  # isascii is O(1) in CPython: most cells cost nothing
        return text
    return _BIDI_RE.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)
