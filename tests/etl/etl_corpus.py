"""Shared helpers for the ETL tests: where the public corpus lives, skipping cleanly when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
CORPUS_ETL = SHARED / "corpus" / "etl"


def corpus_etl_files() -> list[Path]:
    """All .etl files of the corpus (empty when the corpus is not next to the repository)."""
    if not CORPUS_ETL.is_dir():
        return []
    return sorted(CORPUS_ETL.glob("*.etl"))


def corpus_file(name: str) -> Path:
    """One corpus file, or skip the calling test with a reason."""
    path = CORPUS_ETL / name
    if not path.is_file():
        pytest.skip(reason=f"corpus file {name} not found (../shared/corpus/etl is absent)")
    return path
