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


@pytest.fixture
def single_thread():
    """Tiny tensors: one torch intra-op thread for the test (faster, and immune to a busy
    2-core machine); modules opt in with ``pytest.mark.usefixtures("single_thread")``."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

