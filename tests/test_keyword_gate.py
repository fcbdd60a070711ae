"""The keyword gate before the AzureMfa marker patterns changes no result.

Every text we hold — the catalog's examples (real texts where public), the extractor's test texts, every
AzureMfa event of every generated scenario and layout — and mutations of them (keywords re-cased, cut, glued,
with look-alike Unicode) is extracted with the gate on and off; the two results must be equal. A second check asks
each gated pattern directly: whenever it matches a text, its literal is there.
"""

from __future__ import annotations

import random
import re
from datetime import date
from pathlib import Path

import pytest

from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.extract import azuremfa
from nps_trace_analyzer.extract.mfa_result import AADSTS_RE
from nps_trace_analyzer.synth.bundle import build_bundle
from nps_trace_analyzer.synth.scenarios.world import LAYOUTS

TESTS = Path(__file__).resolve().parent
GATED = {
    azuremfa.MSG_MARK_RE: "Msg",
    azuremfa.WARNING_CODE_RE: "_WARNING",
    AADSTS_RE: "AADSTS",
    azuremfa.REGISTRY_KEY_RE: "key",
}


def _texts() -> list[str]:
    texts = [ex for entry in load_catalog([]).entries for ex in entry.examples]
    for path in TESTS.glob("test_extract*.py"):  # string literals of the extractor's own tests
        texts += [m.group(1) for m in re.finditer(r'"((?:[^"\\\n]|\\.){20,})"', path.read_text(encoding="utf-8"))]
    for layout in LAYOUTS:
        plan = build_bundle(["all"], seed=2, host="NPS01", day=date(2026, 3, 12), healthy=3, layout=layout)
        for spec in (s for specs in plan.files.values() for s in specs):
            if spec.event_data:
                texts.append(" ".join(v for _n, v in spec.event_data if v))
            if "message" in spec.extra:
                texts.append(spec.extra["message"])
    assert len(texts) > 300
    return sorted(set(texts))


def _mutations(text: str, rng: random.Random) -> list[str]:
    out = [text, text.upper(), text.lower(), text.swapcase()]
    for keyword in set(GATED.values()):
        out.append(text.replace(keyword, keyword.upper()))
        out.append(text.replace(keyword, keyword[:-1]))
        out.append(text.replace(keyword, keyword.replace("s", "\u017f").replace("k", "\u212a")))  # ſ, Kelvin K
    cut = rng.randrange(len(text) + 1)
    out += [text[:cut], text[cut:], text[:cut] + text[cut + 5 :]]
    return out


def test_gate_changes_no_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    checked = 0
    for text in _texts():
        for variant in _mutations(text, rng):
            gated = azuremfa.extract_azuremfa(variant)
            with monkeypatch.context() as m:
                m.setattr(azuremfa, "KEYWORD_GATE", False)
                assert gated == azuremfa.extract_azuremfa(variant), variant
            checked += 1
    assert checked > 5000


def test_every_gated_pattern_needs_its_literal() -> None:
    rng = random.Random(9)
    for text in _texts():
        for variant in _mutations(text, rng):
            for pattern, literal in GATED.items():
                if pattern.search(variant):
                    assert literal in variant, (pattern.pattern, variant)
