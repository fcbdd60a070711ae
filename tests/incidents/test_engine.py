"""The engine as a whole: failure classes 1, 3 and 6 on the rule side, fallback catalog entries, and findings
arriving in any order (the interface the throughput workers use: add() in any order, incidents() at the end)."""

from __future__ import annotations

import random

from nps_trace_analyzer.analysis.findings import findings_for
from nps_trace_analyzer.analysis.incidents import IncidentEngine
from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.core.model import Finding, Incident
from nps_trace_analyzer.report.result import _incident_doc
from tests.incidents.helpers import CATALOG, audit, event, finding, trace

CID = "6d1c4a2e-93f0-4b7e-a1c5-2f8e0d7b9a31"
PREFIX = "NPS Extension for Azure MFA: "


def run(findings: list[Finding]) -> list[Incident]:
    engine = IncidentEngine(CATALOG)
    for f in findings:
        engine.add(f)
    return engine.incidents()


def from_texts(*items: tuple[float, str]) -> list[Finding]:
    """Findings the real findings stage makes of AzureMfa event texts (fixture texts, our own wording)."""
    out: list[Finding] = []
    for seconds, text in items:
        out.extend(findings_for(event(seconds, text), CATALOG))
    return out


def test_class1_challenge_answered_by_the_extensions_success_is_no_incident_without_security_evtx() -> None:
    findings = from_texts(
        (
            0,
            f"{PREFIX}CID: {CID} : Challenge requested in Authentication Ext for User yara@contoso.com with state "
            "11111111-2222-4333-8444-555555555555",
        ),
        (
            25,
            f"{PREFIX}CID: {CID} : Access Accepted for user yara@contoso.com with Azure MFA response: Success and "
            "message: Approved",
        ),
    )
    assert {f.code for f in findings} == {"CHALLENGE_REQUESTED", "Success"}
    assert run(findings) == []


def test_class1_success_for_the_same_user_without_cid_answers_too_but_not_another_users() -> None:
    findings = from_texts(
        (0, f"{PREFIX}Challenge requested in Authentication Ext for User yara@contoso.com."),
        (0, f"{PREFIX}Challenge requested in Authentication Ext for User zoe@contoso.com."),
        (30, f"{PREFIX}Access Accepted for user yara@contoso.com with Azure MFA response: Success and message: ok"),
    )
    incidents = run(findings)
    assert [(i.kind, i.user) for i in incidents] == [("challenge-no-result", "zoe@contoso.com")]


def test_class3_redacted_cid_with_two_codes_and_its_reject_is_one_incident() -> None:
    text = (
        f"{PREFIX}CID: xxxx :Exception in Authentication Ext for User alice@contoso.com :: ErrorCode:: CID :xxxx "
        "ESTS_TOKEN_ERROR Msg:: Error in retreiving token details from request handle: -895352831 AADSTS7000112: "
        "Application '981f26a1-7f43-403b-a875-f8b09b8cd720'(Azure Multi-Factor Auth Client) is disabled."
    )
    findings = [*from_texts((0, text)), audit("NPS-REASON-21", 0.4, "CONTOSO\\alice")]
    incidents = run(findings)
    assert len(incidents) == 1
    inc = incidents[0]
    assert inc.primary_code == "AADSTS7000112" and inc.category == "configuration"
    assert {"ESTS_TOKEN_ERROR", "AADSTS7000112", "NPS-REASON-21"} <= set(inc.codes)


def test_class6_unrelated_unrecognised_events_stay_apart_and_nothing_is_dropped() -> None:
    # The findings stage decides what an unplaceable event yields; give the rules what it yields for level 2.
    unplaced = [
        Finding(event(s, t), "UNRECOGNISED_AZUREMFA_EVENT", "error", None, {"server": "NPS01.contoso.local"})
        for s, t in (
            (0, "Unexpected state in policy cache for tenant 4a1b, entry 17"),
            (3, "Unexpected state in policy cache for tenant 9f2c, entry 4"),
            (9, "Could not open the telemetry channel"),
        )
    ]
    incidents = run(unplaced)
    assert sorted(i.count for i in incidents) == [1, 2]
    assert all(i.primary_code == "UNRECOGNISED_AZUREMFA_EVENT" for i in incidents)


