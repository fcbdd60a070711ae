"""A catalog file's ``defaults:``: keys every entry of the file shares, written once (catalog/README.md)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from nps_trace_analyzer.catalog import CatalogError, load_catalog

DEFAULTS = """\
defaults:
  category: configuration
  severity: error
  audience: [admin]
  steps: [Shared step.]
  examples: ["site said {code} today"]
"""
TWO_ENTRIES = """\
entries:
  - code: SITE_ONE
    title: First site code
    meaning: The first one.
  - code: SITE_TWO
    title: Second site code
    category: connectivity
    meaning: The second one.
    examples: ["its own example"]
"""


def write(tmp_path: Path, body: str, name: str = "site.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_defaults_fill_missing_keys_and_entries_override_them(tmp_path: Path) -> None:
    cat = load_catalog([write(tmp_path, DEFAULTS + TWO_ENTRIES)])
    one, two = cat.get("SITE_ONE"), cat.get("SITE_TWO")
    assert (one.category, one.severity, one.audience, one.steps) == (
        "configuration",
        "error",
        ("admin",),
        ("Shared step.",),
    )
    assert one.examples == ("site said SITE_ONE today",)  # {code} is the entry's own code
    assert two.category == "connectivity" and two.examples == ("its own example",)
    assert two.steps == one.steps
    assert cat.check_examples() == []


def test_without_defaults_the_keys_stay_required(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="missing required key 'category'"):
        load_catalog([write(tmp_path, TWO_ENTRIES)])


@pytest.mark.parametrize(
    ("defaults", "message"),
    [
        ("defaults: [category]\n", "'defaults' must be a mapping"),
        ("defaults:\n  catgory: configuration\n", "'defaults' has unknown key 'catgory'"),
        ("defaults:\n  code: X\n", "'defaults' may not set 'code'"),
        ("defaults:\n  slug: x\n", "'defaults' may not set 'slug'"),
        ("defaults:\n  merge: true\n", "'defaults' may not set 'merge'"),
    ],
)
def test_bad_defaults_name_the_file(tmp_path: Path, defaults: str, message: str) -> None:
    path = write(tmp_path, defaults + TWO_ENTRIES)
    with pytest.raises(CatalogError) as info:
        load_catalog([path])
    assert info.value.file == str(path) and info.value.entry is None
    assert message in info.value.message


def test_defaults_values_are_validated_like_entry_values(tmp_path: Path) -> None:
    path = write(tmp_path, DEFAULTS.replace("configuration", "token") + TWO_ENTRIES)
    with pytest.raises(CatalogError, match="category 'token' is not one of") as info:
        load_catalog([path])
    assert info.value.entry == "SITE_ONE"


def test_merge_entries_take_no_defaults(tmp_path: Path) -> None:
    """``merge: true`` changes only the keys it names, so the file's defaults must not leak into it."""
    body = DEFAULTS + "entries:\n  - code: UserNotFound\n    merge: true\n    severity: warning\n"
    builtin = load_catalog().get("UserNotFound")
    merged = load_catalog([write(tmp_path, body)]).get("UserNotFound")
    assert merged.severity == "warning"
    assert (merged.category, merged.steps, merged.examples) == (builtin.category, builtin.steps, builtin.examples)
