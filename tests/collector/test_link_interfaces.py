"""Only the link interfaces' rows: a name looked up once in the name column, every column
of those rows read by GET, the ifIndex remembered for the next poll."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from sprmon.collector.client import SnmpClient
from sprmon.collector.link_interfaces import IF_INDEX_HINT
from sprmon.collector.mibs import IF_COLUMNS_HC
from sprmon.collector.poller import PollResult, SnmpPoller, SnmpSite
from sprmon.collector.snmp_collector import CollectorSession, SiteCollector
from sprmon.core.intent import Site, SiteLink
from sprmon.core.observed import SiteObservation
from sprmon.intentfile import load_config
from sprmon.inventory import SnmpTarget
from sprmon.lab import run_lab
from sprmon.realpeers.snmpd import run_snmpd
from sprmon.smi import Oid, SnmpValue, ValueKind, VarBind
from sprmon.snmp_oids import IF_ENTRY, IF_NUMBER, SYS_UP_TIME, IfEntry, IfXEntry
from tests.collector.scripted import Request, TableSession
from tests.peers.sites import snmp_site

IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"


def _octets(text: str) -> SnmpValue:
    return SnmpValue(ValueKind.OCTET_STRING, text.encode())


def router(names: Mapping[int, str], *, ifx: bool = True) -> dict[Oid, SnmpValue]:
    """A router with these interfaces (ifIndex: name), no BGP4-MIB."""
    table: dict[Oid, SnmpValue] = {
        (*SYS_UP_TIME, 0): SnmpValue(ValueKind.TIMETICKS, 4200),
        (*IF_NUMBER, 0): SnmpValue(ValueKind.INTEGER, len(names)),
    }
    for index, name in names.items():
        table[(*IfEntry.DESCR, index)] = _octets(f"{name} (descr)" if ifx else name)
        table[(*IfEntry.SPEED, index)] = SnmpValue(ValueKind.GAUGE32, 10_000_000)
        table[(*IfEntry.OPER_STATUS, index)] = SnmpValue(ValueKind.INTEGER, 1)
        table[(*IfEntry.IN_OCTETS, index)] = SnmpValue(ValueKind.COUNTER32, 100 * index)
        table[(*IfEntry.OUT_OCTETS, index)] = SnmpValue(ValueKind.COUNTER32, 200 * index)
        if ifx:
            table[(*IfXEntry.NAME, index)] = _octets(name)
            table[(*IfXEntry.HC_IN_OCTETS, index)] = SnmpValue(ValueKind.COUNTER64, 10 * index)
            table[(*IfXEntry.HC_OUT_OCTETS, index)] = SnmpValue(ValueKind.COUNTER64, 20 * index)
    return table


def links(*interfaces: str | int) -> tuple[SiteLink, ...]:
    return tuple(
        SiteLink(
            role=f"link{n}",
            capacity_bps=10_000_000,
            interface_name=interface if isinstance(interface, str) else None,
            interface_index=interface if isinstance(interface, int) else None,
        )
        for n, interface in enumerate(interfaces)
    )


async def poll(
    session: CollectorSession,
    site_links: Sequence[SiteLink],
    hints: Mapping[str, int] | None = None,
) -> SiteCollector:
    collector = SiteCollector(session, site="r1", links=site_links, hints=hints)
    await collector.run()
    return collector


def interface_errors(collector: SiteCollector) -> list[str]:
    """The poll's errors but the one every poll here has: the router serves no BGP4-MIB."""
    return [error for error in collector.errors if "BGP4-MIB" not in error]


def kinds(requests: list[Request]) -> list[tuple[str, tuple[Oid, ...]]]:
    """Each request's kind and the columns it asked for (a GET's row indexes left out)."""
    return [
        (r.kind, tuple(dict.fromkeys(oid[:-1] if r.kind == "get" else oid for oid in r.oids)))
        for r in requests
    ]


NAME_WALK = ("get_bulk", (IfXEntry.NAME,))


