"""Every catalog example runs through the real extractor: the entry's code must come out of its own
example text, and the catalog must resolve that code in that text back to the very same entry.

NPS reason codes, Security and System events are not AzureMfa texts: their examples only go through
``Catalog.match``. Derived entries (CHALLENGE_NO_RESULT) are summaries the pipeline writes, not log texts.
For the derived families (server-config.yaml, capture.yaml) the wording of that text is fixed elsewhere: the
CONFIG-* details by ``config_checks.py`` (whose real output is matched here) and the capture rows by the format
table in catalog/README.md (read here), so neither can drift from the entries' patterns unnoticed.
"""

from __future__ import annotations

import itertools
import re
import string

import pytest

from nps_trace_analyzer.analysis import config_checks
from nps_trace_analyzer.catalog import Entry, builtin_catalog_dir, load_catalog
from nps_trace_analyzer.extract import extract_codes

CATALOG = load_catalog()
WINDOWS_EVENT_PREFIXES = ("NPS-REASON-", "SECURITY-", "SYSTEM-")


def _is_extension_text_entry(entry: Entry) -> bool:
    return not entry.code.startswith(WINDOWS_EVENT_PREFIXES) and not entry.derived


EXTENSION_CASES = [
    pytest.param(entry, example, id=f"{entry.id}[{n}]")
    for entry in CATALOG
    if _is_extension_text_entry(entry)
    for n, example in enumerate(entry.examples)
]
OTHER_CASES = [
    pytest.param(entry, example, id=f"{entry.id}[{n}]")
    for entry in CATALOG
    if not _is_extension_text_entry(entry)
    for n, example in enumerate(entry.examples)
]


@pytest.mark.parametrize(("entry", "example"), EXTENSION_CASES)
def test_extractor_finds_the_entry_in_its_example(entry: Entry, example: str) -> None:
    found = extract_codes(example)
    codes = [code for code, _ in found]
    if entry.code_pattern is not None:
        # a family entry (AADSTS): some extracted code of the family must resolve to it
        family = [code for code in codes if entry.code_pattern.fullmatch(code) and CATALOG.get(code) is None]
        assert family, (entry.id, codes)
        for code in family:
            assert CATALOG.match(code, example) is entry
        return
    assert entry.code in codes, (entry.id, codes)
    assert CATALOG.match(entry.code, example) is entry
    # the pipeline passes the extractor's context message, not always the whole text: same answer
    context = dict(found)[entry.code]
    assert CATALOG.match(entry.code, context) is entry, (entry.id, context)


@pytest.mark.parametrize(("entry", "example"), OTHER_CASES)
def test_windows_event_examples_resolve_to_their_entry(entry: Entry, example: str) -> None:
    assert CATALOG.match(entry.code, example) is entry
    if entry.reason_code is not None:
        assert f"Reason Code: {entry.reason_code} " in example
        assert CATALOG.by_reason_code(entry.reason_code) is entry
    if entry.event_id is not None:
        assert entry in CATALOG.by_event_id(entry.event_id, entry.provider)


def test_there_are_cases_of_both_kinds() -> None:
    assert len(EXTENSION_CASES) >= 40
    assert len(OTHER_CASES) >= 100


# ------------------------------------------------------------------ derived families: wording fixed elsewhere

DERIVED_FAMILIES = ("server-config", "capture")
DERIVED_ENTRIES = [e for e in CATALOG if e.family in DERIVED_FAMILIES]


def _owners(text: str) -> list[str]:
    """Ids of the derived-family entries whose patterns find ``text``."""
    return [e.id for e in DERIVED_ENTRIES if e.matches_text(text)]


def test_derived_family_entries_are_derived_and_worded_by_patterns() -> None:
    assert len(DERIVED_ENTRIES) == len(config_checks.CODES) + 1 + 9  # + NPS-AUDITING-DISABLED, 8 CAPTURE, NPSEXT
    for entry in DERIVED_ENTRIES:
        assert entry.derived and entry.patterns and not entry.messages, entry.id
        assert entry.code_pattern is None and entry.slug is None, entry.id


