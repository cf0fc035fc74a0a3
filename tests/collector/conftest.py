"""Shared setup for the SNMP collector tests."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sprmon.collector.client import V2cBackend
from sprmon.collector.poller import SitePollStats, SnmpPoller, SnmpSite
from sprmon.core.observed import SiteObservation
from sprmon.core.prefixes import Prefix
from tests.peers.sites import COMMUNITY, COMMUNITY_ENV, PollOne


@pytest.fixture
def community(monkeypatch: pytest.MonkeyPatch) -> str:
    """The community, put where the test sites' SecretRef points."""
    monkeypatch.setenv(COMMUNITY_ENV, COMMUNITY)
    return COMMUNITY


@pytest.fixture
def poll_one() -> PollOne:
    """Poll one site with a fresh poller: ``await poll_one(site, prefixes, backend=...)``."""

    async def poll(
        site: SnmpSite,
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
