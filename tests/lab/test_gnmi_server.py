"""The lab's gNMI targets read by pygnmi's own client: Get, Subscribe, credentials, TLS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from pygnmi.client import gNMIException, telemetryParser

from sprmon.lab import Lab, run_lab
from sprmon.lab.gnmi.server import GnmiTls
from sprmon.lab.plan import INET, MPLS, plan_site
from tests.lab.gnmi_helpers import BGP, connect, make_ca
from tests.lab.helpers import FakeClock

pytestmark = pytest.mark.peer

#: Long enough that the lab does not tick by itself while a test runs.
FROZEN = 3600.0
LEGACY = "10.0.21.0/24"
MPLS_PEER = plan_site(1).link(MPLS).core_address
INET_PEER = plan_site(1).link(INET).core_address
LOC_RIB = f"{BGP}/rib/afi-safis/afi-safi[afi-safi-name=IPV4_UNICAST]/ipv4-unicast/loc-rib"


def route_key(prefix: str, peer: str) -> str:
    return f"route[origin={peer}][path-id=0][prefix={prefix}]"


@pytest.fixture
async def lab(clock: FakeClock, tmp_path: Path) -> AsyncIterator[Lab]:
    async with run_lab(
        sites=2,
        seed=3,
        clock=clock,
        tick=FROZEN,
        control=False,
        protocols="gnmi",
        intent_path=tmp_path / "intent.yaml",
    ) as running:
        yield running


async def client(lab: Lab, site: str = "site-001", **options: Any) -> Any:
    return await asyncio.to_thread(connect, lab, site, **options)


def flatten(messages: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """pygnmi's parsed stream messages -> (full leaf path -> value, deleted paths)."""
    values: dict[str, Any] = {}
    deleted: list[str] = []
    for message in messages:
        body = message.get("update", {})
        prefix = body.get("prefix")
        for update in body.get("update", []):
            values[f"{prefix}/{update['path']}" if prefix else update["path"]] = update["val"]
        for delete in body.get("delete", []):
            deleted.append(f"{prefix}/{delete['path']}" if prefix else delete["path"])
    return values, deleted


