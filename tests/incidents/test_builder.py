"""The builder: primary-code ranking, catalog advice, evidence rows and the derived challenge-no-result code."""

from __future__ import annotations

from nps_trace_analyzer.analysis.incidents.builder import MAX_EVIDENCE, build
from nps_trace_analyzer.analysis.incidents.drafts import Draft
from tests.incidents.helpers import audit, ctx, event, finding

CID = "1fd39a1a-34b9-47e6-a66a-ed7e47c30e0a"


def test_known_nested_aadsts_beats_its_wrapper_which_beats_a_response_and_the_challenge() -> None:
    ev = event(5, "ErrorCode:: ESTS_TOKEN_ERROR Msg:: ... AADSTS7000112: disabled")
    findings = [
        finding("CHALLENGE_REQUESTED", 0, kind="challenge", cid=CID, user="alice"),
        finding("ESTS_TOKEN_ERROR", on=ev, cid=CID, user="alice"),
        finding("AADSTS7000112", kind="aadsts", on=ev, cid=CID, user="alice"),
        audit("NPS-REASON-21", 6, "alice"),
    ]
    inc = build(1, Draft("sign-in", CID, findings, cid=CID, user="alice"), ctx(), {})
    assert inc.primary_code == "AADSTS7000112" and inc.category == "configuration" and inc.in_catalog
    # codes in time order; the codes of one event by name (the order findings arrive in must not matter)
    assert inc.codes == ["CHALLENGE_REQUESTED", "AADSTS7000112", "ESTS_TOKEN_ERROR", "NPS-REASON-21"]
    assert inc.count == 3  # two codes of one event are one evidence row


def test_error_code_beats_response_code_and_benign_codes_lose_to_real_ones() -> None:
    findings = [
        finding("OathCodeIncorrect", 0, kind="response", cid=CID, user="bob"),
        finding("UserNotFound", 10, kind="response", cid=CID, user="bob"),
    ]
    inc = build(1, Draft("sign-in", CID, findings, cid=CID), ctx(), {})
    assert inc.primary_code == "UserNotFound" and not inc.benign


def test_a_sign_in_with_only_benign_codes_is_an_incident_marked_benign() -> None:
    inc = build(1, Draft("sign-in", CID, [finding("OathCodeIncorrect", 0, kind="response", cid=CID)]), ctx(), {})
    assert inc.benign and inc.category == "not-an-error"


def test_nps_reject_keeps_the_decision_that_opened_it_as_primary() -> None:
    opener = audit("NPS-REASON-16", 10, "carol")
    notice = finding("SECONDARY_AUTH_ACCESS_REJECT", 9.8, kind="secondary", user="carol")
    inc = build(1, Draft("nps-reject", "k", [opener, notice], user="carol"), ctx(), {})
    assert inc.primary_code == "NPS-REASON-16" and inc.first_seen == notice.event.time


def test_challenge_no_result_takes_the_derived_code_and_the_users_auth_types() -> None:
    challenge = finding("CHALLENGE_REQUESTED", 0, kind="challenge", cid=CID, user="dave")
    inc = build(
        1, Draft("challenge-no-result", CID, [challenge], cid=CID, user="dave"), ctx(), {"dave": "MS-CHAPv2 x2"}
    )
    assert inc.primary_code == "CHALLENGE_NO_RESULT" and inc.category == "configuration" and not inc.benign
    assert inc.attrs["auth_types"] == "MS-CHAPv2 x2"
    assert "got no result within 3 minutes" in inc.summary


def test_unknown_code_is_shown_as_not_in_catalog() -> None:
    inc = build(1, Draft("server", "s|x", [finding("BRAND_NEW_ERROR", 0)]), ctx(), {})
    assert (inc.in_catalog, inc.generic, inc.category) == (False, False, "needs-support")
    assert "not in the catalog" in inc.title


def test_evidence_is_bounded_and_says_how_many_rows_were_left_out() -> None:
    findings = [finding("REQUEST_FORMAT_ERROR", n) for n in range(MAX_EVIDENCE + 5)]
    inc = build(1, Draft("server", "s|r", findings), ctx(), {})
    assert len(inc.evidence) == MAX_EVIDENCE and inc.count == MAX_EVIDENCE + 5
    assert inc.attrs["evidence_truncated"].startswith("5 more")