@pytest.mark.parametrize("entry", DERIVED_ENTRIES, ids=lambda e: e.id)
def test_derived_examples_select_exactly_their_own_entry(entry: Entry) -> None:
    """Held to the entry's own patterns (as ``catalog --check`` does) and to no other entry of the families."""
    for example in entry.examples:
        assert CATALOG.match(entry.code, example) is entry
        assert _owners(example) == [entry.id], example


# CONFIG-*: registry states that make config_checks emit every code (and the examples' exact details).
_T = "6f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2910"
_GOOD = {
    "AZURE_MFA_HOSTNAME": "strongauthenticationservice.auth.microsoft.com",
    "AZURE_MFA_RESOURCE_HOSTNAME": "adnotifications.windowsazure.com",
    "AZURE_MFA_TARGET_PATH": "StrongAuthenticationService.svc/Connector",
    "CLIENT_ID": config_checks.CLIENT_ID,
    "STS_URL": "https://login.microsoftonline.com/",
    "TENANT_ID": _T,
    "IP_WHITELIST": "",
}
_AUTHZ = "C:\\Program Files\\Microsoft\\AzureMfa\\Extensions\\MfaNpsAuthzExt.dll"
_AUTHN = "C:\\Program Files\\Microsoft\\AzureMfa\\Extensions\\MfaNpsAuthnExt.dll"
_AUTHSRV = {"AuthorizationDLLs": (_AUTHZ,), "ExtensionDLLs": (_AUTHN,)}


def _azuremfa(**changes: str | None) -> dict[str, str]:
    values = dict(_GOOD)
    for name, value in changes.items():
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value
    return values


_CONFIG_STATES: list[tuple[dict, dict]] = [
    ({}, _AUTHSRV),
    (_GOOD, {"AuthorizationDLLs": (), "ExtensionDLLs": ()}),
    (_GOOD, {"AuthorizationDLLs": (_AUTHZ,), "ExtensionDLLs": ()}),
    (_GOOD, {"AuthorizationDLLs": (_AUTHN,), "ExtensionDLLs": (_AUTHZ,)}),
    (_azuremfa(CLIENT_ID=None), _AUTHSRV),
    (_azuremfa(CLIENT_ID="00000000-1111-2222-3333-444444444444"), _AUTHSRV),
    (_azuremfa(STS_URL=None), _AUTHSRV),
    (_azuremfa(AZURE_MFA_HOSTNAME="", AZURE_MFA_TARGET_PATH=None), _AUTHSRV),
    (_azuremfa(STS_URL="https://login.microsoftonline.us/"), _AUTHSRV),
    (
        _azuremfa(
            AZURE_MFA_HOSTNAME="strongauthenticationservice.auth.microsoft.us",
            AZURE_MFA_RESOURCE_HOSTNAME="adnotifications.windowsazure.us",
            STS_URL="https://login.microsoftonline.us/",
        ),
        _AUTHSRV,
    ),
    (
        _azuremfa(
            AZURE_MFA_HOSTNAME="strongauthenticationservice.auth.microsoft.cn",
            AZURE_MFA_RESOURCE_HOSTNAME="adnotifications.windowsazure.cn",
            STS_URL="https://login.chinacloudapi.cn/",
        ),
        _AUTHSRV,
    ),
    (_azuremfa(AZURE_MFA_HOSTNAME="mfa-proxy.contoso.local"), _AUTHSRV),
    (_azuremfa(AZURE_MFA_HOSTNAME="adnotifications.windowsazure.com", AZURE_MFA_RESOURCE_HOSTNAME=None), _AUTHSRV),
    (_azuremfa(AZURE_MFA_HOSTNAME="adnotifications.windowsazure.com"), _AUTHSRV),
    (_azuremfa(AZURE_MFA_RESOURCE_HOSTNAME=None), _AUTHSRV),
    (_azuremfa(AZURE_MFA_TARGET_PATH="StrongAuthenticationService.svc"), _AUTHSRV),
    (_azuremfa(STS_URL="http://login.microsoftonline.com/"), _AUTHSRV),
    (_azuremfa(TENANT_ID="contoso.onmicrosoft.com"), _AUTHSRV),
    (
        _azuremfa(CLIENT_CERT_IDENTIFIER="CN=11111111-2222-3333-4444-555555555555, OU=Microsoft NPS Extension"),
        _AUTHSRV,
    ),
    (_azuremfa(REQUIRE_USER_MATCH="FALSE"), _AUTHSRV),
    (_azuremfa(REQUIRE_USER_MATCH="true", OVERRIDE_NUMBER_MATCHING_WITH_OTP="False"), _AUTHSRV),
    (_azuremfa(OVERRIDE_NUMBER_MATCHING_WITH_OTP="1"), _AUTHSRV),
    (_azuremfa(IP_WHITELIST=None), _AUTHSRV),
    (_azuremfa(IP_WHITELIST="10.0.0.1;10.0.0.0/24;10.0.0.5-10.0.0.9"), _AUTHSRV),
]


