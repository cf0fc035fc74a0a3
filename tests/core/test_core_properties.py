"""Properties of the evaluation over random, well-formed snapshots."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sprmon.core.evaluate import evaluate
from sprmon.core.findings import PathState, Severity
from sprmon.core.observed import (
    BgpPath,
    BgpPeer,
    Interface,
    OperStatus,
    Origin,
    PeerState,
    SiteObservation,
    Snapshot,
)
from sprmon.core.prefixes import canonical_address, canonical_prefix
from tests.factories import (
    DC_V4,
    DC_V6,
    LEGACY_V4,
    LEGACY_V6,
    NOW,
    intent,
    interfaces,
    peer_address,
    peers,
    site_name,
)

SITES = 2
INTENT = intent(SITES)
#: The intent's applications by name.
APPS = {app.name: app for app in INTENT.applications}
ADDRESSES = [
    *(peer_address(link, n) for link in ("mpls", "inet") for n in range(1, SITES + 1)),
    canonical_address("192.0.2.9"),
    canonical_address("2001:db8:ffff::1"),
]
PREFIXES = [
    LEGACY_V4,
    LEGACY_V6,
    DC_V4,
    DC_V6,
    *(
        canonical_prefix(p)
        for p in ("10.0.20.0/23", "10.0.21.0/25", "0.0.0.0/0", "::/0", "192.168.0.0/16")
    ),
]
SEVERITY_OF = {
    PathState.FAILOVER: {Severity.WARNING},
    PathState.COMPLIANT: {Severity.OK, Severity.WARNING},
    PathState.DRIFT: {Severity.CRITICAL},
    PathState.NO_ROUTE: {Severity.CRITICAL},
    PathState.UNKNOWN: {Severity.UNKNOWN},
}

small = st.none() | st.integers(0, 1000)
counter = st.none() | st.integers(0, 2**64 - 1)

bgp_paths = st.builds(
    BgpPath,
    prefix=st.sampled_from(PREFIXES),
    peer=st.sampled_from(ADDRESSES),
    next_hop=st.none() | st.sampled_from(ADDRESSES),
    med=small,
    local_pref=small,
    as_path=st.lists(st.integers(1, 65535), max_size=3).map(tuple),
    communities=st.lists(st.sampled_from(["65000:100", "65000:200"]), max_size=2).map(tuple),
    origin=st.none() | st.sampled_from(Origin),
    best=st.booleans(),
    multipath=st.booleans(),
)
bgp_peers = st.builds(
    BgpPeer,
    address=st.sampled_from(ADDRESSES),
    state=st.sampled_from(PeerState),
    remote_as=st.none() | st.integers(1, 65535),
    established_for_s=st.none() | st.floats(0, 1e7),
)
ifaces = st.builds(
    Interface,
    index=st.integers(1, 3),
    name=st.sampled_from(["Gi0/0/0", "Tunnel100", "Loopback0"]),
    oper_status=st.sampled_from(OperStatus),
    speed_bps=st.none() | st.integers(0, 10**11),
    in_octets=counter,
    out_octets=counter,
    counter_bits=st.sampled_from([32, 64]),
    in_errors=counter,
    out_errors=counter,
    in_discards=counter,
    out_discards=counter,
    discontinuity_ticks=st.none() | st.integers(0, 2**32 - 1),
)
observations = st.builds(
    SiteObservation,
    site=st.sampled_from([site_name(n) for n in range(1, SITES + 2)]),
    collected_at=st.floats(NOW - 1000, NOW + 10),
    uptime_ticks=st.none() | st.integers(0, 2**32 - 1),
    paths=st.none() | st.lists(bgp_paths, max_size=12).map(tuple),
    peers=st.none() | st.lists(bgp_peers, max_size=4).map(tuple),
    interfaces=st.none() | st.lists(ifaces, max_size=3).map(tuple),
    error=st.none() | st.text(max_size=10),
)
snapshots = st.lists(observations, max_size=6).map(lambda obs: Snapshot(tuple(obs)))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots)
def test_evaluate_never_raises_and_gives_one_consistent_finding_per_site_and_prefix(
    snapshot: Snapshot,
) -> None:
    report = evaluate(INTENT, snapshot, NOW)

    expected_keys = [
        (s.name, a.name, p)
        for s in INTENT.sites
        for a in sorted(INTENT.applications, key=lambda a: a.is_default)
        for p in a.prefixes
    ]
    assert [(f.site, f.app, f.prefix) for f in report.paths] == expected_keys
    assert [(f.site, f.link) for f in report.links] == [
        (s.name, link.role) for s in INTENT.sites for link in s.links
    ]
    for finding in report.paths:
        assert finding.severity in SEVERITY_OF[finding.state]
        assert finding.explanation
        if finding.state is PathState.UNKNOWN:
            assert finding.redundant is None
        else:
            assert finding.redundant is not None
        if finding.state is PathState.COMPLIANT:
            app = APPS[finding.app]
            assert finding.actual_links == (app.links[0],)
    for link in report.links:
        for value in (link.in_bps, link.out_bps, link.error_rate, link.discard_rate):
            assert value is None or value >= 0
        for util in (link.utilization_in, link.utilization_out):
            assert util is None or util >= 0


@settings(max_examples=200)
@given(
    routes=st.lists(
        st.lists(
            st.tuples(st.booleans(), small, small, st.booleans(), st.booleans()),
            min_size=1,
            max_size=3,
        ),
        min_size=4,
        max_size=4,
    ),
    interfaces_collected=st.booleans(),
)
def test_paths_only_over_the_preferred_link_up_and_established_never_drift(
    routes: list[list[tuple[bool, int | None, int | None, bool, bool]]],
    interfaces_collected: bool,
) -> None:
    the_intent = intent(1)
    prefixes = [(app, p) for app in the_intent.applications for p in app.prefixes]
    paths = []
    for (app, prefix), route in zip(prefixes, routes, strict=True):
        preferred = app.links[0]
        for by_next_hop, med, local_pref, best, multipath in route:
            address = peer_address(preferred)
            paths.append(
                BgpPath(
                    prefix=prefix,
                    # mpls is also recognised by its next hop; inet only by its neighbour.
                    peer=canonical_address("192.0.2.200")
                    if by_next_hop and preferred == "mpls"
                    else address,
                    next_hop=address,
                    med=med,
                    local_pref=local_pref,
                    best=best,
                    multipath=multipath,
                )
            )
    obs = SiteObservation(
        site=site_name(1),
        collected_at=NOW,
        paths=tuple(paths),
        peers=peers(1),
        interfaces=interfaces() if interfaces_collected else None,
    )
    report = evaluate(the_intent, Snapshot((obs,)), NOW)
    for finding in report.paths:
        assert finding.state is not PathState.DRIFT, finding.explanation
        assert finding.state in {PathState.COMPLIANT, PathState.NO_ROUTE}
