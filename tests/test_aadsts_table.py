"""Microsoft's AADSTS table is in the catalog: every code has an entry of its own, and ``explain`` answers for it.

``tests/data/aadsts-codes.txt`` is a committed copy of the table's code column (source and commit at its top), so
the test runs offline and fails when a code of it has no entry of its own, the family fallback (``AADSTS``, any
number) does not count.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nps_trace_analyzer.catalog import Catalog, load_catalog
from nps_trace_analyzer.cli.catalog import format_entry
from nps_trace_analyzer.extract.azuremfa import extract_azuremfa

CODES_FILE = Path(__file__).parent / "data" / "aadsts-codes.txt"
_CODE_LINE = re.compile(r"^AADSTS\d{4,9}$")


def table_codes() -> list[str]:
    """The codes of the committed copy, in the table's order (comment lines skipped)."""
    lines = CODES_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_the_copy_of_the_code_column_is_well_formed() -> None:
    codes = table_codes()
    assert len(codes) >= 340, "the table had 345 distinct codes in February 2025"
    assert [c for c in codes if not _CODE_LINE.match(c)] == []
    assert len(set(codes)) == len(codes)
    header = CODES_FILE.read_text(encoding="utf-8").split("\nAADSTS", 1)[0]
    assert "reference-error-codes.md" in header and re.search(r"commit [0-9a-f]{40}", header)


def test_every_code_of_the_table_has_an_entry_of_its_own(catalog: Catalog) -> None:
    missing = []
    for code in table_codes():
        entry = catalog.match(code)
        if entry is None or entry.is_fallback or entry.code != code:
            missing.append(code)
    assert missing == [], f"AADSTS codes of Microsoft's table with no catalog entry of their own: {missing}"


def test_explain_answers_every_code_of_the_table_with_its_own_entry(catalog: Catalog) -> None:
    """``explain`` resolves its query with Catalog.resolve and prints each entry with format_entry."""
    for code in table_codes():
        entries = catalog.resolve(code)
        assert [e.code for e in entries] == [code], code
        text = format_entry(entries[0])
        assert text.startswith(code) and "What it means:" in text and "What to do:" in text
        assert "Generic:" not in text


def test_no_aadsts_entry_outside_the_table(catalog: Catalog) -> None:
    """Our AADSTS entries come from Microsoft's table (plus the one fallback): no invented codes."""
    known = set(table_codes())
    extra = [e.id for e in catalog if e.code.startswith("AADSTS") and not e.is_fallback and e.code not in known]
    assert extra == []


def test_each_code_has_its_own_title_and_meaning(catalog: Catalog) -> None:
    entries = [catalog.match(code) for code in table_codes()]
    titles = [e.title for e in entries]
    meanings = [e.meaning for e in entries]
    assert len(set(titles)) == len(titles), [t for t in titles if titles.count(t) > 1]
    assert len(set(meanings)) == len(meanings), [m for m in meanings if meanings.count(m) > 1]


def test_examples_nest_their_own_code_where_the_extension_would(catalog: Catalog) -> None:
    """The (synthetic) example of every entry is an ESTS_TOKEN_ERROR text from which the extractor reads the code."""
    for code in table_codes():
        entry = catalog.match(code)
        for example in entry.examples:
            extracted = extract_azuremfa(example)
            assert code in extracted.aadsts, (code, example[:120])
            assert "ESTS_TOKEN_ERROR" in extracted.error_codes, code


def test_categories_follow_the_extension_context(catalog: Catalog) -> None:
    """Spot checks of the category rule: the extension's own sign-in vs one user's state vs other flows."""
    expect = {
        "AADSTS7000112": ("configuration", "critical"),  # its service principal disabled
        "AADSTS700016": ("configuration", "critical"),  # its service principal missing
        "AADSTS90002": ("configuration", "critical"),  # tenant not found
        "AADSTS700027": ("certificate-token", "critical"),
        "AADSTS50013": ("certificate-token", "critical"),
        "AADSTS53003": ("configuration", "critical"),  # Conditional Access for workload identities
        "AADSTS50034": ("directory", "error"),  # user state
        "AADSTS50057": ("directory", "error"),
        "AADSTS50079": ("user-enrollment", "error"),
        "AADSTS50000": ("needs-support", "critical"),  # service side
        "AADSTS90012": ("connectivity", "critical"),
        "AADSTS50126": ("needs-support", "error"),  # the extension never sends a password to Entra ID
        "AADSTS75005": ("needs-support", "error"),  # SAML
    }
    assert {code: (catalog.match(code).category, catalog.match(code).severity) for code in expect} == expect
    for code in table_codes():
        entry = catalog.match(code)
        if entry.category == "needs-support" and entry.severity == "error":
            assert entry.steps[0].startswith("Not expected from the NPS extension"), code


# ------------------------------------------------------------------ a code only the fallback knows says so


def _run(*args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    from nps_trace_analyzer.cli import main

    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_explain_of_a_code_outside_the_table_says_it_is_the_generic_fallback() -> None:
    status, out = _run("explain", "AADSTS99999999")
    assert status == 0
    flat = " ".join(out.split())
    assert flat.startswith("AADSTS99999999 is not in the catalog; generic fallback: what follows is the entry AADSTS ")
    assert "Generic:" in out
    status, out = _run("explain", "AADSTS99999999", "--json")
    payload = json.loads(out)
    assert (payload["in_catalog"], payload["generic"]) == (False, True)
    assert [e["id"] for e in payload["entries"]] == ["AADSTS"] and payload["entries"][0]["generic"] is True


def test_explain_of_a_table_code_is_not_generic() -> None:
    status, out = _run("explain", "AADSTS50034", "--json")
    payload = json.loads(out)
    assert status == 0 and (payload["in_catalog"], payload["generic"]) == (True, False)
    assert payload["entries"][0]["generic"] is False
    status, out = _run("explain", "AADSTS")  # asking for the fallback itself is not a miss
    assert status == 0 and "is not in the catalog" not in out


def test_catalog_json_exposes_generic() -> None:
    status, out = _run("catalog", "--json", "--search", "AADSTS")
    entries = json.loads(out)["entries"]
    assert status == 0 and len(entries) >= 345
    assert [e["id"] for e in entries if e["generic"]] == ["AADSTS"]
