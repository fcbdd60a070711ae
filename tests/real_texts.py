"""Scoring of the real event texts in tests/data/real_texts/ (shared by the test and by before/after runs).

Kept free of pytest so that the same scoring can be run against another checkout of the package
(``PYTHONPATH=<checkout> python tests/real_texts.py``) to compare versions on the same texts.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data" / "real_texts" / "azuremfa.yaml"


def load_cases() -> list[dict[str, Any]]:
    """Every recorded real text with its source and conclusion."""
    return list(yaml.safe_load(DATA.read_text(encoding="utf-8"))["texts"])


def event_for(text: str, level: int = 4) -> Any:
    """The text as the one Data string of an AuthZOptCh event (how an exported .evtx delivers it)."""
    from nps_trace_analyzer.core.model import Event

    return Event(
        time=datetime(2024, 1, 1, tzinfo=timezone.utc),
        source_file="AuthZOptCh.evtx",
        channel="AuthZOptCh",
        provider="Microsoft-AzureMfa-AuthZ",
        event_id=1,
        level=level,
        record_id=1,
        computer="NPS01",
        data=((None, text),),
        text=text,
    )


def problems(case: dict[str, Any], findings: list[Any]) -> list[str]:
    """How the findings of one case differ from what its source concluded (empty: diagnosed as concluded)."""
    codes = {f.code for f in findings}
    out = [f"missing {code}" for code in case.get("codes", []) if code not in codes]
    if case.get("any_of") and not codes & set(case["any_of"]):
        out.append(f"none of {case['any_of']}")
    out += [f"unexpected {code}" for code in case.get("not", []) if code in codes]
    attrs: dict[str, str] = {}
    for finding in findings:
        for key in ("user", "cid"):
            if key in finding.attrs:
                attrs.setdefault(key, finding.attrs[key])
    for key in ("user", "cid"):
        if key in case and attrs.get(key) != case[key]:
            out.append(f"{key} is {attrs.get(key)!r}, expected {case[key]!r}")
    return out


def score() -> tuple[int, int, dict[str, list[str]]]:
    """(diagnosed as concluded, total, problems by case id) with the package found on sys.path."""
    from nps_trace_analyzer.analysis.findings import findings_for
    from nps_trace_analyzer.catalog import load_catalog

    catalog = load_catalog()
    failed: dict[str, list[str]] = {}
    cases = load_cases()
    for case in cases:
        found = list(findings_for(event_for(case["text"], case.get("level", 4)), catalog))
        if issues := problems(case, found):
            failed[case["id"]] = issues
    return len(cases) - len(failed), len(cases), failed


if __name__ == "__main__":
    ok, total, failed = score()
    for case_id, issues in failed.items():
        print(f"{case_id}: {'; '.join(issues)}")
    print(f"{ok}/{total} real texts diagnosed as their source concluded")
    sys.exit(0)
