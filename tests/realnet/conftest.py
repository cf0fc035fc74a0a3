"""Fixtures for the real-router tests: one FRR network per test module.

Building the network takes a few seconds, so a module shares one; every
fault a test injects is an async context manager that undoes itself, and
``steady`` waits, before each test, until FRR and snmpd are back in the
designed steady state, so a test never starts from the previous one's
leftovers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from sprmon.intentfile import load_config
from sprmon.realpeers.frr import FrrWan, frr_wan
from tests.realnet.realnet_support import Observer


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def wan(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FrrWan]:
    """Two branches, core-mpls and core-inet, converged; removed after the module."""
    logs = tmp_path_factory.mktemp("frr-logs")
    async with frr_wan(sites=2, keep_logs_in=logs) as network:
        yield network


@pytest.fixture(scope="module")
def observer(wan: FrrWan, tmp_path_factory: pytest.TempPathFactory) -> Observer:
    intent_path = wan.write_intent(tmp_path_factory.mktemp("frr-intent") / "intent.yaml")
    return Observer(wan, load_config(intent_path), intent_path)


@pytest_asyncio.fixture(loop_scope="module")
async def steady(wan: FrrWan) -> None:
    await wan.wait_steady(timeout_s=30)