def _config_findings() -> dict[str, list[config_checks.ConfigCheck]]:
    """code -> the checks (with their real detail text) that the states above produce."""
    found: dict[str, list[config_checks.ConfigCheck]] = {}
    for azuremfa, authsrv in _CONFIG_STATES:
        for check in config_checks.check_server_config(azuremfa, authsrv):
            if check.code:
                found.setdefault(check.code, []).append(check)
    before, after = _azuremfa(VERBOSE_LOG="FALSE"), _azuremfa(VERBOSE_LOG="TRUE", REQUIRE_USER_MATCH="FALSE")
    for check in config_checks.check_before_after(before, _AUTHSRV, after, _AUTHSRV):
        if check.code:
            found.setdefault(check.code, []).append(check)
    return found


CONFIG_FINDINGS = _config_findings()
_INSTALLATION = {"CONFIG-EXTENSION-DLLS-MISSING", "CONFIG-EXTENSION-DLLS-SWAPPED", "CONFIG-AZUREMFA-KEY-MISSING"}
_SEVERITY_OF_STATUS = {"problem": "critical", "warning": "warning", "info": "info"}


def test_every_config_checks_code_has_a_catalog_entry_and_vice_versa() -> None:
    for code, meaning in config_checks.CODES.items():
        entry = CATALOG.get(code)
        assert entry is not None, f"{code} ({meaning}) has no catalog entry"
        assert entry.family == "server-config", code
    stale = [e.id for e in CATALOG if e.code.startswith("CONFIG-") and e.code not in config_checks.CODES]
    assert stale == [], "catalog entries for codes config_checks no longer emits"


def test_the_config_states_make_every_code() -> None:
    assert sorted(CONFIG_FINDINGS) == sorted(config_checks.CODES)


@pytest.mark.parametrize("code", sorted(config_checks.CODES))
def test_real_config_check_details_resolve_to_their_entry(code: str) -> None:
    entry = CATALOG.get(code)
    assert entry is not None
    checks = CONFIG_FINDINGS[code]
    for check in checks:
        assert CATALOG.match(code, check.detail) is entry
        assert _owners(check.detail) == [entry.id], check.detail
        # what the pipeline may show around the detail still selects the entry
        assert _owners(f"{check.title}: {check.detail} ({check.evidence})") == [entry.id]
        # category and severity follow the diagnosis contract (issue #5) and the check's status
        assert entry.severity == _SEVERITY_OF_STATUS[check.status], (code, check.status)
        if check.status == "info":
            assert (entry.category, entry.benign) == ("not-an-error", True) and entry.benign_condition
        else:
            assert entry.category == ("installation" if code in _INSTALLATION else "configuration")
            assert not entry.benign
    assert config_checks.CODES[code].split(":", 1)[0] in {c.status for c in checks}
    # the examples are details the module really writes (YAML folding only changes the spacing)
    details = {" ".join(c.detail.split()) for c in checks}
    for example in entry.examples:
        assert " ".join(example.split()) in details, example


