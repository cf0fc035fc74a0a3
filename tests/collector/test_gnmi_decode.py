"""gNMI notifications into the observed state: pure decoding, with plain protobuf messages."""

from __future__ import annotations

import logging

import pytest
from pygnmi.spec.v080 import gnmi_pb2

from sprmon.collector.gnmi.badinput import BadInput, BadInputLog
from sprmon.collector.gnmi.observe import observe
from sprmon.collector.gnmi.paths import Kind, Located, elems_of, locate, subscribe_request
from sprmon.collector.gnmi.poller import relevant_prefixes
from sprmon.collector.gnmi.records import IF_LEAVES
from sprmon.collector.gnmi.store import COUNTERS, STATE, Limits, SiteStore
from sprmon.collector.gnmi.values import Malformed
from sprmon.core.observed import OperStatus, Origin, PeerState
from sprmon.core.prefixes import Address, Prefix
from sprmon.inventory import ALL_PARTS, DataPart
from tests.collector.gnmi_messages import (
    BGP,
    RIB,
    Elems,
    attr_set,
    boot_time,
    community_set,
    delete,
    interface,
    json_value,
    neighbor,
    notification,
    path,
    route,
    route_entry,
)

MPLS, INET = Address("198.51.100.1"), Address("203.0.113.1")
LEGACY = "10.0.21.0/24"
SECOND = 1_000_000_000


def store(*notifications: object, **options: object) -> SiteStore:
    result = SiteStore("site-001", **options)  # type: ignore[arg-type]
    for message in notifications:
        result.apply(message)
    return result


def rib(*extra: object) -> list[object]:
    """The legacy prefix over both links: MED 100 via mpls (best), MED 200 via inet."""
    return [
        *attr_set(11, med=100, next_hop=MPLS),
        *attr_set(22, med=200, next_hop=INET),
        community_set(7, "65000:100", "openconfig-bgp-types:NO_EXPORT"),
        route(LEGACY, MPLS, 11, community_index=7),
        route(LEGACY, INET, 22, reject="MED_HIGHER"),
        neighbor(MPLS, peer_as=65000, last_established=str(100 * SECOND)),
        neighbor(INET, peer_as=65000, last_established=str(100 * SECOND)),
        *extra,
    ]


def paths_of(site: SiteStore) -> dict[str, tuple[bool, bool, int | None]]:
    observation = observe(site, collected_at=1.0, parts=ALL_PARTS)
    assert observation.paths is not None, observation.error
    return {p.peer: (p.best, p.multipath, p.med) for p in observation.paths}


# --- paths --------------------------------------------------------------------------------------


def test_a_route_becomes_a_path_with_its_sets_and_the_route_without_reject_reason_is_best() -> None:
    observation = observe(store(*rib()), collected_at=5.0, parts=(DataPart.BGP,))
    assert observation.error is None
    assert observation.interfaces is None, "interfaces were not asked for"
    by_peer = {p.peer: p for p in observation.paths or ()}
    mpls = by_peer[MPLS]
    assert (mpls.prefix, mpls.next_hop, mpls.med, mpls.local_pref) == (LEGACY, MPLS, 100, 100)
    assert mpls.as_path == (65000,)
    assert mpls.origin is Origin.IGP
    assert mpls.communities == ("65000:100", "NO_EXPORT")
    assert mpls.best and not mpls.multipath
    assert not by_peer[INET].best and not by_peer[INET].multipath


def test_a_second_route_of_a_prefix_without_reject_reason_is_multipath() -> None:
    site = store(
        *attr_set(11, med=100, next_hop=MPLS),
        *attr_set(22, med=200, next_hop=INET),
        route(LEGACY, MPLS, 11),
        route(LEGACY, INET, 22),
        neighbor(MPLS),
    )
    assert paths_of(site) == {MPLS: (True, False, 100), INET: (False, True, 200)}


def test_a_deleted_reject_reason_makes_the_path_best() -> None:
    reject = (*route_entry(LEGACY, INET), ("state", {}), ("reject-reason", {}))
    site = store(*rib(delete(route_entry(LEGACY, MPLS)), delete(reject)))
    assert paths_of(site) == {INET: (True, False, 200)}


