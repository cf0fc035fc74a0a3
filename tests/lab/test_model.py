"""The pure simulation: best paths, traffic, counters and faults, without sockets."""

from __future__ import annotations

import ipaddress

import pytest

from sprmon.core.observed import BgpPath, OperStatus, Origin, PeerState
from sprmon.core.prefixes import Address, Prefix
from sprmon.lab.bgp import Candidate, select_best
from sprmon.lab.errors import FaultError
from sprmon.lab.faults import WRAP_AFTER_S, Fault
from sprmon.lab.model import WanModel
from sprmon.lab.plan import DC_PREFIXES, INET, MPLS, plan_site
from sprmon.lab.traffic import BACKGROUND_BPS, PACKET_OCTETS

T0 = 1_767_225_600.0
LEGACY_V4 = "10.0.21.0/24"
LEGACY_V6 = "2001:db8:21::/48"
DEFAULT_A = "10.0.10.0/24"
DEFAULT_B = "10.0.30.0/24"
DEFAULT_V6 = "2001:db8:10::/48"
ETH1, ETH2 = 2, 3


def model(sites: int = 3, seed: int = 7) -> WanModel:
    return WanModel(sites=sites, seed=seed, start=T0)


def best_links(m: WanModel, site: str = "site-001") -> dict[str, str | None]:
    return {p: m.best_link(site, p) for p in DC_PREFIXES}


# --- the decision process ---------------------------------------------------------------------


def candidate(
    peer: str,
    *,
    med: int | None = None,
    local_pref: int | None = 100,
    as_path: tuple[int, ...] = (65000,),
    origin: Origin | None = Origin.IGP,
    ebgp: bool = True,
    router_id: str | None = None,
) -> Candidate:
    return Candidate(
        BgpPath(
            prefix=Prefix("10.0.21.0/24"),
            peer=Address(peer),
            med=med,
            local_pref=local_pref,
            as_path=as_path,
            origin=origin,
        ),
        ebgp=ebgp,
        router_id=Address(router_id or peer),
    )


@pytest.mark.parametrize(
    ("candidates", "winner", "why"),
    [
        (
            [candidate("10.9.0.1", local_pref=100, med=0), candidate("10.9.0.2", local_pref=200)],
            "10.9.0.2",
            "highest local preference first, whatever the MED",
        ),
        (
            [candidate("10.9.0.1", as_path=(65000, 65001)), candidate("10.9.0.2", med=900)],
            "10.9.0.2",
            "shorter AS path beats a lower MED",
        ),
        (
            [
                candidate("10.9.0.1", origin=Origin.INCOMPLETE),
                candidate("10.9.0.2", origin=Origin.IGP, med=900),
            ],
            "10.9.0.2",
            "lower origin beats a lower MED",
        ),
        (
            [
                candidate("10.9.0.1", origin=Origin.INCOMPLETE, med=0),
                candidate("10.9.0.2", origin=None, med=900),
            ],
            "10.9.0.2",
            "a missing origin ranks as IGP (the core's origin_rank), so it beats INCOMPLETE",
        ),
        (
            [
                candidate("10.9.0.1", origin=None, med=100),
                candidate("10.9.0.2", origin=Origin.IGP, med=500),
            ],
            "10.9.0.1",
            "a missing origin ties with IGP: the MED decides",
        ),
        (
            [candidate("10.9.0.1", med=300), candidate("10.9.0.2", med=200)],
            "10.9.0.2",
            "lower MED wins between paths from the same neighbouring AS",
        ),
        (
            [
                candidate("10.9.0.1", med=500, as_path=(65001,)),
                candidate("10.9.0.2", med=100, as_path=(65002,)),
            ],
            "10.9.0.1",
            "MEDs from different neighbouring ASes are not compared: lowest router ID decides",
        ),
        (
            [candidate("10.9.0.1", med=None), candidate("10.9.0.2", med=1)],
            "10.9.0.1",
            "a missing MED counts as 0",
        ),
        (
            [candidate("10.9.0.1", ebgp=False), candidate("10.9.0.2", ebgp=True)],
            "10.9.0.2",
            "eBGP beats iBGP",
        ),
        (
            [
                candidate("10.9.0.1", router_id="10.255.0.9"),
                candidate("10.9.0.2", router_id="10.255.0.3"),
            ],
            "10.9.0.2",
            "lowest router ID wins a tie",
        ),
        (
            [
                candidate("10.9.0.9", router_id="10.255.0.1"),
                candidate("10.9.0.2", router_id="10.255.0.1"),
            ],
            "10.9.0.2",
            "lowest peer address wins when the router IDs are equal",
        ),
    ],
)
def test_decision_process_picks_the_rfc_4271_winner(
    candidates: list[Candidate], winner: str, why: str
) -> None:
    chosen = select_best(candidates)
    assert chosen is not None
    assert chosen.path.peer == winner, why
    chosen_reversed = select_best(list(reversed(candidates)))
    assert chosen_reversed is not None
    assert chosen_reversed.path.peer == winner, f"{why} (order of arrival must not matter)"


