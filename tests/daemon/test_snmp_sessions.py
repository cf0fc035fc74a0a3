"""The daemon's SNMP sessions: one socket and one secret read per site, kept between polls.

Each test polls the lab's real agents through :class:`SnmpCollector` with a
client whose secret resolver counts its reads.
"""

from __future__ import annotations

import dataclasses
import resource
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sprmon.collector.client import SnmpClient
from sprmon.daemon.collector import PollRequest
from sprmon.daemon.snmp import SnmpCollector, kept_sessions_limit
from sprmon.intentfile import LoadedIntent, load_config
from sprmon.inventory import RouterAccess, SecretRef
from sprmon.lab import Lab, run_lab
from sprmon.secrets import Secret, resolve_secret
from sprmon.service import intent_prefixes

pytestmark = pytest.mark.peer

SITE = "site-001"


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    async with run_lab(
        sites=2, seed=5, intent_path=tmp_path / "lab" / "intent.yaml", control=False
    ) as running:
        yield running


class CountingResolver:
    """Reads secrets as the daemon does, counting the reads."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self, ref: SecretRef) -> Secret:
        self.reads += 1
        return resolve_secret(ref)


def loaded(lab: Lab) -> LoadedIntent:
    assert lab.intent_path is not None
    return load_config(lab.intent_path)


async def poll_ok(collector: SnmpCollector, intent: LoadedIntent, access: RouterAccess) -> None:
    site = next(s for s in intent.intent.sites if s.name == SITE)
    # The BGP table and the counter watch are left out: the sessions are what is tested.
    request = PollRequest(prefixes=intent_prefixes(intent.intent), bgp_table=False)
    result = await collector.poll(site, access, request)
    assert result.failure is None, result.observation.error
    assert result.observation.interfaces


async def test_polls_of_a_site_read_its_secret_once_and_reuse_its_session(lab: Lab) -> None:
    intent = loaded(lab)
    resolver = CountingResolver()
    async with (
        SnmpClient(resolve=resolver) as client,
        SnmpCollector(client=client) as collector,
    ):
        access = intent.inventory.access(SITE)
        for _ in range(3):
            await poll_ok(collector, intent, access)
        assert resolver.reads == 1


async def test_a_target_of_another_load_of_the_intent_reads_the_secret_again(lab: Lab) -> None:
    intent = loaded(lab)
    resolver = CountingResolver()
    async with (
        SnmpClient(resolve=resolver) as client,
        SnmpCollector(client=client) as collector,
    ):
        await poll_ok(collector, intent, intent.inventory.access(SITE))
        # A reload (SIGHUP) parses the file again: equal targets, new objects.
        reloaded = loaded(lab)
        await poll_ok(collector, reloaded, reloaded.inventory.access(SITE))
        await poll_ok(collector, reloaded, reloaded.inventory.access(SITE))
        assert resolver.reads == 2


async def test_a_changed_target_gets_a_new_session(lab: Lab) -> None:
    intent = loaded(lab)
    resolver = CountingResolver()
    async with (
        SnmpClient(resolve=resolver) as client,
        SnmpCollector(client=client) as collector,
    ):
        access = intent.inventory.access(SITE)
        await poll_ok(collector, intent, access)
        assert access.snmp is not None
        changed = dataclasses.replace(
            access, snmp=dataclasses.replace(access.snmp, timeout_s=access.snmp.timeout_s + 1)
        )
        await poll_ok(collector, intent, changed)
        assert resolver.reads == 2


async def test_a_forgotten_site_closes_its_session(lab: Lab) -> None:
    intent = loaded(lab)
    resolver = CountingResolver()
    async with (
        SnmpClient(resolve=resolver) as client,
        SnmpCollector(client=client) as collector,
    ):
        access = intent.inventory.access(SITE)
        await poll_ok(collector, intent, access)
        collector.forget(SITE)
        await poll_ok(collector, intent, access)
        assert resolver.reads == 2


async def test_past_the_kept_sessions_limit_a_site_gets_a_session_per_poll(lab: Lab) -> None:
    intent = loaded(lab)
    resolver = CountingResolver()
    async with (
        SnmpClient(resolve=resolver) as client,
        SnmpCollector(client=client, max_kept_sessions=0) as collector,
    ):
        access = intent.inventory.access(SITE)
        for _ in range(3):
            await poll_ok(collector, intent, access)
        assert resolver.reads == 3


def test_the_kept_sessions_limit_leaves_file_descriptors_for_the_rest() -> None:
    limit = kept_sessions_limit()
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert 0 <= limit < soft or soft == resource.RLIM_INFINITY
