"""MIB row decoders, on plain data (every backend feeds them the same values)."""

from __future__ import annotations

import pytest

from sprmon.collector import mibs
from sprmon.collector.errors import SnmpProtocolError, SnmpWrongType
from sprmon.collector.snmp_collector import targeted_candidates
from sprmon.core.observed import BgpPath, BgpPeer, OperStatus, Origin, PeerState
from sprmon.core.prefixes import Prefix, canonical_address
from sprmon.smi import Oid, SnmpValue, ValueKind
from sprmon.snmp_oids import BgpPathEntry, BgpPeerEntry, IfEntry, IfXEntry


def integer(n: int) -> SnmpValue:
    return SnmpValue(ValueKind.INTEGER, n)


def gauge(n: int) -> SnmpValue:
    return SnmpValue(ValueKind.GAUGE32, n)


def counter32(n: int) -> SnmpValue:
    return SnmpValue(ValueKind.COUNTER32, n)


def counter64(n: int) -> SnmpValue:
    return SnmpValue(ValueKind.COUNTER64, n)


def octets(b: bytes) -> SnmpValue:
    return SnmpValue(ValueKind.OCTET_STRING, b)


def ip(text: str) -> SnmpValue:
    return SnmpValue(ValueKind.IP_ADDRESS, bytes(int(part) for part in text.split(".")))


PATH_INDEX: Oid = (10, 0, 21, 0, 24, 198, 51, 100, 1)


def path_columns(**overrides: SnmpValue) -> dict[Oid, dict[Oid, SnmpValue]]:
    values = {
        BgpPathEntry.ORIGIN: integer(1),
        BgpPathEntry.AS_PATH: octets(bytes([2, 2, 0xFD, 0xE8, 0xFD, 0xE9])),
        BgpPathEntry.NEXT_HOP: ip("198.51.100.1"),
        BgpPathEntry.MED: integer(100),
        BgpPathEntry.LOCAL_PREF: integer(-1),
        BgpPathEntry.BEST: integer(2),
    }
    names = {
        "origin": BgpPathEntry.ORIGIN,
        "as_path": BgpPathEntry.AS_PATH,
        "next_hop": BgpPathEntry.NEXT_HOP,
        "med": BgpPathEntry.MED,
        "local_pref": BgpPathEntry.LOCAL_PREF,
        "best": BgpPathEntry.BEST,
    }
    for name, value in overrides.items():
        values[names[name]] = value
    return {column: {PATH_INDEX: value} for column, value in values.items()}


def test_path_row_becomes_a_bgp_path_with_absent_local_pref_as_none() -> None:
    (path,) = mibs.decode_paths(path_columns())

    assert path == BgpPath(
        prefix=Prefix("10.0.21.0/24"),
        peer=canonical_address("198.51.100.1"),
        next_hop=canonical_address("198.51.100.1"),
        med=100,
        local_pref=None,
        as_path=(65000, 65001),
        origin=Origin.IGP,
        best=True,
    )


@pytest.mark.parametrize(
    ("code", "origin"),
    [(0, Origin.IGP), (1, Origin.IGP), (2, Origin.EGP), (3, Origin.INCOMPLETE), (9, None)],
)
def test_origin_codes_include_frrs_zero_for_igp(code: int, origin: Origin | None) -> None:
    (path,) = mibs.decode_paths(path_columns(origin=integer(code)))

    assert path.origin == origin


def test_best_is_true_only_for_value_two() -> None:
    (path,) = mibs.decode_paths(path_columns(best=integer(1)))

    assert path.best is False


def test_next_hop_zero_means_no_next_hop() -> None:
    (path,) = mibs.decode_paths(path_columns(next_hop=ip("0.0.0.0")))

    assert path.next_hop is None


def test_med_minus_one_means_absent() -> None:
    (path,) = mibs.decode_paths(path_columns(med=integer(-1)))

    assert path.med is None


def test_next_hop_as_octet_string_is_a_wrong_type_naming_the_instance() -> None:
    with pytest.raises(SnmpWrongType) as caught:
        mibs.decode_paths(path_columns(next_hop=octets(b"\xc6\x33\x64\x01")))

    assert str(caught.value) == (
        "bgp4PathAttrNextHop.10.0.21.0.24.198.51.100.1 has type OctetString, expected IpAddress"
    )


