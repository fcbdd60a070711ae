"""The real texts of tests/data/real_texts/ read the same after what posting and saving do to a copy: an Event
Viewer table export, another
encoding (UTF-16 with or without a BOM, a UTF-8 BOM, cp1252), CRLF line ends, a markdown code fence with the
poster's words around it, markdown / e-mail quoting ("> "), HTML escaping (a page's source: "&lt;Event&gt;").

Each variant is written as a pasted file, identified by intake as the bundle would, read by the reader intake
picks and diagnosed: the source's conclusion must hold as for the text itself (tests/test_real_texts.py).
"""

from __future__ import annotations

import csv
import html
import io
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nps_trace_analyzer.analysis.findings import findings_for
from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.intake.identify import identify
from nps_trace_analyzer.sources.event_table import read_event_table
from nps_trace_analyzer.sources.event_xml import read_event_xml
from nps_trace_analyzer.sources.nps_eventlog_text import read_wevtutil_text
from nps_trace_analyzer.sources.text_decode import TextReadStats
from tests.real_texts import findings_of, load_cases, problems

CATALOG = load_catalog()
CASES = [c for c in load_cases() if not c.get("known_gap")]
FILE_CASES = [c for c in CASES if c.get("form") in ("event-text", "event-xml")]


def _quoted(text: str) -> str:
    return "\n".join("> " + line for line in text.split("\n"))


FILE_VARIANTS: dict[str, Callable[[str], bytes]] = {
    "utf8-bom": lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    "utf16-bom": lambda t: t.encode("utf-16"),
    "utf16le-crlf-no-bom": lambda t: t.replace("\n", "\r\n").encode("utf-16-le"),
    "crlf": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
    "cp1252": lambda t: t.encode("cp1252", "replace"),
    "fenced-in-a-post": lambda t: f"Hi, we see this on the NPS:\n\n```\n{t}\n```\n\nAny idea?\n".encode(),
    "quoted": lambda t: _quoted(t).encode("utf-8"),
    "html-escaped": lambda t: html.escape(t, quote=False).encode("utf-8"),
}


def _read(path: Path, data: bytes) -> list[Any]:
    identity = identify(path.name, data[:65536], len(data))
    if identity.kind == "nps-eventlog-text":
        return list(read_wevtutil_text(path, path.name))
    if identity.kind == "event-xml":
        return list(read_event_xml(path, path.name))
    raise AssertionError(f"identified as {identity.kind!r}")


@pytest.mark.parametrize("variant", sorted(FILE_VARIANTS))
@pytest.mark.parametrize("case", FILE_CASES, ids=[c["id"] for c in FILE_CASES])
def test_a_posted_file_reads_as_the_text(case: dict[str, Any], variant: str, tmp_path: Path) -> None:
    data = FILE_VARIANTS[variant](case["text"])
    path = tmp_path / "pasted.txt"
    path.write_bytes(data)
    events = _read(path, data)
    found = [f for event in events for f in findings_for(event, CATALOG)]
    assert not problems(case, found, events)


MESSAGE_VARIANTS: dict[str, Callable[[str], str]] = {
    "quoted": _quoted,
    "fenced-with-words-after": lambda t: f"{t}\n```\n\nThanks for any help",
    "crlf": lambda t: t.replace("\n", "\r\n"),
}
MESSAGE_CASES = [c for c in CASES if c.get("form", "azuremfa") in ("azuremfa", "security-message", "system-message")]


@pytest.mark.parametrize("variant", sorted(MESSAGE_VARIANTS))
@pytest.mark.parametrize("case", MESSAGE_CASES, ids=[c["id"] for c in MESSAGE_CASES])
def test_a_posted_message_reads_as_the_message(case: dict[str, Any], variant: str) -> None:
    """The message as a SIEM row or an .evtx Data string carries it, after a post's quoting or fence."""
    posted = dict(case, text=MESSAGE_VARIANTS[variant](case["text"]))
    events, found = findings_of(posted, CATALOG)
    assert not problems(posted, found, events)


