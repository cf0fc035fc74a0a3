"""Fixtures for the lab tests: a lab on a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sprmon.lab import Lab, run_lab
from tests.lab.helpers import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Short on purpose: a Unix socket path must fit in 107 bytes.
    return tmp_path_factory.mktemp("st")


@pytest.fixture
async def lab(clock: FakeClock, state_dir: Path, tmp_path: Path) -> AsyncIterator[Lab]:
    async with run_lab(
        sites=3,
        seed=7,
        clock=clock,
        state_dir=state_dir,
        intent_path=tmp_path / "intent.yaml",
    ) as running:
        yield running