def test_path_row_missing_a_column_is_reported_not_guessed() -> None:
    columns = path_columns()
    columns[BgpPathEntry.BEST] = {}

    with pytest.raises(
        SnmpProtocolError, match=r"bgp4PathAttrBest\.10\.0\.21\.0\.24\.198\.51\.100\.1 is missing"
    ):
        mibs.decode_paths(columns)


@pytest.mark.parametrize(
    "index",
    [
        (10, 0, 21, 0, 24, 198, 51, 100),
        (10, 0, 21, 0, 33, 198, 51, 100, 1),
        (10, 0, 256, 0, 24, 1, 2, 3, 4),
    ],
)
def test_malformed_path_index_is_a_protocol_error(index: Oid) -> None:
    with pytest.raises(SnmpProtocolError, match="is not prefix"):
        mibs.parse_path_index(index)


def test_path_index_with_host_bits_is_read_as_its_network() -> None:
    prefix, peer = mibs.parse_path_index((10, 0, 21, 7, 24, 203, 0, 113, 1))

    assert (prefix, peer) == ("10.0.21.0/24", "203.0.113.1")


@pytest.mark.parametrize(
    ("raw", "asns"),
    [
        (b"", ()),
        (bytes([2, 1, 0xFD, 0xE8]), (65000,)),
        (bytes([2, 2, 0xFD, 0xE8, 0x00, 0x64, 1, 2, 0x00, 0x01, 0x00, 0x02]), (65000, 100, 1, 2)),
        (bytes([2, 1, 0xFA, 0x56, 0xEA, 0x00]), (4200000000,)),
    ],
)
def test_as_path_segments_flatten_in_order(raw: bytes, asns: tuple[int, ...]) -> None:
    assert mibs.decode_as_path(raw) == asns


def test_as_path_with_a_bad_segment_type_names_the_octets() -> None:
    with pytest.raises(SnmpProtocolError, match=r"not a valid AS path \(octets 07 01 fd e8"):
        mibs.decode_as_path(bytes([7, 1, 0xFD, 0xE8]), PATH_INDEX)


def test_established_time_is_kept_only_for_established_sessions() -> None:
    columns: dict[Oid, dict[Oid, SnmpValue]] = {
        BgpPeerEntry.STATE: {(198, 51, 100, 1): integer(6), (203, 0, 113, 1): integer(3)},
        BgpPeerEntry.REMOTE_AS: {
            (198, 51, 100, 1): integer(65000),
            (203, 0, 113, 1): gauge(65001),
        },
        BgpPeerEntry.FSM_ESTABLISHED_TIME: {
            (198, 51, 100, 1): gauge(3600),
            (203, 0, 113, 1): gauge(60),
        },
    }

    assert mibs.decode_peers(columns) == (
        BgpPeer(canonical_address("198.51.100.1"), PeerState.ESTABLISHED, 65000, 3600.0),
        BgpPeer(canonical_address("203.0.113.1"), PeerState.ACTIVE, 65001, None),
    )


def test_established_transitions_are_kept_for_every_session_state() -> None:
    columns: dict[Oid, dict[Oid, SnmpValue]] = {
        BgpPeerEntry.STATE: {(198, 51, 100, 1): integer(6), (203, 0, 113, 1): integer(1)},
        BgpPeerEntry.FSM_ESTABLISHED_TRANSITIONS: {
            (198, 51, 100, 1): counter32(2),
            (203, 0, 113, 1): counter32(2**32 - 1),
        },
    }

    peers = mibs.decode_peers(columns)

    assert [peer.established_transitions for peer in peers] == [2, 2**32 - 1]


def test_peer_rows_without_transitions_have_none() -> None:
    columns: dict[Oid, dict[Oid, SnmpValue]] = {
        BgpPeerEntry.STATE: {(198, 51, 100, 1): integer(6)},
    }

    (peer,) = mibs.decode_peers(columns)

    assert peer.established_transitions is None