def test_decision_process_has_no_winner_without_candidates() -> None:
    assert select_best([]) is None


# --- best paths per fault ---------------------------------------------------------------------

ALL_AS_INTENDED = {
    LEGACY_V4: MPLS,
    LEGACY_V6: MPLS,
    DEFAULT_A: INET,
    DEFAULT_B: INET,
    DEFAULT_V6: INET,
}


@pytest.mark.parametrize(
    ("fault", "link", "extra", "expected"),
    [
        (None, None, {}, ALL_AS_INTENDED),
        (Fault.LINK_DOWN, MPLS, {}, dict.fromkeys(DC_PREFIXES, INET)),
        (Fault.LINK_DOWN, INET, {}, dict.fromkeys(DC_PREFIXES, MPLS)),
        (Fault.SESSION_DOWN, MPLS, {}, dict.fromkeys(DC_PREFIXES, INET)),
        (Fault.SESSION_DOWN, INET, {}, dict.fromkeys(DC_PREFIXES, MPLS)),
        # The scenario's drift: MED 300 from core-mpls loses to MED 200 from core-inet.
        (Fault.MED_DRIFT, MPLS, {}, dict.fromkeys(DC_PREFIXES, INET)),
        # A wrong MED that still wins: the path is right, the marking is not.
        (Fault.MED_DRIFT, MPLS, {"med": 150}, ALL_AS_INTENDED),
        # MED 300 from core-inet on the steered prefixes changes nothing: mpls sends 100.
        (Fault.MED_DRIFT, INET, {}, ALL_AS_INTENDED),
        # Withdrawing the backup path keeps the best path where it was.
        (Fault.WITHDRAW, MPLS, {}, ALL_AS_INTENDED),
        (Fault.WITHDRAW, INET, {"prefix": DEFAULT_B}, {**ALL_AS_INTENDED, DEFAULT_B: MPLS}),
        (Fault.WITHDRAW, MPLS, {"prefix": LEGACY_V6}, {**ALL_AS_INTENDED, LEGACY_V6: INET}),
    ],
)
def test_best_links_follow_from_the_received_paths(
    fault: Fault | None, link: str | None, extra: dict[str, object], expected: dict[str, str]
) -> None:
    m = model()
    if fault is not None:
        m.inject("site-001", fault, link=link, now=T0 + 1, **extra)  # type: ignore[arg-type]
    assert best_links(m) == expected
    assert best_links(m, "site-002") == ALL_AS_INTENDED, "a fault stays on its site"


def test_paths_carry_the_scenario_meds_from_each_core() -> None:
    m = model()
    meds = {(p.prefix, p.peer): p.med for p in m.paths("site-001")}
    mpls_peer = plan_site(1).link(MPLS).core_address
    inet_peer = plan_site(1).link(INET).core_address
    assert meds[(Prefix(LEGACY_V4), mpls_peer)] == 100
    assert meds[(Prefix(DEFAULT_A), mpls_peer)] == 300
    assert {meds[(Prefix(p), inet_peer)] for p in DC_PREFIXES} == {200}
    assert all(p.as_path == (65000,) and p.origin is Origin.IGP for p in m.paths("site-001"))


def test_med_drift_sets_the_backup_med_on_the_steered_prefixes_only() -> None:
    m = model()
    m.inject("site-001", Fault.MED_DRIFT, now=T0 + 1)
    mpls_peer = plan_site(1).link(MPLS).core_address
    meds = {p.prefix: p.med for p in m.paths("site-001") if p.peer == mpls_peer}
    assert meds == dict.fromkeys(DC_PREFIXES, 300)


