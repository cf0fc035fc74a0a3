"""gNMI STREAM subscriptions kept alive (``sprmon run``): changes, deletes, restarts, silence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from random import Random
from typing import Any

from sprmon.collector.gnmi.client import GnmiTimeout, GnmiUnreachable
from sprmon.collector.gnmi.poller import GnmiOptions, GnmiSite
from sprmon.collector.gnmi.store import Limits
from sprmon.collector.gnmi.stream import (
    SiteStream,
    StreamOptions,
    StreamSettings,
    StreamUpdate,
    backoff_delay,
)
from sprmon.core.observed import BgpPath
from sprmon.intentfile import LoadedIntent
from sprmon.inventory import ALL_PARTS, DataPart
from sprmon.service import intent_prefixes
from tests.collector.gnmi_messages import attr_set, neighbor, route
from tests.collector.gnmi_support import (
    SYNC,
    Outage,
    ScriptedTarget,
    closed_tcp_port,
    endless_routes,
    gnmi_lab,
    gnmi_site,
    sync_then_silence,
    update,
)

LEGACY, LEGACY_V6 = "10.0.21.0/24", "2001:db8:21::/48"
MPLS = "198.51.100.1"
QUICK = StreamOptions(min_backoff_s=0.1, max_backoff_s=0.3, settle_s=0.01)
#: Every wait is bounded: a stream that misses something fails the test instead of hanging it.
WAIT_S = 10.0


def site_of(config: LoadedIntent, name: str = "site-001") -> GnmiSite:
    """The site and its gNMI target, from the inventory."""
    site = config.intent.site(name)
    target = config.inventory.gnmi(name)
    assert site is not None and target is not None
    return GnmiSite(site, target)


def settings(config: LoadedIntent, sample_interval_s: float = 5.0) -> StreamSettings:
    return StreamSettings(ALL_PARTS, intent_prefixes(config.intent), sample_interval_s)


async def until(
    stream: SiteStream, what: str, predicate: Callable[[StreamUpdate], bool]
) -> StreamUpdate:
    try:
        async with asyncio.timeout(WAIT_S):
            while True:
                update = await stream.next()
                if predicate(update):
                    return update
    except TimeoutError:
        raise AssertionError(f"the stream never showed {what}") from None


def paths(update: StreamUpdate, prefix: str) -> dict[str, BgpPath]:
    return {p.peer: p for p in update.observation.paths or () if p.prefix == prefix}


def synced(update: StreamUpdate) -> bool:
    return update.failure is None and update.observation.error is None


async def test_the_first_update_is_the_whole_synced_state_and_a_counter_sample(
    tmp_path: Path,
) -> None:
    async with gnmi_lab(tmp_path) as (lab, config):
        async with SiteStream(*site_of(config), settings(config), options=QUICK) as stream:
            first = await until(stream, "the synced state", synced)
        truth = lab.model.observation("site-001")
    assert first.counters_sampled
    assert set(first.observation.paths or ()) == set(truth.paths or ())
    assert [i.name for i in first.observation.interfaces or ()] == ["lo", "eth1", "eth2"]
    assert stream.syncs == 1


async def test_a_med_drift_reaches_the_stream_as_a_change_between_two_counter_samples(
    tmp_path: Path,
) -> None:
    async with gnmi_lab(tmp_path) as (lab, config):
        stream_settings = settings(config, sample_interval_s=60.0)
        async with SiteStream(*site_of(config), stream_settings, options=QUICK) as stream:
            first = await until(stream, "the synced state", synced)
            lab.inject("site-001", "med-drift")
            drift = await until(stream, "MED 300", lambda u: paths(u, LEGACY)[MPLS].med == 300)
    assert paths(first, LEGACY)[MPLS].best
    assert not paths(drift, LEGACY)[MPLS].best, "the mpls path lost the best-path choice"
    assert not drift.counters_sampled, "no counter sample came with the change"
    assert drift.observation.collected_at == first.observation.collected_at, (
        "timed by the counters' sample, which did not move"
    )


async def test_a_withdrawn_route_is_deleted_from_the_stream_and_comes_back_when_announced(
    tmp_path: Path,
) -> None:
    async with (
        gnmi_lab(tmp_path) as (lab, config),
        SiteStream(*site_of(config), settings(config), options=QUICK) as stream,
    ):
        await until(stream, "the synced state", synced)
        lab.inject("site-001", "withdraw", "mpls", prefix=LEGACY)
        gone = await until(stream, "the deletion", lambda u: MPLS not in paths(u, LEGACY))
        lab.clear("site-001")
        back = await until(stream, "the route again", lambda u: MPLS in paths(u, LEGACY))
    assert set(paths(gone, LEGACY)) == {"203.0.113.1"}
    assert MPLS in paths(gone, LEGACY_V6), "only the withdrawn prefix went"
    assert paths(back, LEGACY)[MPLS].best


async def test_a_target_restarted_mid_stream_is_resynced_and_nothing_is_missed(
    tmp_path: Path,
) -> None:
    async with gnmi_lab(tmp_path) as (lab, config):
        site = site_of(config)
        async with Outage(site.target.port) as outage:
            relayed = gnmi_site(site, outage.port)
            async with SiteStream(*relayed, settings(config), options=QUICK) as stream:
                await until(stream, "the synced state", synced)
                await outage.down()
                failed = await until(stream, "the failure", lambda u: u.failure is not None)
                # What happens while the stream is down: a withdrawal (a delete the
                # stream never carried) and a change of attributes.
                lab.inject("site-001", "withdraw", "mpls", prefix=LEGACY)
                lab.inject("site-001", "med-drift")
                await outage.up()
                resynced = await until(stream, "the resynced state", synced)
    assert failed.observation.error is not None and failed.observation.paths is None
    assert set(paths(resynced, LEGACY)) == {"203.0.113.1"}, "the withdrawn route is gone"
    assert paths(resynced, LEGACY_V6)[MPLS].med == 300, "the change made meanwhile is seen"
    assert resynced.counters_sampled
    assert stream.syncs == 2
    assert outage.connections >= 2


async def test_a_reboot_ends_the_stream_and_the_resync_sees_the_uptime_start_again(
    tmp_path: Path,
) -> None:
    async with (
        gnmi_lab(tmp_path) as (lab, config),
        SiteStream(*site_of(config), settings(config), options=QUICK) as stream,
    ):
        before = await until(stream, "the synced state", synced)
        lab.inject("site-001", "reboot")
        failed = await until(stream, "the failure", lambda u: u.failure is not None)
        after = await until(stream, "the resynced state", synced)
    assert failed.failure is not None and "rebooted" in failed.failure.message
    assert before.observation.uptime_ticks is not None
    assert after.observation.uptime_ticks is not None
    assert after.observation.uptime_ticks < before.observation.uptime_ticks


async def test_a_route_that_arrives_before_its_new_attribute_set_is_not_reported_unusable(
    tmp_path: Path,
) -> None:
    async def script() -> AsyncIterator[Any]:
        for message in attr_set(1, med=100, next_hop=MPLS):
            yield update(message)
        yield update(neighbor(MPLS))
        yield update(route(LEGACY, MPLS, 1))
        yield SYNC
        await asyncio.sleep(0.3)
        yield update(route(LEGACY, MPLS, 2))  # the set it points at comes later
        await asyncio.sleep(0.2)
        for message in attr_set(2, med=300, next_hop=MPLS):
            yield update(message)
        await asyncio.Event().wait()

    async with gnmi_lab(tmp_path) as (_lab, config):
        site = site_of(config)
        async with ScriptedTarget(script) as target:
            scripted = gnmi_site(site, target.port, username=None, password=None)
            stream_settings = StreamSettings((DataPart.BGP,), (), sample_interval_s=5.0)
            seen: list[StreamUpdate] = []

            def med_300(update_: StreamUpdate) -> bool:
                seen.append(update_)
                return MPLS in paths(update_, LEGACY) and paths(update_, LEGACY)[MPLS].med == 300

            async with SiteStream(*scripted, stream_settings, options=QUICK) as stream:
                await until(stream, "MED 300", med_300)
    assert [u.observation.error for u in seen] == [None] * len(seen)


async def test_a_stream_that_falls_silent_is_declared_dead_and_subscribed_again(
    tmp_path: Path,
) -> None:
    async with gnmi_lab(tmp_path) as (_lab, config):
        site = site_of(config)
        async with ScriptedTarget(sync_then_silence) as target:
            silent = gnmi_site(site, target.port, timeout_s=0.2, username=None, password=None)
            options = StreamOptions(min_backoff_s=0.1, max_backoff_s=0.2, silent_intervals=2)
            stream_settings = StreamSettings(ALL_PARTS, (), sample_interval_s=0.2)
            async with SiteStream(*silent, stream_settings, options=options) as stream:
                failed = await until(stream, "the failure", lambda u: u.failure is not None)
                await until(stream, "a second failure", lambda u: u.failure is not None)
            subscriptions = target.subscriptions
    assert isinstance(failed.failure, GnmiTimeout)
    assert "silent for 0.6 s" in failed.failure.message
    assert subscriptions >= 2


async def test_an_endless_stream_of_new_routes_keeps_memory_bounded(tmp_path: Path) -> None:
    async with gnmi_lab(tmp_path) as (_lab, config):
        site = site_of(config)
        script = lambda: endless_routes(sync_first=True)  # noqa: E731
        async with ScriptedTarget(script) as target:
            flood = gnmi_site(site, target.port, username=None, password=None)
            options = StreamOptions(gnmi=GnmiOptions(limits=Limits(routes=500)), settle_s=0.01)
            stream_settings = StreamSettings(ALL_PARTS[:1], (), sample_interval_s=5.0)
            async with SiteStream(*flood, stream_settings, options=options) as stream:
                update = await until(
                    stream,
                    "the table over its limit",
                    lambda u: stream.store is not None and stream.store.updates > 5_000,
                )
                store = stream.store
    assert store is not None
    assert len(store.routes) == 500
    assert update.observation.paths is None
    assert "more route entries than sprmon keeps" in (update.observation.error or "")


async def test_a_target_that_stays_down_is_retried_with_growing_delays(tmp_path: Path) -> None:
    async with gnmi_lab(tmp_path) as (_lab, config):
        down = gnmi_site(site_of(config), closed_tcp_port())
        options = StreamOptions(min_backoff_s=0.05, max_backoff_s=0.4, settle_s=0)
        async with SiteStream(*down, settings(config), options=options) as stream:
            first = await until(stream, "the failure", lambda u: u.failure is not None)
            await asyncio.sleep(1.5)
        failures = stream.failures
    assert isinstance(first.failure, GnmiUnreachable)
    # 0.05, 0.1, 0.2, 0.4, 0.4 ... (each drawn between half and all of it): a handful, not 30.
    assert 3 <= failures <= 12


def test_reconnection_delays_double_up_to_the_cap_each_drawn_between_half_and_all_of_it() -> None:
    rng = Random(7)
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (40, 60.0)]:
        delays = [backoff_delay(attempt, rng, 1.0, 60.0) for _ in range(200)]
        assert all(base / 2 <= d <= base for d in delays), attempt
        assert max(delays) - min(delays) > base / 4, "jittered"