async def test_a_poll_reads_the_name_column_then_only_the_link_interfaces_rows() -> None:
    session = TableSession(router({1: "lo", 2: "eth1", 3: "eth2", 4: "eth3"}))

    collector = await poll(session, links("eth1", "eth2"))

    assert interface_errors(collector) == []
    assert [(i.index, i.name, i.in_octets) for i in collector.interfaces or ()] == [
        (2, "eth1", 20),
        (3, "eth2", 30),
    ]
    probe, names, rows = session.requests
    assert probe.kind == "get_next"
    assert kinds([names]) == [NAME_WALK]
    assert rows.kind == "get"
    assert set(rows.oids) == {(*column, index) for column in IF_COLUMNS_HC for index in (2, 3)}
    assert collector.row_counts == {
        "interfaces": 4,
        f"{IF_INDEX_HINT}eth1": 2,
        f"{IF_INDEX_HINT}eth2": 3,
    }


async def test_the_next_poll_reads_the_remembered_rows_without_walking_the_names() -> None:
    table = router({1: "lo", 2: "eth1", 3: "eth2"})
    first = await poll(TableSession(table), links("eth1", "eth2"))
    session = TableSession(table)

    second = await poll(session, links("eth1", "eth2"), first.row_counts)

    assert second.interfaces == first.interfaces
    assert [r.kind for r in session.requests] == ["get_next", "get"]
    assert second.row_counts == first.row_counts


async def test_a_renumbered_interface_is_looked_up_again_in_the_same_poll() -> None:
    hints = {"interfaces": 4, f"{IF_INDEX_HINT}eth1": 2, f"{IF_INDEX_HINT}eth2": 3}
    # After a reboot, eth1 is ifIndex 7 and ifIndex 2 is another interface.
    session = TableSession(router({1: "lo", 2: "wlan0", 3: "eth2", 7: "eth1"}))

    collector = await poll(session, links("eth1", "eth2"), hints)

    found = {i.name: i.index for i in collector.interfaces or ()}
    assert found["eth1"] == 7 and found["eth2"] == 3
    assert kinds(session.requests)[1:] == [
        ("get", IF_COLUMNS_HC),
        NAME_WALK,
        ("get", IF_COLUMNS_HC),
    ]
    assert collector.row_counts[f"{IF_INDEX_HINT}eth1"] == 7


async def test_a_link_given_by_ifindex_is_read_by_get_alone() -> None:
    session = TableSession(router({1: "lo", 2: "eth1", 3: "eth2"}))

    collector = await poll(session, links(3))

    assert [(i.index, i.name) for i in collector.interfaces or ()] == [(3, "eth2")]
    assert [r.kind for r in session.requests] == ["get_next", "get"]


async def test_an_interface_the_router_lacks_is_left_out_as_from_a_walked_table() -> None:
    session = TableSession(router({1: "lo", 2: "eth1"}))

    collector = await poll(session, links("eth1", "eth9", 5))

    assert interface_errors(collector) == []
    assert [i.name for i in collector.interfaces or ()] == ["eth1"]
    assert f"{IF_INDEX_HINT}eth9" not in collector.row_counts


async def test_a_name_given_twice_is_its_lowest_ifindex_as_in_the_whole_table() -> None:
    session = TableSession(router({1: "lo", 4: "eth1", 6: "eth1"}))

    collector = await poll(session, links("eth1"))

    assert [i.index for i in collector.interfaces or ()] == [4]


async def test_without_ifxtable_names_come_from_ifdescr_and_counters_are_32_bit() -> None:
    session = TableSession(router({1: "lo", 2: "eth1", 3: "eth2"}, ifx=False))

    collector = await poll(session, links("eth2"))

    assert [(i.index, i.name, i.counter_bits, i.in_octets) for i in collector.interfaces or ()] == [
        (3, "eth2", 32, 300)
    ]
    assert kinds(session.requests)[1] == ("get_bulk", (IfEntry.DESCR,))
    assert all(oid[: len(IF_ENTRY)] == IF_ENTRY for oid in session.requests[2].oids)