class Stream:
    """A STREAM subscription through pygnmi's ``subscribe``, one parsed message at a time.

    (pygnmi's StreamSubscriber merges everything up to ``sync_response`` into
    one message and keeps only the last notification's prefix, so it cannot
    show which leaf belongs to which container.)
    """

    def __init__(self, gnmi: Any, request: dict[str, Any]) -> None:
        self._responses = gnmi.subscribe(subscribe={"mode": "stream", **request})

    async def next(self) -> dict[str, Any]:
        """The next message, parsed by pygnmi (a wait of 10 s fails the test)."""
        response = await asyncio.wait_for(asyncio.to_thread(next, self._responses), 10)
        parsed: dict[str, Any] = telemetryParser(response)
        return parsed

    async def until_sync(self) -> list[dict[str, Any]]:
        return await self.until(lambda seen: bool(seen) and "sync_response" in seen[-1])

    async def until(self, done: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        while not done(seen):
            seen.append(await self.next())
        return seen

    def close(self) -> None:
        self._responses.cancel()


async def close(*things: Any) -> None:
    for thing in things:
        await asyncio.to_thread(thing.close)


async def test_capabilities_name_the_openconfig_models_and_encodings(lab: Lab) -> None:
    gnmi = await client(lab)
    try:
        capabilities = await asyncio.to_thread(gnmi.capabilities)
    finally:
        await close(gnmi)
    models = {m["name"] for m in capabilities["supported_models"]}
    assert {"openconfig-interfaces", "openconfig-network-instance", "openconfig-rib-bgp"} <= models
    assert capabilities["supported_encodings"] == ["json_ietf", "proto"]
    assert capabilities["gnmi_version"] == "0.8.0"


async def test_get_reads_the_interfaces_and_sessions_the_model_holds(lab: Lab) -> None:
    gnmi = await client(lab)
    try:
        response = await asyncio.to_thread(
            gnmi.get,
            path=["/interfaces/interface[name=eth1]/state", f"/{BGP}/neighbors"],
            encoding="json_ietf",
        )
    finally:
        await close(gnmi)
    (notification,) = response["notification"]
    interface, neighbors = (u["val"] for u in notification["update"])
    eth1 = next(i for i in lab.model.interfaces("site-001") if i.name == "eth1")
    assert interface["oper-status"] == "UP"
    assert interface["counters"]["in-octets"] == str(eth1.in_octets)
    assert interface["counters"]["out-octets"] == str(eth1.out_octets)
    peers = {info.peer.address: info for info in lab.model.peers("site-001")}
    for neighbor in neighbors["neighbor"]:
        info = peers[neighbor["neighbor-address"]]
        assert neighbor["state"]["session-state"] == "ESTABLISHED"
        assert neighbor["state"]["peer-as"] == info.peer.remote_as
        assert neighbor["state"]["established-transitions"] == str(info.established_transitions)
    assert notification["timestamp"] == int(lab.model.now * 1e9)


async def test_get_serves_ipv6_routes(lab: Lab) -> None:
    gnmi = await client(lab)
    try:
        response = await asyncio.to_thread(
            gnmi.get,
            path=[
                f"/{BGP}/rib/afi-safis/afi-safi[afi-safi-name=IPV6_UNICAST]/ipv6-unicast/loc-rib"
            ],
            encoding="json_ietf",
        )
    finally:
        await close(gnmi)
    routes = response["notification"][0]["update"][0]["val"]["routes"]["route"]
    prefixes = {(r["prefix"], r["origin"]) for r in routes}
    v6_paths = {(p.prefix, p.peer) for p in lab.model.paths("site-001") if ":" in p.prefix}
    assert prefixes == v6_paths
    assert ("2001:db8:21::/48", MPLS_PEER) in prefixes


async def test_get_of_a_path_without_data_is_not_found(lab: Lab) -> None:
    gnmi = await client(lab)
    try:
        with pytest.raises(gNMIException) as raised:
            await asyncio.to_thread(
                gnmi.get, path=["/interfaces/interface[name=eth7]"], encoding="json_ietf"
            )
    finally:
        await close(gnmi)
    assert raised.value.orig_exc.code() is grpc.StatusCode.NOT_FOUND
    assert "no data at /interfaces/interface[name=eth7]" in raised.value.orig_exc.details()


@pytest.mark.parametrize(
    ("username", "password"), [("sprmon-lab", "wrong"), ("admin", None), ("", "")]
)
async def test_wrong_or_missing_credentials_are_unauthenticated(
    lab: Lab, username: str, password: str | None
) -> None:
    assert lab.gnmi_credentials is not None
    secret = lab.gnmi_credentials.password if password is None else password
    with pytest.raises(gNMIException) as raised:
        await client(lab, username=username, password=secret)
    assert raised.value.orig_exc.code() is grpc.StatusCode.UNAUTHENTICATED
    assert lab.gnmi_credentials.password not in str(raised.value)


async def test_once_sends_every_leaf_then_sync_response(lab: Lab) -> None:
    gnmi = await client(lab)
    try:
        subscriber = gnmi.subscribe_once(
            {
                "subscription": [{"path": "/interfaces/interface[name=eth2]/state/counters"}],
                "encoding": "json_ietf",
            }
        )
        messages = await asyncio.to_thread(list, subscriber)
    finally:
        await close(gnmi)
    assert messages[-1] == {"sync_response": True}
    values, _ = flatten(messages[:-1])
    eth2 = next(i for i in lab.model.interfaces("site-001") if i.name == "eth2")
    prefix = "interfaces/interface[name=eth2]/state/counters"
    assert values[f"{prefix}/in-octets"] == str(eth2.in_octets)
    assert values[f"{prefix}/out-errors"] == str(eth2.out_errors)


async def test_a_med_drift_changes_the_streamed_rib_at_once(lab: Lab) -> None:
    gnmi = await client(lab)
    route = f"{LOC_RIB}/routes/{route_key(LEGACY, MPLS_PEER)}/state"
    stream = Stream(
        gnmi,
        {"subscription": [{"path": f"/{BGP}/rib", "mode": "on_change"}], "encoding": "json_ietf"},
    )
    try:
        initial, _ = flatten(await stream.until_sync())
        assert f"{route}/reject-reason" not in initial
        lab.inject("site-001", "med-drift", MPLS)
        changes, _ = flatten(
            await stream.until(lambda seen: f"{route}/reject-reason" in flatten(seen)[0])
        )
        lab.inject("site-001", "med-drift", MPLS, med=150)
        second = await stream.until(lambda seen: f"{route}/attr-index" in flatten(seen)[0])
    finally:
        await close(stream, gnmi)
    assert changes[f"{route}/reject-reason"] == "openconfig-rib-bgp-types:MED_HIGHER"
    index = changes[f"{route}/attr-index"]
    assert index != initial[f"{route}/attr-index"]
    attributes = f"{BGP}/rib/attr-sets/attr-set[index={index}]/state"
    # The default prefixes already had that attribute set (MED 300 from core-mpls).
    assert {**initial, **changes}[f"{attributes}/med"] == 300
    # MED 150 is new: its attribute set arrives before the route that points at it.
    new_index = flatten(second)[0][f"{route}/attr-index"]
    new_set = f"{BGP}/rib/attr-sets/attr-set[index={new_index}]/state/med"
    assert flatten(second[:-1])[0][new_set] == 150
    assert lab.model.best_link("site-001", LEGACY) == MPLS, "150 beats 200 again"


async def test_a_withdrawn_route_is_deleted_and_comes_back_when_cleared(lab: Lab) -> None:
    gnmi = await client(lab)
    route = f"{LOC_RIB}/routes/{route_key(LEGACY, INET_PEER)}"
    stream = Stream(
        gnmi, {"subscription": [{"path": f"/{LOC_RIB}", "mode": "on_change"}], "encoding": "proto"}
    )
    try:
        initial, _ = flatten(await stream.until_sync())
        assert f"{route}/state/prefix" in initial
        lab.inject("site-001", "withdraw", INET, prefix=LEGACY)
        withdrawn = await stream.until(lambda seen: bool(flatten(seen)[1]))
        lab.clear("site-001")
        back = await stream.until(lambda seen: f"{route}/state/prefix" in flatten(seen)[0])
    finally:
        await close(stream, gnmi)
    assert flatten(withdrawn)[1] == [route]
    values, deleted = flatten(back)
    assert deleted == []
    assert values[f"{route}/state/prefix"] == LEGACY
    assert values[f"{route}/state/path-id"] == 0, "PROTO encoding: a uint, not a string"


async def test_updates_only_sends_sync_response_first_then_changes(lab: Lab) -> None:
    gnmi = await client(lab)
    neighbor = f"{BGP}/neighbors/neighbor[neighbor-address={INET_PEER}]/state"
    stream = Stream(
        gnmi,
        {
            "subscription": [{"path": f"/{BGP}/neighbors", "mode": "on_change"}],
            "encoding": "json_ietf",
            "updates_only": True,
        },
    )
    try:
        first = await stream.next()
        lab.inject("site-001", "session-down", INET)
        changes = await stream.until(lambda seen: f"{neighbor}/session-state" in flatten(seen)[0])
    finally:
        await close(stream, gnmi)
    assert first == {"sync_response": True}
    values, _ = flatten(changes)
    assert values[f"{neighbor}/session-state"] == "IDLE"
    assert set(values) == {f"{neighbor}/session-state", f"{neighbor}/last-established"}


async def test_sample_sends_the_counters_every_interval(lab: Lab, clock: FakeClock) -> None:
    gnmi = await client(lab)
    counter = "interfaces/interface[name=eth1]/state/counters/out-octets"
    stream = Stream(
        gnmi,
        {
            "subscription": [
                {"path": f"/{counter}", "mode": "sample", "sample_interval": 100_000_000}
            ],
            "encoding": "json_ietf",
        },
    )
    try:
        initial = flatten(await stream.until_sync())[0][counter]
        unchanged = flatten([await stream.next()])[0][counter]
        clock.advance(30)
        lab.tick()
        later = await stream.until(
            lambda seen: bool(seen) and flatten(seen[-1:])[0][counter] != initial
        )
    finally:
        await close(stream, gnmi)
    assert unchanged == initial, "a sample is sent even when nothing changed"
    eth1 = next(i for i in lab.model.interfaces("site-001") if i.name == "eth1")
    assert flatten(later[-1:])[0][counter] == str(eth1.out_octets)


async def test_tls_with_a_test_ca(clock: FakeClock, tmp_path: Path) -> None:
    ca = make_ca(tmp_path)
    intent = tmp_path / "intent.yaml"
    async with run_lab(
        sites=1,
        clock=clock,
        tick=FROZEN,
        control=False,
        protocols="gnmi",
        gnmi_tls=GnmiTls(ca.cert_file, ca.key_file, ca.ca_file),
        intent_path=intent,
    ) as lab:
        gnmi = await client(lab, insecure=False, path_cert=str(ca.ca_file))
        try:
            response = await asyncio.to_thread(
                gnmi.get, path=["/system/state/hostname"], encoding="json_ietf"
            )
        finally:
            await close(gnmi)
        with pytest.raises(grpc.FutureTimeoutError):
            await client(lab, gnmi_timeout=1)
    assert response["notification"][0]["update"][0]["val"] == "site-001"
    assert f'tls: true, ca_file: "{ca.ca_file}"' in intent.read_text(encoding="utf-8")
