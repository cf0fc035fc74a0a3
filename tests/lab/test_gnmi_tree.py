"""The lab routers' OpenConfig leaves, without a server: paths, values, deletes, matching."""

from __future__ import annotations

from typing import Any

import pytest

from sprmon.core.observed import OperStatus
from sprmon.lab.faults import Fault
from sprmon.lab.gnmi.paths import (
    Elem,
    Kind,
    Path,
    PathError,
    Value,
    anchors,
    deletions,
    pattern,
    render_path,
    select,
    subtree_json,
)
from sprmon.lab.gnmi.tree import RouterTree, bgp_root, render
from sprmon.lab.model import WanModel
from sprmon.lab.plan import INET, MPLS, plan_site
from tests.lab.helpers import T0

LEGACY = "10.0.21.0/24"
LEGACY_V6 = "2001:db8:21::/48"
MPLS_PEER = plan_site(1).link(MPLS).core_address
INET_PEER = plan_site(1).link(INET).core_address


def model() -> WanModel:
    return WanModel(sites=2, seed=1, start=T0)


def rib(version: int = 4) -> tuple[Any, ...]:
    unicast = "ipv4-unicast" if version == 4 else "ipv6-unicast"
    afi = "IPV4_UNICAST" if version == 4 else "IPV6_UNICAST"
    return (
        *((e.name, dict(e.keys)) for e in bgp_root()),
        ("rib", {}),
        ("afi-safis", {}),
        ("afi-safi", {"afi-safi-name": afi}),
        (unicast, {}),
    )


def loc_rib_route(prefix: str, peer: str, version: int = 4) -> Any:
    return pattern(
        [
            *rib(version),
            ("loc-rib", {}),
            ("routes", {}),
            ("route", {"prefix": prefix, "origin": peer, "path-id": "0"}),
        ]
    )


def leaf_values(state: dict[Path, Value], want: Any) -> dict[str, Any]:
    """Leaf name -> JSON value of the leaves under ``want`` (names unique there)."""
    return {path[-1].name: value.json() for path, value in select(state, [want]).items()}


def attr_set(state: dict[Path, Value], index: str) -> dict[str, Any]:
    want = pattern(
        [
            *((e.name, dict(e.keys)) for e in bgp_root()),
            ("rib", {}),
            ("attr-sets", {}),
            ("attr-set", {"index": index}),
            ("state", {}),
        ]
    )
    return leaf_values(state, want)


def route_state(state: dict[Path, Value], prefix: str, peer: str) -> dict[str, Any]:
    version = 6 if ":" in prefix else 4
    return leaf_values(state, (*loc_rib_route(prefix, peer, version), *pattern([("state", {})])))


def test_the_loc_rib_holds_every_path_and_the_losers_say_why() -> None:
    state = render(model(), "site-001")
    best = route_state(state, LEGACY, MPLS_PEER)
    backup = route_state(state, LEGACY, INET_PEER)
    assert "reject-reason" not in best, "the best path is the one without a reject reason"
    assert backup["reject-reason"] == "openconfig-rib-bgp-types:MED_HIGHER"
    assert best["valid-route"] is True and best["path-id"] == 0
    assert attr_set(state, best["attr-index"])["med"] == 100
    assert attr_set(state, backup["attr-index"])["med"] == 200


def test_the_adj_rib_in_post_flags_the_best_path_as_the_model_decides() -> None:
    m = model()
    state = render(m, "site-001")
    flags = {
        (path[-3].keys, path[-6].keys): value.data
        for path, value in state.items()
        if path[-1].name == "best-path"
    }
    expected = {
        ((("path-id", "0"), ("prefix", p.prefix)), (("neighbor-address", p.peer),)): p.best
        for p in m.paths("site-001")
    }
    assert flags == expected
    assert sum(expected.values()) == 5, "one best path for each of the five prefixes"


