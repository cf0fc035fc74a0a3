"""Shared setup for the SNMP collector tests."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

# tests/peers is shared with other test folders and bench/; it is imported as
# ``tests.peers`` from the repository root, which pytest's default import mode
# does not put on sys.path by itself.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from sprmon.collector.poller import SitePollStats, SnmpPoller  # noqa: E402
from sprmon.collector.snmp_client import V2cBackend  # noqa: E402
from sprmon.core.intent import Site  # noqa: E402
from sprmon.core.observed import SiteObservation  # noqa: E402
from sprmon.core.prefixes import Prefix  # noqa: E402
from tests.peers.sites import COMMUNITY, COMMUNITY_ENV, PollOne  # noqa: E402


@pytest.fixture
def community(monkeypatch: pytest.MonkeyPatch) -> str:
    """The community, put where the test sites' SecretRef points."""
    monkeypatch.setenv(COMMUNITY_ENV, COMMUNITY)
    return COMMUNITY


@pytest.fixture
def poll_one() -> PollOne:
    """Poll one site with a fresh poller: ``await poll_one(site, prefixes, backend=...)``."""

    async def poll(
        site: Site,
        prefixes: Sequence[Prefix] = (),
        *,
        backend: V2cBackend = "native",
        **options: object,
    ) -> tuple[SiteObservation, SitePollStats]:
        async with SnmpPoller(v2c_backend=backend, **options) as poller:  # type: ignore[arg-type]
            result = await poller.poll_with_stats([site], prefixes)
        (observation,) = result.snapshot.observations
        (stats,) = result.stats
        return observation, stats

    return poll