def test_withdraw_on_mpls_defaults_to_the_first_default_application_prefix() -> None:
    m = model()
    fault = m.inject("site-001", Fault.WITHDRAW, now=T0 + 1)
    assert (fault.link, fault.prefix) == (MPLS, DEFAULT_A)
    peers = [p.peer for p in m.paths("site-001") if p.prefix == DEFAULT_A]
    assert peers == [plan_site(1).link(INET).core_address], "only the inet path is left"


def test_withdraw_on_inet_defaults_to_the_first_steered_prefix() -> None:
    fault = model().inject("site-001", Fault.WITHDRAW, link=INET, now=T0 + 1)
    assert fault.prefix == LEGACY_V4


def test_link_down_takes_the_interface_session_and_paths_down() -> None:
    m = model()
    m.inject("site-001", Fault.LINK_DOWN, link=MPLS, now=T0 + 5)
    interfaces = {i.index: i for i in m.interfaces("site-001")}
    assert interfaces[ETH1].oper_status is OperStatus.DOWN
    assert interfaces[ETH2].oper_status is OperStatus.UP
    peers = {p.peer.address: p.peer for p in m.peers("site-001")}
    mpls_peer = peers[plan_site(1).link(MPLS).core_address]
    assert mpls_peer.state is PeerState.IDLE
    assert {p.peer for p in m.paths("site-001")} == {plan_site(1).link(INET).core_address}
    core_if = {i.index: i for i in m.interfaces("core-mpls")}[plan_site(1).link(MPLS).core_if_index]
    assert core_if.oper_status is OperStatus.DOWN, "the core's end of the link is down too"


def test_session_down_keeps_the_link_up_and_withdraws_its_paths() -> None:
    m = model()
    m.inject("site-001", Fault.SESSION_DOWN, link=INET, now=T0 + 5)
    interfaces = {i.index: i for i in m.interfaces("site-001")}
    assert interfaces[ETH2].oper_status is OperStatus.UP
    inet_peer = plan_site(1).link(INET).core_address
    assert {p.peer.address: p.peer.state for p in m.peers("site-001")}[inet_peer] is PeerState.IDLE
    assert all(p.peer != inet_peer for p in m.paths("site-001"))
    assert m.rates("site-001")[ETH2].in_bps == BACKGROUND_BPS, (
        "an idle link still carries keepalives"
    )


def test_clear_restores_paths_and_restarts_the_session_clock() -> None:
    m = model()
    m.inject("site-001", Fault.LINK_DOWN, link=MPLS, now=T0 + 10)
    m.inject("site-001", Fault.MUTE, now=T0 + 11)
    removed = m.clear("site-001", now=T0 + 20)
    assert [f.describe() for f in removed] == ["link-down mpls", "mute"]
    assert m.faults("site-001") == ()
    assert best_links(m) == ALL_AS_INTENDED
    m.advance(T0 + 25)
    mpls_peer = plan_site(1).link(MPLS).core_address
    peer = {p.peer.address: p for p in m.peers("site-001")}[mpls_peer]
    assert peer.peer.state is PeerState.ESTABLISHED
    assert peer.peer.established_for_s == 5.0
    assert peer.established_transitions == 2


