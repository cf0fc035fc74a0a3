"""The lab's counter refresh period: counters that change only every N seconds, as real
agents serve them from a cache, each router at its own phase."""

from __future__ import annotations

import math

import pytest
from click.testing import CliRunner

from sprmon.cli.lab_commands import lab as lab_group
from sprmon.core.observed import Interface
from sprmon.lab.model import WanModel
from sprmon.lab.plan import MPLS

T0 = 1_767_225_600.0
PERIOD = 3.0
ETH1 = 2


def refreshing(sites: int = 3, seed: int = 7) -> tuple[WanModel, WanModel]:
    """The same lab twice: counters refreshed every PERIOD, and live."""
    return (
        WanModel(sites=sites, seed=seed, start=T0, counter_refresh_s=PERIOD),
        WanModel(sites=sites, seed=seed, start=T0),
    )


def eth1(model: WanModel, router: str = "site-001") -> Interface:
    return next(i for i in model.interfaces(router) if i.index == ETH1)


def refreshes_after(model: WanModel, router: str, after: float) -> float:
    """The first refresh of ``router`` later than ``after``."""
    phase = model.counter_refresh_phase(router)
    return phase + (math.floor((after - phase) / PERIOD) + 1) * PERIOD


def test_between_two_refreshes_the_counters_stand_still() -> None:
    cached, _ = refreshing()
    refresh = refreshes_after(cached, "site-001", T0)
    cached.advance(refresh + 0.01)
    seen = eth1(cached)
    cached.advance(refresh + PERIOD - 0.01)
    assert eth1(cached) == seen
    cached.advance(refresh + PERIOD + 0.01)
    assert eth1(cached).out_octets != seen.out_octets


def test_a_refresh_shows_the_exact_counters_of_its_moment_whenever_it_is_read() -> None:
    cached, live = refreshing()
    refresh = refreshes_after(cached, "site-001", T0 + 10)
    live.advance(refresh)
    # Read late in the period: the values are those of the refresh, not of the reading.
    cached.advance(refresh + PERIOD * 0.9)
    assert eth1(cached) == eth1(live)


def test_the_counters_between_two_refreshes_follow_a_rate_change_in_between() -> None:
    cached, live = refreshing()
    refresh = refreshes_after(cached, "site-001", T0 + 10)
    for model in (cached, live):
        model.advance(refresh - PERIOD / 2)
        model.inject("site-001", "link-down", link=MPLS, now=refresh - PERIOD / 2)
    live.advance(refresh)
    cached.advance(refresh + 0.5)
    assert eth1(cached) == eth1(live)


def test_each_router_refreshes_at_its_own_phase_drawn_from_the_seed() -> None:
    cached, _ = refreshing(sites=8)
    again, _ = refreshing(sites=8)
    phases = [cached.counter_refresh_phase(f"site-{n:03d}") for n in range(1, 9)]
    assert phases == [again.counter_refresh_phase(f"site-{n:03d}") for n in range(1, 9)]
    assert all(0 <= phase < PERIOD for phase in phases)
    assert len({round(phase, 6) for phase in phases}) == len(phases)


def test_without_a_refresh_period_every_reading_is_live() -> None:
    _, live = refreshing()
    live.advance(T0 + 1.0)
    first = eth1(live)
    live.advance(T0 + 1.5)
    assert eth1(live).out_octets != first.out_octets
    assert live.counter_refresh_phase("site-001") == 0


def test_a_refresh_period_leaves_paths_peers_and_traffic_as_they_were() -> None:
    cached, live = refreshing()
    for model in (cached, live):
        model.advance(T0 + 42)
    assert cached.paths("site-001") == live.paths("site-001")
    assert cached.peers("site-001") == live.peers("site-001")
    assert cached.rates("site-001") == live.rates("site-001")
    assert cached.uptime_ticks("site-001") == live.uptime_ticks("site-001")


def test_a_reboot_shows_its_zeroed_counters_at_once() -> None:
    cached, _ = refreshing()
    refresh = refreshes_after(cached, "site-001", T0 + 10)
    cached.inject("site-001", "reboot", now=refresh + 0.5)
    assert eth1(cached).out_octets == 0
    assert eth1(cached).in_octets == 0


@pytest.mark.parametrize("period", [-1.0, math.inf, math.nan])
def test_a_refresh_period_must_be_zero_or_a_positive_number(period: float) -> None:
    with pytest.raises(ValueError, match="counter refresh period"):
        WanModel(sites=1, start=T0, counter_refresh_s=period)


def test_the_refresh_option_is_for_running_the_lab_only() -> None:
    result = CliRunner().invoke(lab_group, ["--counter-refresh", "3", "status"])
    assert result.exit_code != 0
    assert "--counter-refresh is for running the lab, not for `status`" in result.output
