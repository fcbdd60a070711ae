"""The catalog of known errors: coverage of the documented codes, schema validation, matching, user files."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from nps_trace_analyzer.catalog import (
    AUDIENCES,
    CATEGORIES,
    SEVERITIES,
    Catalog,
    CatalogError,
    builtin_catalog_dir,
    load_catalog,
)
from nps_trace_analyzer.catalog import loader as catalog_loader
from nps_trace_analyzer.catalog.textmatch import normalize

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / ".." / "shared" / "reference" / "seed-nps-extension-errors-2017.md"

# Kept in the test so that coverage is still checked where ../shared is absent (a user's clone, CI copies).
# Seed tables (2017) first, then the later additions of domain-facts §2, §4.
SEED_CODES = {
    "CONTACT_SUPPORT", "CLIENT_CERT_INSTALL_ERROR", "ESTS_TOKEN_ERROR", "HTTPS_COMMUNICATION_ERROR",
    "HTTP_CONNECT_ERROR", "REGISTRY_CONFIG_ERROR", "REQUEST_FORMAT_ERROR", "REQUEST_MISSING_CODE",
    "USERNAME_CANONICALIZATION_ERROR", "AccessDenied", "AuthenticationMethodNotConfigured",
    "AuthenticationMethodNotSupported", "BecAccessDenied", "InvalidFormat",
    "StrongAuthenticationServiceInvalidParameter", "InvalidSession", "NoDefaultAuthenticationMethodIsConfigured",
    "OathCodePinIncorrect", "ProofDataNotFound", "SMSAuthFailedWrongCodePinEntered", "TenantIsBlocked",
    "UserNotFound", "OathCodeIncorrect", "SMSAuthFailedMaxAllowedCodeRetryReached",
    "SMSAuthFailedWrongCodeEntered", "InvalidParameter", "InternalError", "VersionNotSupported", "MFAPinNotSetup",
}  # fmt: skip
INVALID_PARAMETER_MESSAGES = [
    "Request must not be null",
    "ObjectId must not be null or empty for ReplicationScope:{0}",
    "The length of CompanyName \\{0}\\ is longer than the maximum allowed length {1}",
    "UserPrincipalName must not be null or empty",
    "The provided TenantId is not in correct format",
    "SessionId must not be null or empty",
    "Could not resolve any ProofData from request or Msods. The ProofData is unKnown",
]
ALTERNATE_LOGIN_ID_MESSAGES = [
    "Error: userObjectSid lookup failed",
    "Error: Alternate LoginId lookup failed",
    "Error: Alternate LoginId value is empty",
]
LATER_CODES = {
    "ALTERNATE_LOGIN_ID_ERROR", "AuthenticationThrottled", "AuthenticationMethodLimitReached",
    "CHALLENGE_REQUESTED", "SECONDARY_AUTH_ACCESS_REJECT", "SECONDARY_AUTH_ACCESS_CHALLENGE",
    "IP_WHITE_LIST_WARNING", "NAS_ATTRIBUTES_MISSING", "CHALLENGE_NO_RESULT", "AADSTS7000112", "AADSTS",
}  # fmt: skip
REASON_CODES = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 17, 18, 19, 20, 21, 22, 23, 32, 33, 34, 35, 36, 37, 38, 48, 49,
    *range(64, 74), 80, 96, 97, 112, 113, 115, 116, 117, 118, *range(256, 298), 301, 302,
]  # fmt: skip
SECURITY_EVENTS = range(6272, 6281)
SYSTEM_NPS_EVENTS = [13, 14, 17, 18, 22, 23, 4400, 4401, 4402, 4418, 4420]
SCHANNEL_EVENTS = [36871, 36872, 36873, 36874, 36876, 36881, 36882, 36883, 36884, 36886, 36887, 36888]
# Diagnosis contract, addenda for issues #5 and #6: derived codes outside config_checks.CODES (those are
# checked against the module in test_catalog_examples.py) -> (category, severity or None, benign).
DERIVED_CONTRACT = {
    "NPS-AUDITING-DISABLED": ("configuration", "warning", False),
    "CAPTURE-NON-PAP-PROTOCOL": ("configuration", None, False),
    "CAPTURE-NAS-RETRANSMISSION": ("radius-client", "warning", False),
    "CAPTURE-NO-MESSAGE-AUTHENTICATOR": ("radius-client", None, False),
    "CAPTURE-TCP-NO-ANSWER": ("connectivity", None, False),
    "CAPTURE-TCP-RESET": ("connectivity", None, False),
    "CAPTURE-DNS-FAILURE": ("connectivity", None, False),
    "CAPTURE-TLS-ALERT": ("connectivity", None, False),
    "CAPTURE-TLS-LEGACY-ONLY": ("connectivity", None, False),
    "NPSEXT-TRACE-ERROR": ("needs-support", None, False),
}
NOT_AN_ERROR = [
    "OathCodeIncorrect", "SMSAuthFailedMaxAllowedCodeRetryReached", "SMSAuthFailedWrongCodeEntered",
    "AuthenticationThrottled", "AuthenticationMethodLimitReached", "SECONDARY_AUTH_ACCESS_CHALLENGE",
    "NAS_ATTRIBUTES_MISSING", "REGISTRY_CONFIG_ERROR#ip-whitelist",
]  # fmt: skip


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _message_keys(entries: list) -> set[str]:
    return {normalize(m).rstrip(".") for e in entries for m in e.messages}


# --------------------------------------------------------------------------------------------- coverage


def parse_seed_tables(text: str) -> list[tuple[str, list[str], str | None]]:
    """(section heading, codes, message) for every row of the seed document's markdown tables.

    The message comes from an "Error message" column, or from the text after ``<br>`` in the code cell
    (REQUEST_FORMAT_ERROR); codes are the ``**bold**`` names in the first cell.
    """
    rows: list[tuple[str, list[str], str | None]] = []
    heading = ""
    header: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("#"):
            heading, header = line.lstrip("#").strip(), None
            continue
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if all(set(c) <= set("-: ") for c in cells):
            continue
        codes = re.findall(r"\*\*([A-Za-z_]+)\*\*", cells[0])
        message: str | None = None
        if len(header) > 1 and header[1] == "error message" and len(cells) > 1:
            message = cells[1] or None
        elif "<br>" in cells[0]:
            message = cells[0].split("<br>", 1)[1].strip() or None
        rows.append((heading, codes, message))
    return rows


def test_seed_parser_reads_the_four_tables() -> None:
    sample = textwrap.dedent(
        """\
        ## Errors that require support
        | Error code | Error message |
        | ---------- | ------------- |
        | **InvalidParameter** | Request must not be null |
        | **InternalError** |  |
        ## Common
        | Error code | Troubleshooting steps |
        | --- | --- |
        | **REQUEST_FORMAT_ERROR** <br> Radius Request missing x | steps |
        | **InvalidFormat** or **StrongAuthenticationServiceInvalidParameter** | steps |
        """
    )
    rows = parse_seed_tables(sample)
    assert rows == [
        ("Errors that require support", ["InvalidParameter"], "Request must not be null"),
        ("Errors that require support", ["InternalError"], None),
        ("Common", ["REQUEST_FORMAT_ERROR"], "Radius Request missing x"),
        ("Common", ["InvalidFormat", "StrongAuthenticationServiceInvalidParameter"], None),
    ]


def test_seed_document_codes_and_messages_are_all_in_the_catalog(catalog: Catalog) -> None:
    if not SEED.exists():
        pytest.skip(f"{SEED} is absent (../shared is only present in the developers' workspace)")
    rows = parse_seed_tables(SEED.read_text(encoding="utf-8"))
    sections = {heading for heading, _, _ in rows}
    assert len(sections) == 4, sections
    seed_codes = {code for _, codes, _ in rows for code in codes}
    assert seed_codes == SEED_CODES, "the committed list drifted from the seed document"
    known = set(catalog.codes())
    assert sorted(seed_codes - known) == []
    for _, codes, message in rows:
        if message is None:
            continue
        for code in codes:
            documented = _message_keys(catalog.entries_for_code(code))
            assert normalize(message).rstrip(".") in documented, (code, message)
            assert catalog.match(code, message).code == code
    seed_invalid = [m for _, codes, m in rows if codes == ["InvalidParameter"] and m]
    assert len(seed_invalid) == 7
    assert {normalize(m) for m in seed_invalid} == {normalize(m) for m in INVALID_PARAMETER_MESSAGES}


def test_committed_required_codes_are_present(catalog: Catalog) -> None:
    known = set(catalog.codes())
    assert sorted((SEED_CODES | LATER_CODES) - known) == []
    for n in REASON_CODES:
        entry = catalog.by_reason_code(n)
        assert entry is not None and entry.code == f"NPS-REASON-{n}", n
    for event_id in SECURITY_EVENTS:
        assert [e.code for e in catalog.by_event_id(event_id)] == [f"SECURITY-{event_id}"]
    for event_id in SYSTEM_NPS_EVENTS:
        assert f"SYSTEM-NPS-{event_id}" in [e.code for e in catalog.by_event_id(event_id, "NPS")]
    for event_id in SCHANNEL_EVENTS:
        assert [e.code for e in catalog.by_event_id(event_id, "Schannel")] == [f"SYSTEM-SCHANNEL-{event_id}"]


def test_derived_codes_of_the_contract_addenda(catalog: Catalog) -> None:
    for code, (category, severity, benign) in DERIVED_CONTRACT.items():
        entry = catalog.get(code)
        assert entry is not None, code
        assert (entry.category, entry.benign, entry.derived) == (category, benign, True), code
        assert severity is None or entry.severity == severity, code
        assert entry.family == ("server-config" if code == "NPS-AUDITING-DISABLED" else "capture"), code
    auditing = catalog.get("NPS-AUDITING-DISABLED")
    commands = " ".join(auditing.steps)
    assert 'auditpol /set /subcategory:"Network Policy Server" /success:enable /failure:enable' in commands
    for entry in catalog:
        if entry.family in ("server-config", "capture"):
            assert entry.doc_links, entry.id
            assert all(
                link.startswith(("https://learn.microsoft.com/", "https://support.microsoft.com/"))
                for link in entry.doc_links
            ), entry.id


def test_every_documented_message_variant_has_its_own_entry(catalog: Catalog) -> None:
    """One entry per (code, message) where a code has several documented messages."""
    for code, messages in (
        ("InvalidParameter", INVALID_PARAMETER_MESSAGES),
        ("ALTERNATE_LOGIN_ID_ERROR", ALTERNATE_LOGIN_ID_MESSAGES),
    ):
        entries = catalog.entries_for_code(code)
        assert entries[0].is_generic and not entries[0].messages
        for message in messages:
            owners = [e for e in entries if normalize(message).rstrip(".") in _message_keys([e])]
            assert len(owners) == 1, (code, message)
            assert not owners[0].is_generic
            # the documented message inside a real-looking text selects that entry
            assert catalog.match(code, f"... and message: {message.replace('{0}', 'X')}") is owners[0]
        assert len(entries) == len(messages) + 1


# ------------------------------------------------------------------------------------ content checks


def test_entries_use_the_fixed_vocabularies(catalog: Catalog) -> None:
    assert catalog.version and catalog.version != "unknown"
    assert len(catalog) >= 150
    ids = [e.id for e in catalog]
    assert len(ids) == len(set(ids))
    for entry in catalog:
        assert entry.category in CATEGORIES
        assert entry.severity in SEVERITIES
        assert set(entry.audience) <= set(AUDIENCES)
        assert entry.examples and entry.steps and entry.meaning and "\n" not in entry.title
        assert all(link.startswith("https://") for link in entry.doc_links)
    assert {e.category for e in catalog} == set(CATEGORIES), "every category has at least one entry"


def test_every_example_matches_its_own_entry(catalog: Catalog) -> None:
    assert catalog.check_examples() == []
    assert sum(len(e.examples) for e in catalog) >= len(catalog)


def test_documented_non_errors_and_benign_flags(catalog: Catalog) -> None:
    for entry_id in NOT_AN_ERROR:
        entry = catalog.get(entry_id)
        assert entry is not None and entry.category == "not-an-error" and entry.benign, entry_id
        assert entry.benign_condition
    generic = catalog.get("REGISTRY_CONFIG_ERROR")
    assert generic is not None and not generic.benign and generic.category == "configuration"
    for entry in catalog:
        assert not entry.benign or entry.benign_condition, entry.id


def test_no_troubleshooting_text_copies_the_seed_sentences(catalog: Catalog) -> None:
    """meaning/steps are in our own words: no sentence of the seed's troubleshooting column reappears."""
    if not SEED.exists():
        pytest.skip(f"{SEED} is absent")
    seed = SEED.read_text(encoding="utf-8")
    sentences = {
        normalize(s)
        for s in re.split(r"(?<=[.!?])\s+", re.sub(r"\[([^\]]*)\]\([^)]*\)|\*\*", r"\1", seed))
        if len(s) > 60
    }
    assert len(sentences) > 20
    ours = " ".join(normalize(" ".join((e.meaning, *e.steps))) for e in catalog)
    copied = [s for s in sentences if s in ours]
    assert copied == []


