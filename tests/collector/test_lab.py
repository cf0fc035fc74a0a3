"""The collector against the lab: pysnmp agents serving a simulated WAN whose
model says exactly what a perfect collector must read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from sprmon.collector.poller import SnmpPoller, SnmpSite, snmp_sites
from sprmon.core.intent import Intent, Site
from sprmon.core.observed import PeerState, SiteObservation
from sprmon.core.prefixes import Prefix, covering_prefixes
from sprmon.intentfile import LoadedIntent, load_config
from sprmon.lab import Lab, run_lab

pytestmark = pytest.mark.peer

#: Long enough that the model does not move while a test polls.
FROZEN = 3600.0


def _comparable(observation: SiteObservation) -> SiteObservation:
    """The observation without its time, in the collector's reading of two values.

    The collector reads a speed of 0 ("no concept of bandwidth", RFC 2863) as
    unknown, and bgpPeerFsmEstablishedTime of a session that is not up as no
    established time; the model states the raw values its agents serve.
    """
    interfaces = tuple(
        replace(i, speed_bps=i.speed_bps or None) for i in observation.interfaces or ()
    )
    peers = tuple(
        p if p.state is PeerState.ESTABLISHED else replace(p, established_for_s=None)
        for p in observation.peers or ()
    )
    return replace(observation, collected_at=0.0, error=None, interfaces=interfaces, peers=peers)


def _link_interfaces(observation: SiteObservation, site: Site) -> SiteObservation:
    """``observation`` with only the interfaces ``site``'s links name: what a poll reads
    of a site whose links name theirs (sprmon.collector.link_interfaces)."""
    named = {link.interface_name for link in site.links}
    interfaces = tuple(i for i in observation.interfaces or () if i.name in named)
    assert len(interfaces) == len(site.links)
    return replace(observation, interfaces=interfaces)


def _expected(lab: Lab, site: str) -> SiteObservation:
    """What the model says ``site``'s agent serves, with each peer's
    bgpPeerFsmEstablishedTransitions as the agent serves it beside the peer."""
    observation = lab.model.observation(site, ipv4_only=True)
    transitions = {
        info.peer.address: info.established_transitions for info in lab.model.peers(site)
    }
    peers = tuple(
        replace(peer, established_transitions=transitions[peer.address])
        for peer in observation.peers or ()
    )
    return replace(observation, peers=peers)


def _prefixes(intent: Intent) -> list[Prefix]:
    return [prefix for app in intent.applications for prefix in app.prefixes]


@pytest.fixture
async def lab_v2c(tmp_path: Path) -> AsyncIterator[tuple[Lab, LoadedIntent]]:
    async with run_lab(
        sites=4, seed=11, intent_path=tmp_path / "intent.yaml", tick=FROZEN, control=False
    ) as lab:
        assert lab.intent_path is not None
        yield lab, load_config(lab.intent_path)


@pytest.mark.parametrize("version", ["2c", "3"])
async def test_every_lab_site_reads_as_the_model_says(tmp_path: Path, version: str) -> None:
    async with run_lab(
        sites=3,
        seed=5,
        intent_path=tmp_path / "intent.yaml",
        tick=FROZEN,
        control=False,
        snmp_version=version,  # type: ignore[arg-type]
    ) as lab:
        assert lab.intent_path is not None
        loaded = load_config(lab.intent_path)
        intent = loaded.intent
        sites = snmp_sites(intent.sites, loaded.inventory)
        async with SnmpPoller() as poller:
            snapshot = await poller.poll(sites, _prefixes(intent))
            # Sites whose links name no interface: the whole interface table.
            whole = await poller.poll(
                [SnmpSite(replace(s.site, links=()), s.target) for s in sites], _prefixes(intent)
            )
        expected = {site.name: _expected(lab, site.name) for site in intent.sites}

    assert [o.site for o in snapshot.observations] == [s.name for s in intent.sites]
    for observation, site in zip(snapshot.observations, intent.sites, strict=True):
        assert observation.error is None
        model = _link_interfaces(expected[observation.site], site)
        assert _comparable(observation) == _comparable(model)
    for observation in whole.observations:
        assert observation.error is None
        assert _comparable(observation) == _comparable(expected[observation.site])


async def test_targeted_mode_reads_the_model_paths_of_intent_prefixes_and_their_cover(
    lab_v2c: tuple[Lab, LoadedIntent],
) -> None:
    lab, loaded = lab_v2c
    intent = loaded.intent
    prefixes = _prefixes(intent)
    targeted = [
        SnmpSite(site, replace(target, targeted_bgp=True))
        for site, target in snmp_sites(intent.sites, loaded.inventory)
    ]
    async with SnmpPoller() as poller:
        snapshot = await poller.poll(targeted, prefixes)

    wanted = {cover for prefix in prefixes for cover in covering_prefixes(prefix)}
    for observation in snapshot.observations:
        model_paths = lab.model.observation(observation.site, ipv4_only=True).paths or ()
        assert observation.error is None
        assert observation.paths is not None
        assert set(observation.paths) == {p for p in model_paths if p.prefix in wanted}


async def test_injected_faults_show_up_in_the_next_poll(
    lab_v2c: tuple[Lab, LoadedIntent],
) -> None:
    lab, loaded = lab_v2c
    intent = loaded.intent
    names = [site.name for site in intent.sites]
    lab.inject(names[0], "link-down", "mpls")
    lab.inject(names[1], "med-drift", "mpls", med=300)
    lab.inject(names[2], "mute")
    lab.inject(names[3], "garbage")
    lab.tick()
    async with SnmpPoller() as poller:
        snapshot = await poller.poll(snmp_sites(intent.sites, loaded.inventory), _prefixes(intent))

    by_site = {o.site: o for o in snapshot.observations}
    for site in intent.sites[:2]:
        observation = by_site[site.name]
        assert observation.error is None
        expected = _link_interfaces(_expected(lab, site.name), site)
        assert _comparable(observation) == _comparable(expected)
    assert lab.model.best_link(names[0], "10.0.21.0/24") == "inet"
    mute = by_site[names[2]].error
    assert mute is not None and mute.startswith("no answer from 127.0.0.1:")
    garbage = by_site[names[3]].error
    assert garbage is not None and "sent a malformed SNMP message" in garbage