def transitions(m: WanModel, role: str = MPLS) -> tuple[int, int]:
    """bgpPeerFsmEstablishedTransitions of site-001's session on ``role``: (site end, core end)."""
    link = plan_site(1).link(role)
    site_end = {p.peer.address: p for p in m.peers("site-001")}[link.core_address]
    core_end = {p.peer.address: p for p in m.peers(link.core)}[link.site_address]
    return site_end.established_transitions, core_end.established_transitions


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([], (1, 1)),
        ([("site-001", "link-down", MPLS), ("site-001", "clear", None)], (2, 2)),
        ([("site-001", "session-down", MPLS), ("site-001", "clear", None)], (2, 2)),
        (
            [
                ("site-001", "link-down", MPLS),
                ("site-001", "clear", None),
                ("site-001", "session-down", MPLS),
                ("site-001", "clear", None),
            ],
            (3, 3),
        ),
        ([("site-001", "link-down", MPLS)], (1, 1)),
        ([("site-001", "link-down", INET), ("site-001", "clear", None)], (1, 1)),
        (
            [
                ("site-001", "med-drift", MPLS),
                ("site-001", "withdraw", MPLS),
                ("site-001", "counter-wrap", None),
                ("site-001", "clear", None),
            ],
            (1, 1),
        ),
        ([("site-001", "reboot", None)], (1, 2)),
        (
            [
                ("site-001", "link-down", MPLS),
                ("site-001", "clear", None),
                ("site-001", "reboot", None),
            ],
            (1, 3),
        ),
        ([("site-001", "link-down", MPLS), ("site-001", "reboot", None)], (0, 1)),
        (
            [
                ("site-001", "link-down", MPLS),
                ("site-001", "reboot", None),
                ("site-001", "clear", None),
            ],
            (1, 2),
        ),
        ([("core-mpls", "reboot", None)], (2, 1)),
    ],
    ids=[
        "up since the start",
        "back after link-down",
        "back after session-down",
        "back twice",
        "down does not count",
        "the other link's session",
        "faults that keep the session up",
        "site reboot",
        "site reboot after a flap",
        "site reboot while down",
        "back after a reboot while down",
        "core reboot",
    ],
)
def test_each_end_counts_the_times_its_session_became_established_since_it_booted(
    steps: list[tuple[str, str, str | None]], expected: tuple[int, int]
) -> None:
    m = model()
    for step, (router, action, link) in enumerate(steps, start=1):
        if action == "clear":
            m.clear(router, now=T0 + step)
        else:
            m.inject(router, action, link=link, now=T0 + step)
    assert transitions(m) == expected


def test_a_core_reboot_restarts_the_count_of_the_ibgp_session_at_its_end_only() -> None:
    m = model()
    m.inject("core-inet", Fault.REBOOT, now=T0 + 1)
    mpls_end = {p.peer.address: p for p in m.peers("core-mpls")}[Address("203.0.113.254")]
    inet_end = {p.peer.address: p for p in m.peers("core-inet")}[Address("203.0.113.253")]
    assert (mpls_end.established_transitions, inet_end.established_transitions) == (2, 1)


def test_an_idle_peer_counts_the_time_since_it_left_established() -> None:
    m = model()
    m.inject("site-001", Fault.SESSION_DOWN, link=MPLS, now=T0 + 10)
    m.advance(T0 + 40)
    mpls_peer = plan_site(1).link(MPLS).core_address
    peer = {p.peer.address: p.peer for p in m.peers("site-001")}[mpls_peer]
    assert (peer.state, peer.established_for_s) == (PeerState.IDLE, 30.0)


def test_core_routers_prefer_the_site_over_ebgp_and_fall_back_to_ibgp() -> None:
    m = model()
    site = plan_site(1)
    best = m.best_path("core-mpls", site.lan_prefix)
    assert best is not None
    assert best.peer == site.link(MPLS).site_address
    m.inject("site-001", Fault.LINK_DOWN, link=MPLS, now=T0 + 1)
    best = m.best_path("core-mpls", site.lan_prefix)
    assert best is not None
    assert best.peer == "203.0.113.254", "learned from core-inet over iBGP"
    assert best.next_hop == site.link(INET).site_address


# --- traffic and counters ---------------------------------------------------------------------


def expected_rates(m: WanModel, site: str) -> dict[str, tuple[float, float]]:
    """(in, out) bit/s per link from the demands and the best links, before capacity."""
    totals = {MPLS: [BACKGROUND_BPS, BACKGROUND_BPS], INET: [BACKGROUND_BPS, BACKGROUND_BPS]}
    for prefix in DC_PREFIXES:
        link = m.best_link(site, prefix)
        if link is not None:
            demand = m.demand(site, prefix)
            totals[link][0] += demand.in_bps
            totals[link][1] += demand.out_bps
    return {link: (float(v[0]), float(v[1])) for link, v in totals.items()}


def octet_deltas(m: WanModel, router: str, seconds: float) -> dict[int, tuple[int, int]]:
    before = {i.index: (i.in_octets or 0, i.out_octets or 0) for i in m.interfaces(router)}
    m.advance(m.now + seconds)
    after = {i.index: (i.in_octets or 0, i.out_octets or 0) for i in m.interfaces(router)}
    return {k: (after[k][0] - before[k][0], after[k][1] - before[k][1]) for k in before}


