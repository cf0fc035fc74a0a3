"""Agents that are dead or break the protocol: the site gets a clear error, the
rest of what could be read whole is kept, nothing crashes or hangs."""

from __future__ import annotations

import pytest
from pysnmp.proto import rfc1902

from sprmon.collector.poller import SnmpSite
from sprmon.collector.snmp_collector import CollectOptions
from sprmon.inventory import AuthProtocol, PrivProtocol, SecretRef, SnmpVersion
from sprmon.realpeers.process import free_udp_port
from sprmon.snmp_oids import SYS_UP_TIME, BgpPathEntry, IfEntry, IfXEntry
from tests.peers.bad_agent import Fault, router_objects, run_bad_agent, silent_socket
from tests.peers.sites import PollOne, snmp_site

pytestmark = pytest.mark.peer

BACKENDS = ["native", "pysnmp"]
PEER = "198.51.100.1"
PATHS = [(f"10.0.{n}.0/24", PEER, 100) for n in range(1, 4)]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_agent_that_never_answers_times_out_after_its_tries(
    community: str, poll_one: PollOne, backend: str
) -> None:
    async with silent_socket() as (host, port):
        observation, stats = await poll_one(
            snmp_site("r1", host, port, timeout_s=0.2, retries=2), backend=backend
        )

    assert observation.error == (
        f"no answer from {host}:{port} after 3 tries (timeout 0.2 s): agent down, or wrong "
        "community (agents drop requests with an unknown community without answering)"
    )
    assert (observation.interfaces, observation.peers, observation.paths) == (None, None, None)
    assert stats.requests == 1


def _v3_site(name: str, host: str, port: int, **target: object) -> SnmpSite:
    return snmp_site(
        name,
        host,
        port,
        version=SnmpVersion.V3,
        community=None,
        user="alice",
        auth_protocol=AuthProtocol.SHA256,
        auth_key=SecretRef(env="SPRMON_TEST_AUTH"),
        priv_protocol=PrivProtocol.AES128,
        priv_key=SecretRef(env="SPRMON_TEST_PRIV"),
        **target,
    )


@pytest.fixture
def v3_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPRMON_TEST_AUTH", "auth-passphrase")
    monkeypatch.setenv("SPRMON_TEST_PRIV", "priv-passphrase")


@pytest.mark.parametrize(("version", "backend"), [("2c", "native"), ("2c", "pysnmp"), ("3", "")])
async def test_closed_port_is_reported_as_unreachable_at_once(
    community: str, v3_keys: None, poll_one: PollOne, version: str, backend: str
) -> None:
    # Every backend and version says the same, at once: pysnmp's own socket never
    # hears the ICMP port unreachable, its session's probe does.
    port = free_udp_port()
    site = (
        _v3_site("r1", "127.0.0.1", port, timeout_s=5.0)
        if version == "3"
        else snmp_site("r1", "127.0.0.1", port, timeout_s=5.0)
    )

    observation, stats = await poll_one(site, backend=backend or "native")

    assert observation.error == (
        f"127.0.0.1:{port} answered ICMP port unreachable: no SNMP agent listens on that port"
    )
    assert stats.elapsed_s < 5.0


@pytest.mark.parametrize("backend", BACKENDS)
async def test_non_increasing_oid_stops_the_walk_and_keeps_the_other_tables(
    community: str, poll_one: PollOne, backend: str
) -> None:
    loop_at = (*IfXEntry.HC_IN_OCTETS, 1)
    objects = router_objects(peers=[PEER], paths=PATHS)
    async with run_bad_agent(objects, fault=Fault.NON_INCREASING, at=loop_at) as agent:
        observation, _ = await poll_one(snmp_site("r1", agent.host, agent.port), backend=backend)

    assert observation.error == (
        f"interfaces not collected: agent {agent.address} returned an OID that does not "
        "increase at 1.3.6.1.2.1.31.1.1.1.6.1 after 1.3.6.1.2.1.31.1.1.1.10 (walk loop)"
    )
    assert observation.interfaces is None
    assert observation.uptime_ticks == 123456


@pytest.mark.parametrize("backend", BACKENDS)
async def test_value_of_the_wrong_type_is_named_and_only_its_table_is_lost(
    community: str, poll_one: PollOne, backend: str
) -> None:
    objects = router_objects(
        peers=[PEER],
        paths=PATHS,
        replace={(*IfXEntry.HC_IN_OCTETS, 2): rfc1902.OctetString(b"12345")},
    )
    async with run_bad_agent(objects) as agent:
        observation, _ = await poll_one(snmp_site("r1", agent.host, agent.port), backend=backend)

    assert observation.error == (
        "interfaces not collected: ifHCInOctets.2 has type OctetString, expected Counter64"
    )
    assert observation.interfaces is None
    assert observation.paths is not None and len(observation.paths) == len(PATHS)
    assert observation.peers is not None and len(observation.peers) == 1


async def test_table_that_ends_early_is_reported_not_decoded_short(
    community: str, poll_one: PollOne
) -> None:
    objects = router_objects(interfaces=4, peers=[PEER], paths=PATHS)
    async with run_bad_agent(objects, fault=Fault.TRUNCATED, at=(*IfEntry.OPER_STATUS, 3)) as agent:
        observation, _ = await poll_one(snmp_site("r1", agent.host, agent.port))

    assert observation.error == (
        "interfaces not collected: ifOperStatus.3 is missing while other columns have that "
        "row (and 1 more): the agent ended the walk of ifTable early"
    )
    assert observation.interfaces is None
    assert observation.paths is not None and len(observation.paths) == len(PATHS)