# ------------------------------------------------------------------------------------------- matching


ESTS_TEXT = (
    "NPS Extension for Azure MFA:  CID: 1fd39a1a-34b9-47e6-a66a-ed7e47c30e0a :Exception in Authentication Ext "
    "for User u :: ErrorCode:: CID :1fd39a1a ESTS_TOKEN_ERROR Msg:: AADSTS7000112: Application x is disabled."
)


def test_match_prefers_pattern_then_message_then_generic(catalog: Catalog) -> None:
    whitelist = "IP Whitelist not intialized::  ErrorCode:: REGISTRY_CONFIG_ERROR Msg:: ... for key: IP_WHITELIST"
    assert catalog.match("REGISTRY_CONFIG_ERROR", whitelist).id == "REGISTRY_CONFIG_ERROR#ip-whitelist"
    missing = "ErrorCode:: REGISTRY_CONFIG_ERROR Msg:: Neither registry entry not default value found for key: {}"
    # issue #15: severity follows the key named in the message (every request needs TENANT_ID, STS_URL, CLIENT_ID)
    for key in ("STS_URL", "TENANT_ID", "CLIENT_ID"):
        required = catalog.match("REGISTRY_CONFIG_ERROR", missing.format(key))
        assert (required.id, required.severity) == ("REGISTRY_CONFIG_ERROR#required-value", "critical"), key
    other = catalog.match("REGISTRY_CONFIG_ERROR", missing.format("AZURE_MFA_RESOURCE_HOSTNAME"))
    assert (other.id, other.severity) == ("REGISTRY_CONFIG_ERROR", "error")
    assert catalog.match("REGISTRY_CONFIG_ERROR", whitelist).severity == "info"
    assert catalog.match("REGISTRY_CONFIG_ERROR").id == "REGISTRY_CONFIG_ERROR"
    # doc-version wording and placeholders
    assert catalog.match("InvalidParameter", "The provided TenantId isn't in correct format").slug == "tenantid-format"
    assert (
        catalog.match("InvalidParameter", "Couldn't resolve any ProofData from request or Msods.").id
        == "InvalidParameter"
    ), "a partial message must not select a specific entry"
    assert catalog.match("InvalidParameter", "something new").id == "InvalidParameter"
    assert catalog.match("InvalidParameter", "ObjectId must not be null or empty for ReplicationScope:7").slug == (
        "objectid-null"
    )


