"""Fixtures for the lab tests: a lab on a clock the test moves."""

from __future__ import annotations

import sys
from pathlib import Path

# tests/peers (Net-SNMP tool helpers) and tests/lab/helpers.py are imported as
# ``tests.…`` from the repository root, which pytest's default import mode does
# not put on sys.path by itself.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from collections.abc import AsyncIterator  # noqa: E402

import pytest  # noqa: E402

from sprmon.lab import Lab, run_lab  # noqa: E402
from tests.lab.helpers import FakeClock  # noqa: E402


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