def test_a_deleted_route_entry_disappears_and_comes_back_when_announced_again() -> None:
    site = store(*rib())
    assert site.apply(delete(route_entry(LEGACY, MPLS))) == STATE
    assert set(paths_of(site)) == {INET}
    site.apply(route(LEGACY, MPLS, 11))
    assert set(paths_of(site)) == {INET, MPLS}


def test_a_deleted_loc_rib_removes_every_route_of_that_family_only() -> None:
    v6 = "2001:db8:21::/48"
    site = store(*rib(route(v6, MPLS, 11)))
    v4_table = route_entry(LEGACY, MPLS)[:-2]
    site.apply(delete(v4_table))
    observation = observe(site, collected_at=1.0, parts=(DataPart.BGP,))
    assert {p.prefix for p in observation.paths or ()} == {v6}


def test_an_atomic_as_path_replaces_the_old_segments_whole() -> None:
    site = store(*attr_set(11, med=100, next_hop=MPLS, as_path=(65000, 65001, 65002)))
    entry = (*RIB, ("attr-sets", {}), ("attr-set", {"index": "11"}), ("as-path", {}))
    site.apply(notification(entry, {"as-segment[index=5]/state/member": [65009]}, atomic=True))
    site.apply(route(LEGACY, MPLS, 11))
    observation = observe(site, collected_at=1.0, parts=(DataPart.BGP,))
    assert [p.as_path for p in observation.paths or ()] == [(65009,)]


def test_a_subtree_sent_as_one_json_value_is_read_like_its_leaves() -> None:
    subtree = {
        "openconfig-network-instance:network-instances": {
            "network-instance": [
                {
                    "name": "default",
                    "protocols": {
                        "protocol": [
                            {
                                "identifier": "openconfig-policy-types:BGP",
                                "name": "BGP",
                                "bgp": {
                                    "rib": {
                                        "attr-sets": {
                                            "attr-set": [
                                                {
                                                    "index": "11",
                                                    "state": {"med": 100, "next-hop": MPLS},
                                                }
                                            ]
                                        }
                                    }
                                },
                            }
                        ]
                    },
                }
            ]
        }
    }
    whole = gnmi_pb2.Notification(update=[gnmi_pb2.Update(path=path(), val=json_value(subtree))])
    site = store(whole, route(LEGACY, MPLS, 11))
    assert paths_of(site) == {MPLS: (True, False, 100)}


def test_proto_scalar_values_are_read_like_json_ones() -> None:
    entry = (*RIB, ("attr-sets", {}), ("attr-set", {"index": "11"}))
    message = gnmi_pb2.Notification(
        prefix=path(*entry),
        update=[
            gnmi_pb2.Update(path=path("state", "med"), val=gnmi_pb2.TypedValue(uint_val=100)),
            gnmi_pb2.Update(
                path=path("state", "next-hop"), val=gnmi_pb2.TypedValue(string_val=MPLS)
            ),
        ],
    )
    assert paths_of(store(message, route(LEGACY, MPLS, 11))) == {MPLS: (True, False, 100)}


def test_only_routes_that_an_intent_prefix_can_match_are_kept() -> None:
    relevant = relevant_prefixes([Prefix("10.0.21.0/24")])
    site = store(
        *rib(route("10.0.0.0/8", MPLS, 11), route("192.0.2.0/24", MPLS, 11)), relevant=relevant
    )
    observation = observe(site, collected_at=1.0, parts=(DataPart.BGP,))
    assert {p.prefix for p in observation.paths or ()} == {LEGACY, "10.0.0.0/8"}
    assert site.skipped_routes == 1


def test_prefixes_and_addresses_are_canonical_whatever_form_they_are_sent_in() -> None:
    site = store(
        *attr_set(11, med=100, next_hop="2001:DB8:0::1"),
        route("2001:DB8:21:0::/48", "2001:0db8::5", 11),
        neighbor("2001:0DB8::5"),
    )
    observation = observe(site, collected_at=1.0, parts=(DataPart.BGP,))
    (only,) = observation.paths or ()
    assert (only.prefix, only.peer, only.next_hop) == (
        "2001:db8:21::/48",
        "2001:db8::5",
        "2001:db8::1",
    )
    assert [p.address for p in observation.peers or ()] == ["2001:db8::5"]


