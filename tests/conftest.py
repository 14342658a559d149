"""Shared test fixtures."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures" / "lava-dl-0.6.0"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """lava-dl 0.6.0 ground truth (../shared/fixtures/lava-dl-0.6.0 beside the repo)."""
    if not (FIXTURES / "tiny.net").is_file():
        pytest.skip(f"lava-dl fixtures not found at {FIXTURES}")
    return FIXTURES