async def test_links_that_name_no_interface_leave_the_whole_table_read() -> None:
    session = TableSession(router({1: "lo", 2: "eth1", 3: "eth2"}))

    collector = await poll(session, (SiteLink(role="mpls", capacity_bps=10_000_000),))

    assert [i.name for i in collector.interfaces or ()] == ["lo", "eth1", "eth2"]
    assert "get" not in [r.kind for r in session.requests]


class Tally:
    """A session that records the kind and size of each request and its answer."""

    def __init__(self, session: CollectorSession) -> None:
        self._session = session
        self.log: list[tuple[str, int]] = []

    @property
    def target(self) -> SnmpTarget:
        return self._session.target

    @property
    def address(self) -> str:
        return self._session.address

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        answer = await self._session.get(oids)
        self.log.append(("get", len(answer)))
        return answer

    async def get_next(self, oids: Sequence[Oid]) -> list[VarBind]:
        answer = await self._session.get_next(oids)
        self.log.append(("get_next", len(answer)))
        return answer

    async def get_bulk(
        self, oids: Sequence[Oid], *, max_repetitions: int, non_repeaters: int = 0
    ) -> list[VarBind]:
        answer = await self._session.get_bulk(
            oids, max_repetitions=max_repetitions, non_repeaters=non_repeaters
        )
        self.log.append(("get_bulk", len(answer)))
        return answer


@pytest.mark.peer
async def test_a_lab_site_reads_its_two_link_interfaces_and_no_other_row(tmp_path: Path) -> None:
    async with run_lab(
        sites=1, seed=5, intent_path=tmp_path / "intent.yaml", tick=3600, control=False
    ) as lab:
        assert lab.intent_path is not None
        loaded = load_config(lab.intent_path)
        (site,) = loaded.intent.sites
        target = loaded.inventory.snmp(site.name)
        assert target is not None
        async with SnmpClient() as client, client.session(target) as session:
            whole = SiteCollector(session, site=site.name)
            await whole.run(paths=False)
            first = SiteCollector(Tally(session), site=site.name, links=site.links)
            await first.run(paths=False)
            tally = Tally(session)
            second = SiteCollector(tally, site=site.name, links=site.links, hints=first.row_counts)
            await second.run(paths=False)

    assert whole.interfaces is not None and len(whole.interfaces) == 3
    named = {link.interface_name for link in site.links}
    assert first.interfaces == tuple(i for i in whole.interfaces if i.name in named)
    assert second.interfaces == first.interfaces
    # The probe, the peers; one GET of 11 columns x 2 interfaces, and no walk of ifTable.
    assert tally.log[0] == ("get_next", 4)
    assert ("get", 11 * 2) in tally.log
    assert len(tally.log) == 3


@pytest.mark.peer
async def test_net_snmp_serves_the_link_interfaces_rows_by_get(
    tmp_path: Path, community: str
) -> None:
    async with run_snmpd(tmp_path) as agent:
        names = {
            int(oid.rsplit(".", 1)[1]): value.strip('"')
            for oid, _, value in await agent.bulkwalk(IF_NAME)
        }
        base = snmp_site("r1", agent.host, agent.port)
        other = max(names)
        site = Site(name="r1", links=links("lo", other))
        async with SnmpPoller() as poller:
            first = await poller.poll_with_stats([SnmpSite(site, base.target)])
            second = await poller.poll_with_stats([SnmpSite(site, base.target)])
        counters = {
            int(oid.rsplit(".", 1)[1]): int(value)
            for oid, _, value in await agent.bulkwalk(IF_HC_IN)
        }

    def read(result: PollResult) -> SiteObservation:
        (observation,) = result.snapshot.observations
        return observation

    lo = min(index for index, name in names.items() if name == "lo")
    for observation in (read(first), read(second)):
        assert "interfaces" not in (observation.error or "")  # snmpd serves no BGP4-MIB here
        assert observation.interfaces is not None
        assert [(i.index, i.name) for i in observation.interfaces] == sorted(
            {(lo, "lo"), (other, names[other])}
        )
        for interface in observation.interfaces:
            assert interface.in_octets is not None
            assert interface.in_octets <= counters[interface.index]
    # The second poll remembers where lo is: no walk of the name column, fewer bindings.
    assert second.varbinds < first.varbinds