# --- peers, interfaces, uptime ------------------------------------------------------------------


def test_a_peer_is_established_for_the_time_since_last_established_by_the_targets_clock() -> None:
    site = store(
        neighbor(
            MPLS, peer_as=65000, last_established=str(100 * SECOND), established_transitions="3"
        ),
        neighbor(INET, "ACTIVE", last_established=str(50 * SECOND)),
        boot_time(10 * SECOND, timestamp=160 * SECOND),
    )
    observation = observe(site, collected_at=1.0, parts=(DataPart.BGP,))
    peers = {p.address: p for p in observation.peers or ()}
    assert peers[MPLS].state is PeerState.ESTABLISHED
    assert (peers[MPLS].remote_as, peers[MPLS].established_transitions) == (65000, 3)
    assert peers[MPLS].established_for_s == 60.0
    assert peers[INET].state is PeerState.ACTIVE
    assert peers[INET].established_for_s is None, "not established: no established time"


def test_interfaces_carry_status_speed_counters_and_last_clear_as_their_discontinuity() -> None:
    site = store(
        boot_time(10 * SECOND),
        interface(
            "eth1",
            ifindex=2,
            oper_status="UP",
            port_speed="openconfig-if-ethernet:SPEED_10MB",
            in_octets="18446744073709551615",
            out_octets="5",
            in_errors="1",
            out_errors="2",
            in_discards="3",
            out_discards="4",
            last_clear=str(12 * SECOND),
            timestamp=70 * SECOND,
        ),
        interface("eth2", ifindex=3, oper_status="LOWER_LAYER_DOWN"),
    )
    observation = observe(site, collected_at=1.0, parts=(DataPart.INTERFACES,))
    eth1, eth2 = observation.interfaces or ()
    assert (eth1.index, eth1.name, eth1.oper_status, eth1.speed_bps) == (
        2,
        "eth1",
        OperStatus.UP,
        10_000_000,
    )
    assert (eth1.in_octets, eth1.out_octets, eth1.counter_bits) == (2**64 - 1, 5, 64)
    assert (eth1.in_errors, eth1.out_errors, eth1.in_discards, eth1.out_discards) == (1, 2, 3, 4)
    assert eth1.discontinuity_ticks == 200, "last-clear 2 s after boot"
    assert eth2.oper_status is OperStatus.LOWER_LAYER_DOWN
    assert observation.uptime_ticks == 6000, "counters sampled 60 s after boot"
    assert observation.paths is None and observation.peers is None, "BGP was not asked for"


def test_a_counter_sample_counts_as_news_even_when_no_counter_moved() -> None:
    site = store(interface("eth1", oper_status="UP", in_octets="5"))
    assert site.apply(interface("eth1", in_octets="5", timestamp=2)) == COUNTERS
    assert site.apply(interface("eth1", oper_status="UP")) == 0, "no state changed"
    assert site.apply(interface("eth1", oper_status="DOWN")) == STATE


# --- bad input ----------------------------------------------------------------------------------


def test_an_unknown_path_is_counted_logged_once_per_kind_and_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bad = BadInputLog()
    other: Elems = (("network-instances", {}), ("network-instance", {"name": "VRF-A"}))
    with caplog.at_level(logging.WARNING, logger="sprmon.collector.gnmi"):
        site = store(
            *rib(
                notification(other, {"state/name": "VRF-A"}),
                notification((("components", {}),), {"component/state/temperature": 40}),
            ),
            bad_input=bad,
        )
    assert bad.for_site("site-001") == {BadInput.UNKNOWN_PATH: 2}
    assert len([r for r in caplog.records if "unknown path" in r.getMessage()]) == 1
    assert set(paths_of(site)) == {MPLS, INET}, "the rest is read as usual"


