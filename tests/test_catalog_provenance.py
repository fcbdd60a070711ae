"""Provenance (issue #15): every built-in entry says where its facts come from, and invented examples are
marked synthetic. Also the schema of ``source`` / ``examples_synthetic`` and the file-level default."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest

from nps_trace_analyzer.catalog import CatalogError, load_catalog
from nps_trace_analyzer.catalog.schema import SOURCE_KINDS, source_kind
from nps_trace_analyzer.cli.catalog import format_entry

CATALOG = load_catalog()


@pytest.mark.parametrize("entry", CATALOG.entries, ids=lambda e: e.id)
def test_every_builtin_entry_names_its_sources(entry) -> None:  # type: ignore[no-untyped-def]
    """Including the entries of files added later (aadsts tables): a file-level ``source:`` covers them."""
    assert entry.source, f"{entry.id} ({entry.source_file}) has no 'source'"
    assert {source_kind(item) for item in entry.source} <= set(SOURCE_KINDS)


def test_provenance_kinds_are_all_in_use_and_examples_are_split() -> None:
    kinds = Counter(source_kind(item) for entry in CATALOG.entries for item in entry.source)
    assert {"doc", "technet", "kb", "observed", "inferred"} <= set(kinds), kinds
    synthetic = sum(len(e.synthetic_examples) for e in CATALOG.entries)
    sourced = sum(len(e.sourced_examples) for e in CATALOG.entries)
    assert synthetic and sourced
    for entry in CATALOG.entries:
        assert set(entry.sourced_examples) | set(entry.synthetic_examples) == set(entry.examples)


@pytest.mark.parametrize("code", ["InternalError", "VersionNotSupported", "MFAPinNotSetup"])
def test_invented_support_examples_are_synthetic(code: str) -> None:
    entry = CATALOG.get(code)
    assert entry is not None and entry.examples and not entry.sourced_examples
    assert any(source_kind(item) == "inferred" for item in entry.source)


def test_entries_with_a_sourced_example_name_where_it_was_seen() -> None:
    """An example under ``examples`` is a real text: the entry must cite an observation or a doc."""
    for entry in CATALOG.entries:
        if entry.sourced_examples:
            kinds = {source_kind(item) for item in entry.source}
            assert kinds & {"observed", "doc"}, entry.id


def test_explain_shows_provenance_and_marks_synthetic_examples() -> None:
    text = format_entry(CATALOG.get("InternalError"))
    assert "Where these facts come from:" in text and "inferred:" in text
    assert "(synthetic)" in text
    real = format_entry(CATALOG.get("ESTS_TOKEN_ERROR"))
    assert "observed: MicrosoftDocs/azure-docs#40977" in real
    payload = CATALOG.get("ESTS_TOKEN_ERROR").to_dict()
    assert payload["source"] and payload["examples"] and payload["examples_synthetic"]


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


ENTRY = """\
  - code: SITE_CODE
    title: A site-specific code
    category: configuration
    severity: warning
    audience: [admin]
    meaning: Something our site logs.
    steps: [Do the site thing.]
    examples_synthetic: ["SITE_CODE happened"]
"""


def test_file_level_source_is_inherited_and_an_entry_may_replace_it(tmp_path: Path) -> None:
    other = ENTRY.replace("SITE_CODE", "SITE_OTHER") + "    source: [observed]\n"
    path = write(tmp_path, "source:\n  - doc: contoso/wiki/nps.md@2025-06\nentries:\n" + ENTRY + other)
    cat = load_catalog([path])
    assert cat.get("SITE_CODE").source == ("doc: contoso/wiki/nps.md@2025-06",)
    assert cat.get("SITE_OTHER").source == ("observed",)
    assert cat.get("SITE_CODE").synthetic_examples == ("SITE_CODE happened",)


def test_merge_keeps_the_provenance_of_the_entry_it_changes(tmp_path: Path) -> None:
    body = "source: [inferred]\nentries:\n  - code: CONTACT_SUPPORT\n    merge: true\n    severity: info\n"
    path = write(tmp_path, body)
    merged = load_catalog([path]).get("CONTACT_SUPPORT")
    assert merged.severity == "info" and merged.source == CATALOG.get("CONTACT_SUPPORT").source


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    source: [hearsay]\n", "must start with one of"),
        ("    source: ['doc: wiki page']\n", "must look like 'doc:"),
        ("    source: ['kb: 5040268']\n", "must look like 'kb: KB<number>'"),
        ("    source: ['technet']\n", "must look like 'technet:"),
        ("    examples: ['SITE_CODE happened']\n", "in both 'examples' and 'examples_synthetic'"),
    ],
)
def test_bad_provenance_is_a_clear_error(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog([write(tmp_path, "entries:\n" + ENTRY + extra)])
    assert info.value.entry == "SITE_CODE" and message in info.value.message


def test_bad_file_level_source_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "source: [rumour]\nentries:\n" + ENTRY)
    with pytest.raises(CatalogError) as info:
        load_catalog([path])
    assert info.value.file == str(path) and "top-level source 'rumour'" in info.value.message


def test_an_entry_without_any_example_is_refused(tmp_path: Path) -> None:
    body = ENTRY.replace('    examples_synthetic: ["SITE_CODE happened"]\n', "")
    with pytest.raises(CatalogError, match="needs at least one example"):
        load_catalog([write(tmp_path, "entries:\n" + body)])
