"""State changes between two evaluations: what the daemon logs and publishes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sprmon.core.evaluate import evaluate
from sprmon.core.findings import LinkFinding, PathFinding, PathState, Report, Severity
from sprmon.core.monitor import Subject
from sprmon.core.observed import OperStatus, PeerState
from sprmon.core.prefixes import canonical_prefix
from sprmon.core.transitions import LEFT, LinkState, link_explanation, link_state, state_changes
from tests.factories import (
    LEGACY_V4,
    MED_INET,
    MED_MPLS_BACKUP,
    NOW,
    default_paths,
    intent,
    interfaces,
    observation,
    path,
    peers,
    site_name,
    snapshot,
)

INTENT = intent(2)


def healthy(at: float = NOW) -> Report:
    return evaluate(INTENT, snapshot(observation(1, at=at), observation(2, at=at)), at)


def link(**overrides: object) -> LinkFinding:
    finding = LinkFinding(
        site="branch-01",
        link="mpls",
        severity=Severity.OK,
        oper_up=True,
        bgp_established=True,
        established_since=NOW - 60,
        capacity_bps=10_000_000,
        in_bps=None,
        out_bps=None,
        utilization_in=None,
        utilization_out=None,
        error_rate=None,
        discard_rate=None,
    )
    return replace(finding, **overrides)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({}, LinkState.UP, id="usable and healthy is up"),
        pytest.param(
            {"oper_up": False, "severity": Severity.CRITICAL}, LinkState.DOWN, id="interface down"
        ),
        pytest.param(
            {"bgp_established": False, "severity": Severity.CRITICAL},
            LinkState.DOWN,
            id="session down",
        ),
        pytest.param(
            {"oper_up": False, "bgp_established": None, "severity": Severity.CRITICAL},
            LinkState.DOWN,
            id="interface down although the session was not read",
        ),
        pytest.param(
            {"bgp_established": None, "oper_up": None, "severity": Severity.UNKNOWN},
            LinkState.UNKNOWN,
            id="nothing observed",
        ),
        pytest.param(
            {"oper_up": None, "severity": Severity.UNKNOWN},
            LinkState.UNKNOWN,
            id="interface not found",
        ),
        pytest.param(
            {"utilization_in": 0.9, "severity": Severity.WARNING},
            LinkState.DEGRADED,
            id="busy link is degraded",
        ),
        pytest.param(
            {"error_rate": 500.0, "severity": Severity.CRITICAL},
            LinkState.DEGRADED,
            id="critical error rate on a usable link is degraded, not down",
        ),
    ],
)
def test_link_state_words(overrides: dict[str, object], expected: LinkState) -> None:
    assert link_state(link(**overrides)) is expected


def test_link_explanation_says_what_is_wrong_and_the_utilisation() -> None:
    text = link_explanation(
        link(
            oper_up=False,
            bgp_established=False,
            utilization_in=0.5,
            utilization_out=0.25,
            severity=Severity.CRITICAL,
            notes=("rates unknown",),
        )
    )
    assert text == (
        "interface down; BGP session not established; utilisation in 50%, out 25%; rates unknown"
    )
    assert link_explanation(link()) == "interface up, BGP session established"


def test_identical_evaluations_change_nothing() -> None:
    assert state_changes(healthy(), healthy(NOW + 60), NOW + 60) == []


def test_first_evaluation_makes_every_subject_appear_with_no_old_state() -> None:
    report = healthy()
    changes = state_changes(None, report, NOW)
    assert len(changes) == len(report.paths) + len(report.links)
    assert {c.old_state for c in changes} == {None}
    paths = [c for c in changes if c.subject is Subject.PATH]
    assert {c.new_state for c in paths} == {"compliant"}
    assert all(c.app is not None and c.prefix is not None and c.link is None for c in paths)
    links = [c for c in changes if c.subject is Subject.LINK]
    assert {c.new_state for c in links} == {"up"}
    assert all(c.link is not None and c.app is None for c in links)
    # Paths first, in the report's order.
    assert [c.subject for c in changes] == [Subject.PATH] * len(paths) + [Subject.LINK] * len(links)


def test_a_drift_is_one_path_change_with_the_explanation_and_the_links() -> None:
    drifted = (
        path(LEGACY_V4, "mpls", med=MED_MPLS_BACKUP),
        path(LEGACY_V4, "inet", med=MED_INET, best=True),
    )
    paths = tuple(p for p in observation(1).paths or () if p.prefix != LEGACY_V4) + drifted
    after = evaluate(
        INTENT, snapshot(observation(1, at=NOW + 60, paths=paths), observation(2)), NOW + 60
    )
    (change,) = state_changes(healthy(), after, NOW + 60)
    assert change.subject is Subject.PATH
    assert (change.site, change.app, change.prefix) == ("branch-01", "legacy", LEGACY_V4)
    assert (change.old_state, change.new_state) == ("compliant", "drift")
    assert change.at == NOW + 60
    assert "MED 300" in change.explanation
    assert change.expected_link == "mpls"
    assert change.actual_links == ("inet",)


def test_link_down_changes_the_link_and_the_paths_that_fail_over() -> None:
    down = observation(
        1,
        at=NOW + 60,
        interfaces_=interfaces(mpls=OperStatus.DOWN),
        peers_=peers(mpls=PeerState.IDLE),
        paths=(
            path(LEGACY_V4, "inet", med=MED_INET, best=True),
            *default_paths("10.0.0.0/16"),
        ),
    )
    after = evaluate(INTENT, snapshot(down, observation(2)), NOW + 60)
    changes = state_changes(healthy(), after, NOW + 60)
    links = [c for c in changes if c.subject is Subject.LINK]
    assert [(c.site, c.link, c.old_state, c.new_state) for c in links] == [
        ("branch-01", "mpls", "up", "down")
    ]
    assert links[0].explanation.startswith("interface down; BGP session not established")
    failover = [c for c in changes if c.new_state == "failover"]
    assert [(c.app, c.prefix) for c in failover] == [("legacy", LEGACY_V4)]


def test_subjects_that_leave_have_no_new_state() -> None:
    before = healthy()
    after = evaluate(intent(1), snapshot(observation(1)), NOW)
    changes = state_changes(before, after, NOW)
    assert changes
    assert {c.site for c in changes} == {site_name(2)}
    assert {c.new_state for c in changes} == {None}
    assert {c.explanation for c in changes} == {LEFT}
    assert len(changes) == sum(1 for f in before.paths if f.site == site_name(2)) + 2


def test_a_prefix_moving_to_another_application_leaves_one_subject_and_enters_another() -> None:
    before = healthy()
    moved = Report(
        NOW,
        tuple(f._replace(app="other") if f.prefix == LEGACY_V4 else f for f in before.paths),
        before.links,
    )
    changes = state_changes(before, moved, NOW)
    assert {(c.site, c.app, c.old_state, c.new_state) for c in changes} == {
        (site_name(1), "other", None, "compliant"),
        (site_name(2), "other", None, "compliant"),
        (site_name(1), "legacy", "compliant", None),
        (site_name(2), "legacy", "compliant", None),
    }


_STATES = st.sampled_from(list(PathState))


@given(
    before=st.lists(st.tuples(st.integers(0, 5), _STATES), max_size=6),
    after=st.lists(st.tuples(st.integers(0, 5), _STATES), max_size=6),
)
def test_applying_the_changes_to_the_old_states_gives_the_new_ones(
    before: list[tuple[int, PathState]], after: list[tuple[int, PathState]]
) -> None:
    def report(rows: list[tuple[int, PathState]]) -> Report:
        findings = {
            n: PathFinding(
                site="s",
                app="a",
                prefix=canonical_prefix(f"10.0.{n}.0/24"),
                state=state,
                severity=Severity.OK,
                expected_link=None,
                actual_links=(),
                redundant=None,
                marking_ok=None,
                explanation="",
            )
            for n, state in rows
        }
        return Report(NOW, tuple(findings.values()), ())

    old, new = report(before), report(after)
    states: dict[str, str] = {f.prefix: f.state.value for f in old.paths}
    for change in state_changes(old, new, NOW):
        assert change.prefix is not None
        assert states.get(change.prefix) == change.old_state
        assert change.old_state != change.new_state
        if change.new_state is None:
            del states[change.prefix]
        else:
            states[change.prefix] = change.new_state
    assert states == {f.prefix: f.state.value for f in new.paths}
