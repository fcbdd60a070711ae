"""The template cache of the AzureMfa reading gives exactly what the uncached reading gives, and stays bounded.

Every AzureMfa event of every generated scenario and layout (with its named Data), every real text, the catalog's
examples and the extractor's own test texts are read with the cache and without. Each is read several times with
its GUIDs and addresses swapped for others — same shape, other shapes, upper case, glued to other words, the
nil GUID, words the grammar reads ("user", "the", codes) — in a shuffled order, so plans made from one event are
applied to others of the same skeleton. The results must be equal, field by field and in order.
"""

from __future__ import annotations

import random
import re
import sys
import tracemalloc
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from nps_trace_analyzer.analysis.findings import _azuremfa_outcome
from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.catalog.textmatch import normalize
from nps_trace_analyzer.extract import templates
from nps_trace_analyzer.synth.bundle import build_bundle
from nps_trace_analyzer.synth.scenarios.world import LAYOUTS

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))
from real_texts import load_cases  # noqa: E402

_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_ADDRESS = re.compile(r"[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}")
Data = tuple[tuple[str | None, str], ...]


def _events() -> list[tuple[str, Data]]:
    """(text, data) of every event we hold: generated scenarios in every layout, real and example texts."""
    out: list[tuple[str, Data]] = []
    for layout in LAYOUTS:
        plan = build_bundle(["all"], seed=3, host="NPS01", day=date(2026, 3, 12), healthy=3, layout=layout)
        for spec in (s for specs in plan.files.values() for s in specs):
            if spec.event_data:
                data = tuple((n, v) for n, v in spec.event_data)
                out.append((" ".join(v for n, v in data if v and n != "Binary"), data))
    texts = [case["text"] for case in load_cases()]
    texts += [ex for entry in load_catalog([]).entries for ex in entry.examples]
    for path in TESTS.glob("test_extract*.py"):
        texts += [m.group(1) for m in re.finditer(r'"((?:[^"\\\n]|\\.){20,})"', path.read_text(encoding="utf-8"))]
    out += [(text, ((None, text),)) for text in texts]
    assert len(out) > 400
    return sorted(set(out))


def _new_guid(rng: random.Random, old: str) -> str:
    roll = rng.random()
    new = str(uuid.UUID(int=rng.getrandbits(128)))
    if roll < 0.05:
        return "00000000-0000-0000-0000-000000000000"
    if roll < 0.1:
        return new.upper()
    if roll < 0.15:
        return "981f26a1-7f43-403b-a875-f8b09b8cd720"  # the MFA client's application id
    if roll < 0.2:
        return "x" + new
    if roll < 0.3:
        return old  # keep: equal slots stay equal
    return new


_LOCALS = ("user", "the", "alice", "bob.smith", "UserNotFound", "ESTS_TOKEN_ERROR", "a", "user00001", "x-y", "for")


def _new_address(rng: random.Random, old: str) -> str:
    roll = rng.random()
    domain = rng.choice(("contoso.com", "fabrikam.co.uk", "a.b", "contoso.com.", "Contoso.com", "x-y.org"))
    if roll < 0.3:
        return f"{rng.choice(_LOCALS)}@{domain}"
    if roll < 0.5:  # the same shape: letters for letters, digits for digits
        return "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz")
            if c.isalpha() and c.islower()
            else rng.choice("0123456789")
            if c.isdigit()
            else c
            for c in old
        )
    if roll < 0.6:
        return old.upper()
    if roll < 0.7:
        return f"{uuid.UUID(int=rng.getrandbits(128))}@{domain}"
    return f"{''.join(rng.choice('abcdefgh0123456789') for _ in range(rng.randrange(1, 12)))}@{domain}"


def _swapped(value: str, swaps: dict[str, str], rng: random.Random) -> str:
    """``value`` with its addresses and GUIDs replaced, the same old word always by the same new word."""

    def swap(m: re.Match[str], maker: Any) -> str:
        word = m.group(0)
        if word not in swaps:
            swaps[word] = maker(rng, word)
        return swaps[word]

    value = _ADDRESS.sub(lambda m: swap(m, _new_address), value)
    return _GUID.sub(lambda m: swap(m, _new_guid), value)


def _variants(text: str, data: Data, rng: random.Random, count: int) -> list[tuple[str, Data]]:
    """The event with its GUIDs and addresses swapped consistently across its text and Data."""
    out = []
    for _ in range(count):
        swaps: dict[str, str] = {}
        new_data = tuple((n, _swapped(v, swaps, rng)) for n, v in data)
        out.append((_swapped(text, swaps, rng), new_data))
    return out


def _outcome_list(outcome: Any) -> Any:
    fixed, strings = outcome
    return fixed, list(strings.items())


