"""Dates as event renderings print them, read into UTC: wevtutil's ISO form, and the display-culture forms of
Event Viewer copies, its .csv/.txt exports and PowerShell lists (``3/12/2025 2:04:00 PM``, ``12.03.2025 14:04:00``,
``2026/11/30 14:03:07``...), with the 12-hour designators of other languages too (``2:04:00 p. m.``,
``2:04:00 nachm.``, ``午後 2:04:00``): a copy from a localised server must not lose its times.

Why a module of its own: every text and table reader, and the event-XML reader for ``TimeCreated``, reads dates the
same way, and the one hard question, whether ``03/04/2026`` is 3 April or 4 March, is answered once per file
(:func:`slash_date_order`) instead of guessed per value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

_DATE_RE = re.compile(
    # year first: ISO 8601, and the yyyy/MM/dd of East Asian display cultures ("2026/11/30 14:03:07")
    r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})[T ](\d{1,2}):(\d\d):(\d\d)(?:[.,](\d+))?\s*(Z|[+-]\d\d:?\d\d)?$",
    re.IGNORECASE,
)
_US_DATE_RE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})[/.-](\d{4}),?\s+(\d{1,2}):(\d\d):(\d\d)(?:[.,](\d+))?$")
# The 12-hour designators of display cultures, after the time ("2:04:00 PM", "2:04:00 p. m." in es-MX,
# "2:04:00 nachm." in de-DE with a 12-hour clock, "2:04:00 μ.μ." in el-GR) or before it ("午後 2:04:00" in ja-JP,
# "下午 02:04:00" in zh-TW, "오후 2:04:00" in ko-KR): removed before the date is read, then applied to the hour.
_DESIGNATOR_RE = re.compile(
    r"(?:(?<=[\s\d])|^)(?P<word>[ap]\.?\s?m\.?|vorm\.?|nachm\.?|[πμ]\.?\s?μ\.?)(?=\s|$)|(?P<cjk>午前|午後|上午|下午|오전|오후)",
    re.IGNORECASE,
)
_PM_WORDS = frozenset({"pm", "nachm", "μμ", "午後", "下午", "오후"})
_ENGLISH_DESIGNATOR_RE = re.compile(r"[AP]\.?M\.?", re.IGNORECASE)


def _split_designator(value: str) -> tuple[str, str | None, bool]:
    """``(value without its 12-hour designator, "AM"/"PM"/None, whether it was the English AM/PM)``. Only the
    English one tells the culture (en-US: month first); "p. m." or "午後" say nothing about the day/month order."""
    m = _DESIGNATOR_RE.search(value)
    if m is None:
        return value, None, False
    word = m.group("word") or m.group("cjk")
    folded = re.sub(r"[\s.]", "", word).lower()
    rest = " ".join((value[: m.start()] + " " + value[m.end() :]).split())
    return rest, "PM" if folded in _PM_WORDS else "AM", bool(_ENGLISH_DESIGNATOR_RE.fullmatch(word))


def _twelve_hour(hour: int, ampm: str | None) -> int:
    """The 24-hour hour of a 12-hour clock reading (unchanged without a designator or for an hour above 12)."""
    if ampm == "PM" and hour < 12:
        return hour + 12
    if ampm == "AM" and hour == 12:
        return 0
    return hour


def slash_date_order(values: Iterable[str]) -> tuple[bool | None, bool]:
    """``(day_first, ambiguous)`` for the ``d/m/yyyy`` or ``m/d/yyyy`` dates of one file, which one culture wrote:
    a first number above 12 means day first for all of them, a second one above 12 month first. The English
    AM/PM is only a hint, taken when no date decides: en-US writes it after month-first dates, but en-AU and
    en-NZ (``d/MM/yyyy h:mm:ss tt``) after day-first ones, so a later 25/12/2026 2:00 PM must still win.
    When nothing decides, ``day_first`` is None (month first is read) and ``ambiguous`` says whether any date
    could be read both ways (03/04/2026 14:03): the reader then warns instead of mis-dating silently."""
    ambiguous = english_ampm = False
    for value in values:
        bare, ampm, english = _split_designator(value.strip())
        m = _US_DATE_RE.match(bare)
        if not m or m.group(2) != "/":
            continue
        first, second = int(m.group(1)), int(m.group(3))
        if first > 12:
            return True, False
        if second > 12:
            return False, False
        english_ampm = english_ampm or bool(ampm and english)
        ambiguous = ambiguous or first != second
    return (False, False) if english_ampm else (None, ambiguous)


def parse_wevtutil_date(text: str, day_first: bool | None = None) -> tuple[datetime, bool] | None:
    """Parse a wevtutil ``Date:`` value into UTC; the bool says whether the text carried a zone/offset.

    Accepts ``2024-05-02T10:11:12.123``, ``...2270000Z``, ``...+02:00``, the US ``5/2/2024 10:11:12 AM`` that
    PowerShell renderings use and the day-first ``02.05.2024 10:11:12`` / ``25/12/2024 10:11:12`` of European
    ones (``3/4/2024`` stays US: month first, unless ``day_first`` says the file's other dates are day first:
    see :func:`slash_date_order`). Returns None when the value is not a date.
    """
    value, ampm, _english = _split_designator(text.strip())
    m = _DATE_RE.match(value)
    try:
        if m:
            year, month, day, hour, minute, second = (int(m.group(i)) for i in (1, 3, 4, 5, 6, 7))
            hour = _twelve_hour(hour, ampm)
            micro = int((m.group(8) or "0")[:6].ljust(6, "0"))
            when = datetime(year, month, day, hour, minute, second, micro)
            zone = m.group(9)
            if zone is None:
                return when.replace(tzinfo=timezone.utc), False
            if zone.upper() == "Z":
                return when.replace(tzinfo=timezone.utc), True
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            return (when - sign * offset).replace(tzinfo=timezone.utc), True
        m = _US_DATE_RE.match(value)
        if m:
            first, sep, second_part, year = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
            hour, minute, second = int(m.group(5)), int(m.group(6)), int(m.group(7))
            micro = int((m.group(8) or "0")[:6].ljust(6, "0"))
            # US month/day unless the text cannot be that: dotted and dashed dates (12.03.2025, 12-03-2025) and
            # a first number above 12 are day first, as European renderings write them.
            if sep in ".-" or first > 12 or (day_first and sep == "/"):
                month, day = second_part, first
            else:
                month, day = first, second_part
            return datetime(
                year, month, day, _twelve_hour(hour, ampm), minute, second, micro, tzinfo=timezone.utc
            ), False
    except ValueError:
        return None
    return None