def test_a_value_that_is_not_json_makes_its_part_unusable_until_a_good_value_replaces_it() -> None:
    entry = (*RIB, ("attr-sets", {}), ("attr-set", {"index": "11"}))
    garbage = gnmi_pb2.Notification(
        prefix=path(*entry),
        update=[
            gnmi_pb2.Update(
                path=path("state", "med"), val=gnmi_pb2.TypedValue(json_ietf_val=b'{"x": garb')
            )
        ],
    )
    site = store(*rib(garbage))
    observation = observe(site, collected_at=1.0, parts=ALL_PARTS)
    assert observation.paths is None and observation.peers is None
    assert observation.error is not None
    assert "BGP over gNMI not usable" in observation.error and "state/med" in observation.error
    assert site.bad_input.for_site("site-001") == {BadInput.MALFORMED_VALUE: 1}
    site.apply(notification(entry, {"state/med": 300}))
    assert paths_of(site)[MPLS] == (True, False, 300)


@pytest.mark.parametrize(
    ("leaf", "value"),
    [
        ("state/med", -1),
        ("state/med", "one hundred"),
        ("state/local-pref", 2**32),
        ("state/origin", "SOMEWHERE"),
    ],
)
def test_a_value_of_the_wrong_type_or_range_is_malformed(leaf: str, value: object) -> None:
    entry = (*RIB, ("attr-sets", {}), ("attr-set", {"index": "11"}))
    site = store(*rib(notification(entry, {leaf: value})))
    assert site.bad_input.for_site("site-001") == {BadInput.MALFORMED_VALUE: 1}
    assert observe(site, collected_at=1.0, parts=ALL_PARTS).paths is None


def test_a_route_whose_prefix_does_not_parse_is_counted_and_dropped() -> None:
    site = store(*rib(route("10.0.21.300/24", MPLS, 11), route("2001:db8::/48", MPLS, 11)))
    site.apply(
        notification(route_entry("2001:db8::/48", MPLS, family="4"), {"state/attr-index": "11"})
    )
    assert site.bad_input.for_site("site-001") == {BadInput.BAD_PREFIX: 2}
    assert {(family, prefix) for family, prefix, _, _ in site.routes} == {
        ("4", LEGACY),
        ("6", "2001:db8::/48"),
    }


def test_more_entries_than_the_limits_are_counted_and_make_the_part_unusable() -> None:
    site = SiteStore("site-001", limits=Limits(routes=50))
    for message in attr_set(11, med=100, next_hop=MPLS):
        site.apply(message)
    for n in range(1000):
        site.apply(route(f"10.{n // 256}.{n % 256}.0/24", MPLS, 11))
    assert len(site.routes) == 50, "memory stays bounded"
    assert site.bad_input.for_site("site-001")[BadInput.TOO_MANY] == 950
    observation = observe(site, collected_at=1.0, parts=(DataPart.BGP,))
    assert observation.paths is None
    assert "more route entries than sprmon keeps" in (observation.error or "")


def test_a_route_pointing_at_an_attribute_set_never_sent_makes_the_bgp_part_unusable() -> None:
    site = store(route(LEGACY, MPLS, 99), neighbor(MPLS))
    observation = observe(site, collected_at=1.0, parts=(DataPart.BGP,))
    assert observation.paths is None
    assert "attribute set 99, which was not sent" in (observation.error or "")
    assert site.bad_input.for_site("site-001") == {BadInput.DANGLING_REFERENCE: 1}


def test_a_next_hop_keyword_is_no_address_but_no_reason_to_distrust_the_path() -> None:
    entry = (*RIB, ("attr-sets", {}), ("attr-set", {"index": "11"}))
    site = store(*rib(notification(entry, {"state/next-hop": "DROP"})))
    observation = observe(site, collected_at=1.0, parts=(DataPart.BGP,))
    by_peer = {p.peer: p for p in observation.paths or ()}
    assert by_peer[MPLS].next_hop is None
    assert site.bad_input.for_site("site-001") == {BadInput.BAD_ADDRESS: 1}