def test_cached_reading_equals_the_grammar() -> None:
    catalog = load_catalog()

    def compute(text: str, data: Any, trace: Any) -> Any:
        return _azuremfa_outcome(text, data, trace, catalog)

    cache = templates.TemplateCache(compute)
    rng = random.Random(12)
    work: list[tuple[str, Data, bool]] = []
    for text, data in _events():
        for variant_text, variant_data in [(text, data), (text, data), *_variants(text, data, rng, 6)]:
            work.append((variant_text, variant_data, False))
            if rng.random() < 0.1:
                work.append((variant_text, variant_data, True))
    rng.shuffle(work)
    for text, data, trace in work:
        assert _outcome_list(cache(text, data, trace)) == _outcome_list(compute(text, data, trace)), (text, data)
    # The cache was really used: plans made from one event served others of the same skeleton.
    assert cache.hits > len(work) // 8, (cache.hits, cache.misses, len(work))


def test_probe_check_refuses_a_skeleton_whose_reading_depends_on_the_words() -> None:
    """A computation that looks inside a masked word is never served from a plan."""
    calls = []

    def compute(text: str, data: Any, extra: Any) -> Any:
        calls.append(text)
        return (), {"first": text.split("@")[0][-1:]}  # the last letter before "@": depends on the address

    cache = templates.TemplateCache(compute)
    for local in ("alice", "bobby", "carol", "dave1", "erin2"):
        text = f"for User {local}@contoso.com with state"
        assert cache(text, ((None, text),)) == compute(text, ((None, text),), None)
    assert cache.hits == 0


def test_the_cache_stays_bounded_on_all_distinct_sentences() -> None:
    catalog = load_catalog()
    cache = templates.TemplateCache(lambda t, d, x: _azuremfa_outcome(t, d, x, catalog), max_skeletons=64)
    tracemalloc.start()
    try:
        for i in range(3000):
            word = f"word{i}"
            text = f"NPS Extension for Azure MFA: CID: {uuid.uuid4()} : {word} {word} for User u{i}@contoso.com"
            outcome = cache(text, ((None, text),))
            assert outcome[1].get("user") == f"u{i}@contoso.com"
            assert len(cache.seen) <= 64 and len(cache.plans) <= 64
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert cache.hits == 0
    assert peak < 8 * 1024 * 1024


def test_texts_the_cache_does_not_mask_are_read_by_the_grammar() -> None:
    words: list[str] = []
    for text in (
        "CID: EC99108D-DB5B-5FAB-8F4D-3E27DDA1494C for User a@b.com",  # upper-case GUID
        "for User Alice@Contoso.com",  # upper-case address
        "x-ec99108d-db5b-5fab-8f4d-3e27dda1494c",  # glued GUID
        "for User a+b@contoso.com",  # an address the grammar reads from a wider start
        "bad \x00 mark",
    ):
        cache = templates.TemplateCache(lambda t, d, x: ((), {"t": t}))
        assert cache._key(text, ((None, text),), None) is None, text
    skeleton = templates.mask("CID: ec99108d-db5b-5fab-8f4d-3e27dda1494c for User user01@contoso.com", words)
    assert "ec99108d" not in skeleton and "user01" not in skeleton
    assert words == ["ec99108d-db5b-5fab-8f4d-3e27dda1494c", "user01@contoso.com"]


def test_no_documented_message_can_reach_into_a_guid() -> None:
    """The GUID key keeps only whether the GUID starts with a letter (see the module docstring): a documented
    message that begins or ends with a word of hex letters could be found across a GUID's edge, and the cache would
    not see it. None does; a catalog change that adds one fails here."""
    catalog = load_catalog()
    hex_word = re.compile(r"[0-9a-f]+")
    words_of_codes = catalog.token_codes()
    checked = 0
    for entry in catalog.entries:
        if entry.code not in words_of_codes:
            continue
        for message in entry.messages:
            # A {0} placeholder matches lazily, so the message's first and last literal words are its edges.
            words = [w for w in re.split(r"[^0-9a-z]+", re.sub(r"\{\d+\}", " ", normalize(message))) if w]
            assert not hex_word.fullmatch(words[0]) and not hex_word.fullmatch(words[-1]), (entry.code, message)
            checked += 1
    assert checked > 40


def test_words_read_across_a_slot_edge_are_in_the_key() -> None:
    """ "Access Rejected for user@contoso.com": the verdict pattern reads the address's first word as "user"."""
    catalog = load_catalog()

    def compute(text: str, data: Any, trace: Any) -> Any:
        return _azuremfa_outcome(text, data, trace, catalog)

    cache = templates.TemplateCache(compute)
    sentence = "NPS Extension for Azure MFA: Access Rejected for {} with Azure MFA response: UserNotFound"
    for local in ("bobo", "cdcd", "bobo", "user", "user", "the", "usera", "bobo", "user"):
        text = sentence.format(f"{local}@contoso.com")
        assert _outcome_list(cache(text, ((None, text),))) == _outcome_list(compute(text, ((None, text),), None))
    assert cache.hits >= 1
