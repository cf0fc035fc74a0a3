"""Hostile agents over real UDP on loopback: values past their SMI type's range,
absurd OIDs, endless rows of huge strings, stray malformed datagrams, slow
answers. Each one costs only its own site, within bounded time and memory."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pysnmp.proto import rfc1902

from sprmon.collector.poller import SnmpPoller, SnmpSite, snmp_sites
from sprmon.collector.snmp_collector import CollectOptions
from sprmon.core.intent import Intent
from sprmon.core.observed import Snapshot
from sprmon.core.prefixes import Prefix
from sprmon.intentfile import load_config
from sprmon.lab import Lab, run_lab
from sprmon.snapshot import dump_snapshot, load_snapshot
from sprmon.snmp_oids import BgpPathEntry, BgpPeerEntry, IfEntry, IfXEntry
from tests.peers.bad_agent import (
    Fault,
    router_objects,
    run_bad_agent,
    run_corrupting_proxy,
    unchecked,
)
from tests.peers.sites import PollOne, snmp_site

pytestmark = pytest.mark.peer

BACKENDS = ["native", "pysnmp"]
PEER = "198.51.100.1"
PATHS = [(f"10.0.{n}.0/24", PEER, 100) for n in range(1, 4)]
PEER_INDEX = (198, 51, 100, 1)
PATH_INDEX = (10, 0, 1, 0, 24, *PEER_INDEX)
#: Short, so that a request that only gets malformed answers gives up quickly.
FAST = {"timeout_s": 0.2, "retries": 1}


def _malformed_prefix(address: str) -> str:
    return f"agent {address} sent a malformed SNMP message ("


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_number_past_its_types_range_loses_only_its_table(
    community: str, poll_one: PollOne, backend: str
) -> None:
    # ifSpeed saturated and ifHighSpeed a 130-octet Gauge32: the evaluation
    # used to overflow on it and take every site down.
    objects = router_objects(
        peers=[PEER],
        paths=PATHS,
        replace={
            (*IfEntry.SPEED, 2): rfc1902.Gauge32(4294967295),
            (*IfXEntry.HIGH_SPEED, 2): unchecked(rfc1902.Gauge32, 2**1032),
        },
    )
    async with run_bad_agent(objects) as agent:
        observation, stats = await poll_one(
            snmp_site("r1", agent.host, agent.port, **FAST), backend=backend
        )

    assert observation.error is not None
    assert observation.error.startswith(
        f"interfaces not collected: {_malformed_prefix(agent.address)}"
    )
    assert observation.error.endswith(
        "and no valid answer after 2 tries (timeout 0.2 s); 2 malformed datagrams dropped"
    )
    assert observation.interfaces is None
    assert observation.peers is not None and len(observation.peers) == 1
    assert observation.paths is not None and len(observation.paths) == len(PATHS)
    assert stats.malformed == 2


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_oid_arc_of_two_to_the_16000_is_a_malformed_answer_not_an_internal_error(
    community: str, poll_one: PollOne, backend: str
) -> None:
    objects = router_objects(
        peers=[PEER], paths=PATHS, replace={(*IfXEntry.NAME, 2**16000): rfc1902.OctetString("x")}
    )
    async with run_bad_agent(objects) as agent:
        observation, _ = await poll_one(
            snmp_site("r1", agent.host, agent.port, **FAST), backend=backend
        )

    assert observation.error is not None
    assert "internal error" not in observation.error
    assert observation.error.startswith(
        f"interfaces not collected: {_malformed_prefix(agent.address)}"
    )
    # (The BGP path walk's last request runs on into ifXTable, and loses its table too.)
    assert observation.peers is not None and len(observation.peers) == 1


async def test_what_a_live_poll_keeps_its_snapshot_loader_reads_back(
    community: str, tmp_path: Path
) -> None:
    # Each of these was accepted live and written by --save-snapshot, and the
    # loader then refused the file: now the poll refuses them, and what it keeps
    # is what a snapshot can hold.
    objects = router_objects(
        interfaces=2,
        peers=[PEER],
        paths=PATHS,
        replace={
            (*BgpPathEntry.MED, *PATH_INDEX): unchecked(rfc1902.Integer32, 2**40 + 7),
            (*BgpPeerEntry.REMOTE_AS, *PEER_INDEX): rfc1902.Integer32(-5),
            (*BgpPeerEntry.FSM_ESTABLISHED_TIME, *PEER_INDEX): rfc1902.Integer32(-100),
            (*IfXEntry.HC_IN_OCTETS, 1): unchecked(rfc1902.Counter64, 2**23992),
        },
    )
    async with run_bad_agent(objects) as agent, SnmpPoller() as poller:
        snapshot = await poller.poll([snmp_site("r1", agent.host, agent.port, **FAST)])

    (observation,) = snapshot.observations
    assert observation.error is not None
    for lost in ("interfaces not collected: ", "BGP peers not collected: ", "BGP paths not"):
        assert lost in observation.error
    assert "bgpPeerRemoteAs.198.51.100.1 is -5" in observation.error
    saved = tmp_path / "snapshot.json"
    dump_snapshot(snapshot, saved)
    (loaded,) = load_snapshot(saved).observations
    assert dataclasses.replace(loaded, collected_at=0.0) == dataclasses.replace(
        observation, collected_at=0.0
    )


@pytest.mark.parametrize("backend", BACKENDS)
async def test_established_time_of_ten_to_the_twelve_is_refused(
    community: str, poll_one: PollOne, backend: str
) -> None:
    objects = router_objects(
        peers=[PEER],
        paths=PATHS,
        replace={
            (*BgpPeerEntry.FSM_ESTABLISHED_TIME, *PEER_INDEX): unchecked(rfc1902.Gauge32, 10**12)
        },
    )
    async with run_bad_agent(objects) as agent:
        observation, _ = await poll_one(
            snmp_site("r1", agent.host, agent.port, **FAST), backend=backend
        )

    assert observation.error is not None
    assert observation.error.startswith(
        f"BGP peers not collected: {_malformed_prefix(agent.address)}"
    )
    assert observation.peers is None
    assert observation.interfaces is not None


async def test_a_counter64_growing_past_its_range_between_polls_loses_only_that_poll(
    community: str,
) -> None:
    grown = False

    def counter() -> object:
        return unchecked(rfc1902.Counter64, 2**1592) if grown else rfc1902.Counter64(10**12)

    objects = router_objects(
        peers=[PEER], paths=PATHS, replace={(*IfXEntry.HC_IN_OCTETS, 1): counter}
    )
    async with run_bad_agent(objects) as agent, SnmpPoller() as poller:
        site = snmp_site("r1", agent.host, agent.port, **FAST)
        first = await poller.poll([site])
        grown = True  # 200 octets of counter by the second poll
        second = await poller.poll([site])

    (before,) = first.observations
    (after,) = second.observations
    assert before.error is None and before.interfaces is not None
    assert after.interfaces is None
    assert after.error is not None
    assert after.error.startswith(f"interfaces not collected: {_malformed_prefix(agent.address)}")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_endless_rows_of_huge_strings_stop_at_the_sites_byte_budget(
    community: str, poll_one: PollOne, backend: str
) -> None:
    # 5.1 GB before: every ifName row a 60,000-octet string, without end.
    objects = router_objects(peers=[PEER], paths=PATHS)
    async with run_bad_agent(
        objects,
        fault=Fault.ENDLESS,
        at=IfXEntry.NAME,
        endless_value=rfc1902.OctetString(b"x" * 60_000),
    ) as agent:
        site = snmp_site("r1", agent.host, agent.port)
        async with SnmpPoller(v2c_backend=backend) as poller:  # type: ignore[arg-type]
            budget = poller.site_budget_octets(site.site)
            result = await poller.poll_with_stats([site])

    (observation,) = result.snapshot.observations
    (stats,) = result.stats
    assert observation.error is not None
    assert observation.error.startswith(
        f"agent {agent.address} sent more than this poll's budget of {budget / 2**20:.1f} MiB ("
    )
    assert "docs/hostile-input.md" in observation.error
    assert observation.interfaces is None and observation.paths is None
    # Stopped at the first answer past the budget: at most one 64 KiB datagram more.
    assert budget < stats.octets <= budget + 65_536


async def test_a_larger_budget_can_be_asked_for(community: str) -> None:
    site = snmp_site("r1", "127.0.0.1", 161)
    async with SnmpPoller(options=CollectOptions(min_site_budget=100 * 2**20)) as poller:
        assert poller.site_budget_octets(site.site) == 100 * 2**20
    async with SnmpPoller() as poller:
        assert 4 * 2**20 < poller.site_budget_octets(site.site) < 8 * 2**20


# --- a stray malformed datagram before every true answer ------------------------------------


@pytest.fixture
async def lab_site(tmp_path: Path) -> AsyncIterator[tuple[Lab, Intent, SnmpSite]]:
    async with run_lab(
        sites=1, seed=7, intent_path=tmp_path / "intent.yaml", tick=3600.0, control=False
    ) as lab:
        assert lab.intent_path is not None
        config = load_config(lab.intent_path)
        (site,) = snmp_sites(config.intent.sites, config.inventory)
        yield lab, config.intent, site


def _prefixes(intent: Intent) -> list[Prefix]:
    return [prefix for app in intent.applications for prefix in app.prefixes]


def _behind(site: SnmpSite, port: int) -> SnmpSite:
    return SnmpSite(site.site, dataclasses.replace(site.target, port=port))


def _without_time(snapshot: Snapshot) -> object:
    return [dataclasses.replace(o, collected_at=0.0) for o in snapshot.observations]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_corrupted_copy_before_every_answer_is_dropped_and_the_site_comes_out_fine(
    lab_site: tuple[Lab, Intent, SnmpSite], backend: str
) -> None:
    _, intent, site = lab_site
    async with (
        run_corrupting_proxy(site.target.host, site.target.port) as (_, port, proxy),
        SnmpPoller(v2c_backend=backend) as poller,  # type: ignore[arg-type]
    ):
        through_proxy = await poller.poll_with_stats([_behind(site, port)], _prefixes(intent))
    async with SnmpPoller(v2c_backend=backend) as poller:  # type: ignore[arg-type]
        direct = await poller.poll([site], _prefixes(intent))

    (observation,) = through_proxy.snapshot.observations
    (stats,) = through_proxy.stats
    assert observation.error is None
    assert _without_time(through_proxy.snapshot) == _without_time(direct)
    assert proxy.corrupted == proxy.forwarded >= stats.requests
    assert stats.malformed == proxy.corrupted
    # No request had to be sent again (the native transport counts retransmissions).
    assert stats.retries == 0


async def test_a_corrupted_copy_before_every_snmpv3_answer_is_dropped_too(tmp_path: Path) -> None:
    async with run_lab(
        sites=1,
        seed=7,
        intent_path=tmp_path / "intent.yaml",
        tick=3600.0,
        control=False,
        snmp_version="3",
    ) as lab:
        assert lab.intent_path is not None
        config = load_config(lab.intent_path)
        intent = config.intent
        (site,) = snmp_sites(intent.sites, config.inventory)
        async with (
            run_corrupting_proxy(site.target.host, site.target.port) as (_, port, proxy),
            SnmpPoller() as poller,
        ):
            result = await poller.poll_with_stats([_behind(site, port)], _prefixes(intent))

    (observation,) = result.snapshot.observations
    assert observation.error is None
    assert observation.interfaces and observation.peers and observation.paths
    assert result.stats[0].malformed == proxy.corrupted > 0
