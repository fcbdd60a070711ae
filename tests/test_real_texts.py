"""Real NPS-extension texts (user posts, blogs, Microsoft's documentation; see the data file for each source)
are diagnosed as their source concluded: codes, user and CID, nothing invented."""

from __future__ import annotations

from typing import Any

import pytest

from nps_trace_analyzer.analysis.findings import findings_for
from nps_trace_analyzer.catalog import load_catalog
from tests.real_texts import event_for, load_cases, problems

CATALOG = load_catalog()
CASES = load_cases()


def test_enough_distinct_real_texts() -> None:
    texts = {case["text"] for case in CASES}
    assert len(texts) == len(CASES) >= 30
    assert all(case.get("source") and case.get("concluded") for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_real_text_is_diagnosed_as_its_source_concluded(case: dict[str, Any]) -> None:
    found = list(findings_for(event_for(case["text"], case.get("level", 4)), CATALOG))
    assert not problems(case, found), [(f.code, f.attrs.get("user"), f.attrs.get("cid")) for f in found]
