"""Rendering the model as MIB rows (pure, no sockets)."""

from __future__ import annotations

import pytest

from sprmon.lab.faults import Fault
from sprmon.lab.mib import as_path_segments, is_known_object, render
from sprmon.lab.model import WanModel
from sprmon.smi import Oid, SnmpValue, ValueKind
from sprmon.snmp_oids import SYS_UP_TIME, BgpPathEntry, BgpPeerEntry, IfEntry, IfXEntry

T0 = 1_767_225_600.0
MPLS_PEER = (198, 51, 100, 1)
INET_PEER = (203, 0, 113, 1)
LEGACY = (10, 0, 21, 0, 24)


def path_row(column: Oid, prefix: tuple[int, ...], peer: tuple[int, ...]) -> Oid:
    return (*column, *prefix, *peer)


def test_rows_are_sorted_and_unique() -> None:
    view = render(WanModel(sites=3, seed=1, start=T0), "site-002")
    assert list(view.oids) == sorted(set(view.oids))


def test_bgp_path_rows_are_indexed_by_prefix_length_and_peer() -> None:
    m = WanModel(sites=1, seed=1, start=T0)
    view = render(m, "site-001")
    assert view.get(path_row(BgpPathEntry.MED, LEGACY, MPLS_PEER)) == SnmpValue(
        ValueKind.INTEGER, 100
    )
    assert view.get(path_row(BgpPathEntry.MED, LEGACY, INET_PEER)) == SnmpValue(
        ValueKind.INTEGER, 200
    )
    assert view.get(path_row(BgpPathEntry.BEST, LEGACY, MPLS_PEER)) == SnmpValue(
        ValueKind.INTEGER, 2
    )
    assert view.get(path_row(BgpPathEntry.BEST, LEGACY, INET_PEER)) == SnmpValue(
        ValueKind.INTEGER, 1
    )
    assert view.get(path_row(BgpPathEntry.NEXT_HOP, LEGACY, MPLS_PEER)) == SnmpValue(
        ValueKind.IP_ADDRESS, bytes(MPLS_PEER)
    )
    assert view.get(path_row(BgpPathEntry.AS_PATH, LEGACY, MPLS_PEER)) == SnmpValue(
        ValueKind.OCTET_STRING, bytes([2, 1, 0xFD, 0xE8])
    )


def test_only_ipv4_paths_are_rendered() -> None:
    m = WanModel(sites=1, seed=1, start=T0)
    view = render(m, "site-001")
    best_rows = view.rows(BgpPathEntry.BEST)
    v4_paths = [p for p in m.paths("site-001") if ":" not in p.prefix]
    assert len(best_rows) == len(v4_paths) == 6


def test_a_withdrawn_path_disappears_and_the_other_becomes_best() -> None:
    m = WanModel(sites=1, seed=1, start=T0)
    m.inject("site-001", Fault.LINK_DOWN, link="mpls", now=T0 + 1)
    view = render(m, "site-001")
    assert view.get(path_row(BgpPathEntry.BEST, LEGACY, MPLS_PEER)) is None
    assert view.get(path_row(BgpPathEntry.BEST, LEGACY, INET_PEER)) == SnmpValue(
        ValueKind.INTEGER, 2
    )
    assert view.get((*BgpPeerEntry.STATE, *MPLS_PEER)) == SnmpValue(ValueKind.INTEGER, 1)
    assert view.get((*IfEntry.OPER_STATUS, 2)) == SnmpValue(ValueKind.INTEGER, 2), (
        "ifOperStatus down"
    )


def test_core_paths_without_med_show_the_mibs_absent_value() -> None:
    m = WanModel(sites=1, seed=1, start=T0)
    view = render(m, "core-mpls")
    site_lan = (10, 64, 1, 0, 24)
    site_address = (198, 51, 100, 2)
    assert view.get(path_row(BgpPathEntry.MED, site_lan, site_address)) == SnmpValue(
        ValueKind.INTEGER, -1
    )
    assert view.get(path_row(BgpPathEntry.LOCAL_PREF, site_lan, site_address)) == SnmpValue(
        ValueKind.INTEGER, 100
    )