# CAPTURE-* and the other pipeline-worded rows: the format table of catalog/README.md, filled with samples.
_SAMPLES: dict[str, list[str]] = {
    "nas": ["10.0.0.5", "fe80::1"],
    "user": ["alice", "CONTOSO\\bob", "carol@contoso.com", "(none)"],
    "protocol": ["MS-CHAPv2", "MS-CHAPv1", "CHAP", "EAP", "EAP/PEAP"],
    "identifier": ["17"],
    "retransmissions": ["1", "3"],
    "retry_interval": ["5.0"],
    "answer": ["NPS answered after 24.6 s with Access-Accept", "NPS never answered"],
    "proxy_state": ["", "; Proxy-State present"],
    "client": ["10.0.0.20"],
    "server": ["20.190.151.7", "NPS01"],
    "server_port": ["443"],
    "server_name": ["login.microsoftonline.com"],
    "syn_retransmissions": ["2"],
    "reset_delay": ["0.03"],
    "name": ["adnotifications.windowsazure.com"],
    "qtype": ["A", "AAAA"],
    "dns_failure": ["NXDOMAIN", "SERVFAIL", "REFUSED", "no response", "NOERROR without answer records"],
    "sni": ["strongauthenticationservice.auth.microsoft.com"],
    "tls_failure": [
        "server sent fatal alert handshake_failure",
        "client sent fatal alert unknown_ca",
        "server sent warning alert close_notify",
        "no ServerHello after ClientHello",
    ],
    "versions": ["TLS 1.0, TLS 1.1", "SSL 3.0"],
    "count": ["812"],
    "first": ["2024-05-02T08:00:12Z"],
    "last": ["2024-05-02T17:41:55Z"],
    "sources": ["Security.evtx, NPS_EventLog.log, accounting logs"],
    "level_name": ["critical", "error"],
    "level": ["1", "2"],
    "provider": ["{7237ED00-E119-430B-AB0F-C63360C8EE81}", "{EC2E6D3A-C958-4C76-8EA4-0262520886FF}"],
    "text": ["some decoded text: 0x80004005"],
}
_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_-]+)` \| `([^`]+)` \|")


def _readme_formats() -> dict[str, str]:
    text = (builtin_catalog_dir() / "README.md").read_text(encoding="utf-8")  # type: ignore[operator]
    section = text.split("## Evidence text of derived findings", 1)[1].split("\n## ", 1)[0]
    return {m.group(1): m.group(2) for line in section.splitlines() if (m := _ROW.match(line))}


README_FORMATS = _readme_formats()

_CAPTURE_NAMES = (
    "NON-PAP-PROTOCOL", "NAS-RETRANSMISSION", "NO-MESSAGE-AUTHENTICATOR", "TCP-NO-ANSWER", "TCP-RESET",
    "DNS-FAILURE", "TLS-ALERT", "TLS-LEGACY-ONLY",
)  # fmt: skip


def test_readme_has_an_evidence_format_for_every_pipeline_worded_entry() -> None:
    worded = {e.code for e in DERIVED_ENTRIES if not e.code.startswith("CONFIG-")}
    assert worded == {*(f"CAPTURE-{n}" for n in _CAPTURE_NAMES), "NPS-AUDITING-DISABLED", "NPSEXT-TRACE-ERROR"}
    assert sorted(README_FORMATS) == sorted(worded)


@pytest.mark.parametrize("code", sorted(README_FORMATS))
def test_readme_evidence_formats_match_their_entry(code: str) -> None:
    fmt = README_FORMATS[code]
    names = sorted({field for _, field, _, _ in string.Formatter().parse(fmt) if field})
    assert names and all(n in _SAMPLES for n in names), (code, names)
    filled = 0
    for values in itertools.product(*(_SAMPLES[n] for n in names)):
        line = fmt.format_map(dict(zip(names, values, strict=True)))
        assert _owners(line) == [code], line
        filled += 1
    assert filled >= 1
    # the examples follow the documented format: same fixed words in the same order
    skeleton = re.compile(
        "".join(re.escape(lit) + (".*?" if field else "") for lit, field, _, _ in string.Formatter().parse(fmt)) + "$"
    )
    entry = CATALOG.get(code)
    assert entry is not None
    for example in entry.examples:
        assert skeleton.match(" ".join(example.split())), example
