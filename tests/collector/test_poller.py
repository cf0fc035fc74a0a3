"""Many sites at once: bounds, deadlines, progress, and one bad agent among good ones."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from sprmon.collector.poller import SnmpPoller, snmp_sites
from sprmon.core.intent import Site
from sprmon.inventory import GnmiTarget, Inventory, RouterAccess
from tests.peers.bad_agent import BadAgent, Fault, router_objects, run_bad_agent, silent_socket
from tests.peers.sites import snmp_site

pytestmark = pytest.mark.peer

PEER = "198.51.100.1"


@contextlib.asynccontextmanager
async def agents(count: int, **options: object) -> AsyncIterator[list[BadAgent]]:
    async with contextlib.AsyncExitStack() as stack:
        started = []
        for _ in range(count):
            objects = router_objects(peers=[PEER], paths=[("10.0.21.0/24", PEER, 100)])
            started.append(await stack.enter_async_context(run_bad_agent(objects, **options)))  # type: ignore[arg-type]
        yield started


async def test_good_sites_finish_before_a_dead_one_reaches_its_deadline(community: str) -> None:
    progress: list[tuple[str, bool, int, int]] = []
    async with silent_socket() as (host, port), agents(8) as good:
        sites = [snmp_site("dead", host, port, timeout_s=1.0, retries=1)] + [
            snmp_site(f"good-{n}", agent.host, agent.port) for n, agent in enumerate(good)
        ]
        async with SnmpPoller(on_site_done=lambda *event: progress.append(event)) as poller:
            snapshot = await poller.poll(sites)

    finished = [site for site, _, _, _ in progress]
    assert set(finished[:-1]) == {f"good-{n}" for n in range(8)}
    assert progress[-1][:2] == ("dead", False)
    assert all(ok for _, ok, _, _ in progress[:-1])
    assert [(done, total) for _, _, done, total in progress] == [(n, 9) for n in range(1, 10)]
    # The snapshot keeps the intent's order, not the finishing order.
    assert [o.site for o in snapshot.observations] == [site.site.name for site in sites]


async def test_global_bound_limits_sites_polled_at_once(community: str) -> None:
    async with agents(6, fault=Fault.SLOW, delay_s=0.05) as slow:
        sites = [snmp_site(f"s{n}", a.host, a.port) for n, a in enumerate(slow)]
        async with SnmpPoller(max_concurrency=2) as poller:
            snapshot = await poller.poll(sites)

    assert all(o.error is None for o in snapshot.observations)
    spans = [(a.stats.first_at, a.stats.last_at) for a in slow]
    moments = sorted({t for span in spans for t in span if t is not None})
    busiest = max(
        sum(
            1
            for first, last in spans
            if first is not None and last is not None and first <= t <= last
        )
        for t in moments
    )
    assert busiest == 2


@pytest.mark.parametrize("per_target", [1, 2])
async def test_per_target_bound_limits_requests_in_flight_to_one_agent(
    community: str, per_target: int
) -> None:
    async with agents(1, fault=Fault.SLOW, delay_s=0.05) as (agent,):
        # Several sites behind one address (a shared agent, or a proxy).
        sites = [snmp_site(f"s{n}", agent.host, agent.port) for n in range(4)]
        async with SnmpPoller(per_target_concurrency=per_target) as poller:
            snapshot = await poller.poll(sites)

    assert all(o.error is None for o in snapshot.observations)
    assert agent.stats.max_in_flight == per_target


async def test_sites_without_an_snmp_target_are_left_to_other_collectors(community: str) -> None:
    async with agents(1) as (agent,):
        snmp, target = snmp_site("snmp", agent.host, agent.port)
        sites = [snmp, Site(name="gnmi-only", links=())]
        inventory = Inventory(
            {
                "snmp": RouterAccess(snmp=target),
                "gnmi-only": RouterAccess(gnmi=GnmiTarget(host="127.0.0.1")),
            }
        )
        async with SnmpPoller() as poller:
            result = await poller.poll_with_stats(snmp_sites(sites, inventory))

    assert [o.site for o in result.snapshot.observations] == ["snmp"]
    assert [s.site for s in result.stats] == ["snmp"]
    assert result.varbinds == result.stats[0].varbinds > 0


async def test_poll_twice_gives_two_observations_per_site_an_interval_apart(
    community: str,
) -> None:
    progress: list[tuple[int, int]] = []
    async with agents(2) as good:
        sites = [snmp_site(f"s{n}", a.host, a.port) for n, a in enumerate(good)]
        async with SnmpPoller(on_site_done=lambda *e: progress.append(e[2:])) as poller:
            snapshot = await poller.poll_twice(sites, interval_s=1.0)

    assert [o.site for o in snapshot.observations] == ["s0", "s1", "s0", "s1"]
    first, second = snapshot.observations[0], snapshot.observations[2]
    # The interval runs start to start and collected_at marks the end of each site's
    # poll, so a slow first poll (a loaded machine) shortens the gap: leave a wide margin.
    assert second.collected_at - first.collected_at >= 0.5
    assert snapshot.taken_at == max(o.collected_at for o in snapshot.observations)
    # One progress run over both polls.
    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_site_deadline_grows_with_timeout_tries_and_targeted_prefixes() -> None:
    poller = SnmpPoller(expected_requests=10, deadline_cap_s=1000)
    plain = snmp_site("s", "127.0.0.1", 161, timeout_s=2.0, retries=1)
    targeted = snmp_site("s", "127.0.0.1", 161, timeout_s=2.0, retries=1, targeted_bgp=True)

    assert poller.site_deadline_s(plain.target) == 2.0 * 2 * 10
    assert poller.site_deadline_s(targeted.target, ["10.0.21.0/24"]) > poller.site_deadline_s(  # type: ignore[list-item]
        plain.target
    )
    assert SnmpPoller(deadline_cap_s=5).site_deadline_s(plain.target) == 5


async def test_a_second_poll_asks_for_the_rows_seen_and_reads_the_same(community: str) -> None:
    async with agents(1) as (agent,):
        site = snmp_site("r1", agent.host, agent.port)
        async with SnmpPoller() as poller:
            first = await poller.poll_with_stats([site])
            second = await poller.poll_with_stats([site])

    assert second.varbinds < first.varbinds
    # The probe rides on the interface walk's first GETBULK: one request fewer.
    assert second.requests == first.requests - 1
    (before,) = first.snapshot.observations
    (after,) = second.snapshot.observations
    assert replace(after, collected_at=0) == replace(before, collected_at=0)
