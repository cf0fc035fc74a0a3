"""The collector against Net-SNMP's snmpd, with Net-SNMP's own tools as the reference."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sprmon.collector.poller import SnmpPoller, SnmpSite
from sprmon.collector.snmp_collector import CollectOptions
from sprmon.core.observed import BgpPath, BgpPeer, Origin, PeerState
from sprmon.core.prefixes import Prefix, canonical_address
from sprmon.inventory import AuthProtocol, PrivProtocol, SecretRef, SnmpVersion
from sprmon.realpeers.snmpd import V3User, run_snmpd
from tests.peers.bgp_pass import PassPath, PassPeer, bgp_objects, pass_persist_line, write_table
from tests.peers.sites import PollOne, snmp_site

pytestmark = pytest.mark.peer

BACKENDS = ["native", "pysnmp"]
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT = "1.3.6.1.2.1.31.1.1.1.10"

MPLS = "198.51.100.1"
INET = "203.0.113.1"

PATHS = [
    PassPath("10.0.0.0/16", MPLS, MPLS, med=300, as_path=(65000,), best=False),
    PassPath("10.0.0.0/16", INET, INET, med=200, as_path=(65000,), best=True),
    PassPath(
        "10.0.21.0/24", MPLS, MPLS, med=100, local_pref=150, as_path=(65000, 64512), best=True
    ),
    PassPath("10.0.21.0/24", INET, INET, med=200, as_path=(65000,), origin=3),
    PassPath("10.0.22.0/24", INET, INET, med=200, as_path=(65000,), best=True, origin=0),
    PassPath("172.16.0.0/12", INET, "203.0.113.9", med=200, as_path=(65000, 65010), best=True),
]
# The largest Counter32 on one peer: 0xFFFFFFFF needs five octets in BER.
PEERS = [
    PassPeer(MPLS, 6, 65000, 3600, established_transitions=2**32 - 1),
    PassPeer(INET, 3, 65000, 12, established_transitions=7),
]


def expected_path(path: PassPath) -> BgpPath:
    origin = {0: Origin.IGP, 1: Origin.IGP, 2: Origin.EGP, 3: Origin.INCOMPLETE}[path.origin]
    return BgpPath(
        prefix=Prefix(path.prefix),
        peer=canonical_address(path.peer),
        next_hop=canonical_address(path.next_hop),
        med=path.med,
        local_pref=path.local_pref,
        as_path=path.as_path,
        origin=origin,
        best=path.best,
    )


def bgp_config(folder: Path, paths: list[PassPath] = PATHS) -> list[str]:
    return [pass_persist_line(write_table(folder, bgp_objects(paths, PEERS)))]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_interfaces_match_snmpbulkwalk_of_ifxtable(
    tmp_path: Path, community: str, poll_one: PollOne, backend: str
) -> None:
    async with run_snmpd(tmp_path) as agent:
        names_before = await agent.bulkwalk(IF_NAME)
        in_before = await agent.bulkwalk(IF_HC_IN)
        out_before = await agent.bulkwalk(IF_HC_OUT)
        observation, stats = await poll_one(
            snmp_site("r1", agent.host, agent.port), backend=backend
        )
        in_after = await agent.bulkwalk(IF_HC_IN)
        out_after = await agent.bulkwalk(IF_HC_OUT)

    def by_index(rows: list[tuple[str, str, str]]) -> dict[int, str]:
        return {int(oid.rsplit(".", 1)[1]): value for oid, _, value in rows}

    names = {index: value.strip('"') for index, value in by_index(names_before).items()}
    assert observation.interfaces is not None
    assert {i.index: i.name for i in observation.interfaces} == names
    for interface in observation.interfaces:
        assert interface.counter_bits == 64
        assert interface.in_octets is not None and interface.out_octets is not None
        # Counters only grow: the collector's reading lies between two tool readings.
        assert int(by_index(in_before)[interface.index]) <= interface.in_octets
        assert interface.in_octets <= int(by_index(in_after)[interface.index])
        assert int(by_index(out_before)[interface.index]) <= interface.out_octets
        assert interface.out_octets <= int(by_index(out_after)[interface.index])
    assert observation.uptime_ticks is not None and observation.uptime_ticks > 0
    assert stats.varbinds >= 11 * len(names)


async def test_agent_without_ifxtable_gives_32_bit_counters_named_by_ifdescr(
    tmp_path: Path, community: str, poll_one: PollOne
) -> None:
    no_ifx = [
        "view noifx included .1",
        "view noifx excluded .1.3.6.1.2.1.31",
        f"rocommunity {community} 127.0.0.1 -V noifx",
    ]
    async with run_snmpd(tmp_path, community="readiness-only", extra_config=no_ifx) as agent:
        descr = await agent.bulkwalk("1.3.6.1.2.1.2.2.1.2", community=community)
        observation, _ = await poll_one(snmp_site("r1", agent.host, agent.port))

    assert observation.interfaces is not None
    assert {i.index: i.name for i in observation.interfaces} == {
        int(oid.rsplit(".", 1)[1]): value.strip('"') for oid, _, value in descr
    }
    assert {i.counter_bits for i in observation.interfaces} == {32}
    assert all(i.discontinuity_ticks is None for i in observation.interfaces)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_bgp4_mib_rows_served_by_net_snmp_become_paths_and_peers(
    tmp_path: Path, community: str, poll_one: PollOne, backend: str
) -> None:
    async with run_snmpd(tmp_path, extra_config=bgp_config(tmp_path)) as agent:
        observation, _ = await poll_one(snmp_site("r1", agent.host, agent.port), backend=backend)

    assert observation.error is None
    assert observation.paths is not None
    assert sorted(observation.paths, key=repr) == sorted(map(expected_path, PATHS), key=repr)
    assert observation.peers == (
        BgpPeer(
            canonical_address(MPLS),
            PeerState.ESTABLISHED,
            65000,
            3600.0,
            established_transitions=2**32 - 1,
        ),
        BgpPeer(canonical_address(INET), PeerState.ACTIVE, 65000, None, established_transitions=7),
    )


@pytest.mark.parametrize("backend", BACKENDS)
async def test_targeted_mode_reads_intent_prefixes_and_their_covering_prefixes_only(
    tmp_path: Path, community: str, poll_one: PollOne, backend: str
) -> None:
    # 10.0.23.0/24 is absent and only covered by the /16; 10.0.22.0/24 and
    # 172.16.0.0/12 are in the table but of no interest.
    wanted = [Prefix("10.0.21.0/24"), Prefix("10.0.23.0/24"), Prefix("2001:db8::/32")]
    async with run_snmpd(tmp_path, extra_config=bgp_config(tmp_path)) as agent:
        site = snmp_site("r1", agent.host, agent.port, targeted_bgp=True)
        observation, _ = await poll_one(site, wanted, backend=backend)

    assert observation.error is None
    assert observation.paths is not None
    expected = [expected_path(p) for p in PATHS if p.prefix in ("10.0.0.0/16", "10.0.21.0/24")]
    assert sorted(observation.paths, key=repr) == sorted(expected, key=repr)


async def test_targeted_mode_follows_prefixes_with_more_paths_than_peers(
    tmp_path: Path, community: str, poll_one: PollOne
) -> None:
    # ADD-PATH or a third peer: more rows per prefix than one GETBULK asks for.
    many = [
        PassPath("10.0.21.0/24", f"198.51.100.{n}", f"198.51.100.{n}", med=n, best=n == 1)
        for n in range(1, 13)
    ]
    async with run_snmpd(tmp_path, extra_config=bgp_config(tmp_path, many)) as agent:
        site = snmp_site("r1", agent.host, agent.port, targeted_bgp=True)
        observation, _ = await poll_one(site, [Prefix("10.0.21.0/24")])

    assert observation.paths is not None
    assert sorted(p.med or 0 for p in observation.paths) == list(range(1, 13))


async def test_a_table_larger_than_the_threshold_switches_the_site_to_targeted_mode(
    tmp_path: Path, community: str
) -> None:
    # 300 prefixes x 2 peers stand in for a full Internet table; the intent wants one prefix.
    table = [
        PassPath(f"10.{n // 256}.{n % 256}.0/24", peer, peer, med=med, best=peer == INET)
        for n in range(300)
        for peer, med in ((MPLS, 300), (INET, 200))
    ]
    wanted = [Prefix("10.0.21.0/24")]
    # Walk first, as for an intent too large to read targeted from the start.
    options = CollectOptions(targeted_above_rows=100, auto_targeted=False)
    async with (
        run_snmpd(tmp_path, extra_config=bgp_config(tmp_path, table)) as agent,
        SnmpPoller(options=options) as poller,
    ):
        site = snmp_site("r1", agent.host, agent.port)
        first = await poller.poll_with_stats([site], wanted)
        second = await poller.poll_with_stats([site], wanted)
        third = await poller.poll_with_stats([site], wanted)

    for result in (first, second, third):
        (observation,) = result.snapshot.observations
        assert observation.error is None
        assert observation.paths is not None
        assert {(p.prefix, p.peer) for p in observation.paths} == {
            ("10.0.21.0/24", MPLS),
            ("10.0.21.0/24", INET),
        }
    # The first poll walked into the table before it gave up; the next ones went straight
    # to the intent's rows.
    assert second.varbinds < first.varbinds
    assert third.varbinds == second.varbinds


async def test_net_snmp_override_cannot_make_ipaddress_so_next_hop_is_a_type_error(
    tmp_path: Path, community: str, poll_one: PollOne
) -> None:
    # snmpd's `override` knows integer, uinteger, octet_str, object_id, counter,
    # timeticks and null, not IpAddress: an octet string next hop is what it can do.
    index = "10.0.21.0.24.198.51.100.1"
    entry = ".1.3.6.1.2.1.15.6.1"
    overrides = [
        "override .1.3.6.1.2.1.15.3.1.2.198.51.100.1 integer 6",
        "override .1.3.6.1.2.1.15.3.1.9.198.51.100.1 integer 65000",
        "override .1.3.6.1.2.1.15.3.1.16.198.51.100.1 uinteger 42",
        f"override {entry}.4.{index} integer 1",
        f"override {entry}.5.{index} octet_str 0x0201fde8",
        f"override {entry}.6.{index} octet_str 0xc6336401",
        f"override {entry}.7.{index} integer 100",
        f"override {entry}.8.{index} integer -1",
        f"override {entry}.13.{index} integer 2",
    ]
    async with run_snmpd(tmp_path, extra_config=overrides) as agent:
        observation, _ = await poll_one(snmp_site("r1", agent.host, agent.port))

    assert observation.paths is None
    assert observation.error == (
        "BGP paths not collected: bgp4PathAttrNextHop.10.0.21.0.24.198.51.100.1 "
        "has type OctetString, expected IpAddress"
    )
    # What was read whole before the failure is kept.
    assert observation.peers == (
        BgpPeer(canonical_address(MPLS), PeerState.ESTABLISHED, 65000, 42.0),
    )
    assert observation.interfaces


AUTH_KEY = "auth-key-s3cret"
PRIV_KEY = "priv-key-s3cret"


@pytest.mark.parametrize(
    ("user", "auth", "priv"),
    [
        (
            V3User("alice", AUTH_KEY, PRIV_KEY, "SHA-256", "AES"),
            AuthProtocol.SHA256,
            PrivProtocol.AES128,
        ),
        (
            V3User("bob", AUTH_KEY, PRIV_KEY, "SHA-512", "AES-256-C"),
            AuthProtocol.SHA512,
            PrivProtocol.AES256,
        ),
        (V3User("carol", AUTH_KEY, None, "SHA"), AuthProtocol.SHA, None),
        (V3User("dave"), None, None),
    ],
    ids=[
        "authPriv-sha256-aes128",
        "authPriv-sha512-aes256-reeder",
        "authNoPriv-sha",
        "noAuthNoPriv",
    ],
)
async def test_snmpv3_security_levels_read_the_agent(
    *,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    poll_one: PollOne,
    user: V3User,
    auth: AuthProtocol | None,
    priv: PrivProtocol | None,
) -> None:
    monkeypatch.setenv("SPRMON_TEST_AUTH", AUTH_KEY)
    monkeypatch.setenv("SPRMON_TEST_PRIV", PRIV_KEY)
    async with run_snmpd(tmp_path, users=[user], extra_config=bgp_config(tmp_path)) as agent:
        site = snmp_site(
            "r1",
            agent.host,
            agent.port,
            version=SnmpVersion.V3,
            community=None,
            user=user.name,
            auth_protocol=auth,
            auth_key=SecretRef(env="SPRMON_TEST_AUTH") if auth else None,
            priv_protocol=priv,
            priv_key=SecretRef(env="SPRMON_TEST_PRIV") if priv else None,
        )
        observation, _ = await poll_one(site)

    assert observation.error is None
    assert observation.interfaces
    assert observation.paths is not None and len(observation.paths) == len(PATHS)


def v3_site(host: str, port: int, user: str = "alice") -> SnmpSite:
    return snmp_site(
        "r1",
        host,
        port,
        version=SnmpVersion.V3,
        community=None,
        user=user,
        auth_protocol=AuthProtocol.SHA256,
        auth_key=SecretRef(env="SPRMON_TEST_AUTH"),
        priv_protocol=PrivProtocol.AES128,
        priv_key=SecretRef(env="SPRMON_TEST_PRIV"),
        timeout_s=0.5,
        retries=1,
    )


async def test_wrong_v3_auth_key_is_an_auth_error_that_shows_no_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    poll_one: PollOne,
) -> None:
    wrong = "wrong-auth-k3y"
    monkeypatch.setenv("SPRMON_TEST_AUTH", wrong)
    monkeypatch.setenv("SPRMON_TEST_PRIV", PRIV_KEY)
    caplog.set_level(logging.DEBUG)
    async with run_snmpd(tmp_path, users=[V3User("alice", AUTH_KEY, PRIV_KEY)]) as agent:
        observation, _ = await poll_one(v3_site(agent.host, agent.port))

    assert observation.error == (
        f"authentication failed at {agent.address}: wrong SNMPv3 credentials for user 'alice' "
        "(usmStatsWrongDigests): check the auth key and protocol"
    )
    for text in (observation.error, caplog.text):
        for secret in (wrong, AUTH_KEY, PRIV_KEY):
            assert secret not in text


async def test_wrong_v3_privacy_key_times_out_and_says_the_key_may_be_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, poll_one: PollOne
) -> None:
    # snmpd drops what it cannot decrypt without a Report: only a timeout is honest.
    monkeypatch.setenv("SPRMON_TEST_AUTH", AUTH_KEY)
    monkeypatch.setenv("SPRMON_TEST_PRIV", "wrong-priv-k3y")
    async with run_snmpd(tmp_path, users=[V3User("alice", AUTH_KEY, PRIV_KEY)]) as agent:
        observation, _ = await poll_one(v3_site(agent.host, agent.port))

    assert observation.error is not None
    assert observation.error.startswith(f"no answer from {agent.address} after 2 tries")
    assert "wrong SNMPv3 privacy key" in observation.error
    assert "wrong-priv-k3y" not in observation.error


async def test_unknown_v3_user_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, poll_one: PollOne
) -> None:
    monkeypatch.setenv("SPRMON_TEST_AUTH", AUTH_KEY)
    monkeypatch.setenv("SPRMON_TEST_PRIV", PRIV_KEY)
    async with run_snmpd(tmp_path, users=[V3User("alice", AUTH_KEY, PRIV_KEY)]) as agent:
        observation, _ = await poll_one(v3_site(agent.host, agent.port, user="mallory"))

    assert observation.error == (
        f"agent {agent.address} does not know SNMPv3 user 'mallory' (usmStatsUnknownUserNames)"
    )


@pytest.mark.parametrize("backend", BACKENDS)
async def test_wrong_community_is_a_timeout_that_names_the_community_as_a_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, poll_one: PollOne, backend: str
) -> None:
    monkeypatch.setenv("SPRMON_TEST_COMMUNITY", "not-the-community")
    async with run_snmpd(tmp_path) as agent:
        site = snmp_site("r1", agent.host, agent.port, timeout_s=0.3, retries=1)
        observation, _ = await poll_one(site, backend=backend)

    assert observation.error == (
        f"no answer from {agent.address} after 2 tries (timeout 0.3 s): agent down, or wrong "
        "community (agents drop requests with an unknown community without answering)"
    )
    assert "not-the-community" not in observation.error
    assert observation.interfaces is None and observation.paths is None
