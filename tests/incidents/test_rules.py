"""Unit tests of each incident rule: given findings (and drafts), what drafts or joins it returns.

Test names start with the rule's module name; ``test_every_rule_has_unit_tests`` keeps it that way.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime

from nps_trace_analyzer.analysis.incidents.drafts import Draft, sightings
from nps_trace_analyzer.analysis.incidents.rules import (
    RULES,
    audit_text_duplicate,
    capture_endpoint_joins,
    capture_nas_per_client,
    capture_protocol_joins,
    challenge_no_result,
    extension_reject_joins,
    healthy_traffic,
    nps_reject,
    secondary_reject_joins,
    server_config,
    server_event_group,
    sign_in_per_cid,
    system_per_code,
    tls_client_joins_https,
    trace_copy,
)
from nps_trace_analyzer.core.model import Finding
from tests.incidents.helpers import audit, ctx, event, finding, trace

CID_A = "1fd39a1a-34b9-47e6-a66a-ed7e47c30e0a"
CID_B = "9c8b7a6f-5e4d-4b3c-8a2f-1e0d9c8b7a54"


def test_every_rule_has_unit_tests() -> None:
    names = [n for n in dir(sys.modules[__name__]) if n.startswith("test_")]
    for rule in RULES:
        short = rule.__name__.rsplit(".", 1)[-1]
        assert any(n.startswith(f"test_{short}") for n in names), f"no unit test for rule {rule.NAME}"


# --- healthy-traffic ----------------------------------------------------------------------------------------------


def test_healthy_traffic_results_only_answer_challenges() -> None:
    c = ctx()
    assert healthy_traffic.is_result_only(audit("SECURITY-6272", 0, "alice"), c)
    assert healthy_traffic.is_result_only(finding("Success", kind="response", user="alice", cid=CID_A), c)
    assert not healthy_traffic.is_result_only(finding("UserNotFound", kind="response", user="alice"), c)
    assert not healthy_traffic.is_result_only(audit("NPS-REASON-16", 0, "alice"), c)


def test_healthy_traffic_ignores_benign_system_and_audit_events_only() -> None:
    c = ctx()
    assert healthy_traffic.is_ignored(finding("SYSTEM-NPS-4400", kind="system"), c)
    assert not healthy_traffic.is_ignored(finding("SYSTEM-NPS-18", kind="system"), c)
    assert healthy_traffic.is_ignored(audit("SECURITY-6280", 0, "alice"), c)  # account unlocked
    assert not healthy_traffic.is_ignored(audit("NPS-REASON-16", 0, "alice"), c)
    assert healthy_traffic.is_result_only(audit("SECURITY-6278", 0, "alice"), c)  # granted after health check


# --- trace-copy ---------------------------------------------------------------------------------------------------


def test_trace_copy_drops_a_repeat_within_the_window_only() -> None:
    logged = finding("HTTPS_COMMUNICATION_ERROR", 10, cid=CID_A, user="alice")
    copy = trace("HTTPS_COMMUNICATION_ERROR", 11.5, cid=CID_A)
    later = trace("HTTPS_COMMUNICATION_ERROR", 30, cid=CID_A)
    other = trace("HTTPS_COMMUNICATION_ERROR", 10, cid=CID_B)
    kept, copies = trace_copy.apply([later, other, copy], [trace_copy.mark(logged)], ctx())
    assert copies == [copy]
    assert kept == [other, later]  # canonical order: time, then event


def test_trace_copy_without_event_logs_keeps_everything() -> None:
    lines = [trace("ESTS_TOKEN_ERROR", 5, user="bob"), trace("ESTS_TOKEN_ERROR", 6, user="carol")]
    kept, copies = trace_copy.apply(lines, [], ctx())
    assert copies == [] and len(kept) == 2


def test_trace_copy_of_an_unplaceable_line_is_recognised_by_its_words_in_any_order() -> None:
    """The event log may split and reorder the message and drop the prefix; the trace names it differently."""
    logged = finding(
        "UNRECOGNISED_AZUREMFA_EVENT", 10, text="in the policy cache of tenant 4a1b; request dropped Unexpected state 7"
    )
    copy = finding(
        "NPSEXT-TRACE-ERROR",
        on=event(
            10.4,
            "NPS Extension for Azure MFA: Unexpected state 7 in the policy cache of tenant 4a1b; request dropped",
            channel="NPSExtension.etl",
            file="NPSExtension.etl",
            source_kind="etl",
        ),
    )
    other = finding(
        "NPSEXT-TRACE-ERROR",
        on=event(10.5, "MfaClient::SendRequest failed with 0x80072efd", channel="NPSExtension.etl", source_kind="etl"),
    )
    kept, copies = trace_copy.apply([copy, other], [], ctx(), [trace_copy.word_mark(logged)])
    assert copies == [copy] and kept == [other]


# --- audit-text-duplicate -----------------------------------------------------------------------------------------


def _spans(*findings: Finding) -> dict[str, tuple[datetime, datetime]]:
    spans: dict[str, tuple[datetime, datetime]] = {}
    for f in findings:
        first, last = spans.get(f.event.source_kind, (f.event.time, f.event.time))
        spans[f.event.source_kind] = (min(first, f.event.time), max(last, f.event.time))
    return spans


def test_audit_text_duplicate_drops_the_text_copy_when_security_evtx_has_audits() -> None:
    evtx = audit("NPS-REASON-16", 0, "alice")
    text = audit("NPS-REASON-16", 0, "alice", source_kind="nps-text")
    kept, dropped = audit_text_duplicate.apply([text, evtx], Counter({"evtx": 3, "nps-text": 3}), _spans(text, evtx))
    assert kept == [evtx] and dropped == [text]


def test_audit_text_duplicate_keeps_the_text_log_when_it_is_the_only_source() -> None:
    text = audit("NPS-REASON-16", 0, "alice", source_kind="nps-text")
    kept, dropped = audit_text_duplicate.apply([text], Counter({"nps-text": 1}), _spans(text))
    assert kept == [text] and dropped == []


def test_audit_text_beyond_the_security_evtx_counts_unless_it_repeats_one_in_local_time() -> None:
    # Security.evtx covers 0..600 s; the text also holds a reject at 3 h (only there: counts), and one 1 h after the
    # .evtx's last (a zone-less local-time copy of it on a UTC+1 server: set aside).
    first, last = audit("NPS-REASON-16", 0, "alice"), audit("NPS-REASON-16", 600, "bob")
    later = audit("NPS-REASON-16", 3 * 3600, "carol", source_kind="nps-text")
    shifted = audit("NPS-REASON-16", 600.0004 + 3600, "bob", source_kind="nps-text")
    inside = audit("NPS-REASON-16", 300, "dave", source_kind="nps-text")
    audits = [first, last, later, shifted, inside]
    kept, dropped = audit_text_duplicate.apply(audits, Counter({"evtx": 2, "nps-text": 3}), _spans(*audits))
    assert kept == [first, last, later] and dropped == [shifted, inside]


# --- sign-in-per-cid ------------------------------------------------------------------------------------------------


def test_sign_in_per_cid_one_draft_per_cid_and_its_challenges_join() -> None:
    c = ctx()
    reject = finding("OathCodeIncorrect", 40, kind="response", cid=CID_A, user="alice")
    retry = finding("OathCodeIncorrect", 80, kind="response", cid=CID_A, user="alice")
    other = finding("UserNotFound", 50, kind="response", cid=CID_B, user="bob")
    challenge_a = finding("CHALLENGE_REQUESTED", 10, kind="challenge", cid=CID_A, user="alice")
    challenge_x = finding("CHALLENGE_REQUESTED", 10, kind="challenge", cid="00000000-1111-4222-8333-444444444444")
    result = sign_in_per_cid.apply(sightings([reject, retry, other]), sightings([challenge_a, challenge_x]), c)
    assert sorted(d.cid for d in result.drafts if d.cid) == sorted([CID_A, CID_B])
    assert [(d.cid, f.code) for d, f in result.joins] == [(CID_A, "CHALLENGE_REQUESTED")]
    draft_a = next(d for d in result.drafts if d.cid == CID_A)
    assert draft_a.user == "alice" and len(draft_a.findings) == 2


# --- challenge-no-result ------------------------------------------------------------------------------------------


def _challenge(seconds: float, user: str | None = "alice", cid: str | None = CID_A) -> list:
    return sightings([finding("CHALLENGE_REQUESTED", seconds, kind="challenge", user=user, cid=cid)])


def test_challenge_no_result_answered_by_the_extensions_own_success_without_any_audit() -> None:
    results = challenge_no_result.Results()
    results.add(None, finding("Success", 30).event.time, CID_A)  # class 1: no Security.evtx at all
    assert challenge_no_result.apply(_challenge(0, user=None), set(), results, ctx()).drafts == []


def test_challenge_no_result_answered_by_any_result_of_the_user_within_the_timeout() -> None:
    results = challenge_no_result.Results()
    results.add("CONTOSO\\Alice", event(170).time)  # NPS names the Windows account; the extension the UPN
    assert challenge_no_result.apply(_challenge(0, user="alice@contoso.com"), set(), results, ctx()).drafts == []


def test_challenge_no_result_a_result_too_late_or_before_does_not_answer() -> None:
    results = challenge_no_result.Results()
    results.add("alice", event(-5).time)
    results.add("alice", event(181).time)
    drafts = challenge_no_result.apply(_challenge(0), set(), results, ctx()).drafts
    assert [(d.kind, d.cid, d.user) for d in drafts] == [("challenge-no-result", CID_A, "alice")]


def test_challenge_no_result_a_bare_challenge_line_is_still_shown() -> None:
    """Class 6: "Challenge requested in Authentication Ext for User" with no user and no CID is not dropped."""
    drafts = challenge_no_result.apply(_challenge(0, user=None, cid=None), set(), challenge_no_result.Results(), ctx())
    assert len(drafts.drafts) == 1 and drafts.drafts[0].user is None


def test_challenge_no_result_leaves_challenges_of_sign_ins_alone() -> None:
    out = challenge_no_result.apply(_challenge(0), {CID_A}, challenge_no_result.Results(), ctx())
    assert out.drafts == []


# --- server-event-group -------------------------------------------------------------------------------------------


def test_server_event_group_one_event_with_two_codes_is_one_incident() -> None:
    """Class 3: a redacted CID ("xxxx") and ESTS_TOKEN_ERROR with its nested AADSTS code: one draft, both codes."""
    ev = event(0, "CID: xxxx :Exception ... ErrorCode:: ESTS_TOKEN_ERROR Msg:: ... AADSTS7000112: disabled")
    ests = finding("ESTS_TOKEN_ERROR", on=ev, user="alice")
    nested = finding("AADSTS7000112", kind="aadsts", on=ev, user="alice")
    drafts = server_event_group.apply(sightings([ests, nested]), ctx()).drafts
    assert len(drafts) == 1
    assert {f.code for f in drafts[0].findings} == {"ESTS_TOKEN_ERROR", "AADSTS7000112"}
    assert "AADSTS7000112" in drafts[0].key  # grouped by the most specific code's entry


def test_server_event_group_repeats_of_a_known_fault_are_one_incident() -> None:
    first = finding("REQUEST_FORMAT_ERROR", 0)
    second = finding("REQUEST_FORMAT_ERROR", 60)
    assert len(server_event_group.apply(sightings([first, second]), ctx()).drafts) == 1


def test_server_event_group_unrelated_unrecognised_events_are_not_merged() -> None:
    """Class 6: grouped by masked text, not by the placeholder code."""
    c = ctx()
    one = finding(
        "UNRECOGNISED_AZUREMFA_EVENT", 0, text="Failed to load policy for user alice@contoso.com (0x80070005)"
    )
    two = finding("UNRECOGNISED_AZUREMFA_EVENT", 5, text="Worker thread pool exhausted after 120 requests")
    again = finding(
        "UNRECOGNISED_AZUREMFA_EVENT", 9, text="Failed to load policy for user bob@contoso.com (0x80004005)"
    )
    drafts = server_event_group.apply(sightings([one, two, again]), c).drafts
    assert sorted(len(d.findings) for d in drafts) == [1, 2]


# --- extension-reject-joins ---------------------------------------------------------------------------------------


def test_extension_reject_joins_the_users_sign_in_within_the_window() -> None:
    sign_in = Draft("sign-in", CID_A, [finding("UserNotFound", 0, kind="response", user="alice", cid=CID_A)])
    near = audit("NPS-REASON-21", 1, "alice")
    far = audit("NPS-REASON-21", 400, "alice")
    out = extension_reject_joins.apply([near, far], [sign_in], ctx())
    assert out.joins == [(sign_in, near)]
    assert [(d.kind, d.findings) for d in out.drafts] == [("nps-reject", [far])]


def test_extension_reject_joins_a_cidless_failure_of_the_user_but_not_a_benign_notice() -> None:
    c = ctx()
    failure = Draft("server", "s|e", [finding("ESTS_TOKEN_ERROR", 0, user="alice")])
    notice = Draft("server", "s|n", [finding("SECONDARY_AUTH_ACCESS_CHALLENGE", 0, kind="secondary", user="bob")])
    alice, bob = audit("NPS-REASON-21", 1, "alice"), audit("NPS-REASON-21", 1, "bob")
    out = extension_reject_joins.apply([alice, bob], [failure, notice], c)
    assert out.joins == [(failure, alice)]
    assert [d.findings for d in out.drafts] == [[bob]]


# --- nps-reject -----------------------------------------------------------------------------------------------------


def test_nps_reject_folds_repeats_of_the_same_reject_within_the_repeat_window() -> None:
    rejects = [
        audit("NPS-REASON-16", 0, "alice"),
        audit("NPS-REASON-16", 300, "alice"),
        audit("NPS-REASON-16", 2000, "alice"),
        audit("NPS-REASON-16", 10, "bob"),
        audit("NPS-REASON-48", 20, "alice"),
    ]
    drafts = nps_reject.apply(sorted(rejects, key=lambda f: f.event.time), ctx()).drafts
    assert sorted((d.ukey, d.findings[0].code, len(d.findings)) for d in drafts) == [
        ("alice", "NPS-REASON-16", 1),
        ("alice", "NPS-REASON-16", 2),
        ("alice", "NPS-REASON-48", 1),
        ("bob", "NPS-REASON-16", 1),
    ]


# --- secondary-reject-joins ---------------------------------------------------------------------------------------


def test_secondary_reject_joins_the_users_nps_reject_or_stands_alone() -> None:
    c = ctx()
    folder = nps_reject.RepeatFolder(c)
    rejects = nps_reject.apply([audit("NPS-REASON-16", 0, "alice")], c, folder).drafts
    joined = finding("SECONDARY_AUTH_ACCESS_REJECT", -0.2, kind="secondary", user="alice")
    alone = finding("SECONDARY_AUTH_ACCESS_REJECT", 5, kind="secondary", user="dave")
    out = secondary_reject_joins.apply(sightings([joined, alone]), rejects, c, folder)
    assert out.joins == [(rejects[0], joined)]
    assert [(d.kind, d.findings) for d in out.drafts] == [("nps-reject", [alone])]


# --- system-per-code ------------------------------------------------------------------------------------------------


def test_system_per_code_one_incident_per_server_and_code() -> None:
    one = finding("SYSTEM-NPS-18", 0, kind="system")
    two = finding("SYSTEM-NPS-18", 60, kind="system")
    elsewhere = finding("SYSTEM-NPS-18", 0, kind="system", on=event(0, "x", computer="NPS02.contoso.local"))
    groups: dict[str, Draft] = {}
    drafts = system_per_code.apply([one, two, elsewhere], groups, ctx()).drafts
    assert sorted(len(d.findings) for d in drafts) == [1, 2]


# --- tls-client-joins-https ---------------------------------------------------------------------------------------


def test_tls_client_joins_https_on_the_same_server_within_the_window() -> None:
    c = ctx()
    https = Draft(
        "sign-in", CID_A, [finding("HTTPS_COMMUNICATION_ERROR", 100, cid=CID_A)], server="NPS01.contoso.local"
    )
    near = finding("SYSTEM-SCHANNEL-36871", 99, kind="system")
    far = finding("SYSTEM-SCHANNEL-36871", 1000, kind="system")
    groups: dict[str, Draft] = {}
    out = tls_client_joins_https.apply([near, far], [https], groups, c)
    assert out.joins == [(https, near)]
    assert [d.findings for d in out.drafts] == [[far]]


# --- server-config ------------------------------------------------------------------------------------------------


def test_server_config_one_incident_per_server_and_code() -> None:
    a = finding("CONFIG-REQUIRED-VALUE-MISSING", 0, kind="config")
    b = finding("CONFIG-REQUIRED-VALUE-MISSING", 0, kind="config")
    c_ = finding("NPS-AUDITING-DISABLED", 0, kind="config")
    drafts = server_config.apply([a, b, c_], ctx()).drafts
    assert sorted((d.kind, len(d.findings)) for d in drafts) == [("server-config", 1), ("server-config", 2)]


# --- capture rules --------------------------------------------------------------------------------------------------


def test_capture_protocol_joins_the_users_unanswered_challenge_and_never_stands_alone() -> None:
    c = ctx()
    challenge = Draft(
        "challenge-no-result", CID_A, [finding("CHALLENGE_REQUESTED", 0, kind="challenge", user="alice")], user="alice"
    )
    mine = finding("CAPTURE-NON-PAP-PROTOCOL", -1, kind="capture", user="alice")
    other = finding("CAPTURE-NON-PAP-PROTOCOL", -1, kind="capture", user="erin")
    out = capture_protocol_joins.apply([mine, other], [challenge], c)
    assert out.joins == [(challenge, mine)] and out.drafts == [] and out.dropped == [other]


def test_capture_endpoint_joins_connect_failures_else_is_a_server_incident() -> None:
    c = ctx()
    connect = Draft("sign-in", CID_A, [finding("HTTP_CONNECT_ERROR", 100, cid=CID_A)])
    near = finding("CAPTURE-TCP-NO-ANSWER", 80, kind="capture")
    alone = finding("CAPTURE-DNS-FAILURE", 5000, kind="capture")
    groups: dict[str, Draft] = {}
    out = capture_endpoint_joins.apply([near, alone], [connect], groups, c)
    assert out.joins == [(connect, near)] and [d.findings for d in out.drafts] == [[alone]]


def test_capture_nas_per_client_per_nas_and_joins() -> None:
    c = ctx()
    invalid = finding("InvalidSession", 200, kind="response", user="alice", cid=CID_A)
    expired = Draft("sign-in", CID_A, [invalid], cid=CID_A, user="alice")
    proxy = Draft("server", "s|4418", [finding("SYSTEM-NPS-4418", 0, kind="system")])
    resent = finding("CAPTURE-NAS-RETRANSMISSION", 190, kind="capture", user="alice", nas="10.0.0.5")
    resent2 = finding("CAPTURE-NAS-RETRANSMISSION", 300, kind="capture", user="bob", nas="10.0.0.6")
    no_ma = finding("CAPTURE-NO-MESSAGE-AUTHENTICATOR", 10, kind="capture", nas="10.0.0.7")
    groups: dict[str, Draft] = {}
    out = capture_nas_per_client.apply([resent, resent2, no_ma], [expired], [proxy], groups, c)
    assert (expired, resent) in out.joins and (proxy, no_ma) in out.joins
    assert sorted(d.key for d in out.drafts) == [
        "|CAPTURE-NAS-RETRANSMISSION|10.0.0.5",
        "|CAPTURE-NAS-RETRANSMISSION|10.0.0.6",
    ]