def test_counters_are_64_bit_in_ifxtable_and_32_bit_in_iftable() -> None:
    m = WanModel(sites=1, seed=1, start=T0)
    m.inject("site-001", Fault.COUNTER_WRAP, now=T0 + 1)
    view = render(m, "site-001")
    hc = view.get((*IfXEntry.HC_IN_OCTETS, 3))
    low = view.get((*IfEntry.IN_OCTETS, 3))
    assert hc is not None
    assert low is not None
    assert hc.kind is ValueKind.COUNTER64
    assert low.kind is ValueKind.COUNTER32
    assert isinstance(hc.value, int)
    assert hc.value > 2**63
    assert low.value == hc.value % 2**32


def test_uptime_and_session_time_follow_the_model_clock() -> None:
    m = WanModel(sites=1, seed=1, start=T0)
    first = render(m, "site-001")
    m.advance(T0 + 12)
    later = render(m, "site-001")
    up0, up1 = first.get((*SYS_UP_TIME, 0)), later.get((*SYS_UP_TIME, 0))
    assert up0 is not None
    assert up1 is not None
    assert isinstance(up0.value, int)
    assert isinstance(up1.value, int)
    assert (up1.value - up0.value) % 2**32 == 1200
    t0 = first.get((*BgpPeerEntry.FSM_ESTABLISHED_TIME, *MPLS_PEER))
    t1 = later.get((*BgpPeerEntry.FSM_ESTABLISHED_TIME, *MPLS_PEER))
    assert t0 is not None
    assert t1 is not None
    assert isinstance(t0.value, int)
    assert t1.value == t0.value + 12


def test_next_after_walks_in_order_and_ends() -> None:
    view = render(WanModel(sites=1, seed=1, start=T0), "site-001")
    walked = []
    oid: tuple[int, ...] = ()
    while (found := view.next_after(oid)) is not None:
        oid = found[0]
        walked.append(oid)
    assert walked == list(view.oids)


@pytest.mark.parametrize(
    ("oid", "known"),
    [
        ((1, 3, 6, 1, 2, 1, 1, 3, 0), True),
        ((1, 3, 6, 1, 2, 1, 1, 3, 1), True),
        ((1, 3, 6, 1, 2, 1, 15, 6, 1, 7, 10, 9, 9, 0, 24, 1, 2, 3, 4), True),
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 99), True),
        ((1, 3, 6, 1, 2, 1, 1, 4, 0), False),
        ((1, 3, 6, 1, 2, 1, 15, 6, 1, 99, 1), False),
        ((1, 3, 6), False),
    ],
)
def test_known_objects_tell_no_such_instance_from_no_such_object(
    oid: tuple[int, ...], known: bool
) -> None:
    assert is_known_object(oid) is known


@pytest.mark.parametrize(
    ("as_path", "encoded"),
    [
        ((), b""),
        ((65000,), bytes([2, 1, 0xFD, 0xE8])),
        ((65000, 65101), bytes([2, 2, 0xFD, 0xE8, 0xFE, 0x4D])),
        ((4_200_000_000,), bytes([2, 1, 0x5B, 0xA0])),  # AS_TRANS 23456
    ],
)
def test_as_path_segments_are_two_octet_as_sequences(
    as_path: tuple[int, ...], encoded: bytes
) -> None:
    assert as_path_segments(as_path) == encoded


def test_a_long_as_path_is_split_into_segments_of_255() -> None:
    encoded = as_path_segments(tuple(range(1, 301)))
    assert encoded[:2] == bytes([2, 255])
    assert encoded[2 + 255 * 2 : 2 + 255 * 2 + 2] == bytes([2, 45])
