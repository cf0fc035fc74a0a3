"""Targeted BGP reading: decided before the first walk, and asking only for the rows a
verdict needs. Variable bindings are counted on the wire, per request."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from sprmon.collector.client import SnmpClient
from sprmon.collector.snmp_collector import CollectOptions, CollectorSession, SiteCollector
from sprmon.collector.targeted import choose_targeted, read_targeted
from sprmon.core.observed import BgpPeer, PeerState
from sprmon.core.prefixes import Address, Prefix
from sprmon.intentfile import load_config
from sprmon.inventory import SnmpTarget
from sprmon.lab import run_lab
from sprmon.realpeers.snmpd import run_snmpd
from sprmon.smi import Oid, SnmpValue, ValueKind, VarBind
from sprmon.snmp_oids import BGP_PATH_ENTRY, BgpPathEntry
from tests.collector.scripted import TableSession
from tests.peers.bgp_pass import PassPath, PassPeer, bgp_objects, pass_persist_line, write_table
from tests.peers.sites import snmp_site

MPLS, INET = "198.51.100.1", "203.0.113.1"
BOTH_UP = [PassPeer(MPLS, 6, 65000, 3600), PassPeer(INET, 6, 65000, 3600)]
#: Six columns (origin, AS path, next hop, MED, local preference, best) per path.
COLUMNS = 6


class PathTableTally:
    """A session that counts the requests and variable bindings spent on bgp4PathAttrTable."""

    def __init__(self, session: CollectorSession) -> None:
        self._session = session
        self.requests = 0
        self.varbinds = 0

    @property
    def target(self) -> SnmpTarget:
        return self._session.target

    @property
    def address(self) -> str:
        return self._session.address

    def _count(self, oids: Sequence[Oid], answer: list[VarBind]) -> list[VarBind]:
        if any(oid[: len(BGP_PATH_ENTRY)] == BGP_PATH_ENTRY for oid in oids):
            self.requests += 1
            self.varbinds += len(answer)
        return answer

    async def get_next(self, oids: Sequence[Oid]) -> list[VarBind]:
        return self._count(oids, await self._session.get_next(oids))

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        return self._count(oids, await self._session.get(oids))

    async def get_bulk(
        self, oids: Sequence[Oid], *, max_repetitions: int, non_repeaters: int = 0
    ) -> list[VarBind]:
        answer = await self._session.get_bulk(
            oids, max_repetitions=max_repetitions, non_repeaters=non_repeaters
        )
        return self._count(oids, answer)


async def _collect(
    target: SnmpTarget, prefixes: Sequence[Prefix], options: CollectOptions | None = None
) -> tuple[SiteCollector, PathTableTally]:
    async with SnmpClient() as client, client.session(target) as session:
        tally = PathTableTally(session)
        collector = SiteCollector(tally, site="r1", prefixes=prefixes, options=options)
        await collector.run()
    assert collector.errors == []
    return collector, tally


@pytest.mark.peer
async def test_a_lab_site_costs_one_row_per_peer_and_column_for_its_three_prefixes(
    tmp_path: Path,
) -> None:
    async with run_lab(
        sites=1, seed=5, intent_path=tmp_path / "intent.yaml", tick=3600, control=False
    ) as lab:
        assert lab.intent_path is not None
        loaded = load_config(lab.intent_path)
        intent = loaded.intent
        prefixes = [p for app in intent.applications for p in app.prefixes]
        (site,) = intent.sites
        target = loaded.inventory.snmp(site.name)
        assert target is not None
        collector, tally = await _collect(target, prefixes)
        expected = lab.model.observation(site.name, ipv4_only=True).paths

    assert len(prefixes) == 3
    assert collector.paths is not None and expected is not None
    assert set(collector.paths) == set(expected)
    # 3 prefixes x 2 peers x 6 columns, in one GETBULK: no probe, no row past the end.
    assert (tally.requests, tally.varbinds) == (1, 3 * 2 * COLUMNS)


def _internet_table(prefixes: int) -> list[PassPath]:
    return [
        PassPath(f"10.{n // 256}.{n % 256}.0/24", peer, peer, med=med, best=peer == INET)
        for n in range(prefixes)
        for peer, med in ((MPLS, 300), (INET, 200))
    ]


@pytest.mark.peer
async def test_a_fresh_poll_reads_only_the_intent_rows_of_a_large_table_without_walking_it(
    tmp_path: Path, community: str
) -> None:
    table = _internet_table(400)
    wanted = [Prefix("10.0.21.0/24"), Prefix("10.1.2.0/24"), Prefix("10.1.7.0/24")]
    config = [pass_persist_line(write_table(tmp_path, bgp_objects(table, BOTH_UP)))]
    async with run_snmpd(tmp_path, extra_config=config) as agent:
        target = snmp_site("r1", agent.host, agent.port).target
        assert target is not None
        collector, tally = await _collect(target, wanted)
        _, walked = await _collect(target, wanted, CollectOptions(auto_targeted=False))

    assert collector.paths is not None
    assert {(p.prefix, p.peer) for p in collector.paths} == {
        (prefix, peer) for prefix in wanted for peer in (MPLS, INET)
    }
    assert (tally.requests, tally.varbinds) == (1, 3 * 2 * COLUMNS)
    # What the walk would have cost: every row of every column.
    assert walked.varbinds >= len(table) * COLUMNS


@pytest.mark.peer
async def test_a_prefix_missing_from_the_table_reads_only_its_longest_covering_prefix(
    tmp_path: Path, community: str
) -> None:
    table = [
        PassPath("10.0.0.0/8", INET, INET, med=200, best=True),
        PassPath("10.0.0.0/16", MPLS, MPLS, med=300, best=True),
        PassPath("10.0.21.0/24", MPLS, MPLS, med=100, best=True),
    ]
    wanted = [Prefix("10.0.21.0/24"), Prefix("10.0.23.0/24")]
    config = [pass_persist_line(write_table(tmp_path, bgp_objects(table, BOTH_UP)))]
    async with run_snmpd(tmp_path, extra_config=config) as agent:
        target = snmp_site("r1", agent.host, agent.port).target
        assert target is not None
        collector, _ = await _collect(target, wanted)

    assert collector.paths is not None
    assert {p.prefix for p in collector.paths} == {"10.0.21.0/24", "10.0.0.0/16"}


def _peers(*states: PeerState) -> tuple[BgpPeer, ...]:
    return tuple(BgpPeer(Address(f"192.0.2.{n}"), state) for n, state in enumerate(states, 1))


UP = PeerState.ESTABLISHED


@pytest.mark.parametrize(
    ("prefixes", "peers", "walked_rows", "targeted"),
    [
        pytest.param(3, _peers(UP, UP), None, True, id="few prefixes, table unknown"),
        pytest.param(5000, _peers(UP, UP), None, True, id="up to the walk's limit"),
        pytest.param(5001, _peers(UP, UP), None, False, id="past the walk's limit"),
        pytest.param(3, _peers(UP, UP), 6, True, id="a table of just the intent"),
        pytest.param(300, _peers(UP, UP), 40, False, id="a table smaller than the intent"),
        pytest.param(0, _peers(UP, UP), None, False, id="no prefix: the whole table"),
        pytest.param(3, None, None, True, id="peers unknown"),
    ],
)
def test_targeted_mode_is_chosen_when_it_costs_no_more_than_a_walk(
    prefixes: int, peers: tuple[BgpPeer, ...] | None, walked_rows: int | None, targeted: bool
) -> None:
    wanted = [Prefix(f"10.{n // 256}.{n % 256}.0/24") for n in range(prefixes)]
    assert choose_targeted(wanted, peers, walked_rows=walked_rows, limit_rows=10_000) is targeted


def test_ipv6_prefixes_alone_are_no_reason_for_targeted_mode() -> None:
    ipv6 = [Prefix("2001:db8::/32")]
    assert not choose_targeted(ipv6, _peers(UP), walked_rows=None, limit_rows=10_000)


def _path_rows(prefix: tuple[int, ...], peers: Sequence[tuple[int, ...]]) -> dict[Oid, SnmpValue]:
    table: dict[Oid, SnmpValue] = {}
    for peer in peers:
        index = (*prefix, *peer)
        table[(*BgpPathEntry.ORIGIN, *index)] = SnmpValue(ValueKind.INTEGER, 1)
        table[(*BgpPathEntry.AS_PATH, *index)] = SnmpValue(ValueKind.OCTET_STRING, b"")
        table[(*BgpPathEntry.NEXT_HOP, *index)] = SnmpValue(ValueKind.IP_ADDRESS, bytes(peer))
        table[(*BgpPathEntry.MED, *index)] = SnmpValue(ValueKind.INTEGER, 100)
        table[(*BgpPathEntry.LOCAL_PREF, *index)] = SnmpValue(ValueKind.INTEGER, 100)
        best = 2 if peer[0] < 200 else 1
        table[(*BgpPathEntry.BEST, *index)] = SnmpValue(ValueKind.INTEGER, best)
    return table


async def test_a_peer_down_costs_one_more_request_not_a_wrong_answer() -> None:
    # Graceful restart keeps the paths of a peer whose session is down.
    up, down = (198, 51, 100, 1), (203, 0, 113, 1)
    session = TableSession(_path_rows((10, 0, 21, 0, 24), [up, down]))
    peers = (
        BgpPeer(Address("198.51.100.1"), PeerState.ESTABLISHED),
        BgpPeer(Address("203.0.113.1"), PeerState.IDLE),
    )

    paths = await read_targeted(
        session,
        [Prefix("10.0.21.0/24")],
        peers,
        max_rows=100,
        max_varbinds=64,
        max_repetitions=25,
        probe_batch=32,
    )

    assert {p.peer for p in paths} == {"198.51.100.1", "203.0.113.1"}
    assert [r.max_repetitions for r in session.requests] == [1, 2]


async def test_peers_all_up_need_one_request_and_no_row_past_the_prefix() -> None:
    up = [(198, 51, 100, 1), (203, 0, 113, 1)]
    table = {
        **_path_rows((10, 0, 21, 0, 24), up),
        **_path_rows((10, 0, 22, 0, 24), up),
    }
    session = TableSession(table)
    peers = tuple(BgpPeer(Address(".".join(map(str, p))), UP) for p in up)

    paths = await read_targeted(
        session,
        [Prefix("10.0.21.0/24")],
        peers,
        max_rows=100,
        max_varbinds=64,
        max_repetitions=25,
        probe_batch=32,
    )

    assert len(paths) == 2
    assert len(session.requests) == 1
    assert session.varbinds == 2 * COLUMNS
