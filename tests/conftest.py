"""Shared fixtures: where ``../shared`` is (the public corpus and reference notes), skipping cleanly without it."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """Path under ``../shared``; skips the calling test (with the reason) when it is absent, as in a user's clone."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is only present in the developers' workspace)")
    return path


@pytest.fixture
def corpus_dir() -> Path:
    return shared_path("corpus")


@pytest.fixture
def reference_dir() -> Path:
    return shared_path("reference")


@pytest.fixture(autouse=True, scope="session")
def _catalog_cache_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The parsed-catalog cache (catalog/cache.py) of a test run goes to a temporary folder, not ~/.cache."""
    import os

    os.environ.setdefault("NPS_TRACE_ANALYZER_CACHE", str(tmp_path_factory.mktemp("catalog-cache")))