async def test_endless_table_stops_at_the_row_limit(community: str, poll_one: PollOne) -> None:
    objects = router_objects(peers=[PEER], paths=PATHS)
    async with run_bad_agent(objects, fault=Fault.ENDLESS, at=BgpPathEntry.MED) as agent:
        observation, stats = await poll_one(
            snmp_site("r1", agent.host, agent.port),
            options=CollectOptions(max_rows=300),
        )

    assert observation.error == (
        "BGP paths not collected: bgp4PathAttrTable larger than the limit of 300 rows"
    )
    assert observation.paths is None
    assert observation.interfaces is not None and len(observation.interfaces) == 2
    assert stats.varbinds < 2000


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        ("native", "message: length at octet 4 runs past the end of its container"),
        ("pysnmp", "not BER"),
    ],
)
async def test_malformed_answers_are_dropped_counted_and_named_when_the_request_times_out(
    community: str, poll_one: PollOne, backend: str, reason: str
) -> None:
    # Both backends drop what they cannot decode and keep waiting (a stray
    # packet must not fail a request), then say what came instead of an answer.
    async with run_bad_agent(router_objects(), fault=Fault.MALFORMED) as agent:
        observation, stats = await poll_one(
            snmp_site("r1", agent.host, agent.port, timeout_s=0.2, retries=1), backend=backend
        )

    assert observation.error == (
        f"agent {agent.address} sent a malformed SNMP message ({reason}) and no valid answer "
        "after 2 tries (timeout 0.2 s); 2 malformed datagrams dropped"
    )
    assert observation.interfaces is None
    assert stats.malformed == 2


async def test_agent_without_bgp4_mib_leaves_bgp_unknown_and_says_so(
    community: str, poll_one: PollOne
) -> None:
    async with run_bad_agent(router_objects(bgp=False)) as agent:
        observation, _ = await poll_one(snmp_site("r1", agent.host, agent.port))

    assert observation.error == (
        f"agent {agent.address} serves no BGP4-MIB (1.3.6.1.2.1.15): BGP paths and peers unknown"
    )
    assert observation.paths is None and observation.peers is None
    assert observation.interfaces is not None and len(observation.interfaces) == 2


async def test_slow_agent_is_cut_at_the_site_deadline_keeping_finished_stages(
    community: str, poll_one: PollOne
) -> None:
    # 60 paths need about 6 GETBULKs of 0.15 s each after the interfaces:
    # the 0.8 s deadline falls inside the path walk.
    paths = [(f"10.{n // 250}.{n % 250}.0/24", PEER, 100) for n in range(60)]
    objects = router_objects(peers=[PEER], paths=paths)
    async with run_bad_agent(objects, fault=Fault.SLOW, delay_s=0.15) as agent:
        observation, stats = await poll_one(
            snmp_site("r1", agent.host, agent.port, timeout_s=1.0, retries=0),
            deadline_cap_s=0.8,
        )

    assert observation.error == (
        "poll of r1 did not finish within its deadline of 0.8 s (agent too slow, or a table "
        "too large for the timeout)"
    )
    assert observation.interfaces is not None and len(observation.interfaces) == 2
    assert observation.paths is None
    assert stats.deadline_s == 0.8


async def test_wrong_type_for_sys_uptime_loses_only_the_uptime(
    community: str, poll_one: PollOne
) -> None:
    objects = router_objects(
        peers=[PEER], paths=PATHS, replace={(*SYS_UP_TIME, 0): rfc1902.Integer32(5)}
    )
    async with run_bad_agent(objects) as agent:
        observation, _ = await poll_one(snmp_site("r1", agent.host, agent.port))

    assert observation.error == (
        "uptime not collected: sysUpTime.0 has type Integer32, expected TimeTicks"
    )
    assert observation.uptime_ticks is None
    assert observation.paths is not None and observation.interfaces is not None


async def test_missing_secret_becomes_the_sites_error(
    monkeypatch: pytest.MonkeyPatch, poll_one: PollOne
) -> None:
    monkeypatch.delenv("SPRMON_TEST_COMMUNITY", raising=False)
    async with run_bad_agent(router_objects()) as agent:
        observation, _ = await poll_one(snmp_site("r1", agent.host, agent.port))

    assert observation.error == (
        f"community for {agent.address}: environment variable SPRMON_TEST_COMMUNITY is not set"
    )
    assert agent.stats.requests == 0


async def test_short_v3_passphrase_is_refused_before_any_request(
    monkeypatch: pytest.MonkeyPatch, poll_one: PollOne
) -> None:
    monkeypatch.setenv("SPRMON_TEST_AUTH", "s3cr")
    monkeypatch.setenv("SPRMON_TEST_PRIV", "long-enough-priv")
    async with run_bad_agent(router_objects()) as agent:
        site = snmp_site(
            "r1",
            agent.host,
            agent.port,
            version=SnmpVersion.V3,
            community=None,
            user="alice",
            auth_protocol=AuthProtocol.SHA256,
            auth_key=SecretRef(env="SPRMON_TEST_AUTH"),
            priv_protocol=PrivProtocol.AES128,
            priv_key=SecretRef(env="SPRMON_TEST_PRIV"),
        )
        observation, _ = await poll_one(site)

    assert observation.error == (
        f"auth_key for {agent.address}: an SNMPv3 passphrase needs at least 8 characters (RFC 3414)"
    )
    assert agent.stats.requests == 0
