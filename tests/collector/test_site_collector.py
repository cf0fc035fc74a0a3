"""One site's poll over an in-memory agent: the stages, and the BGP peer columns.

The same poll against real agents: ``test_snmpd.py`` (Net-SNMP), ``test_lab.py``
(the lab's pysnmp agents) and ``test_misbehaving_agents.py``.
"""

from __future__ import annotations

from sprmon.collector.mibs import IF_COLUMNS_32, IF_COLUMNS_HC, PEER_COLUMNS
from sprmon.collector.snmp_collector import IF_HC, SiteCollector
from sprmon.core.observed import BgpPeer, PeerState, SiteObservation
from sprmon.core.prefixes import Address, canonical_address
from sprmon.smi import Oid, SnmpValue, ValueKind
from sprmon.snmp_oids import (
    BGP,
    BGP_LOCAL_AS,
    IF_NUMBER,
    SYS_UP_TIME,
    BgpPathEntry,
    BgpPeerEntry,
    IfEntry,
    IfXEntry,
)
from tests.collector.scripted import TableSession

MPLS = (198, 51, 100, 1)
INET = (203, 0, 113, 1)


def integer(n: int) -> SnmpValue:
    return SnmpValue(ValueKind.INTEGER, n)


def counter32(n: int) -> SnmpValue:
    return SnmpValue(ValueKind.COUNTER32, n)


def gauge(n: int) -> SnmpValue:
    return SnmpValue(ValueKind.GAUGE32, n)


def router(transitions: dict[tuple[int, ...], SnmpValue] | None = None) -> dict[Oid, SnmpValue]:
    """A small router: one interface, an established and an idle BGP peer
    (``transitions``: their bgpPeerFsmEstablishedTransitions, None for none
    served), one path."""
    if transitions is None:
        transitions = {MPLS: counter32(3), INET: counter32(0)}
    table: dict[Oid, SnmpValue] = {
        (*SYS_UP_TIME, 0): SnmpValue(ValueKind.TIMETICKS, 4200),
        (*IF_NUMBER, 0): integer(1),
        (*IfEntry.SPEED, 1): gauge(10_000_000),
        (*IfEntry.OPER_STATUS, 1): integer(1),
        (*IfXEntry.NAME, 1): SnmpValue(ValueKind.OCTET_STRING, b"eth1"),
        (*IfXEntry.HC_IN_OCTETS, 1): SnmpValue(ValueKind.COUNTER64, 10),
        (*IfXEntry.HC_OUT_OCTETS, 1): SnmpValue(ValueKind.COUNTER64, 20),
        (*BGP_LOCAL_AS, 0): integer(65101),
    }
    for peer, state, seconds in ((MPLS, 6, 3600), (INET, 1, 12)):
        table[(*BgpPeerEntry.STATE, *peer)] = integer(state)
        table[(*BgpPeerEntry.REMOTE_AS, *peer)] = integer(65000)
        table[(*BgpPeerEntry.FSM_ESTABLISHED_TIME, *peer)] = gauge(seconds)
    for row, count in transitions.items():
        table[(*BgpPeerEntry.FSM_ESTABLISHED_TRANSITIONS, *row)] = count
    index: Oid = (10, 0, 21, 0, 24, *MPLS)
    for column, value in (
        (BgpPathEntry.ORIGIN, integer(1)),
        (BgpPathEntry.AS_PATH, SnmpValue(ValueKind.OCTET_STRING, bytes([2, 1, 0xFD, 0xE8]))),
        (BgpPathEntry.NEXT_HOP, SnmpValue(ValueKind.IP_ADDRESS, bytes(MPLS))),
        (BgpPathEntry.MED, integer(100)),
        (BgpPathEntry.LOCAL_PREF, integer(-1)),
        (BgpPathEntry.BEST, integer(2)),
    ):
        table[(*column, *index)] = value
    return table


async def poll(session: TableSession) -> SiteObservation:
    collector = SiteCollector(session, site="r1", clock=lambda: 1000.0)
    await collector.run()
    return collector.observation()


def address(octets: tuple[int, ...]) -> Address:
    return canonical_address(".".join(map(str, octets)))


async def test_a_poll_reads_uptime_interfaces_peers_and_paths() -> None:
    observation = await poll(TableSession(router()))

    assert observation.error is None
    assert observation.uptime_ticks == 4200
    assert observation.interfaces is not None
    assert [i.name for i in observation.interfaces] == ["eth1"]
    assert observation.paths is not None
    assert [(p.prefix, p.med, p.best) for p in observation.paths] == [("10.0.21.0/24", 100, True)]


