"""Extraction decides by content, not by position (issue #9 classes 2-6) and runs in linear time (#10 item 1).

Every case here is a shape a real bundle or a forum copy can take: insertion strings in any order, redacted
CIDs and users, codes without their markers, documented messages without their code, lines the grammar
cannot place. Negative cases check that prose is not mistaken for codes.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import datetime, timezone

import pytest

from nps_trace_analyzer.analysis.findings import UNRECOGNISED, findings_for
from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.catalog.textmatch import normalize
from nps_trace_analyzer.core.model import Event
from nps_trace_analyzer.extract.azuremfa import MAX_CODES, MAX_TEXT, code_kind, extract_azuremfa

CATALOG = load_catalog()
KNOWN = CATALOG.token_codes()
CID = "32e83cbf-484d-49aa-9adb-71528f5eb94d"
STATE = "300c9d6c-7734-4165-83d3-212e73aee286"


def _event(*values: str, level: int = 4, channel: str = "AuthZOptCh") -> Event:
    data = tuple((None, v) for v in values)
    return Event(
        time=datetime(2024, 1, 1, tzinfo=timezone.utc),
        source_file="x.evtx",
        channel=channel,
        provider="Microsoft-AzureMfa-AuthZ",
        event_id=1,
        level=level,
        record_id=1,
        computer="NPS01",
        data=data,
        text=" ".join(v for v in values if v),
    )


def _codes(event: Event) -> list[str]:
    return [f.code for f in findings_for(event, CATALOG)]


def _attr(event: Event, key: str) -> str | None:
    values = {f.attrs.get(key) for f in findings_for(event, CATALOG)}
    assert len(values) == 1, values
    return values.pop()


# --- class 2: insertion strings in an unknown order ------------------------------------------------------------

INSERTION = (CID, "alice@contoso.com", "ESTS_TOKEN_ERROR", "Verify the client certificate is properly enrolled")


@pytest.mark.parametrize("order", list(itertools.permutations(INSERTION)))
def test_insertion_strings_in_any_order(order: tuple[str, ...]) -> None:
    event = _event(*order, level=2)
    assert "ESTS_TOKEN_ERROR" in _codes(event)
    assert _attr(event, "cid") == CID
    assert _attr(event, "user") == "alice@contoso.com"


@pytest.mark.parametrize(
    ("value", "user"),
    [
        ("CONTOSO\\alice", "CONTOSO\\alice"),
        ("******@domain.com", "******@domain.com"),
        ("<USERNAME>", "<USERNAME>"),
        ("USERNAME", "USERNAME"),
    ],
)
def test_a_user_alone_in_a_data_value_is_the_user(value: str, user: str) -> None:
    event = _event("{" + CID.upper() + "}", value, "UserNotFound")
    assert _codes(event) == ["UserNotFound"]
    assert _attr(event, "user") == user
    assert _attr(event, "cid") == CID  # braces and case do not matter
    assert _attr(event, "mfa_response") == "UserNotFound"


def test_a_response_code_alone_in_a_data_value_is_a_code_even_a_one_word_one() -> None:
    ex = extract_azuremfa(f"{CID} bob@contoso.com Success", [CID, "bob@contoso.com", "Success"], {"Success"})
    assert [c for c, _ in ex.codes] == ["Success"] and ex.mfa_response == "Success"
    assert ex.kind_of("Success") == "response"


def test_split_sentence_parts_shuffled_keep_codes_user_and_cid() -> None:
    parts = [
        "NPS Extension for Azure MFA:",
        f"CID: {CID}",
        ":Exception in Authentication Ext for User alice@contoso.com ::",
        f"ErrorCode:: CID :{CID} HTTPS_COMMUNICATION_ERROR",
        "Msg:: Unable to connect to the MFA service.",
    ]
    for order in itertools.permutations(parts):
        event = _event(*order, level=2)
        assert _codes(event) == ["HTTPS_COMMUNICATION_ERROR"], order
        assert _attr(event, "cid") == CID
        assert _attr(event, "user") == "alice@contoso.com"


def test_bare_word_user_needs_the_for_user_context() -> None:
    with_context = _event("Challenge requested in Authentication Ext for User", "with state " + STATE, "jdoe")
    assert _attr(with_context, "user") == "jdoe"
    assert _attr(with_context, "state") == STATE
    without = _event("IP Whitelist is being ignored", "jdoe", level=3)
    assert _attr(without, "user") is None


def test_named_data_values_say_what_they_hold() -> None:
    event = Event(
        time=datetime(2024, 1, 1, tzinfo=timezone.utc),
        source_file="x.evtx",
        channel="AuthZAdminCh",
        provider="Microsoft-AzureMfa-AuthZ",
        event_id=3,
        level=2,
        record_id=1,
        computer="NPS01",
        data=(("CID", "{" + CID.upper() + "}"), ("UserName", "jdoe"), ("ErrorCode", "SOME_NEW_ERROR"), ("Msg", "x")),
        text="{" + CID.upper() + "} jdoe SOME_NEW_ERROR x",
    )
    (finding,) = findings_for(event, CATALOG)
    assert (finding.code, finding.kind, finding.entry_id) == ("SOME_NEW_ERROR", "error", None)
    assert (finding.attrs["cid"], finding.attrs["user"], finding.attrs["message"]) == (CID, "jdoe", "x")
    fields = (("Result", "S_OK"), ("Error", "Foo"))
    trace = Event(**{**event.__dict__, "channel": "NPSExtension.etl", "data": fields, "text": "S_OK Foo"})
    assert [f.code for f in findings_for(trace, CATALOG)] == ["NPSEXT-TRACE-ERROR"]  # the trace's own error, no code


# --- class 3: redacted CIDs and users -------------------------------------------------------------------------


@pytest.mark.parametrize("redacted", ["xxxx", "<CID>", "{guid}", "********", "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"])
def test_redacted_cid_is_no_cid(redacted: str) -> None:
    text = (
        f"NPS Extension for Azure MFA:  CID: {redacted} :Exception in Authentication Ext for User <USERNAME> :: "
        f"ErrorCode:: CID :{redacted} ESTS_TOKEN_ERROR Msg:: Error in retreiving token details from request handle: "
        "-895352831 AADSTS7000112: Application is disabled."
    )
    event = _event(text, level=2)
    assert set(_codes(event)) == {"ESTS_TOKEN_ERROR", "AADSTS7000112"}
    assert _attr(event, "cid") is None
    assert _attr(event, "user") == "<USERNAME>"


def test_redacted_cid_with_spaces_after_errorcode_marker_is_not_a_code() -> None:
    ex = extract_azuremfa("ErrorCode:: CID : <redacted CID> ESTS_TOKEN_ERROR Msg:: x", known_codes=KNOWN)
    assert [c for c, _ in ex.codes] == ["ESTS_TOKEN_ERROR"]


def test_braced_cid_after_marker() -> None:
    ex = extract_azuremfa(f"CID: {{{CID.upper()}}} : Challenge requested in Authentication Ext for User bob")
    assert ex.cid == CID and ex.user == "bob"


@pytest.mark.parametrize(
    ("text", "cid", "user", "codes"),
    [
        (  # a nil GUID is a redaction; HTML references from a web copy are decoded
            "CID: 00000000-0000-0000-0000-000000000000 : Access Rejected for user &lt;USERNAME&gt; with Azure MFA "
            "response: UserNotFound and message: x",
            None,
            "<USERNAME>",
            ["UserNotFound"],
        ),
        (  # a trace line: CID=..., no prefix, no marker
            f"ProcessRequest: CID={CID.upper()}, user=alice@contoso.com, result=ESTS_TOKEN_ERROR",
            CID,
            "alice@contoso.com",
            ["ESTS_TOKEN_ERROR"],
        ),
        (  # the Entra wording of the response sentence; an address in angle brackets is the address
            "Access Rejected for user <bob@contoso.com> with Microsoft Entra multifactor authentication response: "
            "AccessDenied and message: Caller tenant does not have access permissions",
            None,
            "bob@contoso.com",
            ["AccessDenied"],
        ),
        (  # markers with one colon, as some copies have them
            "Exception in Authentication Ext for User x :: ErrorCode: FOO_ERROR Msg: something bad",
            None,
            "x",
            ["FOO_ERROR"],
        ),
    ],
)
def test_copies_and_trace_lines(text: str, cid: str | None, user: str, codes: list[str]) -> None:
    ex = extract_azuremfa(text, known_codes=KNOWN)
    assert (ex.cid, ex.user, [c for c, _ in ex.codes]) == (cid, user, codes)


def test_pasted_xml_view_is_read_by_its_data_elements() -> None:
    text = (
        "<EventData>\n  <Data>" + CID + "</Data>\n  <Data>alice@contoso.com</Data>\n"
        '  <Data Name="ErrorCode">ESTS_TOKEN_ERROR</Data>\n  <Data>Verify the client certificate &amp; STS_URL</Data>\n'
        "</EventData>"
    )
    ex = extract_azuremfa(text, known_codes=KNOWN)
    assert (ex.cid, ex.user, [c for c, _ in ex.codes]) == (CID, "alice@contoso.com", ["ESTS_TOKEN_ERROR"])


# --- class 4: codes without their markers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("AuthenticateUser failed: ESTS_TOKEN_ERROR, retrying", ["ESTS_TOKEN_ERROR"]),
        ("[AzureMfa] result=HTTP_CONNECT_ERROR host=adnotifications.windowsazure.com", ["HTTP_CONNECT_ERROR"]),
        ("response code UserNotFound for alice@contoso.com", ["UserNotFound"]),
        ("REQUEST_MISSING_CODE", ["REQUEST_MISSING_CODE"]),
    ],
)
def test_catalog_code_as_a_token_is_a_code(text: str, codes: list[str]) -> None:
    assert [c for c, _ in extract_azuremfa(text, known_codes=KNOWN).codes] == codes


@pytest.mark.parametrize(
    "text",
    [
        "XESTS_TOKEN_ERROR happened",  # not a whole word
        "ESTS_TOKEN_ERRORS happened",
        "ests_token_error in lower case",  # UPPER_SNAKE codes are case-exact
        "GraphUserNotFoundException: [Code:Request_ResourceNotFound]",  # a code inside a longer word
        "The specified user was not found in the directory",  # prose, no token
        "usernotfound",
        "Operation completed with Success",  # a one-word code is only a code after a marker or alone
        "Enter ERROR_CODE @ https://go.microsoft.com/fwlink/?linkid=846827",  # not a catalog code
        "Neither registry entry not default value found for key: STS_URL",
    ],
)
def test_prose_is_not_a_code(text: str) -> None:
    known = KNOWN | {"Success"}
    assert extract_azuremfa(text, known_codes=known).codes == []


# --- class 5: documented messages without their code ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "Radius Request missing mandatory Radius\r\nuserName\\Identifier attribute.  Verify that NPS is receiving "
            "RADIUS requests",
            "REQUEST_FORMAT_ERROR",
        ),
        ("Msg:: Error: Alternate LoginId value is empty", "ALTERNATE_LOGIN_ID_ERROR"),
        ("Caller tenant doesn\u2019t have access permissions to do authentication for the user", "AccessDenied"),
        ("\u201cThe specified session is invalid or might be expired\u201d", "InvalidSession"),
        ("ObjectId must not be null or empty for ReplicationScope:EU", "InvalidParameter"),
    ],
)
def test_documented_message_names_its_code(text: str, code: str) -> None:
    assert code in _codes(_event(text, level=2))


def test_shorter_message_inside_a_longer_one_does_not_count() -> None:
    assert CATALOG.codes_by_message("Wrong code and pin entered. (OneWaySMS)") == ["SMSAuthFailedWrongCodePinEntered"]
    assert CATALOG.codes_by_message("Wrong code and pin entered.") == ["OathCodePinIncorrect"]


def test_message_match_picks_the_documented_entry() -> None:
    (finding,) = findings_for(_event("Error: userObjectSid lookup failed", level=2), CATALOG)
    assert finding.code == "ALTERNATE_LOGIN_ID_ERROR" and finding.entry_id != "ALTERNATE_LOGIN_ID_ERROR"
    assert finding.kind == "error"


# --- class 6: nothing dropped ---------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [None, 0, 2, 3, 4])
def test_unplaceable_azuremfa_event_is_kept_at_every_level(level: int | None) -> None:
    (finding,) = findings_for(_event("Something the grammar has never seen", level=level or 0), CATALOG)
    assert finding.code == UNRECOGNISED
    assert finding.kind == {2: "error", 3: "warning"}.get(level or 0, "info")


def test_bare_challenge_line_is_a_challenge_without_user() -> None:
    (finding,) = findings_for(_event("Challenge requested in Authentication Ext for User"), CATALOG)
    assert finding.code == "CHALLENGE_REQUESTED" and "user" not in finding.attrs


def test_trace_chatter_stays_out() -> None:
    assert _codes(_event("Entering AuthenticateUser", channel="NPSExtension.etl")) == []


# --- the extension's success result ---------------------------------------------------------------------------


def test_access_accepted_success() -> None:
    text = (
        f"NPS Extension for Azure MFA: CID: {CID} : Access Accepted for user alice@contoso.com with Azure MFA "
        "response: Success and message: Authentication succeeded"
    )
    ex = extract_azuremfa(text)
    assert ex.mfa_response == "Success" and ex.outcome == "accepted" and ex.user == "alice@contoso.com"
    assert ex.mfa_message == "Authentication succeeded"
    assert [c for c, _ in ex.codes] == ["Success"] and ex.kind_of("Success") == "response"


def test_code_kinds_follow_the_product_naming() -> None:
    assert [code_kind(c) for c in ("ESTS_TOKEN_ERROR", "UserNotFound", "AADSTS50012", "IP_WHITE_LIST_WARNING")] == [
        "error",
        "response",
        "aadsts",
        "warning",
    ]


# --- linear time (issue #10 item 1): 1 MB of worst-case text per pattern family --------------------------------

MB = 1_000_000
WORST_CASES = {
    "blank run inside Msg::": "ErrorCode:: X Msg:: a" + " " * MB + "b",  # issue #10: 16 s for 50 KB before
    "Msg:: markers": "Msg::" * (MB // 5),
    "ErrorCode:: CID markers": "ErrorCode:: CID :" * (MB // 17),
    "challenge heads": "Challenge requested in Authentication Ext for User " * (MB // 51),
    "verdict heads": "Access Rejected for user a with Azure MFA response: " * (MB // 52),
    "exception heads": "Exception in Authentication Ext for User " * (MB // 41),
    "secondary heads": "only performs Secondary Auth for User x " * (MB // 40),
    "warning-like token": "A_" * (MB // 2),
    "address-like": "a@" * (MB // 2),
    "domain labels": "a@b" + ".1" * (MB // 2),
    "Entra prefix": "NPS Extension for Microsoft Entra " * (MB // 34),
    "CID without GUID": "CID: " + "0" * MB,
    "code tokens": "".join(f"ESTS_TOKEN_ERROR AADSTS{n} " for n in range(1000, 1000 + MB // 30)),
    "line breaks": "\r\n" * (MB // 2),
    "key markers": "key:" * (MB // 4),
    "HTML references": "&lt;" * (MB // 4),
    "response sentence": ("Access Accepted for user a with " + "w " * 40) * (MB // 110),
    "XML view": "<Data>" * (MB // 6) + "</Data>",
}


def _cpu_seconds(work: Callable[[], object]) -> float:
    """CPU time of ``work`` (not wall time: the bound is about the algorithm, not about a busy CI machine)."""
    start = time.process_time()
    work()
    return time.process_time() - start


@pytest.mark.parametrize("name", list(WORST_CASES))
def test_extraction_is_linear(name: str) -> None:
    text = WORST_CASES[name]
    assert _cpu_seconds(lambda: extract_azuremfa(text, [text[:2000]] * 5, KNOWN)) < 1.0
    uncut = len(text)  # every pattern over the whole megabyte, without the cap
    assert _cpu_seconds(lambda: extract_azuremfa(text, [text[:2000]] * 5, KNOWN, max_text=uncut)) < 1.0
    assert _cpu_seconds(lambda: CATALOG.codes_by_message(text)) < 1.0
    assert _cpu_seconds(lambda: normalize(text)) < 1.0
    assert len(extract_azuremfa(text, known_codes=KNOWN).codes) <= MAX_CODES


def test_oversized_text_is_cut_and_the_cut_reported() -> None:
    text = "x " * MAX_TEXT + "ESTS_TOKEN_ERROR"
    (finding,) = findings_for(_event(text, level=2), CATALOG)
    assert finding.code == UNRECOGNISED
    assert "only the first" in finding.attrs["extract_note"]


def test_too_many_codes_are_cut_and_the_cut_reported() -> None:
    text = " ".join(f"AADSTS{n}" for n in range(10000, 10000 + 3 * MAX_CODES))
    ex = extract_azuremfa(text)
    assert len(ex.codes) == MAX_CODES and ex.note and "not read" in ex.note
