"""Every catalog example runs through the real extractor: the entry's code must come out of its own
example text, and the catalog must resolve that code in that text back to the very same entry.

NPS reason codes, Security and System events are not AzureMfa texts: their examples only go through
``Catalog.match``. Derived entries (CHALLENGE_NO_RESULT) are summaries the pipeline writes, not log texts.
"""

from __future__ import annotations

import pytest

from nps_trace_analyzer.catalog import Entry, load_catalog
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