async def test_established_transitions_are_read_for_every_peer_whatever_its_state() -> None:
    observation = await poll(TableSession(router()))

    assert observation.peers == (
        BgpPeer(address(MPLS), PeerState.ESTABLISHED, 65000, 3600.0, established_transitions=3),
        BgpPeer(address(INET), PeerState.IDLE, 65000, None, established_transitions=0),
    )


async def test_established_transitions_come_in_the_same_request_as_the_other_peer_columns() -> None:
    session = TableSession(router())

    await poll(session)

    peer_requests = [
        request
        for request in session.requests
        if any(oid[: len(BgpPeerEntry.STATE)] in PEER_COLUMNS for oid in request.oids)
    ]
    assert len(peer_requests) == 1
    assert set(peer_requests[0].oids) == set(PEER_COLUMNS)
    assert BgpPeerEntry.FSM_ESTABLISHED_TRANSITIONS in PEER_COLUMNS


async def test_an_agent_without_the_transitions_column_gives_no_count() -> None:
    observation = await poll(TableSession(router(transitions={})))

    assert observation.error is None
    assert observation.peers is not None
    assert [p.established_transitions for p in observation.peers] == [None, None]


async def test_the_largest_counter32_is_a_count() -> None:
    observation = await poll(
        TableSession(router(transitions={MPLS: counter32(2**32 - 1), INET: counter32(0)}))
    )

    assert observation.peers is not None
    assert observation.peers[0].established_transitions == 2**32 - 1


async def test_transitions_beyond_the_counter32_range_lose_the_peers_only() -> None:
    # sprmon's BER decoder reads an unsigned value of any length; a Counter32
    # cannot hold this one, so the agent is broken.
    observation = await poll(
        TableSession(router(transitions={MPLS: counter32(2**32), INET: counter32(0)}))
    )

    assert observation.error == (
        "BGP peers not collected: bgpPeerFsmEstablishedTransitions.198.51.100.1 is "
        "4294967296, outside the Counter32 range 0..4294967295"
    )
    assert observation.peers is None
    assert observation.paths is not None and observation.interfaces is not None


async def test_transitions_of_another_type_are_a_wrong_type() -> None:
    observation = await poll(TableSession(router(transitions={MPLS: gauge(3), INET: counter32(0)})))

    assert observation.error == (
        "BGP peers not collected: bgpPeerFsmEstablishedTransitions.198.51.100.1 has type "
        "Gauge32, expected Counter32"
    )
    assert observation.peers is None


async def test_a_site_polled_before_sends_its_probe_inside_the_interface_walk() -> None:
    cold_session = TableSession(router())
    cold = SiteCollector(cold_session, site="r1", clock=lambda: 1000.0)
    await cold.run()
    session = TableSession(router())

    again = SiteCollector(session, site="r1", clock=lambda: 1000.0, hints=cold.row_counts)
    await again.run()

    assert again.observation() == cold.observation()
    assert [r.kind for r in session.requests] == ["get_bulk"] * (len(cold_session.requests) - 1)
    first = session.requests[0]
    assert first.non_repeaters == 4
    assert first.oids[:4] == (SYS_UP_TIME, IF_NUMBER, BGP, IfXEntry.NAME)
    assert set(first.oids[4:]) == set(IF_COLUMNS_HC)


async def test_a_folded_probe_that_finds_ifxtable_gone_walks_iftable_instead() -> None:
    cold = SiteCollector(TableSession(router()), site="r1", clock=lambda: 1000.0)
    await cold.run()
    no_ifx = {oid: value for oid, value in router().items() if oid[:9] != IfXEntry.NAME[:9]}
    session = TableSession(no_ifx)

    again = SiteCollector(session, site="r1", clock=lambda: 1000.0, hints=cold.row_counts)
    await again.run()

    observation = again.observation()
    assert observation.error is None
    assert observation.interfaces is not None
    assert [(i.index, i.counter_bits) for i in observation.interfaces] == [(1, 32)]
    assert set(session.requests[1].oids) == set(IF_COLUMNS_32)
    assert again.row_counts[IF_HC] == 0


async def test_a_folded_request_the_agent_answers_badly_is_sent_again_as_a_plain_probe() -> None:
    cold = SiteCollector(TableSession(router()), site="r1", clock=lambda: 1000.0)
    await cold.run()
    session = TableSession(router(), truncate_to=2)

    again = SiteCollector(session, site="r1", clock=lambda: 1000.0, hints=cold.row_counts)
    await again.run()

    observation = again.observation()
    assert observation.error is not None
    assert "answered 2 variable bindings to a GETNEXT of 4" in observation.error
    assert observation.interfaces is None and observation.peers is None
    assert [(r.kind, r.non_repeaters) for r in session.requests] == [
        ("get_bulk", 4),
        ("get_next", 0),
    ]