def test_counters_advance_with_the_traffic_of_the_best_paths() -> None:
    m = model()
    rates = expected_rates(m, "site-001")
    deltas = octet_deltas(m, "site-001", 10)
    assert deltas[ETH1] == (int(rates[MPLS][0] * 10 / 8), int(rates[MPLS][1] * 10 / 8))
    assert deltas[ETH2] == (int(rates[INET][0] * 10 / 8), int(rates[INET][1] * 10 / 8))
    assert deltas[1] == (0, 0), "the loopback carries nothing"


def test_drift_moves_the_legacy_traffic_to_inet() -> None:
    m = model()
    legacy = m.demand("site-001", LEGACY_V4).in_bps + m.demand("site-001", LEGACY_V6).in_bps
    before = m.rates("site-001")[ETH2].in_bps
    m.inject("site-001", Fault.MED_DRIFT, now=T0 + 1)
    assert m.rates("site-001")[ETH2].in_bps == before + legacy
    assert m.rates("site-001")[ETH1].in_bps == BACKGROUND_BPS


def test_inet_failure_saturates_mpls_and_the_excess_is_discarded() -> None:
    m = model()
    m.inject("site-001", Fault.LINK_DOWN, link=INET, now=T0 + 1)
    demand = expected_rates(m, "site-001")[MPLS]
    capacity = plan_site(1).link(MPLS).capacity_bps
    assert demand[1] > capacity, "the scenario's demand must not fit 10 Mbps"
    rates = m.rates("site-001")[ETH1]
    assert (rates.in_bps, rates.out_bps) == (capacity, capacity)
    assert rates.out_discards_ps == pytest.approx((demand[1] - capacity) / (8 * PACKET_OCTETS))
    before = {i.index: i for i in m.interfaces("site-001")}
    deltas = octet_deltas(m, "site-001", 10)
    assert deltas[ETH2] == (0, 0), "a link that is down counts nothing"
    after = {i.index: i for i in m.interfaces("site-001")}
    assert (after[ETH1].out_discards or 0) > (before[ETH1].out_discards or 0)


def test_the_core_end_of_a_link_counts_the_opposite_direction() -> None:
    m = model()
    link = plan_site(2).link(INET)
    site_rates = m.rates("site-002")[link.if_index]
    core_rates = m.rates("core-inet")[link.core_if_index]
    assert (core_rates.in_bps, core_rates.out_bps) == (site_rates.out_bps, site_rates.in_bps)


def test_reboot_restarts_uptime_counters_and_sessions() -> None:
    m = model()
    m.advance(T0 + 100)
    assert m.uptime_ticks("site-001") > 86400 * 100
    m.inject("site-001", Fault.REBOOT, now=T0 + 100)
    assert m.uptime_ticks("site-001") == 0
    assert all(
        (i.in_octets, i.out_octets, i.in_errors, i.out_discards) == (0, 0, 0, 0)
        for i in m.interfaces("site-001")
    )
    m.advance(T0 + 103.5)
    assert m.uptime_ticks("site-001") == 350
    assert all(p.peer.established_for_s == 3.0 for p in m.peers("site-001"))
    assert all(p.established_transitions == 1 for p in m.peers("site-001"))
    eth2 = {i.index: i for i in m.interfaces("site-001")}[ETH2]
    assert eth2.in_octets == int(m.rates("site-001")[ETH2].in_bps * 3.5 / 8)
    assert eth2.discontinuity_ticks == 0
    assert m.faults("site-001") == (), "a reboot is an event, not a fault to clear"


def test_counter_wrap_puts_counters_below_the_wrap_and_they_wrap_soon() -> None:
    m = model()
    m.inject("site-001", Fault.COUNTER_WRAP, now=T0 + 50)
    eth2 = {i.index: i for i in m.interfaces("site-001")}[ETH2]
    assert eth2.in_octets is not None
    assert 2**64 - eth2.in_octets <= m.rates("site-001")[ETH2].in_bps / 8 * WRAP_AFTER_S + 1
    assert 2**32 - eth2.in_octets % 2**32 == 2**64 - eth2.in_octets, "32-bit view wraps too"
    assert eth2.discontinuity_ticks == m.uptime_ticks("site-001")
    m.advance(T0 + 50 + WRAP_AFTER_S + 1)
    wrapped = {i.index: i for i in m.interfaces("site-001")}[ETH2]
    assert wrapped.in_octets is not None
    assert wrapped.in_octets < eth2.in_octets
    travelled = (wrapped.in_octets - eth2.in_octets) % 2**64
    assert travelled == int(m.rates("site-001")[ETH2].in_bps * (WRAP_AFTER_S + 1) / 8)
    assert wrapped.discontinuity_ticks == eth2.discontinuity_ticks, "the wrap itself is no jump"


