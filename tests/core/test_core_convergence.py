"""Convergence grace: a path still on the fallback just after its link came back is failover."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sprmon.core.convergence import (
    LinkUsability,
    apply_convergence_grace,
    link_usable,
    track_usability,
)
from sprmon.core.evaluate import evaluate
from sprmon.core.findings import LinkFinding, PathFinding, PathState, Report, Severity
from sprmon.core.observed import PeerState
from sprmon.core.timetext import utc_text
from tests.factories import (
    LEGACY_V4,
    MED_INET,
    MED_MPLS_BACKUP,
    NOW,
    intent,
    observation,
    path,
    peers,
    snapshot,
)

GRACE = 90.0
INTENT = intent(1)
APP_LINKS = {app.name: app.links for app in INTENT.applications}
KEY = ("branch-01", "mpls")


def still_on_inet(at: float = NOW) -> Report:
    """The legacy prefix left over inet while mpls is usable again: a drift at one instant."""
    paths = (
        *(p for p in observation(1).paths or () if p.prefix != LEGACY_V4),
        path(LEGACY_V4, "mpls", med=MED_MPLS_BACKUP),
        path(LEGACY_V4, "inet", med=MED_INET, best=True),
    )
    return evaluate(INTENT, snapshot(observation(1, at=at, paths=paths)), at)


def legacy(report: Report) -> PathFinding:
    (finding,) = [f for f in report.paths if f.prefix == LEGACY_V4]
    return finding


def came_back(seconds_ago: float) -> dict[tuple[str, str], LinkUsability]:
    return {KEY: LinkUsability(usable=True, since=NOW - seconds_ago, seen_at=NOW)}


def test_within_the_grace_the_drift_is_a_failover_that_says_bgp_is_converging() -> None:
    report = still_on_inet()
    assert legacy(report).state is PathState.DRIFT
    graced = apply_convergence_grace(report, APP_LINKS, came_back(25), GRACE)
    finding = legacy(graced)
    assert finding.state is PathState.FAILOVER
    assert finding.severity is Severity.WARNING
    since = utc_text(NOW - 25)
    until = utc_text(NOW - 25 + GRACE)
    assert finding.explanation.startswith(
        f"failover to inet while BGP converges: mpls usable again since {since} (25 s ago), "
        f"within the convergence grace of 90 s; drift if still so at {until}; "
    )
    # The attributes that decide the path are still shown.
    assert "MED 300" in finding.explanation
    # Only that finding changed.
    others = [f for f in graced.paths if f.prefix != LEGACY_V4]
    assert others == [f for f in report.paths if f.prefix != LEGACY_V4]


@pytest.mark.parametrize(
    "usability",
    [
        pytest.param(came_back(GRACE), id="grace over: drift"),
        pytest.param(came_back(GRACE + 300), id="long after: drift"),
        pytest.param({}, id="never seen to come back: drift"),
        pytest.param(
            {KEY: LinkUsability(usable=True, since=None, seen_at=NOW)},
            id="usable since the daemon started, time unknown: drift",
        ),
        pytest.param(
            {("branch-01", "inet"): LinkUsability(usable=True, since=NOW - 5, seen_at=NOW)},
            id="another link came back: drift",
        ),
    ],
)
def test_outside_the_grace_the_drift_stays(usability: dict[tuple[str, str], LinkUsability]) -> None:
    report = still_on_inet()
    assert apply_convergence_grace(report, APP_LINKS, usability, GRACE) is report


def test_a_drift_over_a_link_the_application_does_not_allow_is_never_graced() -> None:
    report = still_on_inet()
    (finding,) = [f for f in report.paths if f.prefix == LEGACY_V4]
    foreign = finding._replace(actual_links=("lte",))
    report = Report(NOW, (foreign,), ())
    assert apply_convergence_grace(report, APP_LINKS, came_back(5), GRACE) is report


def test_a_drift_that_uses_the_expected_link_as_well_is_never_graced() -> None:
    finding = legacy(still_on_inet())._replace(actual_links=("mpls", "inet"))
    report = Report(NOW, (finding,), ())
    assert apply_convergence_grace(report, APP_LINKS, came_back(5), GRACE) is report


def test_other_states_are_never_touched() -> None:
    compliant = evaluate(INTENT, snapshot(observation(1)), NOW)
    assert apply_convergence_grace(compliant, APP_LINKS, came_back(5), GRACE) is compliant


# --- tracking when a link became usable ----------------------------------------------------


def mpls(
    *, oper_up: bool | None = True, established: bool | None = True, since: float | None = None
) -> LinkFinding:
    return LinkFinding(
        site="branch-01",
        link="mpls",
        severity=Severity.OK,
        oper_up=oper_up,
        bgp_established=established,
        established_since=since,
        capacity_bps=10_000_000,
        in_bps=None,
        out_bps=None,
        utilization_in=None,
        utilization_out=None,
        error_rate=None,
        discard_rate=None,
    )


def test_usable_means_session_established_and_interface_not_down() -> None:
    assert link_usable(mpls()) is True
    assert link_usable(mpls(oper_up=None)) is True
    assert link_usable(mpls(oper_up=False)) is False
    assert link_usable(mpls(established=False)) is False
    assert link_usable(mpls(established=None, oper_up=None)) is None


def test_first_sight_takes_the_routers_establishment_time() -> None:
    tracked = track_usability(None, mpls(since=NOW - 30), NOW)
    assert tracked == LinkUsability(usable=True, since=NOW - 30, seen_at=NOW)
    assert track_usability(None, mpls(), NOW) == LinkUsability(True, None, NOW)


def test_session_that_came_up_between_polls_dates_from_its_establishment() -> None:
    down = track_usability(None, mpls(established=False), NOW - 60)
    assert down == LinkUsability(usable=False, since=None, seen_at=NOW - 60)
    up = track_usability(down, mpls(since=NOW - 20), NOW)
    assert up == LinkUsability(usable=True, since=NOW - 20, seen_at=NOW)


def test_interface_back_under_a_session_that_stayed_up_dates_from_the_poll() -> None:
    down = track_usability(None, mpls(oper_up=False, since=NOW - 3600), NOW - 60)
    up = track_usability(down, mpls(since=NOW - 3600), NOW)
    assert up == LinkUsability(usable=True, since=NOW, seen_at=NOW)


def test_usable_link_keeps_its_since_and_a_hidden_flap_restarts_it() -> None:
    first = track_usability(None, mpls(since=NOW - 3600), NOW - 60)
    steady = track_usability(first, mpls(since=NOW - 3600), NOW)
    assert steady == LinkUsability(usable=True, since=NOW - 3600, seen_at=NOW)
    flapped = track_usability(steady, mpls(since=NOW + 40), NOW + 60)
    assert flapped == LinkUsability(usable=True, since=NOW + 40, seen_at=NOW + 60)


def test_an_unknown_link_changes_nothing() -> None:
    known = LinkUsability(usable=True, since=NOW - 30, seen_at=NOW - 10)
    assert track_usability(known, mpls(established=None, oper_up=None), NOW) is known
    assert track_usability(None, mpls(established=None, oper_up=None), NOW) is None


def test_daemon_history_turns_a_returning_link_into_converging_then_drift() -> None:
    """The whole sequence: mpls down, back, path still on inet within and after the grace."""
    down_obs = observation(1, at=NOW - 60, peers_=peers(mpls=PeerState.IDLE))
    down = evaluate(INTENT, snapshot(down_obs), NOW - 60)
    usability: dict[tuple[str, str], LinkUsability] = {}
    for report in (down, still_on_inet(NOW)):
        for finding in report.links:
            tracked = track_usability(
                usability.get((finding.site, finding.link)), finding, report.evaluated_at
            )
            if tracked is not None:
                usability[(finding.site, finding.link)] = tracked
    assert usability[KEY].since is not None
    within = apply_convergence_grace(still_on_inet(NOW), APP_LINKS, usability, GRACE)
    assert legacy(within).state is PathState.FAILOVER
    later = still_on_inet(NOW + GRACE + 1)
    assert legacy(apply_convergence_grace(later, APP_LINKS, usability, GRACE)).state is (
        PathState.DRIFT
    )


@given(st.floats(min_value=-(2**35), max_value=2**35, allow_nan=False))
def test_utc_text_agrees_with_datetime(posix: float) -> None:
    expected = datetime.fromtimestamp(posix // 1, tz=UTC).isoformat().replace("+00:00", "Z")
    assert utc_text(posix) == expected
