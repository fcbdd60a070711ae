"""Seeded byte mutations shared by the damaged-input tests (damaged bundles, text fuzz, the reliability fuzz).

``damage`` is what copying a live log does (a truncation, flipped bits, a zeroed 4 KiB block); ``mutate`` is
finer-grained noise (byte changes, inserts, deletions) for parsers of text.
"""

from __future__ import annotations

import random


def damage(raw: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One of: cut at a random point, up to 200 flipped bits, a 4 KiB block of zeros. Returns (bytes, how)."""
    data = bytearray(raw)
    if not data:
        return b"", "empty"
    how = rng.choice(["truncate", "flip", "zero-block"])
    if how == "truncate":
        del data[rng.randrange(len(data)) :]
    elif how == "flip":
        for _ in range(rng.randint(1, 200)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    else:
        start = rng.randrange(len(data))
        data[start : start + 4096] = bytes(min(4096, len(data) - start))
    return bytes(data), how


def mutate(raw: bytes, rng: random.Random) -> bytes:
    """1-20 byte changes, inserts or deletions, then a truncation in 30 % of cases."""
    data = bytearray(raw)
    for _ in range(rng.randint(1, 20)):
        pos = rng.randrange(len(data)) if data else 0
        op = rng.random()
        if op < 0.4 and data:
            data[pos] = rng.randrange(256)
        elif op < 0.7:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif data:
            del data[pos : pos + rng.randint(1, 50)]
    if rng.random() < 0.3:
        data = data[: rng.randrange(len(data) + 1)]
    return bytes(data)