def test_match_case_fallback_code_families_and_unknown(catalog: Catalog) -> None:
    assert catalog.match("ESTS_TOKEN_ERROR", ESTS_TEXT).id == "ESTS_TOKEN_ERROR"
    assert catalog.match("usernotfound").id == "UserNotFound"
    assert catalog.match("AADSTS7000112").id == "AADSTS7000112"
    assert catalog.match("AADSTS50012").id == "AADSTS50012"  # in Microsoft's table: an entry of its own
    assert catalog.match("AADSTS99999999").id == "AADSTS"  # not in the table: the family fallback
    assert catalog.match("AADSTS99999999").is_fallback and not catalog.match("AADSTS50012").is_fallback
    assert catalog.match("AADSTS") is catalog.get("AADSTS")
    assert catalog.match("NOT_A_CODE", ESTS_TEXT) is None
    assert catalog.match("") is None


def test_lookups_by_reason_event_search_filter(catalog: Catalog) -> None:
    assert catalog.by_reason_code(21).id == "NPS-REASON-21"
    assert catalog.by_reason_code(9999) is None
    assert [e.id for e in catalog.by_event_id(4402, "IAS")] == ["SYSTEM-NPS-4402"]
    assert catalog.by_event_id(4402, "Schannel") == []
    assert catalog.by_event_id(6273, "microsoft-windows-security-auditing")[0].id == "SECURITY-6273"
    assert catalog.by_event_id(1) == []
    assert catalog.search("ip_whitelist")[0].id == "REGISTRY_CONFIG_ERROR#ip-whitelist"
    assert {e.id for e in catalog.search("message-authenticator")} >= {"SYSTEM-NPS-17", "SYSTEM-NPS-18"}
    assert catalog.search("zzz-no-such-word") == []
    benign = catalog.filter(benign=True)
    assert benign and all(e.benign for e in benign)
    assert all(e.category == "radius-client" for e in catalog.filter(category="radius-client"))


