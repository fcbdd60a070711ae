"""Damaged inputs never raise: seeded byte mutations of every text fixture through every text reader.

The readers promise "count and warn, never a traceback" (bundles are copied from live, dirty systems); this
walks a few thousand deterministic mutations (flips, inserts, deletions, truncations) through decoding,
the wevtutil, NPS-log and registry parsers, pairing, evidence conversion and the configuration checks.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from nps_trace_analyzer.analysis.config_checks import check_before_after
from nps_trace_analyzer.sources.iaslog import pair_requests, parse_nps_log, to_events
from nps_trace_analyzer.sources.nps_eventlog_text import parse_wevtutil_text
from nps_trace_analyzer.sources.regdump import authsrv_parameters, azuremfa_values, parse_registry_text
from nps_trace_analyzer.sources.text_decode import TextReadStats, decode_bytes
from tests.mutations import mutate

DATA = Path(__file__).resolve().parents[1] / "data" / "text"
FIXTURES = sorted(p for p in DATA.rglob("*") if p.is_file())
MUTATIONS = 150


def test_fixtures_exist() -> None:
    assert len(FIXTURES) >= 15


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_mutations_never_raise(path: Path) -> None:
    rng = random.Random(path.name)
    raw = path.read_bytes()
    for _ in range(MUTATIONS):
        text = decode_bytes(mutate(raw, rng)).text
        stats = TextReadStats()
        events = list(parse_wevtutil_text(text, path.name, stats))
        assert stats.records_read == len(events) + stats.records_skipped
        stats = TextReadStats()
        records = list(parse_nps_log(text, path.name, stats))
        assert stats.records_skipped <= stats.records_read
        transactions = pair_requests(records)
        assert sum((t.request is not None) + (t.response is not None) for t in transactions) == len(records)
        assert len(list(to_events(records))) == len(records)
        dump = parse_registry_text(text, TextReadStats())
        azure, authsrv = azuremfa_values(dump), authsrv_parameters(dump)
        check_before_after(azure, authsrv, azure, authsrv)