#: What posters put where a user name was, and the user names real tenants have.
USER_SHAPES = [
    "<redacted>",
    "[REDACTED]",
    "xxx@domain.com",
    "alice_contoso.com#EXT#@fabrikam.onmicrosoft.com",
    "jörg@example.de",
]
USER_CASES = [c for c in CASES if c.get("user") and len(c["user"]) >= 4]


@pytest.mark.parametrize("user", USER_SHAPES)
@pytest.mark.parametrize("case", USER_CASES, ids=[c["id"] for c in USER_CASES])
def test_a_redacted_or_guest_user_is_that_user(case: dict[str, Any], user: str) -> None:
    """The same text with its user replaced: the replacement is the user, and nothing else changes. An unclosed
    ``<redacted>`` inside an event's XML must not swallow the elements after it."""
    posted = dict(case, text=case["text"].replace(case["user"], user), user=user)
    posted.pop("cid", None)  # a replacement may stand where the CID's redaction was
    events, found = findings_of(posted, CATALOG)
    assert not problems(posted, found, events)


def _mail_wrapped(text: str, width: int = 72) -> str:
    """The text as a mail client or a narrow page column re-flows it: long lines broken at spaces."""
    return "\n".join(
        textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False) if len(line) > width else line
        for line in text.split("\n")
    )


WRAPPED_CASES = [c for c in FILE_CASES if c.get("form") == "event-text" and "<Event" not in c["text"]]


@pytest.mark.parametrize("case", WRAPPED_CASES, ids=[c["id"] for c in WRAPPED_CASES])
def test_a_mail_wrapped_copy_keeps_its_reason(case: dict[str, Any]) -> None:
    """A copy pasted through e-mail (lines re-flowed at 72 columns): the wrapped Reason sentence is one value."""
    posted = dict(case, text=_mail_wrapped(case["text"]))
    events, found = findings_of(posted, CATALOG)
    assert not problems(posted, found, events)
    original, _ = findings_of(case, CATALOG)
    assert [e.get("Reason") for e in events] == [e.get("Reason") for e in original]


def test_a_copy_with_a_shortened_log_label_is_an_event_copy(tmp_path: Path) -> None:
    """A copy headed "Log: Security" (a shortened "Log Name:"): identified as an event text, the line read."""
    text = (
        "Log: Security\nSource: Microsoft Windows security auditing\nEvent ID: 6273\n"
        "Network Policy Server denied access to a user.\nUser:\nAccount Name: CORP\\jsilva\n"
        "Authentication Details:\nReason Code: 16\n"
    )
    path = tmp_path / "pasted.txt"
    path.write_text(text, encoding="utf-8")
    (event,) = _read(path, text.encode())
    assert (event.channel, event.event_id, event.get("ReasonCode")) == ("Security", 6273, "16")


MFA_CASES = [c for c in CASES if c.get("form", "azuremfa") == "azuremfa"]
_LEVEL_NAMES = {2: "Error", 3: "Warning", 4: "Information"}


@pytest.mark.parametrize("delimiter", [",", "\t"], ids=["csv", "tab-separated"])
@pytest.mark.parametrize("case", MFA_CASES, ids=[c["id"] for c in MFA_CASES])
def test_an_extension_text_in_an_event_viewer_export_reads_as_the_text(
    case: dict[str, Any], delimiter: str, tmp_path: Path
) -> None:
    """Event Viewer's "Save All Events As" CSV / tab-separated export of AuthZOptCh: no log name, the Source column
    shows "AuthZ". The documented sentences without the "NPS Extension for" prefix are still the extension's."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Level", "Date and Time", "Source", "Event ID", "Task Category", ""])
    writer.writerow([_LEVEL_NAMES[case.get("level", 4)], "3/12/2025 2:04:00 PM", "AuthZ", "1", "None", case["text"]])
    data = buffer.getvalue().encode("utf-8")
    path = tmp_path / ("export.csv" if delimiter == "," else "export.txt")
    path.write_bytes(data)
    assert identify(path.name, data[:65536], len(data)).kind == "event-table"
    events = list(read_event_table(path, path.name, TextReadStats()))
    found = [f for event in events for f in findings_for(event, CATALOG)]
    assert not problems(case, found, events)