def test_resolve_accepts_codes_ids_reason_codes_and_event_ids(catalog: Catalog) -> None:
    def ids(query: str) -> list[str]:
        return [e.id for e in catalog.resolve(query)]

    assert ids("ESTS_TOKEN_ERROR") == ["ESTS_TOKEN_ERROR"]
    assert ids("ests_token_error") == ["ESTS_TOKEN_ERROR"]
    assert ids("21") == ["NPS-REASON-21"]
    assert ids("6273") == ["SECURITY-6273"]
    assert ids("17") == ["NPS-REASON-17", "SYSTEM-NPS-17"]
    assert ids("reason:17") == ["NPS-REASON-17"]
    assert ids("event:17") == ["SYSTEM-NPS-17"]
    assert ids("REGISTRY_CONFIG_ERROR#ip-whitelist") == ["REGISTRY_CONFIG_ERROR#ip-whitelist"]
    assert ids("REGISTRY_CONFIG_ERROR")[0] == "REGISTRY_CONFIG_ERROR"
    assert ids("AADSTS90002") == ["AADSTS90002"]
    assert ids("AADSTS99999999") == ["AADSTS"]
    assert ids("nothing-here") == []


# ------------------------------------------------------------------------------------ schema validation


GOOD_ENTRY = """\
  - code: SITE_CODE
    title: A site-specific code
    category: configuration
    severity: warning
    audience: [admin]
    meaning: Something our site logs.
    steps: [Do the site thing.]
    examples: ["SITE_CODE happened"]
"""