def test_a_med_drift_moves_the_best_path_and_points_the_route_at_a_new_attribute_set() -> None:
    m = model()
    before = route_state(render(m, "site-001"), LEGACY, MPLS_PEER)
    m.inject("site-001", Fault.MED_DRIFT, link=MPLS, now=T0 + 1)
    state = render(m, "site-001")
    after = route_state(state, LEGACY, MPLS_PEER)
    assert after["attr-index"] != before["attr-index"]
    assert attr_set(state, after["attr-index"])["med"] == 300
    assert after["reject-reason"] == "openconfig-rib-bgp-types:MED_HIGHER"
    assert "reject-reason" not in route_state(state, LEGACY, INET_PEER)


def test_attribute_set_indexes_stay_the_same_while_the_attributes_do() -> None:
    m = model()
    first = render(m, "site-001")
    m.advance(T0 + 600)
    m.inject("site-001", Fault.COUNTER_WRAP, now=T0 + 601)
    indexes = {p for p in first if p[-1].name == "attr-index"}
    assert {p: first[p] for p in indexes} == {p: render(m, "site-001")[p] for p in indexes}


def test_ipv6_routes_are_served_with_ipv6_next_hops_and_the_same_communities() -> None:
    state = render(model(), "site-001")
    route = route_state(state, LEGACY_V6, MPLS_PEER)
    attributes = attr_set(state, route["attr-index"])
    assert route["prefix"] == LEGACY_V6
    assert attributes["next-hop"] == "2001:db8:1:1::1"
    assert attributes["med"] == 100
    communities = {
        path[-3].keys: value.json() for path, value in state.items() if path[-1].name == "community"
    }
    assert (("index", route["community-index"]),) in communities
    assert communities[(("index", route["community-index"]),)] == ["65000:100"]


def test_counters_and_times_are_uint64_strings_and_small_numbers_are_numbers() -> None:
    state = render(model(), "site-001")
    kinds = {path[-1].name: value.kind for path, value in state.items()}
    for name in ("in-octets", "out-discards", "established-transitions", "last-established"):
        assert kinds[name] is Kind.UINT64
        assert all(isinstance(v.json(), str) for p, v in state.items() if p[-1].name == name)
    for name in ("ifindex", "peer-as", "med", "local-pref", "path-id"):
        assert kinds[name] is Kind.UINT
    assert kinds["member"] is Kind.UINT_LIST


def test_interfaces_show_what_the_snmp_agent_shows() -> None:
    m = model()
    m.inject("site-001", Fault.LINK_DOWN, link=INET, now=T0 + 5)
    m.advance(T0 + 65)
    state = render(m, "site-001")
    for itf in m.interfaces("site-001"):
        want = pattern([("interfaces", {}), ("interface", {"name": itf.name}), ("state", {})])
        leaves = leaf_values(state, want)
        assert leaves["ifindex"] == itf.index
        assert leaves["oper-status"] == ("UP" if itf.oper_status is OperStatus.UP else "DOWN")
        assert int(leaves["in-octets"]) == itf.in_octets
        assert int(leaves["out-octets"]) == itf.out_octets
        assert int(leaves["out-discards"]) == itf.out_discards
    speeds = {p[1].keys: v.data for p, v in state.items() if p[-1].name == "port-speed"}
    assert speeds == {
        (("name", "eth1"),): "openconfig-if-ethernet:SPEED_10MB",
        (("name", "eth2"),): "openconfig-if-ethernet:SPEED_100MB",
    }


def test_a_counter_jump_shows_as_last_clear_and_a_reboot_as_boot_time() -> None:
    m = model()
    m.inject("site-001", Fault.COUNTER_WRAP, now=T0 + 10)
    state = render(m, "site-001")
    clears = {p[1].keys: v.json() for p, v in state.items() if p[-1].name == "last-clear"}
    assert clears == {
        (("name", "eth1"),): str(int((T0 + 10) * 1e9)),
        (("name", "eth2"),): str(int((T0 + 10) * 1e9)),
    }
    m.inject("site-001", Fault.REBOOT, now=T0 + 20)
    state = render(m, "site-001")
    boot = next(v for p, v in state.items() if p[-1].name == "boot-time")
    assert boot.json() == str(int((T0 + 20) * 1e9))
    assert not any(p[-1].name == "last-clear" for p in state)


