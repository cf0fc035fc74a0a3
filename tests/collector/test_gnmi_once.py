"""Reading sites once over gNMI (``sprmon check``): the lab's targets, TLS, credentials, faults."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from sprmon.collector.gnmi.poller import GnmiOptions, GnmiPoller, GnmiSite, relevant_prefixes
from sprmon.core.observed import BgpPath, SiteObservation
from sprmon.inventory import DataPart, SecretRef
from sprmon.lab import GnmiTls, Lab
from sprmon.service import intent_prefixes
from tests.collector.gnmi_support import (
    ScriptedTarget,
    SilentListener,
    closed_tcp_port,
    endless_routes,
    gnmi_lab,
    gnmi_site,
)
from tests.lab.helpers import FakeClock
from tests.peers.pki import make_test_pki

LEGACY = "10.0.21.0/24"
LEGACY_V6 = "2001:db8:21::/48"


async def read(lab: Lab, site_name: str = "site-001", **changes: object) -> SiteObservation:
    """Read one site of the lab's intent once, its gNMI target changed by ``changes``."""
    from sprmon.intentfile import load_config  # noqa: PLC0415

    assert lab.intent_path is not None
    config = await asyncio.to_thread(load_config, lab.intent_path)
    site, target = config.intent.site(site_name), config.inventory.gnmi(site_name)
    assert site is not None and target is not None
    target = replace(target, **changes)  # type: ignore[arg-type]
    async with GnmiPoller() as poller:
        return await poller.read_site(
            site, target, relevant_prefixes(intent_prefixes(config.intent))
        )


def best(observation: SiteObservation, prefix: str) -> BgpPath:
    (path,) = [p for p in observation.paths or () if p.prefix == prefix and p.best]
    return path


async def test_once_reads_the_paths_peers_and_interfaces_the_lab_holds(tmp_path: Path) -> None:
    clock = FakeClock()
    async with gnmi_lab(tmp_path, clock=clock, tick=3600) as (lab, _intent):
        observation = await read(lab)
        truth = lab.model.observation("site-001")
    assert observation.error is None
    assert set(observation.paths or ()) == set(truth.paths or ()), "IPv6 and communities too"
    assert {p.prefix for p in observation.paths or ()} >= {LEGACY, LEGACY_V6}
    assert [(p.address, p.state, p.remote_as) for p in observation.peers or ()] == [
        (p.address, p.state, p.remote_as) for p in truth.peers or ()
    ]
    for ours, theirs in zip(observation.peers or (), truth.peers or (), strict=True):
        assert ours.established_for_s is not None and theirs.established_for_s is not None
        assert abs(ours.established_for_s - theirs.established_for_s) < 1
    assert [
        (i.index, i.name, i.oper_status, i.in_octets, i.out_errors)
        for i in observation.interfaces or ()
    ] == [
        (i.index, i.name, i.oper_status, i.in_octets, i.out_errors) for i in truth.interfaces or ()
    ]
    assert observation.uptime_ticks == truth.uptime_ticks


async def test_a_site_reading_only_bgp_over_gnmi_leaves_the_interfaces_out(tmp_path: Path) -> None:
    async with gnmi_lab(tmp_path, tick=3600) as (lab, _intent):
        observation = await read(lab, use=(DataPart.BGP,))
    assert observation.error is None
    assert observation.interfaces is None
    assert observation.paths and observation.peers


async def test_a_withdrawn_route_is_gone_and_comes_back_when_announced_again(
    tmp_path: Path,
) -> None:
    async with gnmi_lab(tmp_path, tick=3600) as (lab, _intent):
        lab.inject("site-001", "withdraw", "mpls", prefix=LEGACY)
        withdrawn = await read(lab)
        lab.clear("site-001")
        back = await read(lab)
    assert {p.peer for p in withdrawn.paths or () if p.prefix == LEGACY} == {"203.0.113.1"}
    assert len([p for p in back.paths or () if p.prefix == LEGACY]) == 2
    assert best(back, LEGACY).med == 100


