"""Path findings for every situation of the scenario, table-driven on plain data."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from sprmon.core.evaluate import UnknownSiteError, evaluate
from sprmon.core.findings import CandidatePath, PathFinding, PathState, Severity
from sprmon.core.intent import Intent, Marking
from sprmon.core.observed import (
    BgpPath,
    BgpPeer,
    Interface,
    OperStatus,
    Origin,
    PeerState,
    SiteObservation,
)
from sprmon.core.path_evaluation import origin_rank
from sprmon.core.prefixes import canonical_prefix
from tests.factories import (
    DC_V4,
    DC_V6,
    LEGACY_V4,
    LEGACY_V6,
    NOW,
    default_app,
    default_paths,
    healthy_paths,
    intent,
    interfaces,
    legacy_app,
    observation,
    path,
    peer_address,
    peers,
    site,
    snapshot,
    steered_paths,
)


def others(*exclude: str) -> tuple[BgpPath, ...]:
    """The healthy paths of every prefix but ``exclude``."""
    return tuple(p for p in healthy_paths() if p.prefix not in exclude)


@dataclass(frozen=True)
class Case:
    id: str
    paths: tuple[BgpPath, ...]
    state: PathState
    severity: Severity
    actual: tuple[str, ...]
    expected_link: str | None
    redundant: bool | None
    marking_ok: bool | None
    says: tuple[str, ...] = ()
    prefix: str = LEGACY_V4
    peers: tuple[BgpPeer, ...] | None = None
    interfaces: tuple[Interface, ...] | None = None
    matched: str | None = field(default=None)
    intent: Intent | None = None


MPLS_DOWN = interfaces(mpls=OperStatus.DOWN)
MPLS_IDLE = peers(mpls=PeerState.IDLE)

CASES = [
    Case(
        "compliant: steered prefix best via mpls with a backup via inet",
        healthy_paths(),
        PathState.COMPLIANT,
        Severity.OK,
        ("mpls",),
        "mpls",
        True,
        True,
        ("best via mpls as intended",),
    ),
    Case(
        "compliant: default prefix best via inet, no marking stated",
        healthy_paths(),
        PathState.COMPLIANT,
        Severity.OK,
        ("inet",),
        "inet",
        True,
        None,
        ("best via inet as intended",),
        prefix=DC_V4,
    ),
    Case(
        "compliant IPv6: steered /48 best via mpls",
        healthy_paths(),
        PathState.COMPLIANT,
        Severity.OK,
        ("mpls",),
        "mpls",
        True,
        True,
        prefix=LEGACY_V6,
    ),
    Case(
        "failover: mpls link oper down, route withdrawn, best via inet",
        (*others(LEGACY_V4), path(LEGACY_V4, "inet", med=200, best=True)),
        PathState.FAILOVER,
        Severity.WARNING,
        ("inet",),
        "inet",
        False,
        True,
        ("failover to inet", "mpls down: link oper down"),
        peers=MPLS_IDLE,
        interfaces=MPLS_DOWN,
    ),
    Case(
        "failover: mpls link up but its BGP session down",
        (*others(LEGACY_V4), path(LEGACY_V4, "inet", med=200, best=True)),
        PathState.FAILOVER,
        Severity.WARNING,
        ("inet",),
        "inet",
        False,
        True,
        ("failover to inet", "mpls BGP session not established"),
        peers=MPLS_IDLE,
    ),
    Case(
        "failover: a configured neighbour missing from the peer table is not established",
        (*others(LEGACY_V4), path(LEGACY_V4, "inet", med=200, best=True)),
        PathState.FAILOVER,
        Severity.WARNING,
        ("inet",),
        "inet",
        False,
        True,
        ("mpls BGP session not established",),
        peers=tuple(p for p in peers() if p.address != peer_address("mpls")),
    ),
    Case(
        "stale route: mpls down but its MED 100 path is still best",
        healthy_paths(),
        PathState.FAILOVER,
        Severity.WARNING,
        ("mpls",),
        "inet",
        True,
        True,
        (
            "best path still via mpls although mpls is down; BGP has not withdrawn it yet "
            "(traffic is likely dropped)",
            "mpls down: link oper down",
        ),
        interfaces=MPLS_DOWN,
    ),
    Case(
        "no link usable: best path still via the down preferred link is a failover",
        healthy_paths(),
        PathState.FAILOVER,
        Severity.WARNING,
        ("mpls",),
        None,
        False,
        True,
        ("no allowed link is usable", "inet BGP session not established"),
        peers=peers(inet=PeerState.ACTIVE),
        interfaces=MPLS_DOWN,
    ),
    Case(
        "drift: MED 300 on the steered prefix loses to MED 200 via inet",
        (
            *others(LEGACY_V4),
            path(LEGACY_V4, "inet", med=200, best=True),
            path(LEGACY_V4, "mpls", med=300),
        ),
        PathState.DRIFT,
        Severity.CRITICAL,
        ("inet",),
        "mpls",
        True,
        False,
        (
            "via inet (MED 200) beat via mpls (MED 300) although mpls is usable; "
            "intended MED 100 on mpls",
            "marking: MED 300 on mpls, intended 100",
        ),
    ),
    Case(
        "drift: mpls is up but offers no path for the steered prefix",
        (*others(LEGACY_V4), path(LEGACY_V4, "inet", med=200, best=True)),
        PathState.DRIFT,
        Severity.CRITICAL,
        ("inet",),
        "mpls",
        False,
        True,
        (
            "mpls is up with its session established but offers no path for 10.0.21.0/24; "
            "best via inet (MED 200)",
        ),
    ),
    Case(
        "drift IPv6: mpls offers no path for the steered /48",
        (*others(LEGACY_V6), path(LEGACY_V6, "inet", med=200, best=True)),
        PathState.DRIFT,
        Severity.CRITICAL,
        ("inet",),
        "mpls",
        False,
        True,
        ("offers no path for 2001:db8:21::/48",),
        prefix=LEGACY_V6,
    ),
    Case(
        "drift: ECMP load-shares the steered prefix across mpls and inet",
        (
            *others(LEGACY_V4),
            path(LEGACY_V4, "inet", med=100, best=True),
            path(LEGACY_V4, "mpls", med=100, multipath=True),
        ),
        PathState.DRIFT,
        Severity.CRITICAL,
        ("mpls", "inet"),
        "mpls",
        False,
        False,
        ("load-shared across mpls and inet", "marking: MED 100 on inet, intended 200"),
    ),
    Case(
        "drift: best path from a peer that matches no link of the site",
        (*others(LEGACY_V4), path(LEGACY_V4, "inet", peer="192.0.2.9", med=100, best=True)),
        PathState.DRIFT,
        Severity.CRITICAL,
        ("?",),
        "mpls",
        False,
        None,
        ("unrecognised peer 192.0.2.9 (next hop 192.0.2.9)", "matches no link of branch-01"),
    ),
    Case(
        "drift: local-pref decides before MED and is named",
        (
            *others(LEGACY_V4),
            path(LEGACY_V4, "inet", med=200, local_pref=200, best=True),
            path(LEGACY_V4, "mpls", med=100, local_pref=100),
        ),
        PathState.DRIFT,
        Severity.CRITICAL,
        ("inet",),
        "mpls",
        True,
        True,
        ("via inet (local-pref 200) beat via mpls (local-pref 100) although mpls is usable",),
    ),
    Case(
        "drift: AS-path length decides and is named",
        (
            *others(LEGACY_V4),
            path(LEGACY_V4, "inet", med=200, best=True),
            path(LEGACY_V4, "mpls", med=100, as_path=(65000, 65000, 65000)),
        ),
        PathState.DRIFT,
        Severity.CRITICAL,
        ("inet",),
        "mpls",
        True,
        True,
        ("via inet (AS-path length 1) beat via mpls (AS-path length 3)",),
    ),
    Case(
        "drift: origin decides when local-pref and AS-path length are equal",
        (
            *others(LEGACY_V4),
            path(LEGACY_V4, "inet", med=200, best=True),
            path(LEGACY_V4, "mpls", med=100, origin=Origin.INCOMPLETE),
        ),
        PathState.DRIFT,
        Severity.CRITICAL,
        ("inet",),
        "mpls",
        True,
        True,
        ("via inet (origin igp) beat via mpls (origin incomplete)",),
    ),
    Case(
        "drift: a winner with the worse MED is called out, not explained away",
        (
            *others(LEGACY_V4),
            path(LEGACY_V4, "inet", med=200, best=True),
            path(LEGACY_V4, "mpls", med=100),
        ),
        PathState.DRIFT,
        Severity.CRITICAL,
        ("inet",),
        "mpls",
        True,
        True,
        ("via inet (MED 200) was selected over via mpls (MED 100) although its MED is worse",),
    ),
    Case(
        "drift: equal attributes are a tie broken by router-id or age",
        (
            *others(LEGACY_V4),
            path(LEGACY_V4, "inet", med=100, best=True),
            path(LEGACY_V4, "mpls", med=100),
        ),
        PathState.DRIFT,
        Severity.CRITICAL,
        ("inet",),
        "mpls",
        True,
        False,
        ("via inet beat via mpls (tie broken by router-id/age)",),
    ),
    Case(
        "no backup: the steered prefix has only its mpls path",
        (*others(LEGACY_V4), path(LEGACY_V4, "mpls", med=100, best=True)),
        PathState.COMPLIANT,
        Severity.WARNING,
        ("mpls",),
        "mpls",
        False,
        True,
        ("best via mpls as intended; no backup: no usable path over inet",),
    ),
    Case(
        "no backup: the inet path exists but inet's session is down",
        healthy_paths(),
        PathState.COMPLIANT,
        Severity.WARNING,
        ("mpls",),
        "mpls",
        False,
        True,
        ("no backup",),
        peers=peers(inet=PeerState.IDLE),
    ),
    Case(
        "no route: neither the prefix nor a covering prefix is in the table",
        others(LEGACY_V4, DC_V4),
        PathState.NO_ROUTE,
        Severity.CRITICAL,
        (),
        "mpls",
        False,
        None,
        ("no route to 10.0.21.0/24 or any covering prefix",),
    ),
    Case(
        "no route: paths exist but the router selected none",
        (
            *others(LEGACY_V4),
            path(LEGACY_V4, "mpls", med=100),
            path(LEGACY_V4, "inet", med=200),
        ),
        PathState.NO_ROUTE,
        Severity.CRITICAL,
        (),
        "mpls",
        False,
        True,
        ("2 paths but none selected as best (next hop unreachable?)",),
    ),
    Case(
        "LPM: the covering /16 decides for the missing /24 and shows inet drift",
        others(LEGACY_V4),
        PathState.DRIFT,
        Severity.CRITICAL,
        ("inet",),
        "mpls",
        True,
        False,
        ("via inet (MED 200) beat via mpls (MED 300)", "covered by 10.0.0.0/16"),
        matched=DC_V4,
    ),
    Case(
        "LPM: a covering /16 steered to mpls makes the /24 compliant",
        (
            *others(LEGACY_V4, DC_V4),
            *steered_paths(DC_V4),
        ),
        PathState.COMPLIANT,
        Severity.OK,
        ("mpls",),
        "mpls",
        True,
        True,
        ("best via mpls as intended; covered by 10.0.0.0/16",),
        matched=DC_V4,
    ),
    Case(
        "LPM IPv6: the covering /32 decides for the missing /48",
        others(LEGACY_V6),
        PathState.DRIFT,
        Severity.CRITICAL,
        ("inet",),
        "mpls",
        True,
        False,
        ("covered by 2001:db8::/32",),
        prefix=LEGACY_V6,
        matched=DC_V6,
    ),
    Case(
        "LPM: the longest covering prefix wins over a shorter one",
        (
            *others(LEGACY_V4),
            *steered_paths("10.0.20.0/23"),
        ),
        PathState.COMPLIANT,
        Severity.OK,
        ("mpls",),
        "mpls",
        True,
        True,
        ("covered by 10.0.20.0/23",),
        matched="10.0.20.0/23",
    ),
    Case(
        "wrong marking: right path but MED 150 instead of 100",
        (
            *others(LEGACY_V4),
            path(LEGACY_V4, "mpls", med=150, best=True),
            path(LEGACY_V4, "inet", med=200),
        ),
        PathState.COMPLIANT,
        Severity.WARNING,
        ("mpls",),
        "mpls",
        True,
        False,
        ("marking: MED 150 on mpls, intended 100",),
    ),
    Case(
        "wrong marking: a path without MED where one is intended",
        (
            *others(LEGACY_V4),
            path(LEGACY_V4, "mpls", best=True),
            path(LEGACY_V4, "inet", med=200),
        ),
        PathState.COMPLIANT,
        Severity.WARNING,
        ("mpls",),
        "mpls",
        True,
        False,
        ("marking: no MED on mpls, intended 100",),
    ),
    Case(
        "marking unknown: no path over a link with a marking",
        (*others(LEGACY_V4), path(LEGACY_V4, "mpls", med=100, best=True)),
        PathState.COMPLIANT,
        Severity.WARNING,
        ("mpls",),
        "mpls",
        False,
        None,
        intent=intent(applications=(legacy_app(marking={"inet": Marking(med=200)}),)),
    ),
    Case(
        "marking: missing community and wrong local-pref are both listed",
        (
            *others(LEGACY_V4),
            path(LEGACY_V4, "mpls", med=100, local_pref=90, communities=("65000:1",), best=True),
            path(LEGACY_V4, "inet", med=200),
        ),
        PathState.COMPLIANT,
        Severity.WARNING,
        ("mpls",),
        "mpls",
        True,
        False,
        ("local-pref 90 on mpls, intended 200", "community 65000:100 missing on mpls"),
        intent=intent(
            applications=(
                legacy_app(
                    marking={"mpls": Marking(med=100, local_pref=200, communities=("65000:100",))}
                ),
            )
        ),
    ),
    Case(
        "marking ok: every stated attribute present, extra communities allowed",
        (
            *others(LEGACY_V4),
            path(LEGACY_V4, "mpls", med=100, communities=("65000:1", "65000:100"), best=True),
            path(LEGACY_V4, "inet", med=200),
        ),
        PathState.COMPLIANT,
        Severity.OK,
        ("mpls",),
        "mpls",
        True,
        True,
        intent=intent(
            applications=(legacy_app(marking={"mpls": Marking(communities=("65000:100",))}),)
        ),
    ),
    Case(
        "next hop identifies the link when the peer is not a configured neighbour",
        (
            *others(LEGACY_V4),
            path(LEGACY_V4, "mpls", peer="192.0.2.77", next_hop="10.100.1.1", med=100, best=True),
            path(LEGACY_V4, "inet", med=200),
        ),
        PathState.COMPLIANT,
        Severity.OK,
        ("mpls",),
        "mpls",
        True,
        True,
    ),
    Case(
        "unknown interface status does not make a link with an established session unusable",
        healthy_paths(),
        PathState.COMPLIANT,
        Severity.OK,
        ("mpls",),
        "mpls",
        True,
        True,
        interfaces=(),
    ),
]


def run(case: Case) -> PathFinding:
    the_intent = case.intent or intent()
    obs = observation(
        1,
        paths=case.paths,
        peers_=case.peers,
        interfaces_=case.interfaces,
    )
    report = evaluate(the_intent, snapshot(obs), NOW)
    [finding] = [f for f in report.paths if f.prefix == case.prefix and f.app == "legacy"] or [
        f for f in report.paths if f.prefix == case.prefix
    ]
    return finding


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_path_finding_matches_the_situation(case: Case) -> None:
    finding = run(case)
    assert (finding.state, finding.severity) == (case.state, case.severity), finding.explanation
    assert finding.actual_links == case.actual
    assert finding.expected_link == case.expected_link
    assert finding.redundant is case.redundant
    assert finding.marking_ok is case.marking_ok
    for text in case.says:
        assert text in finding.explanation
    route = [p for p in case.paths if p.prefix == (case.matched or case.prefix)]
    assert finding.matched_prefix == (case.matched or (case.prefix if route else None))
    assert len(finding.candidates) == len(route)


def test_candidates_list_the_best_path_first_with_their_links() -> None:
    obs = observation(
        paths=(
            *others(LEGACY_V4),
            path(LEGACY_V4, "mpls", med=300),
            path(LEGACY_V4, "inet", med=200, best=True),
            path(LEGACY_V4, "inet", peer="192.0.2.9", med=250),
        )
    )
    [finding] = [f for f in evaluate(intent(), snapshot(obs), NOW).paths if f.prefix == LEGACY_V4]
    assert finding.candidates == (
        CandidatePath("inet", "10.200.1.1", "10.200.1.1", 200, None, (65000,), True),
        CandidatePath("mpls", "10.100.1.1", "10.100.1.1", 300, None, (65000,), False),
        CandidatePath(None, "192.0.2.9", "192.0.2.9", 250, None, (65000,), False),
    )


def test_drift_when_best_via_a_link_the_application_does_not_allow() -> None:
    with_lte = intent([site(1, lte=True)])
    obs = observation(
        paths=(
            *others(LEGACY_V4),
            path(LEGACY_V4, "lte", med=50, best=True),
            path(LEGACY_V4, "mpls", med=100),
        ),
        peers_=(*peers(), BgpPeer(peer_address("lte"), PeerState.ESTABLISHED)),
    )
    [finding] = [f for f in evaluate(with_lte, snapshot(obs), NOW).paths if f.prefix == LEGACY_V4]
    assert finding.state is PathState.DRIFT
    assert finding.actual_links == ("lte",)
    assert finding.explanation == (
        "best via lte, which legacy does not allow; via lte (MED 50) beat via mpls (MED 100)"
    )


def test_drift_when_no_allowed_link_is_usable_and_best_is_unrecognised() -> None:
    obs = observation(
        paths=(*others(LEGACY_V4), path(LEGACY_V4, "inet", peer="192.0.2.9", best=True)),
        peers_=peers(mpls=PeerState.IDLE, inet=PeerState.IDLE),
    )
    [finding] = [f for f in evaluate(intent(), snapshot(obs), NOW).paths if f.prefix == LEGACY_V4]
    assert (finding.state, finding.expected_link) == (PathState.DRIFT, None)
    assert finding.explanation.startswith("no allowed link is usable")


def test_failover_to_third_link_names_every_link_that_is_down() -> None:
    three = intent(
        [site(1, lte=True)],
        applications=(legacy_app(links=("mpls", "inet", "lte"), marking={}),),
    )
    obs = observation(
        paths=(*others(LEGACY_V4), path(LEGACY_V4, "lte", best=True)),
        peers_=(
            *peers(mpls=PeerState.IDLE),
            BgpPeer(peer_address("lte"), PeerState.ESTABLISHED),
        ),
        interfaces_=interfaces(inet=OperStatus.LOWER_LAYER_DOWN),
    )
    [finding] = [f for f in evaluate(three, snapshot(obs), NOW).paths if f.prefix == LEGACY_V4]
    assert (finding.state, finding.expected_link) == (PathState.FAILOVER, "lte")
    assert finding.explanation == (
        "failover to lte; mpls BGP session not established; inet down: link oper down"
    )


def test_link_the_site_does_not_have_is_never_expected() -> None:
    app = legacy_app(links=("lte", "mpls"), marking={})
    [finding, *_] = evaluate(intent(applications=(app,)), snapshot(observation()), NOW).paths
    assert (finding.state, finding.expected_link) == (PathState.FAILOVER, "mpls")
    assert "lte is not configured at this site" in finding.explanation


@pytest.mark.parametrize(
    ("obs", "explanation"),
    [
        (None, "no observation of site"),
        (observation(at=NOW - 612), "observation is 612 s old (stale after 300 s)"),
        (
            replace(observation(), paths=None, error="timeout after 2.0 s"),
            "BGP table not collected: timeout after 2.0 s",
        ),
        (replace(observation(), paths=()), None),
        (
            replace(observation(), paths=(), error="walk of bgp4PathAttrTable failed"),
            "BGP table not collected: walk of bgp4PathAttrTable failed",
        ),
        (replace(observation(), peers=None), "BGP peers not collected"),
    ],
    ids=["no observation", "stale", "paths not collected", "empty table", "error", "no peers"],
)
def test_unknown_instead_of_guessing(obs: SiteObservation | None, explanation: str | None) -> None:
    observations = () if obs is None else (obs,)
    report = evaluate(intent(), snapshot(*observations), NOW)
    if explanation is None:
        # An empty table collected without error is an outage, not an unknown.
        assert {f.state for f in report.paths} == {PathState.NO_ROUTE}
        return
    assert len(report.paths) == 4
    for finding in report.paths:
        assert (finding.state, finding.severity) == (PathState.UNKNOWN, Severity.UNKNOWN)
        assert finding.explanation == explanation
        assert (finding.redundant, finding.marking_ok, finding.expected_link) == (None, None, None)


def test_observation_exactly_at_the_stale_limit_is_still_used() -> None:
    report = evaluate(intent(), snapshot(observation(at=NOW - 300)), NOW)
    assert {f.state for f in report.paths} == {PathState.COMPLIANT}


def test_newest_observation_decides_even_when_an_older_one_looked_better() -> None:
    broken = observation(paths=others(LEGACY_V4, DC_V4))
    report = evaluate(intent(), snapshot(broken, observation(at=NOW - 60)), NOW)
    assert report.paths[0].state is PathState.NO_ROUTE


def test_findings_ordered_by_site_then_application_with_default_last_then_prefix() -> None:
    # The default application is listed first in the intent on purpose.
    the_intent = intent(3, applications=(default_app(), legacy_app()))
    obs = [observation(n) for n in (3, 1, 2)]
    report = evaluate(the_intent, snapshot(*obs), NOW)
    assert [(f.site, f.app, f.prefix) for f in report.paths] == [
        (f"branch-0{n}", app, prefix)
        for n in (1, 2, 3)
        for app, prefix in (
            ("legacy", LEGACY_V4),
            ("legacy", LEGACY_V6),
            ("default", DC_V4),
            ("default", DC_V6),
        )
    ]
    assert [(f.site, f.link) for f in report.links] == [
        (f"branch-0{n}", link) for n in (1, 2, 3) for link in ("mpls", "inet")
    ]


def test_sites_argument_limits_the_evaluation_and_keeps_intent_order() -> None:
    report = evaluate(intent(3), snapshot(*(observation(n) for n in (1, 2, 3))), NOW,
                      sites={"branch-03", "branch-01"})  # fmt: skip
    assert sorted({f.site for f in report.paths}) == ["branch-01", "branch-03"]
    assert report.paths[0].site == "branch-01"


def test_unknown_site_names_are_an_error_that_lists_them() -> None:
    with pytest.raises(UnknownSiteError, match=r"tests/factories\.py: branch-99") as info:
        evaluate(intent(2), snapshot(), NOW, sites=["branch-01", "branch-99"])
    assert info.value.names == ("branch-99",)


def test_identical_routes_at_one_site_share_their_verdict_but_not_their_prefix() -> None:
    prefixes = [f"10.1.{i}.0/24" for i in range(5)]
    app = legacy_app(prefixes=tuple(prefixes), marking={})
    paths = [p for prefix in prefixes for p in steered_paths(prefix)]
    # One prefix differs only in a MED: it must not reuse its neighbours' verdict.
    paths[4] = replace(paths[4], med=300, best=False)
    paths[5] = replace(paths[5], best=True)
    report = evaluate(intent(applications=(app,)), snapshot(observation(paths=paths)), NOW)
    assert [f.prefix for f in report.paths] == prefixes
    assert [f.state for f in report.paths] == [
        PathState.COMPLIANT,
        PathState.COMPLIANT,
        PathState.DRIFT,
        PathState.COMPLIANT,
        PathState.COMPLIANT,
    ]


def test_a_shared_verdict_gives_the_finding_the_prefix_would_get_alone() -> None:
    # Two exact routes and two prefixes covered by one /16, all alike: the
    # second of each pair reuses the first's verdict with its own prefix.
    prefixes = tuple(
        map(canonical_prefix, ("10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24", "10.1.3.0/24"))
    )
    app = legacy_app(prefixes=prefixes, marking={})
    paths = [p for prefix in (*prefixes[:2], "10.1.0.0/16") for p in steered_paths(prefix)]
    snap = snapshot(observation(paths=paths))
    together = evaluate(intent(applications=(app,)), snap, NOW).paths
    alone = [
        evaluate(intent(applications=(replace(app, prefixes=(p,)),)), snap, NOW).paths[0]
        for p in prefixes
    ]
    assert together == tuple(alone)
    assert [f.matched_prefix for f in together] == [*prefixes[:2], "10.1.0.0/16", "10.1.0.0/16"]


def test_default_paths_helper_matches_the_scenario() -> None:
    inet, mpls = default_paths(DC_V4)
    assert (inet.med, inet.best, mpls.med, mpls.best) == (200, True, 300, False)


@pytest.mark.parametrize(
    ("origin", "rank"),
    [(Origin.IGP, 0), (Origin.EGP, 1), (Origin.INCOMPLETE, 2), (None, 0)],
)
def test_origin_ranks_igp_before_egp_before_incomplete_and_a_missing_one_as_igp(
    origin: Origin | None, rank: int
) -> None:
    # One rule for the core's explanations and the lab's decision process.
    assert origin_rank(origin) == rank
