"""Seeded fuzz over mutated .evtx, .etl, zip and text logs: no traceback, bounded time, nothing lost silently.

Every case takes one file of the demo bundle (or a text fixture, or the demo zip), damages it with the shared
mutations (tests/mutations.py) and runs intake plus the file's reader directly (no report writing), asserting:

- no reader raises (the pipeline's "internal error" safety net would hide it in a real run);
- each file is done within ``PER_FILE_SECONDS`` (generous: CI machines are shared);
- for .evtx, ``records_read + records_lost`` covers every record id that the chunk headers with a valid signature
  and a sane range announce (computed here independently of ``sources/evtx_layout.py``).

CI runs ``CASES`` seeded cases (a few seconds). For a longer local run:
``NPS_FUZZ_CASES=3000 NPS_FUZZ_SEED=7 python -m pytest -q tests/reliability/test_fuzz_inputs.py -s``
(``-s`` prints the figures: files, total seconds, slowest file).
"""

from __future__ import annotations

import os
import random
import shutil
import struct
import time
from pathlib import Path

from nps_trace_analyzer.intake import open_bundle
from nps_trace_analyzer.sources.readers import Collector, reader_for
from tests.mutations import damage, mutate
from tests.reliability.helpers import DEMO

CASES = int(os.environ.get("NPS_FUZZ_CASES", "300"))
SEED = int(os.environ.get("NPS_FUZZ_SEED", "20261130"))
PER_FILE_SECONDS = 20.0
TEXT_FIXTURES = sorted(p for p in (Path(__file__).resolve().parents[1] / "data" / "text").rglob("*") if p.is_file())
SOURCES = [
    *sorted(DEMO.glob("*.evtx")),
    *sorted(DEMO.glob("*.etl")),
    DEMO.with_suffix(".zip"),
    *sorted(p for p in DEMO.iterdir() if p.suffix in (".log", ".txt")),
    *TEXT_FIXTURES,
]


def _announced_ids(data: bytes) -> set[int]:
    """Record ids announced by chunk headers that carry the ElfChnk signature and a plausible range."""
    ids: set[int] = set()
    for offset in range(4096, len(data) - 40, 65536):
        if data[offset : offset + 8] != b"ElfChnk\x00":
            continue
        first, last = struct.unpack_from("<QQ", data, offset + 24)
        if 0 < first <= last and last - first < 2709:
            ids.update(range(first, last + 1))
    return ids


def _mutated(source: Path, rng: random.Random) -> bytes:
    raw = source.read_bytes()
    if source.suffix in (".evtx", ".etl", ".zip") or rng.random() < 0.5:
        return damage(raw, rng)[0]
    return mutate(raw, rng)


def test_fuzzed_inputs_never_raise_stay_bounded_and_account_for_evtx_records(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    slowest = (0.0, "")
    total_start = time.perf_counter()
    evtx_with_loss = 0
    for case in range(CASES):
        source = rng.choice(SOURCES)
        folder = tmp_path / f"case{case:05d}"
        folder.mkdir()
        target = folder / source.name
        target.write_bytes(_mutated(source, rng))
        start = time.perf_counter()
        with open_bundle([target]) as bundle:
            for inp in bundle.files:
                reader = reader_for(inp.kind)
                if reader is None:
                    assert inp.kind in ("zip", "skipped", "empty", "unknown", "text", "cab") and (
                        inp.reason or inp.kind in ("zip", "text")
                    ), f"case {case} ({source.name}): {inp.name} dropped without a reason"
                    continue
                try:
                    for _event in reader(inp, Collector()):
                        pass
                except Exception as exc:  # any exception is the failure this test looks for
                    where = f"case {case} seed {SEED}: {source.name} -> {inp.name}"
                    raise AssertionError(f"{where} raised {exc!r}") from exc
                if inp.kind == "evtx":
                    announced = _announced_ids(Path(inp.path).read_bytes())
                    assert inp.records_read + inp.records_lost >= len(announced), (
                        f"case {case} seed {SEED}: {inp.name} read {inp.records_read}, reported lost "
                        f"{inp.records_lost}, headers announce {len(announced)}"
                    )
                    evtx_with_loss += inp.records_lost > 0
        elapsed = time.perf_counter() - start
        slowest = max(slowest, (elapsed, f"case {case}: {source.name}"))
        assert elapsed < PER_FILE_SECONDS, f"case {case} seed {SEED}: {source.name} took {elapsed:.1f}s"
        shutil.rmtree(folder)
    total = time.perf_counter() - total_start
    print(f"\nfuzz: {CASES} files, {total:.1f}s, slowest {slowest[0]:.2f}s ({slowest[1]}), {evtx_with_loss} with loss")
    if CASES >= 60:
        assert evtx_with_loss > 0, "no case exercised the loss accounting: the mutations are too weak"