def write(tmp_path: Path, body: str, name: str = "site.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


BAD_ENTRIES = [
    ("category: configuration", "category: token", "SITE_CODE", "category 'token' is not one of"),
    ("    title: A site-specific code\n", "", "SITE_CODE", "missing required key 'title'"),
    ("severity: warning", "severty: warning", "SITE_CODE", "unknown key 'severty'"),
    ("audience: [admin]", "audience: [everyone]", "SITE_CODE", "audience 'everyone'"),
    ("steps: [Do the site thing.]", "steps: {a: b}", "SITE_CODE", "'steps' must be a list"),
    ('examples: ["SITE_CODE happened"]', "examples: []", "SITE_CODE", "needs at least one example"),
    ("severity: warning", "severity: warning\n    patterns: ['(unclosed']", "SITE_CODE", "not a valid regular"),
    ("severity: warning", "severity: warning\n    benign: true", "SITE_CODE", "benign_condition"),
    ("severity: warning", "severity: warning\n    benign: maybe", "SITE_CODE", "'benign' must be true or false"),
    ("severity: warning", "severity: warning\n    event_id: 77", "SITE_CODE", "needs a 'provider'"),
    ("severity: warning", "severity: warning\n    related: [NO_SUCH]", "SITE_CODE", "related 'NO_SUCH'"),
    ("severity: warning", "severity: warning\n    doc_links: [http://x]", "SITE_CODE", "https://"),
    ("severity: warning", "severity: warning\n    slug: Bad Slug", "SITE_CODE#Bad Slug", "slug 'Bad Slug'"),
    ("code: SITE_CODE", "code: NPS-REASON-999", "NPS-REASON-999", "needs 'reason_code: 999'"),
    ("code: SITE_CODE", "code: 9LIVES", "9LIVES", "must start with a letter"),
    ("title: A site-specific code", "title: |\n      two\n      lines", "SITE_CODE", "single line"),
]


@pytest.mark.parametrize(("old", "new", "entry", "message"), BAD_ENTRIES)
def test_schema_errors_name_file_and_entry(tmp_path: Path, old: str, new: str, entry: str, message: str) -> None:
    assert old in GOOD_ENTRY
    path = write(tmp_path, "entries:\n" + GOOD_ENTRY.replace(old, new))
    with pytest.raises(CatalogError) as info:
        load_catalog([path])
    err = info.value
    assert err.file == str(path)
    assert err.entry == entry
    assert message in err.message
    assert "\n" not in str(err) and str(err).startswith(f"{path}: entry {entry}: ")


def test_unnamed_entry_is_named_by_position(tmp_path: Path) -> None:
    path = write(tmp_path, "entries:\n" + GOOD_ENTRY + "  - just a string\n")
    with pytest.raises(CatalogError) as info:
        load_catalog([path])
    assert (info.value.file, info.value.entry) == (str(path), "#2")


@pytest.mark.parametrize(
    ("body", "entry", "message"),
    [
        ("entries:\n\t- code: X\n", None, "YAML error at line 2, column 1"),
        ("entries:\n" + GOOD_ENTRY + "    title: twice\n", None, "duplicate key 'title'"),
        ("entrys: []\n", None, "unknown top-level key 'entrys'"),
        ("42\n", None, "must hold a mapping"),
        ("entries: {code: X}\n", None, "'entries' must be a list"),
        ("entries:\n" + GOOD_ENTRY + GOOD_ENTRY, "SITE_CODE", "duplicate id in the same file"),
        (
            "entries:\n" + GOOD_ENTRY.replace("code: SITE_CODE", "code: SITE_CODE\n    slug: a")
            + GOOD_ENTRY.replace("code: SITE_CODE", "code: SITE_CODE\n    slug: b"),
            "SITE_CODE#b",
            "none without 'slug'",
        ),
        ("entries:\n  - code: NOT_THERE\n    merge: true\n", "NOT_THERE", "no earlier entry has this id"),
        ("entries:\n" + GOOD_ENTRY.replace("code: SITE_CODE", "code: SITE_CODE\n    reason_code: 21"),
         "SITE_CODE", "reason_code 21 is already used by NPS-REASON-21"),
    ],
)  # fmt: skip
def test_file_level_errors(tmp_path: Path, body: str, entry: str | None, message: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(CatalogError) as info:
        load_catalog([path])
    assert info.value.file == str(path)
    assert info.value.entry == entry
    assert message in info.value.message


def test_missing_or_empty_user_paths(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no such catalog file"):
        load_catalog([tmp_path / "nope.yaml"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(CatalogError, match=r"holds no \.yaml"):
        load_catalog([tmp_path / "empty"])


# --------------------------------------------------------------------------------- extend and override


def test_user_catalog_adds_replaces_and_merges(tmp_path: Path) -> None:
    builtin = load_catalog()
    replacement = GOOD_ENTRY.replace("code: SITE_CODE", "code: UserNotFound").replace(
        "A site-specific code", "Our own words for UserNotFound"
    )
    merge = """\
  - code: IP_WHITE_LIST_WARNING
    merge: true
    category: not-an-error
    severity: info
"""
    path = write(tmp_path, "entries:\n" + GOOD_ENTRY + replacement + merge)
    cat = load_catalog([path])
    assert len(cat) == len(builtin) + 1
    assert cat.version == builtin.version + "+user"
    assert str(path) in cat.sources
    added = cat.get("SITE_CODE")
    assert added is not None and added.source_file == str(path) and added.family == "site"
    replaced = cat.get("UserNotFound")
    assert replaced.title == "Our own words for UserNotFound" and replaced.messages == ()
    assert [e.id for e in cat].index("UserNotFound") == [e.id for e in builtin].index("UserNotFound")
    merged = cat.get("IP_WHITE_LIST_WARNING")
    original = builtin.get("IP_WHITE_LIST_WARNING")
    assert (merged.category, merged.severity) == ("not-an-error", "info")
    assert merged.title == original.title and merged.examples == original.examples
    assert merged.family == original.family and merged.source_file == str(path)
    assert cat.match("SITE_CODE", "SITE_CODE happened") is added


def test_user_folder_is_read_in_name_order_later_files_win(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    write(folder, "entries:\n" + GOOD_ENTRY.replace("A site-specific code", "first"), "10-a.yaml")
    write(folder, "- code: SITE_CODE\n  merge: true\n  title: second\n", "20-b.yml")
    (folder / "notes.txt").write_text("not a catalog", encoding="utf-8")
    cat = load_catalog([folder])
    assert cat.get("SITE_CODE").title == "second"
    assert [Path(s).name for s in cat.sources[-2:]] == ["10-a.yaml", "20-b.yml"]


def test_user_entries_can_add_a_message_variant_to_a_builtin_code(tmp_path: Path) -> None:
    variant = """\
  - code: REGISTRY_CONFIG_ERROR
    slug: resource-hostname
    patterns: ['key:\\s*AZURE_MFA_RESOURCE_HOSTNAME']
    title: AZURE_MFA_RESOURCE_HOSTNAME missing
    category: configuration
    severity: critical
    audience: [admin]
    meaning: The MFA resource host is not configured.
    steps: [Rerun the configuration script.]
    examples: ["ErrorCode:: REGISTRY_CONFIG_ERROR Msg:: ... for key: AZURE_MFA_RESOURCE_HOSTNAME"]
"""
    cat = load_catalog([write(tmp_path, "entries:\n" + variant)])
    found = cat.match("REGISTRY_CONFIG_ERROR", "found for key: AZURE_MFA_RESOURCE_HOSTNAME")
    assert found.id == "REGISTRY_CONFIG_ERROR#resource-hostname"
    assert cat.match("REGISTRY_CONFIG_ERROR", "found for key: TENANT_ID").id == "REGISTRY_CONFIG_ERROR#required-value"
    assert cat.match("REGISTRY_CONFIG_ERROR", "found for key: LDAP_LOOKUP_FORESTS").id == "REGISTRY_CONFIG_ERROR"
    # the built-in example that names AZURE_MFA_RESOURCE_HOSTNAME now resolves to the user's entry: --check reports it
    assert any(entry_id == "REGISTRY_CONFIG_ERROR" for _, entry_id, _ in cat.check_examples())


# ------------------------------------------------------------------------------------------- packaging


def test_builtin_folder_is_found_and_holds_version_and_files() -> None:
    folder = builtin_catalog_dir()
    names = {p.name for p in folder.iterdir()}
    assert "VERSION" in names and "README.md" in names
    assert {"extension-errors.yaml", "mfa-responses.yaml", "nps-reason-codes.yaml"} <= names


def test_packaged_copy_is_preferred_over_the_source_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a wheel the catalog is nps_trace_analyzer/_catalog; the loader must use it when present."""
    packaged = tmp_path / "pkg" / "_catalog"
    packaged.mkdir(parents=True)
    (packaged / "VERSION").write_text("9.9-packaged\n", encoding="utf-8")
    write(packaged, "entries:\n" + GOOD_ENTRY, "only.yaml")
    monkeypatch.setattr(catalog_loader.importlib.resources, "files", lambda _pkg: tmp_path / "pkg")
    cat = load_catalog()
    assert cat.version == "9.9-packaged"
    assert [e.id for e in cat] == ["SITE_CODE"]


def test_pyproject_ships_the_catalog_inside_the_package() -> None:
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    force_include = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert force_include.get("catalog") == "nps_trace_analyzer/_catalog"


def test_check_examples_requires_an_entrys_own_patterns_to_match(tmp_path: Path) -> None:
    """A single-entry code resolves whatever the text: its examples are only a test when held to its patterns."""
    with_pattern = GOOD_ENTRY.replace("severity: warning", "severity: warning\n    patterns: ['(?i)site thing \\d+']")
    good = load_catalog([write(tmp_path, "entries:\n" + with_pattern.replace("SITE_CODE happened", "site thing 7"))])
    assert [p for p in good.check_examples() if p[1] == "SITE_CODE"] == []
    bad = load_catalog([write(tmp_path, "entries:\n" + with_pattern, "bad.yaml")])
    problems = [p for p in bad.check_examples() if p[1] == "SITE_CODE"]
    assert [problem.split(":")[0] for _, _, problem in problems] == ["example matches none of the entry's patterns"]
