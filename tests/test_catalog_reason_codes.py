"""The NPS reason-code entries held against a committed copy of Microsoft's reason-code table.

tests/data/nps-reason-codes.tsv lists the codes the TechNet "NPS Reason Codes" pages document, a short
name per code and a phrase quoted from each description. A catalog entry that drifts from it (a missing
or extra code, a meaning shifted to the neighbouring number, a quoted text that is not the source's)
fails here: issue #15 found 293-300 shifted by one to three places.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nps_trace_analyzer.catalog import Entry, load_catalog
from nps_trace_analyzer.catalog.schema import source_kind
from nps_trace_analyzer.catalog.textmatch import normalize

TABLE = Path(__file__).parent / "data" / "nps-reason-codes.tsv"


def read_table() -> dict[int, tuple[str, str]]:
    """code -> (short name, quoted phrase); comment lines start with '#'."""
    rows: dict[int, tuple[str, str]] = {}
    for number, line in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        assert len(fields) == 3, f"line {number}: expected code, short_name, phrase"
        code, name, phrase = int(fields[0]), fields[1].strip(), fields[2].strip()
        assert code not in rows, f"line {number}: code {code} twice"
        assert name and phrase, f"line {number}: empty field"
        rows[code] = (name, phrase)
    return rows


TABLE_ROWS = read_table()
CATALOG = load_catalog()
REASON_ENTRIES: dict[int, Entry] = {e.reason_code: e for e in CATALOG.entries if e.reason_code is not None}


def test_table_copy_is_well_formed_and_cites_its_sources() -> None:
    header = TABLE.read_text(encoding="utf-8")
    for page in ("dd197464", "dd197521", "dd197582", "dd197508"):
        assert page in header
    assert list(TABLE_ROWS) == sorted(TABLE_ROWS)
    names = [name for name, _ in TABLE_ROWS.values()]
    assert len(names) == len(set(names)), "short names must be unique"
    assert {293, 294, 295, 296, 297, 298, 299, 300} <= set(TABLE_ROWS)


def test_every_documented_code_has_its_entry() -> None:
    missing = sorted(set(TABLE_ROWS) - set(REASON_ENTRIES))
    assert not missing, f"codes of the source table without a catalog entry: {missing}"


@pytest.mark.parametrize("code", sorted(TABLE_ROWS))
def test_entry_carries_the_source_name_and_quotes_the_source(code: int) -> None:
    name, phrase = TABLE_ROWS[code]
    entry = REASON_ENTRIES[code]
    assert entry.source_name == name, f"{entry.id}: source_name {entry.source_name!r}, table says {name!r}"
    assert any(source_kind(item) == "technet" for item in entry.source), f"{entry.id} does not cite TechNet"
    quoted = [normalize(m) for m in entry.messages]
    assert any(normalize(phrase) in m for m in quoted), f"{entry.id}: no documented message contains {phrase!r}"


def test_entries_outside_the_table_do_not_claim_technet() -> None:
    """A reason code TechNet does not describe (19, 71) must say where its text comes from instead."""
    for code, entry in REASON_ENTRIES.items():
        if code in TABLE_ROWS:
            continue
        kinds = {source_kind(item) for item in entry.source}
        assert "technet" not in kinds and not entry.source_name, entry.id
        assert kinds, f"{entry.id} has no source"


def test_the_check_fails_on_a_shifted_meaning() -> None:
    """The test above is not vacuous: 293 quoting 294's text (the issue #15 shift) is caught."""
    name_293, phrase_293 = TABLE_ROWS[293]
    shifted = REASON_ENTRIES[294].messages
    assert not any(normalize(phrase_293) in normalize(m) for m in shifted)
    assert REASON_ENTRIES[294].source_name != name_293