@pytest.mark.parametrize("number", [2**32, 2**40])
def test_transitions_past_the_counter32_range_are_a_protocol_error(number: int) -> None:
    columns: dict[Oid, dict[Oid, SnmpValue]] = {
        BgpPeerEntry.STATE: {(198, 51, 100, 1): integer(6)},
        BgpPeerEntry.FSM_ESTABLISHED_TRANSITIONS: {(198, 51, 100, 1): counter32(number)},
    }

    with pytest.raises(SnmpProtocolError) as caught:
        mibs.decode_peers(columns)

    assert str(caught.value) == (
        f"bgpPeerFsmEstablishedTransitions.198.51.100.1 is {number}, "
        "outside the Counter32 range 0..4294967295"
    )


@pytest.mark.parametrize("value", [gauge(2), integer(2), SnmpValue(ValueKind.COUNTER64, 2)])
def test_transitions_must_be_a_counter32(value: SnmpValue) -> None:
    columns: dict[Oid, dict[Oid, SnmpValue]] = {
        BgpPeerEntry.STATE: {(198, 51, 100, 1): integer(6)},
        BgpPeerEntry.FSM_ESTABLISHED_TRANSITIONS: {(198, 51, 100, 1): value},
    }

    with pytest.raises(
        SnmpWrongType,
        match=rf"^bgpPeerFsmEstablishedTransitions\.198\.51\.100\.1 has type {value.kind.value}, "
        "expected Counter32$",
    ):
        mibs.decode_peers(columns)


def test_peer_state_out_of_range_is_a_protocol_error() -> None:
    columns: dict[Oid, dict[Oid, SnmpValue]] = {BgpPeerEntry.STATE: {(198, 51, 100, 1): integer(7)}}

    with pytest.raises(SnmpProtocolError, match=r"bgpPeerState\.198\.51\.100\.1 is 7"):
        mibs.decode_peers(columns)


def interface_columns(
    overrides: dict[Oid, SnmpValue] | None = None,
) -> dict[Oid, dict[Oid, SnmpValue]]:
    values = {
        IfEntry.SPEED: gauge(10_000_000),
        IfEntry.OPER_STATUS: integer(1),
        IfEntry.IN_DISCARDS: counter32(1),
        IfEntry.IN_ERRORS: counter32(2),
        IfEntry.OUT_DISCARDS: counter32(3),
        IfEntry.OUT_ERRORS: counter32(4),
        IfXEntry.NAME: octets(b"Gi0/0/0"),
        IfXEntry.HC_IN_OCTETS: counter64(2**40),
        IfXEntry.HC_OUT_OCTETS: counter64(5),
        IfXEntry.HIGH_SPEED: gauge(10),
        IfXEntry.COUNTER_DISCONTINUITY_TIME: SnmpValue(ValueKind.TIMETICKS, 77),
    }
    values.update(overrides or {})
    return {column: {(2,): value} for column, value in values.items()}


def test_interface_row_uses_hc_counters_and_exact_low_speed() -> None:
    (interface,) = mibs.decode_interfaces(interface_columns(), hc=True)

    assert interface.index == 2
    assert interface.name == "Gi0/0/0"
    assert interface.oper_status is OperStatus.UP
    assert interface.speed_bps == 10_000_000
    assert (interface.in_octets, interface.out_octets, interface.counter_bits) == (2**40, 5, 64)
    assert (interface.in_discards, interface.in_errors) == (1, 2)
    assert (interface.out_discards, interface.out_errors) == (3, 4)
    assert interface.discontinuity_ticks == 77


def test_saturated_if_speed_gives_way_to_if_high_speed() -> None:
    columns = interface_columns(
        {IfEntry.SPEED: gauge(4_294_967_295), IfXEntry.HIGH_SPEED: gauge(10_000)}
    )

    (interface,) = mibs.decode_interfaces(columns, hc=True)

    assert interface.speed_bps == 10_000_000_000


def test_zero_speed_is_unknown() -> None:
    (interface,) = mibs.decode_interfaces(
        interface_columns({IfEntry.SPEED: gauge(0), IfXEntry.HIGH_SPEED: gauge(0)}), hc=True
    )

    assert interface.speed_bps is None


