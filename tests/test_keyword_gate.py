"""The keyword gate before the AzureMfa grammar changes no result.

Every text we hold — the catalog's examples (real texts where public), the extractor's test texts, every
AzureMfa event of every generated scenario and layout — and mutations of them (keywords re-cased, cut, glued,
with look-alike Unicode) is extracted with and without the gate; the two results must be equal. A second check
asks each gated pattern directly: whenever it matches a text, its keyword is there.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.extract import azuremfa
from nps_trace_analyzer.synth.bundle import build_bundle
from nps_trace_analyzer.synth.scenarios.world import LAYOUTS

TESTS = Path(__file__).resolve().parent


def _texts() -> list[str]:
    texts = [ex for entry in load_catalog([]).entries for ex in entry.examples]
    for path in TESTS.glob("test_extract*.py"):  # string literals of the extractor's own tests
        texts += [m.group(1) for m in re.finditer(r'"((?:[^"\\\n]|\\.){20,})"', path.read_text(encoding="utf-8"))]
    from datetime import date

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
    for keyword in {keyword for _pattern, keyword, _folds in azuremfa._GATE_ITEMS}:
        out.append(text.replace(keyword, keyword.upper()))
        out.append(text.replace(keyword, keyword[:-1]))
        out.append(text.replace(keyword, keyword.replace("s", "\u017f").replace("k", "\u212a")))  # ſ, Kelvin K
    cut = rng.randrange(len(text) + 1)
    out += [text[:cut], text[cut:], text[:cut] + text[cut + 5 :]]
    return out


def _ungated(text: str, monkeypatch: pytest.MonkeyPatch) -> azuremfa.MfaExtraction:
    with monkeypatch.context() as m:
        m.setattr(azuremfa, "_GATE_ITEMS", ())
        return azuremfa.extract_azuremfa(text)


def test_gate_changes_no_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    checked = 0
    for text in _texts():
        for variant in _mutations(text, rng):
            assert azuremfa.extract_azuremfa(variant) == _ungated(variant, monkeypatch), variant
            checked += 1
    assert checked > 5000


def test_every_gated_pattern_needs_its_keyword() -> None:
    rng = random.Random(9)
    texts = _texts()
    assert len(azuremfa._GATE_ITEMS) >= 5
    for pattern, keyword, folds in azuremfa._GATE_ITEMS:
        assert folds == bool(pattern.flags & re.IGNORECASE)
        for text in texts:
            for variant in _mutations(text, rng):
                if pattern.search(variant):
                    assert keyword in (variant.casefold() if folds else variant), (pattern.pattern, variant)