async def test_tls_with_the_targets_ca_reads_and_another_ca_is_refused(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path / "pki")
    other = make_test_pki(tmp_path / "other", ca_name="someone else's CA")
    tls = GnmiTls(pki.cert, pki.key, pki.ca_cert)
    async with gnmi_lab(tmp_path, tls=tls, tick=3600) as (lab, config):
        target = config.inventory.gnmi("site-001")
        assert target is not None
        assert target.tls and target.ca_file == str(pki.ca_cert)
        good = await read(lab)
        refused = await read(lab, ca_file=str(other.ca_cert))
        plaintext = await read(lab, tls=False)
    assert good.error is None and good.paths
    assert refused.error is not None and "UNAVAILABLE" in refused.error
    assert plaintext.error is not None


async def test_an_unreadable_ca_file_says_which_file(tmp_path: Path) -> None:
    async with gnmi_lab(tmp_path, tick=3600) as (lab, _intent):
        observation = await read(lab, tls=True, ca_file=str(tmp_path / "missing.pem"))
    assert observation.error is not None
    assert "CA file" in observation.error and "missing.pem" in observation.error


async def test_wrong_credentials_are_refused_and_the_message_names_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPRMON_TEST_WRONG", "not-the-password")
    async with gnmi_lab(tmp_path, tick=3600) as (lab, _intent):
        assert lab.gnmi_credentials is not None
        wrong = await read(lab, password=SecretRef(env="SPRMON_TEST_WRONG"))
        nobody = await read(lab, username=None, password=None)
        password = lab.gnmi_credentials.password
    for observation in (wrong, nobody):
        assert observation.error is not None
        assert "UNAUTHENTICATED" in observation.error
        assert "check the gNMI username and password" in observation.error
        assert password not in observation.error and "not-the-password" not in observation.error


async def test_a_password_that_cannot_be_read_says_where_it_was_looked_for(
    tmp_path: Path,
) -> None:
    async with gnmi_lab(tmp_path, tick=3600) as (lab, _intent):
        observation = await read(lab, password=SecretRef(env="SPRMON_TEST_UNSET_VARIABLE"))
    assert observation.error == (
        "gNMI password of site-001: environment variable SPRMON_TEST_UNSET_VARIABLE is not set"
    )


async def test_a_closed_port_is_unreachable(tmp_path: Path) -> None:
    async with gnmi_lab(tmp_path, tick=3600) as (lab, _intent):
        observation = await read(lab, port=closed_tcp_port())
    assert observation.error is not None and "UNAVAILABLE" in observation.error
    assert observation.paths is None and observation.interfaces is None


async def test_a_target_that_accepts_and_never_answers_times_out_within_its_timeout(
    tmp_path: Path,
) -> None:
    async with gnmi_lab(tmp_path, tick=3600) as (lab, _intent), SilentListener() as silent:
        observation = await read(lab, port=silent.port, timeout_s=0.5)
    assert observation.error is not None
    assert observation.error.endswith("no answer within 0.5 s")


async def test_garbage_values_make_the_site_unreadable_with_the_reason(tmp_path: Path) -> None:
    async with gnmi_lab(tmp_path, tick=3600) as (lab, _intent):
        lab.inject("site-001", "garbage")
        observation = await read(lab)
    assert observation.paths is None and observation.interfaces is None
    assert observation.error is not None and "not JSON" in observation.error


async def test_an_endless_dump_without_sync_response_ends_at_the_sync_timeout(
    tmp_path: Path,
) -> None:
    async with gnmi_lab(tmp_path, tick=3600) as (_lab, config):
        site, target = config.intent.site("site-001"), config.inventory.gnmi("site-001")
        assert site is not None and target is not None
        async with ScriptedTarget(lambda: endless_routes(sync_first=False)) as scripted:
            poller = GnmiPoller(options=GnmiOptions(sync_timeout_s=1.0))
            observation = await poller.read_site(*gnmi_site(GnmiSite(site, target), scripted.port))
    assert observation.error is not None
    assert "no sync_response within 1 s" in observation.error
    assert "an endless or far too large dump" in observation.error