# --- paths and requests -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("elems", "expected"),
    [
        ((("interfaces", {}),), Located(Kind.INTERFACE, (), ())),
        (
            (
                ("interfaces", {}),
                ("interface", {"name": "eth1"}),
                ("state", {}),
                ("oper-status", {}),
            ),
            Located(Kind.INTERFACE, ("eth1",), ("state", "oper-status")),
        ),
        (
            (*BGP, ("neighbors", {}), ("neighbor", {"neighbor-address": MPLS}), ("state", {})),
            Located(Kind.NEIGHBOR, (MPLS,), ("state",)),
        ),
        (
            (*RIB, ("attr-sets", {}), ("attr-set", {"index": "7"}), ("as-path", {})),
            Located(Kind.AS_SEGMENT, ("7",), ()),
        ),
        (route_entry(LEGACY, MPLS)[:-3], Located(Kind.ROUTE, ("4",), ())),
        (RIB, Located(Kind.RIB, (), ())),
        ((), Located(Kind.ROOT, (), ())),
        (((*BGP[:1], ("network-instance", {"name": "mgmt"}))), None),
        (((*BGP[:3], ("protocol", {"identifier": "OSPF", "name": "1"}), ("ospfv2", {}))), None),
        ((("components", {}),), None),
    ],
    ids=str,
)
def test_a_received_path_is_placed_by_kind_key_and_leaf(
    elems: tuple[tuple[str, dict[str, str]], ...], expected: Located | None
) -> None:
    assert locate(elems_of(path(*elems))) == expected


def test_module_prefixes_on_names_are_ignored() -> None:
    qualified = path(("openconfig-interfaces:interfaces", {}), ("interface", {"name": "eth1"}))
    assert locate(elems_of(qualified)) == Located(Kind.INTERFACE, ("eth1",), ())


def test_a_stream_asks_for_state_on_change_and_counters_sampled_and_once_asks_for_both() -> None:
    request = subscribe_request(ALL_PARTS, stream=True, sample_interval_s=30)
    subscriptions = request.subscribe.subscription
    sampled = {s.path.elem[-1].name for s in subscriptions if s.mode == gnmi_pb2.SAMPLE}
    assert sampled == {"counters", "boot-time"}
    assert {s.sample_interval for s in subscriptions if s.mode == gnmi_pb2.SAMPLE} == {30 * SECOND}
    on_change = {s.path.elem[-1].name for s in subscriptions if s.mode == gnmi_pb2.ON_CHANGE}
    assert on_change == {
        "oper-status",
        "ifindex",
        "port-speed",
        "state",
        "attr-sets",
        "communities",
        "loc-rib",
    }
    assert request.subscribe.encoding == gnmi_pb2.JSON_IETF
    once = subscribe_request((DataPart.BGP,), stream=False)
    assert once.subscribe.mode == gnmi_pb2.SubscriptionList.ONCE
    assert not any(s.path.elem[0].name == "interfaces" for s in once.subscribe.subscription)


@pytest.mark.parametrize(
    "speed", ["SPEED_4294967296GB", "SPEED_99999999999999999999GB", "SPEED_4294967296000MB"]
)
def test_a_port_speed_beyond_what_a_snapshot_holds_is_malformed(speed: str) -> None:
    # What a live read keeps must load again: the snapshot loader's bound is SPEED_BPS_MAX.
    decode = IF_LEAVES[("ethernet", "state", "port-speed")][1]
    assert decode("SPEED_100GB") == 100 * 10**9
    with pytest.raises(Malformed):
        decode(f"openconfig-if-ethernet:{speed}")


def test_bad_input_totals_are_per_site_sorted_by_kind_and_forgotten_with_the_site() -> None:
    bad = BadInputLog()
    bad.report("site-001", BadInput.UNKNOWN_PATH, "x")
    bad.report("site-001", BadInput.BAD_PREFIX, "y")
    bad.report("site-001", BadInput.UNKNOWN_PATH, "x")
    bad.report("site-002", BadInput.TOO_MANY, "z")
    assert bad.totals("site-001") == (("bad_prefix", 1), ("unknown_path", 2))
    assert bad.totals("site-003") == ()
    bad.forget("site-001")
    assert bad.totals("site-001") == ()
    assert bad.for_site("site-002") == {BadInput.TOO_MANY: 1}