# --- determinism and the address plan ---------------------------------------------------------


def scripted(seed: int, sites: int = 4) -> list[object]:
    m = WanModel(sites=sites, seed=seed, start=T0)
    m.inject("site-002", Fault.LINK_DOWN, link=INET, now=T0 + 3)
    m.inject("site-001", Fault.COUNTER_WRAP, now=T0 + 7)
    m.advance(T0 + 60)
    return [m.observation(r) for r in m.router_names]


def test_the_same_seed_and_calls_give_the_same_state() -> None:
    assert scripted(seed=11) == scripted(seed=11)


def test_another_seed_gives_other_counters_and_demands() -> None:
    assert scripted(seed=11) != scripted(seed=12)
    assert model(seed=1).demand("site-001", DEFAULT_A) != model(seed=2).demand(
        "site-001", DEFAULT_A
    )


def test_a_site_does_not_depend_on_how_many_sites_the_lab_has() -> None:
    small = WanModel(sites=2, seed=5, start=T0).observation("site-002")
    large = WanModel(sites=40, seed=5, start=T0).observation("site-002")
    assert small == large


def test_every_site_has_its_own_mpls_addresses_beyond_64_sites() -> None:
    plans = [plan_site(i) for i in range(1, 201)]
    mpls = [p.link(MPLS) for p in plans]
    addresses = [link.core_address for link in mpls] + [link.site_address for link in mpls]
    assert len(set(addresses)) == 400
    assert ipaddress.ip_address(mpls[63].core_address) in ipaddress.ip_network("198.51.100.0/24")
    assert ipaddress.ip_address(mpls[64].core_address) in ipaddress.ip_network("198.18.0.0/15")
    assert {p.link(INET).core_address for p in plans} == {"203.0.113.1"}
    assert [p.asn for p in plans[:3]] == [65101, 65102, 65103]


def test_the_observation_for_snmp_leaves_out_ipv6_paths() -> None:
    m = model()
    full = m.observation("site-001")
    snmp = m.observation("site-001", ipv4_only=True)
    assert full.paths is not None
    assert snmp.paths is not None
    assert len(full.paths) == 10
    assert len(snmp.paths) == 6
    assert all(":" not in p.prefix for p in snmp.paths)


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("router", "fault", "options", "message"),
    [
        ("site-999", "mute", {}, "no router named 'site-999'"),
        ("site-001", "explode", {}, "unknown fault 'explode'"),
        ("site-001", "mute", {"link": MPLS}, "mute takes no link"),
        ("site-001", "link-down", {"link": "dsl"}, "unknown link 'dsl'"),
        ("core-mpls", "link-down", {}, "inject it at the site"),
        ("site-001", "withdraw", {"prefix": "10.99.0.0/16"}, "do not advertise 10.99.0.0/16"),
        ("site-001", "withdraw", {"prefix": "nonsense"}, "is not a prefix"),
        ("site-001", "reboot", {"prefix": DEFAULT_A}, "takes no prefix"),
        ("site-001", "link-down", {"med": 5}, "takes no MED"),
    ],
)
def test_a_fault_that_does_not_apply_is_refused_with_the_reason(
    router: str, fault: str, options: dict[str, object], message: str
) -> None:
    m = model()
    with pytest.raises(FaultError, match=message):
        m.inject(router, fault, now=T0 + 1, **options)  # type: ignore[arg-type]
    assert m.faults("site-001") == ()


def test_time_never_runs_backwards() -> None:
    m = model()
    m.advance(T0 + 10)
    with pytest.raises(ValueError, match="time runs forwards"):
        m.advance(T0 + 5)


def test_a_core_can_reboot_and_its_sessions_restart() -> None:
    m = model()
    m.inject("core-inet", Fault.REBOOT, now=T0 + 30)
    m.advance(T0 + 32)
    assert m.uptime_ticks("core-inet") == 200
    inet_peer = plan_site(1).link(INET).core_address
    site_side = {p.peer.address: p for p in m.peers("site-001")}[inet_peer]
    assert site_side.peer.established_for_s == 2.0, "the site saw the session flap"
    assert best_links(m) == ALL_AS_INTENDED