def test_fallback_only_code_is_generic_not_in_catalog_and_not_lent_the_family_category(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Even a family entry that claims a category (a user catalog may) does not lend it to a code it only matches."""
    user = tmp_path / "family.yaml"
    user.write_text("entries:\n  - code: AADSTS\n    merge: true\n    category: certificate-token\n", encoding="utf-8")
    catalog = load_catalog([user])
    fallback = catalog.match("AADSTS99999")
    assert fallback is not None and fallback.is_fallback and fallback.category == "certificate-token"
    engine = IncidentEngine(catalog)
    ev = event(0, "AADSTS99999: something new")
    engine.add(Finding(ev, "AADSTS99999", "aadsts", fallback.id, {"server": ev.computer}))
    inc = _incident_doc(engine.incidents()[0])
    assert (inc["in_catalog"], inc["generic"], inc["category"]) == (False, True, "needs-support")


def test_fallback_code_ranks_below_its_known_wrapper() -> None:
    ev = event(0, "ErrorCode:: ESTS_TOKEN_ERROR Msg:: token AADSTS99999: new")
    incidents = run([finding("ESTS_TOKEN_ERROR", on=ev), finding("AADSTS99999", kind="aadsts", on=ev)])
    assert len(incidents) == 1
    assert (incidents[0].primary_code, incidents[0].in_catalog, incidents[0].generic) == (
        "ESTS_TOKEN_ERROR",
        True,
        False,
    )


def _adversarial() -> list[Finding]:
    """Findings whose outcome a streaming engine would get wrong in some order: repeats, copies, duplicates."""
    out = [
        audit("NPS-REASON-16", 0, "alice"),
        audit("NPS-REASON-16", 200, "alice"),
        audit("NPS-REASON-16", 500, "alice"),
        audit("NPS-REASON-16", 0, "alice", source_kind="nps-text"),
        audit("SECURITY-6272", 40, "bob"),
        finding("CHALLENGE_REQUESTED", 30, kind="challenge", user="bob", cid=CID),
        finding("HTTPS_COMMUNICATION_ERROR", 60, user="carol", cid="22222222-3333-4444-8555-666666666666"),
        trace("HTTPS_COMMUNICATION_ERROR", 60.5, cid="22222222-3333-4444-8555-666666666666"),
        finding("SYSTEM-NPS-18", 70, kind="system"),
        finding("SYSTEM-NPS-18", 75, kind="system", on=event(75, "x", computer="NPS02.contoso.local")),
    ]
    return out


def test_incidents_do_not_depend_on_the_order_findings_arrive_in() -> None:
    base = _adversarial()
    reference = [_incident_doc(i) for i in run(list(base))]
    assert [d["primary_code"] for d in reference].count("NPS-REASON-16") == 1  # folded, text copy dropped
    assert all(d["primary_code"] != "CHALLENGE_NO_RESULT" for d in reference)  # bob's grant answered it
    https = next(d for d in reference if d["primary_code"] == "HTTPS_COMMUNICATION_ERROR")
    assert https["count"] == 1  # the trace copy is not a second occurrence
    rng = random.Random(4)
    for _ in range(30):
        shuffled = list(base)
        rng.shuffle(shuffled)
        assert [_incident_doc(i) for i in run(shuffled)] == reference


def test_catalog_gives_every_role_the_rules_use_a_code() -> None:
    from nps_trace_analyzer.analysis.incidents.roles import Roles
    from nps_trace_analyzer.catalog.schema import ROLES

    roles = Roles.from_catalog(load_catalog([]))
    assert [role for role in ROLES if not roles.of(role)] == []


def test_placeholder_codes_of_the_findings_stage_are_tagged_unrecognised_when_catalogued() -> None:
    """Codes the findings stage gives to events it cannot place must carry the role that groups them by wording:
    an entry without it would merge unrelated events into one incident."""
    from nps_trace_analyzer.analysis.findings import NPSEXT_TRACE_ERROR, UNRECOGNISED

    for code in (UNRECOGNISED, NPSEXT_TRACE_ERROR):
        entry = CATALOG.match(code)
        assert entry is None or "unrecognised" in entry.roles, code


def test_a_challenge_followed_only_by_the_extension_reject_reason_is_unanswered_and_joins_it() -> None:
    """Microsoft Q&A 2074636 (https://learn.microsoft.com/en-us/answers/questions/2074636): "Challenge requested"
    and then only "an NPS event for the extension DLL having denied the request"; the answer was the RADIUS
    protocol (the code can never come back), i.e. an unanswered challenge, not a plain NPS reject."""
    findings = from_texts(
        (
            0,
            f"{PREFIX}CID: 32e83cbf-484d-49aa-9adb-71528f5eb94d : Challenge requested in Authentication Ext for "
            "User ******@domain.com with state 300c9d6c-7734-4165-83d3-212e73aee286",
        ),
    )
    findings.append(audit("NPS-REASON-21", 0.3, "******@domain.com"))
    incidents = run(findings)
    assert [(i.kind, i.primary_code) for i in incidents] == [("challenge-no-result", "CHALLENGE_NO_RESULT")]
    assert "NPS-REASON-21" in incidents[0].codes


def test_a_challenge_followed_by_a_reject_for_another_reason_is_answered() -> None:
    findings = [
        finding("CHALLENGE_REQUESTED", 0, kind="challenge", user="frank", cid=CID),
        audit("NPS-REASON-16", 20, "frank"),
    ]
    assert [(i.kind, i.primary_code) for i in run(findings)] == [("nps-reject", "NPS-REASON-16")]
