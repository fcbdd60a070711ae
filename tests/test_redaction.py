"""``--redact``: no identifier the generator wrote survives in any output byte, and the diagnosis is unchanged.

The identifiers are taken from the generator itself (its fictional world, the bundle plan's events and wire
attempts), not from a hand-written list, so a new user, NAS or address added to a scenario is checked too. Each is
searched in every file of the report folder as UTF-8, UTF-16-LE and URL-encoded bytes, case-insensitively, catalog
text included: the catalog's examples use documentation names only (checked here too), so nothing is cut out.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from click.testing import CliRunner

from nps_trace_analyzer.cli import main
from nps_trace_analyzer.report.output_dir import MARKER_NAME
from nps_trace_analyzer.report.pseudonym import Pseudonyms
from nps_trace_analyzer.report.redact import Redactor
from nps_trace_analyzer.synth.bundle import (
    DEFAULT_DAY,
    BundlePlan,
    build_bundle,
    expected_path,
    generate_bundle,
    split_host,
)
from nps_trace_analyzer.synth.scenarios import SCENARIOS, world

NAMES = [s.name for s in SCENARIOS]
CATALOG_DIR = Path(__file__).resolve().parents[1] / "catalog"
# Catalog fields a report, `catalog show` or the docs print (examples are inputs for tests, never printed).
_SHOWN_CATALOG_FIELDS = ("title", "meaning", "steps", "doc_links", "benign_condition")
# Names reserved for documentation: RFC 2606 / RFC 6761 domains, RFC 5737 and RFC 3849 address blocks, and the
# DOMAIN\user placeholder. A catalog example may use only these, so that it never reads like a customer's name.
_RESERVED_DOMAINS = ("example.com", "example.net", "example.org", "example", "test", "invalid", "localhost")
_RESERVED_NETS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
# Code in catalog steps that the host-name detector takes for a name, and nobody reading it would: PowerShell
# properties, Microsoft Graph permission names, a wildcard of Microsoft's notification host.
_CATALOG_CODE_WORDS = frozenset(
    {
        "$sp.Id",
        "VersionInfo.FileVersion",
        "Application.Read.All",
        "Application.ReadWrite.All",
        "adnotifications.windowsazure.*",
    }
)
_CATALOG_SEPARATORS = re.compile(r"[\s;,=()<>\"'`|\[\]{}]+")
_MAC = re.compile(r"[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}")
# Security-event fields the generator fills with per-attempt identifiers (the world module has no list of them).
_GENERATED_FIELDS = ("CallingStationID", "CalledStationID", "ClientName", "ClientIPAddress", "NASIdentifier")


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _identifying(value: str) -> bool:
    """Whether a generator value names something (not ``-``, not a protocol constant like ``UserAuthType:PW``)."""
    v = value.strip()
    if v in ("", "-") or v.startswith("UserAuthType") or v == "(not a RADIUS client)":
        return False
    return True


def originals(plan: BundlePlan, host: str) -> set[str]:
    """Every user, domain, host, NAS, address, station, SID and tenant id the generator put into ``plan``."""
    short, computer = split_host(host)
    found: set[str] = {short, computer, world.NETBIOS_DOMAIN, world.DNS_DOMAIN, world.DOMAIN_SID, world.TENANT_ID}
    found |= {world.NPS_ADDRESS, world.DNS_SERVER, *world.DOMAIN_CONTROLLERS, *world.ENDPOINT_ADDRESSES.values()}
    for user in (*world.POOL, *world.SPECIAL.values()):
        found |= {user.name, user.sam, user.qualified, user.sid}
        if "@" in user.name:
            found.add(user.name.rsplit("@", 1)[1])  # the UPN suffix is the organisation's DNS domain
    for nas in world.NAS_CLIENTS.values():
        found |= {v for v in (nas.friendly, nas.ip, nas.nas_ip, nas.nas_id, nas.called) if _identifying(v)}
    for attempt in plan.attempts:
        found |= {attempt.user, attempt.sam}
    for specs in (*plan.files.values(), *plan.eventlog_text.values()):
        for spec in specs:
            found.add(spec.computer)
            for name, value in spec.event_data or ():
                if name in _GENERATED_FIELDS and _identifying(value):
                    found.add(value)
    found |= {part for v in list(found) if ":" in v and _MAC.match(v) for part in v.split(":", 1)}
    return {v for v in found if _identifying(v)}


def _forms(value: str) -> Iterable[bytes]:
    lower = value.lower()
    yield lower.encode("utf-8")
    yield lower.encode("utf-16-le")
    encoded = quote(lower, safe="").encode("ascii")
    if encoded != lower.encode("utf-8"):
        yield encoded
    if _MAC.fullmatch(value):  # the other separator spelling of a MAC address
        yield lower.replace("-", ":").encode() if "-" in lower else lower.replace(":", "-").encode()


def reserved_example(token: str) -> bool:
    """Whether an identifier-shaped ``token`` is a name reserved for documentation (see _RESERVED_DOMAINS)."""
    token = token.strip(".:")
    if "\\" in token:
        return token.split("\\", 1)[0] == "DOMAIN"
    host = token.rsplit("@", 1)[-1].lower()
    try:
        return any(ipaddress.ip_address(host) in net for net in _RESERVED_NETS)
    except ValueError:
        return any(host == d or host.endswith("." + d) for d in _RESERVED_DOMAINS)


def identifiers_redaction_would_replace(text: str) -> list[str]:
    """The pieces of ``text`` the redactor replaces (users, hosts, addresses, ids), found with its own detectors."""
    redactor = Redactor(Pseudonyms.key_from_text("catalog check"))
    tokens = (t.strip(":.") for t in _CATALOG_SEPARATORS.split(text))  # "CID :<guid>", "at the end."
    return [t for t in tokens if t and redactor.text(t) != t]


def test_catalog_examples_are_reserved_example_names() -> None:
    """Catalog text is kept verbatim by --redact: an example in it must not look like a customer's user, host or
    address, or a reader of a redacted report would take it for a leak. Only documentation names may appear."""
    found = []
    for path in sorted(CATALOG_DIR.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")).get("entries", []):
            for field in _SHOWN_CATALOG_FIELDS:
                value = entry.get(field) or []
                for text in [value] if isinstance(value, str) else value:
                    found_here = identifiers_redaction_would_replace(text)
                    bad = [t for t in found_here if not reserved_example(t) and t not in _CATALOG_CODE_WORDS]
                    found += [f"{path.name} {entry['code']} {field}: {t}" for t in bad]
    assert not found, "\n".join(found)
    # The check can fail: the detectors see a customer-looking example, and pass a reserved one.
    assert identifiers_redaction_would_replace("for example alice@contoso.com at 10.0.0.1") == [
        "alice@contoso.com",
        "10.0.0.1",
    ]
    assert all(map(reserved_example, ["user@example.com", "192.0.2.10", "DOMAIN\\user", "nps.corp.example"]))
    assert not any(map(reserved_example, ["alice@contoso.com", "10.0.0.1", "CONTOSO\\bob", "example.com.evil"]))


def _strings(doc: object) -> Iterable[str]:
    """Every string of a JSON document, keys included."""
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for k, v in doc.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from _strings(v)


def leaks(folder: Path, secrets: set[str]) -> list[str]:
    problems = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes().lower()
        for secret in sorted(secrets):
            for form in _forms(secret):
                if form in data:
                    at = data.index(form)
                    context = data[max(0, at - 60) : at + len(form) + 60].decode("utf-8", "replace")
                    problems.append(f"{path.name}: {secret!r} in …{context}…")
                    break
    return problems


def _analyze_redacted(bundle: Path, out: Path, *extra: str) -> dict:
    result = CliRunner().invoke(main, ["analyze", "-q", "--redact", *extra, str(bundle), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", NAMES)
def test_scenario_redacted(name: str, tmp_path: Path) -> None:
    kwargs = dict(seed=11, host="NPS01", day=DEFAULT_DAY, healthy=6)
    bundle = generate_bundle(tmp_path / name, [name], **kwargs)
    plan = build_bundle([name], **kwargs)
    secrets = originals(plan, "NPS01")
    out = tmp_path / "report"
    doc = _analyze_redacted(bundle, out)
    found = leaks(out, secrets)
    assert not found, "\n".join(found[:30])
    # Redaction rewrites names, never the diagnosis: the same primary codes, categories and benign flags.
    expected = json.loads(expected_path(bundle).read_text(encoding="utf-8"))["incidents"]
    got = sorted((i["primary_code"], i["category"], i["benign"]) for i in doc["incidents"])
    assert got == sorted((e["primary_code"], e["category"], e["benign"]) for e in expected)
    assert doc["redacted"] is True
    assert sorted(p.name for p in out.iterdir()) == [
        MARKER_NAME,
        "events.csv",
        "findings.json",
        "incidents.csv",
        "report.html",
        "summary.md",
    ]


def test_all_scenarios_redacted_with_map(tmp_path: Path) -> None:
    kwargs = dict(seed=5, host="NPS02.corp.example.org", day=DEFAULT_DAY, healthy=40)
    bundle = generate_bundle(tmp_path / "all", ["all"], **kwargs)
    secrets = originals(build_bundle(["all"], **kwargs), "NPS02.corp.example.org")
    out, mapping = tmp_path / "report", tmp_path / "private" / "map.json"
    mapping.parent.mkdir()
    _analyze_redacted(bundle, out, "--redact-key", "case-4711", "--redact-map", str(mapping))
    assert not leaks(out, secrets)
    table = json.loads(mapping.read_text(encoding="utf-8"))
    # Nothing in the redacted report reads like a customer's name: every piece the redactor would replace is a
    # pseudonym (a key of the map) or a documentation example of the catalog text the report quotes.
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    pieces = {t for text in _strings(doc) for t in identifiers_redaction_would_replace(text)}
    assert pieces & set(table) and any(map(reserved_example, pieces)), "the check must see both kinds"
    unexplained = {t for t in pieces if t not in table and not reserved_example(t) and t not in _CATALOG_CODE_WORDS}
    assert not unexplained
    # The map undoes the redaction: every original identifier that was replaced can be looked up.
    assert secrets & set(table.values())
    assert all(k != v for k, v in table.items())
    # The same key gives the same pseudonyms on a second run (cases can be compared).
    out2 = tmp_path / "report2"
    _analyze_redacted(bundle, out2, "--redact-key", "case-4711")
    assert (out / "incidents.csv").read_bytes() == (out2 / "incidents.csv").read_bytes()


def test_without_key_pseudonyms_differ_per_run(tmp_path: Path) -> None:
    bundle = generate_bundle(tmp_path / "b", ["user-not-found"], seed=3, host="NPS01", day=DEFAULT_DAY, healthy=4)
    a = _analyze_redacted(bundle, tmp_path / "a")
    b = _analyze_redacted(bundle, tmp_path / "b-out")
    assert a["servers"] != b["servers"]


def test_map_inside_report_folder_is_refused(tmp_path: Path) -> None:
    bundle = generate_bundle(tmp_path / "b", ["user-not-found"], seed=3, host="NPS01", day=DEFAULT_DAY, healthy=4)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["analyze", "-q", str(bundle), "-o", str(out), "--redact-map", str(out / "map.json")]
    )
    assert result.exit_code == 2
    assert "map" in result.output
    assert not (out / "map.json").exists()


def test_no_map_unless_asked(tmp_path: Path) -> None:
    bundle = generate_bundle(tmp_path / "b", ["user-not-found"], seed=3, host="NPS01", day=DEFAULT_DAY, healthy=4)
    before = set(tmp_path.rglob("*"))
    _analyze_redacted(bundle, tmp_path / "out")
    created = {p for p in set(tmp_path.rglob("*")) - before if p.is_file()}
    assert {p.parent for p in created} == {tmp_path / "out"}


def test_detectors_and_kept_values() -> None:
    r = Redactor(Pseudonyms.key_from_text("k"))
    r.learn("nas", "Citrix ADC")
    r.learn("user", "CONTOSO\\bwilliams")
    text = (
        "User p.o'brien@contoso.com via Citrix ADC (10.10.1.20, fe80::1c2d:3e4f:5a6b:7c8d, 00-11-22-33-44-55) "
        "as CONTOSO\\bwilliams / bwilliams, SID S-1-5-21-1390067357-1202383924-3154316512-1104, "
        "tenant 6f1c4d2e-8b3a-4e5f-9a7b-2c3d4e5f6a7b, host NPS01.contoso.local; kept: S-1-5-18, "
        "981f26a1-7f43-403b-a875-f8b09b8cd720, login.microsoftonline.com, ESTS_TOKEN_ERROR, "
        "Wrong code entered\\OATH Code Incorrect, HKLM\\SOFTWARE\\Microsoft\\AzureMfa, Security.evtx, "
        "2025-03-12T13:04:00.171427Z, 127.0.0.1"
    )
    out = r.text(text)
    for secret in (
        "o'brien",
        "contoso",
        "Citrix",
        "10.10.1.20",
        "fe80",
        "00-11-22",
        "bwilliams",
        "1390067357",
        "6f1c4d2e",
        "NPS01",
    ):
        assert secret.lower() not in out.lower(), (secret, out)
    for kept in (
        "S-1-5-18",
        "981f26a1-7f43-403b-a875-f8b09b8cd720",
        "login.microsoftonline.com",
        "ESTS_TOKEN_ERROR",
        "Wrong code entered\\OATH Code Incorrect",
        "HKLM\\SOFTWARE\\Microsoft\\AzureMfa",
        "Security.evtx",
        "2025-03-12T13:04:00.171427Z",
        "127.0.0.1",
        "-1104",
    ):
        assert kept in out, (kept, out)
    # Consistent: the same value gives the same pseudonym in another string; the kind shows in the pseudonym.
    assert r.text("bwilliams") in out and r.text("bwilliams").startswith("user-")
    assert r.text("10.10.1.20").startswith("ip-") and r.text("Citrix ADC").startswith("nas-")
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-0[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", r.text("6f1c4d2e-8b3a-4e5f-9a7b-2c3d4e5f6a7b")
    )
    # A pseudonym is never rewritten again (one pass): redacting twice changes nothing more.
    assert r.text(out) == out


def test_pseudonyms_do_not_depend_on_learning_order() -> None:
    facts = [("nas", "VPN-GW01"), ("host", "vpn-gw01"), ("user", "CONTOSO\\bob"), ("station", "bob")]
    text = "VPN-GW01 vpn-gw01 CONTOSO\\bob bob"
    results = set()
    for order in (facts, facts[::-1], facts[1:] + facts[:1]):
        r = Redactor(Pseudonyms.key_from_text("k"))
        for kind, value in order:
            r.learn(kind, value)
        results.add(r.text(text))
    assert len(results) == 1


def _terminal_leaks(text: str, secrets: set[str]) -> list[str]:
    lower = text.lower()
    return [
        f"{secret!r} in: {line}" for secret in sorted(secrets) for line in lower.splitlines() if secret.lower() in line
    ]


def test_progress_and_summary_lines_name_nothing_the_report_redacts(tmp_path: Path) -> None:
    """What ``analyze --redact`` prints (progress on stderr, the summary) can be pasted into the same ticket as the
    report: input names such as ``NPS01_AuthZOptCh.evtx`` are announced without their name while reading (nothing
    is learned yet) and redacted like the report's inputs table in the summary; one bundle and several."""
    kwargs = dict(seed=3, day=DEFAULT_DAY, healthy=4)
    bundles = tmp_path / "bundles"
    first = generate_bundle(bundles / "first", ["user-not-found"], host="NPS01", **kwargs)
    generate_bundle(bundles / "second", ["user-not-found"], host="NPS02", **kwargs)
    secrets = originals(build_bundle(["user-not-found"], host="NPS01", **kwargs), "NPS01")
    secrets |= originals(build_bundle(["user-not-found"], host="NPS02", **kwargs), "NPS02")
    assert any("NPS01" in p.name for p in first.iterdir()), "the check needs a host name inside a file name"
    for inputs, out in (([first], tmp_path / "one"), ([bundles], tmp_path / "several")):
        result = CliRunner().invoke(main, ["analyze", "--redact", "--jobs", "1", *map(str, inputs), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert not _terminal_leaks(result.output, secrets), "\n".join(_terminal_leaks(result.output, secrets))
        assert "reading a file (name redacted) (evtx, " in result.stderr
    # Without --redact the same run names its files (the check above can fail).
    plain = CliRunner().invoke(main, ["analyze", "--jobs", "1", str(first), "-o", str(tmp_path / "plain")])
    assert "NPS01_AuthZOptCh.evtx" in plain.stderr
