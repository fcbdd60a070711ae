"""Format-List output wrapped by the console (``Get-EventLog | Format-List`` in an 80- or 120-column window, or
``> file`` from it) reads the same as unwrapped output: the value cut mid-word at the window width is glued back."""

from __future__ import annotations

import pytest

from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.extract.azuremfa import extract_azuremfa
from nps_trace_analyzer.sources.event_blocks import unwrap_format_list
from nps_trace_analyzer.sources.nps_eventlog_text import parse_wevtutil_text
from nps_trace_analyzer.sources.text_decode import TextReadStats

LABEL = "Message            : "
GUEST = "alice_contoso.com#EXT#@fabrikam.onmicrosoft.com"
MFA_MESSAGE = (
    "NPS Extension for Azure MFA: CID: 6da75e38-6bbf-4616-84df-fa65b4c7905c : Access Rejected for user "
    f"{GUEST} with Azure MFA response: UserNotFound and message: MSODS Graph call returned user not found error."
)
REASON = (
    "Authentication failed due to a user credentials mismatch. Either the user name provided does not map to an "
    "existing user account or the password was incorrect."
)
NPS_MESSAGE = [
    "Network Policy Server denied access to a user.",
    "",
    "Contact the Network Policy Server administrator for more information.",
    "",
    "User:",
    "\tSecurity ID:\t\t\tCONTOSO\\bob",
    "\tAccount Name:\t\t\tbob@contoso.com",
    "",
    "Authentication Details:",
    "\tReason Code:\t\t\t16",
    f"\tReason:\t\t\t\t{REASON}",
]


def _console(width: int, message: list[str], event_id: str, source: str) -> list[str]:
    """Get-EventLog | Format-List as a ``width``-column console prints it: each message line cut every ``width``
    characters (mid-word), the rest continued at the value column."""
    lines = ["Index              : 7", "EntryType          : FailureAudit", f"InstanceId         : {event_id}"]
    for number, text in enumerate(message):
        row = (LABEL if number == 0 else " " * len(LABEL)) + text
        lines.append(row[:width])
        row = row[width:]
        while row:
            cut = width - len(LABEL)
            lines.append(" " * len(LABEL) + row[:cut])
            row = row[cut:]
    lines += [f"Source             : {source}", "TimeGenerated      : 3/12/2025 2:04:00 PM", "UserName           : "]
    return lines


@pytest.mark.parametrize("width", [80, 120])
def test_a_wrapped_extension_message_keeps_its_user_and_cid(width: int) -> None:
    lines = _console(width, [MFA_MESSAGE], "1", "AuthZ")
    assert any(len(line) == width for line in lines)  # the console did cut it
    (event,) = parse_wevtutil_text("\n".join(lines), "fl.txt")
    ex = extract_azuremfa(event.text, known_codes=load_catalog().codes())
    assert event.text == MFA_MESSAGE
    assert (ex.user, ex.cid) == (GUEST, "6da75e38-6bbf-4616-84df-fa65b4c7905c")


@pytest.mark.parametrize("width", [80, 120])
def test_a_wrapped_audit_message_keeps_its_reason_and_user(width: int) -> None:
    stats = TextReadStats()
    (event,) = parse_wevtutil_text(
        "\n".join(_console(width, NPS_MESSAGE, "6273", "Microsoft-Windows-Security-Auditing")), "fl.txt", stats
    )
    assert event.get("Reason") == REASON
    assert event.get("SubjectUserName") == "bob@contoso.com"
    assert event.get("ReasonCode") == "16"
    assert not [w for w in stats.warnings if "without a label" in w]


def test_the_longest_line_that_was_not_cut_stays_a_line_of_its_own() -> None:
    """Unwrapped output: the longest line is followed by a labelled line or the next property, never glued."""
    lines = _console(400, NPS_MESSAGE, "6273", "Microsoft-Windows-Security-Auditing")
    assert unwrap_format_list(lines) == lines
    lines = _console(400, ["x" * 90, "Account Name: bob", "more text"], "1", "AuthZ")
    assert unwrap_format_list(lines) == lines