def test_a_withdrawn_route_is_deleted_as_its_list_entry() -> None:
    m = model()
    watched = pattern([*rib(), ("loc-rib", {})])
    before = select(render(m, "site-001"), [watched])
    m.inject("site-001", Fault.WITHDRAW, link=INET, prefix=LEGACY, now=T0 + 1)
    after = select(render(m, "site-001"), [watched])
    removed = [p for p in before if p not in after]
    deleted = deletions(removed, after, len(watched))
    assert [render_path(p[-1:]) for p in deleted] == [
        f"/route[origin={INET_PEER}][path-id=0][prefix={LEGACY}]"
    ]
    assert len(deleted[0]) == len(loc_rib_route(LEGACY, INET_PEER))


def test_a_delete_never_names_more_than_was_subscribed() -> None:
    m = model()
    one_leaf = (*loc_rib_route(LEGACY, INET_PEER), *pattern([("state", {}), ("med", {})]))
    watched = (*loc_rib_route(LEGACY, INET_PEER), *pattern([("state", {})]))
    before = select(render(m, "site-001"), [watched])
    m.inject("site-001", Fault.SESSION_DOWN, link=INET, now=T0 + 1)
    after = select(render(m, "site-001"), [watched])
    deleted = deletions([p for p in before if p not in after], after, len(watched))
    assert [len(p) for p in deleted] == [len(watched)]
    assert len(one_leaf) > len(watched)


@pytest.mark.parametrize(
    ("request_path", "matches"),
    [
        ([("interfaces", {}), ("interface", {"name": "eth1"})], 1),
        ([("openconfig-interfaces:interfaces", {}), ("interface", {})], 3),
        ([("interfaces", {}), ("interface", {"name": "*"}), ("state", {})], 3),
        ([("*", {}), ("interface", {"name": "eth2"})], 1),
        ([("interfaces", {}), ("...", {})], 1),
        (
            [
                ("network-instances", {}),
                ("network-instance", {"name": "default"}),
                ("protocols", {}),
                ("protocol", {"identifier": "openconfig-policy-types:BGP", "name": "BGP"}),
            ],
            1,
        ),
        (
            [*rib(6), ("loc-rib", {}), ("routes", {}), ("route", {"prefix": "2001:DB8:21:0::/48"})],
            2,
        ),
        ([("interfaces", {}), ("interface", {"name": "eth9"})], 0),
    ],
)
def test_requests_match_by_name_key_wildcard_and_canonical_form(
    request_path: list[tuple[str, dict[str, str]]], matches: int
) -> None:
    state = render(model(), "site-001")
    assert len(anchors(state, pattern(request_path))) == matches


def test_any_depth_is_served_only_at_the_end() -> None:
    with pytest.raises(PathError, match="only at the end"):
        pattern([("interfaces", {}), ("...", {}), ("state", {})])


def test_json_ietf_qualifies_members_where_the_module_changes() -> None:
    state = render(model(), "site-001")
    document = subtree_json((), state)
    assert sorted(document) == [
        "openconfig-interfaces:interfaces",
        "openconfig-network-instance:network-instances",
        "openconfig-system:system",
    ]
    eth1 = document["openconfig-interfaces:interfaces"]["interface"][1]
    assert eth1["name"] == "eth1"
    assert "openconfig-if-ethernet:ethernet" in eth1
    assert eth1["state"]["counters"]["in-octets"].isdigit()
    leaf = (Elem("a", module="m"), Elem("b"))
    assert subtree_json(leaf, {leaf: Value(Kind.UINT64, 7)}) == "7"


def test_a_router_tree_renders_again_only_when_the_model_changes() -> None:
    m = model()
    tree = RouterTree(m, "site-001")
    first = tree.current()
    assert tree.current() is first and first.at == T0
    m.advance(T0 + 30)
    second = tree.current()
    assert second is not first and second.at == T0 + 30
    assert second.leaves() == render(m, "site-001")
    shared = [p for p, leaves in second.containers.items() if first.containers.get(p) is leaves]
    assert shared and all("rib" in (e.name for e in p) for p in shared), (
        "the RIB's containers are reused while the paths stay the same"
    )
    m.inject("site-001", Fault.MED_DRIFT, link=MPLS, now=T0 + 31)
    third = tree.current()
    assert not any(third.containers.get(p) is leaves for p, leaves in second.containers.items())
