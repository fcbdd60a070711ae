"""Real NPS-extension, Security and System texts and NPS accounting-log lines (user posts, blogs, Microsoft's
documentation, tool repositories; see the data files for each source) are diagnosed as their source concluded:
codes, user, CID, the NPS decision and the rows read, nothing invented."""

from __future__ import annotations

from typing import Any

import pytest

from nps_trace_analyzer.catalog import load_catalog
from tests.real_texts import findings_of, load_cases, problems

CATALOG = load_catalog()
CASES = load_cases()


def test_enough_distinct_real_texts() -> None:
    texts = {case["text"] for case in CASES}
    assert len(texts) == len(CASES) >= 60
    assert all(case.get("source") and case.get("concluded") for case in CASES)


def _param(case: dict[str, Any]) -> Any:
    """A case the analyzer cannot diagnose yet is an expected failure that must fail (strict): when it is fixed,
    the test says so and the ``known_gap`` note is removed from the data file."""
    marks = [pytest.mark.xfail(reason=case["known_gap"], strict=True)] if case.get("known_gap") else []
    return pytest.param(case, id=case["id"], marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_real_text_is_diagnosed_as_its_source_concluded(case: dict[str, Any]) -> None:
    events, found = findings_of(case, CATALOG)
    assert not problems(case, found, events), [(f.code, f.attrs.get("user"), f.attrs.get("cid")) for f in found]