def test_hc_octets_as_octet_string_is_a_wrong_type_naming_the_instance() -> None:
    with pytest.raises(SnmpWrongType) as caught:
        mibs.decode_interfaces(interface_columns({IfXEntry.HC_IN_OCTETS: octets(b"12")}), hc=True)

    assert str(caught.value) == "ifHCInOctets.2 has type OctetString, expected Counter64"


def test_unknown_oper_status_code_reads_as_unknown() -> None:
    (interface,) = mibs.decode_interfaces(
        interface_columns({IfEntry.OPER_STATUS: integer(42)}), hc=True
    )

    assert interface.oper_status is OperStatus.UNKNOWN


def test_rows_other_columns_have_but_oper_status_lacks_mean_a_truncated_walk() -> None:
    columns = interface_columns()
    columns[IfXEntry.HC_IN_OCTETS][(3,)] = counter64(1)

    with pytest.raises(SnmpProtocolError, match=r"ifOperStatus\.3 is missing"):
        mibs.decode_interfaces(columns, hc=True)


def test_32_bit_fallback_reads_if_table_counters_and_descr() -> None:
    columns: dict[Oid, dict[Oid, SnmpValue]] = {
        IfEntry.DESCR: {(1,): octets(b"eth0")},
        IfEntry.OPER_STATUS: {(1,): integer(2)},
        IfEntry.IN_OCTETS: {(1,): counter32(10)},
        IfEntry.OUT_OCTETS: {(1,): counter32(20)},
    }

    (interface,) = mibs.decode_interfaces(columns, hc=False)

    assert (interface.name, interface.oper_status) == ("eth0", OperStatus.DOWN)
    assert (interface.in_octets, interface.out_octets, interface.counter_bits) == (10, 20, 32)


def test_32_bit_fallback_rejects_64_bit_counter_types() -> None:
    columns: dict[Oid, dict[Oid, SnmpValue]] = {
        IfEntry.OPER_STATUS: {(1,): integer(1)},
        IfEntry.IN_OCTETS: {(1,): counter64(10)},
    }

    with pytest.raises(
        SnmpWrongType, match=r"ifInOctets\.1 has type Counter64, expected Counter32"
    ):
        mibs.decode_interfaces(columns, hc=False)


def test_uptime_must_be_timeticks() -> None:
    with pytest.raises(SnmpWrongType, match=r"sysUpTime\.0 has type Integer32, expected TimeTicks"):
        mibs.decode_uptime(integer(5))


def test_targeted_candidates_are_the_covering_prefixes_of_ipv4_prefixes_once() -> None:
    candidates = targeted_candidates(
        [Prefix("10.0.21.0/24"), Prefix("10.0.22.0/24"), Prefix("2001:db8::/32")]
    )

    assert len(candidates) == len(set(candidates))
    assert Prefix("10.0.21.0/24") in candidates
    assert Prefix("10.0.0.0/16") in candidates
    assert Prefix("0.0.0.0/0") in candidates
    assert all(":" not in prefix for prefix in candidates)
    # /22 and shorter are shared by both prefixes: 25 + 25 - 23 distinct.
    assert len(candidates) == 27
    assert [mibs.path_index_prefix(p) for p in candidates] == sorted(
        mibs.path_index_prefix(p) for p in candidates
    )


@pytest.mark.parametrize(
    ("column", "name", "what"),
    [
        (BgpPeerEntry.REMOTE_AS, "bgpPeerRemoteAs", "an AS number"),
        (BgpPeerEntry.FSM_ESTABLISHED_TIME, "bgpPeerFsmEstablishedTime", "a number of seconds"),
    ],
)
def test_a_negative_as_number_or_established_time_is_a_protocol_error(
    column: Oid, name: str, what: str
) -> None:
    # In the Integer32 range, so the codec lets it through; a snapshot could not hold it.
    columns: dict[Oid, dict[Oid, SnmpValue]] = {
        BgpPeerEntry.STATE: {(198, 51, 100, 1): integer(6)},
        column: {(198, 51, 100, 1): integer(-5)},
    }

    with pytest.raises(SnmpProtocolError) as caught:
        mibs.decode_peers(columns)

    assert str(caught.value) == (f"{name}.198.51.100.1 is -5, expected {what} (0..4294967295)")
