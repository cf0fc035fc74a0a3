"""Report diffs: what changed between two evaluations and whether it got worse."""

from __future__ import annotations

from dataclasses import replace

from sprmon.core.diff import ChangeKind, diff_reports
from sprmon.core.evaluate import evaluate
from sprmon.core.findings import Report, Severity
from sprmon.core.observed import BgpPath, OperStatus, PeerState, SiteObservation
from tests.factories import (
    LEGACY_V4,
    NOW,
    healthy_paths,
    intent,
    interfaces,
    observation,
    path,
    peers,
    snapshot,
)


def report(*observations: SiteObservation, sites: int = 1) -> Report:
    return evaluate(intent(sites), snapshot(*observations), NOW)


def kinds(before: Report, after: Report) -> list[tuple[ChangeKind, tuple[str, ...], bool]]:
    return [(c.kind, c.key, c.got_worse) for c in diff_reports(before, after).changes]


HEALTHY = report(observation())
KEY = ("branch-01", "legacy", LEGACY_V4)


def without_legacy_v4() -> tuple[BgpPath, ...]:
    return tuple(p for p in healthy_paths() if p.prefix != LEGACY_V4)


def test_identical_reports_have_no_changes() -> None:
    diff = diff_reports(HEALTHY, report(observation()))
    assert diff.changes == ()
    assert diff.got_worse is False
    assert diff.severity() is Severity.OK


def test_drift_is_a_regression_with_critical_severity() -> None:
    drifted = report(
        observation(
            paths=(
                *without_legacy_v4(),
                path(LEGACY_V4, "inet", med=200, best=True),
                path(LEGACY_V4, "mpls", med=300),
            )
        )
    )
    diff = diff_reports(HEALTHY, drifted)
    assert kinds(HEALTHY, drifted) == [
        (ChangeKind.STATE, KEY, True),
        (ChangeKind.ACTUAL_LINKS, KEY, True),
        (ChangeKind.MARKING, KEY, True),
        (ChangeKind.SEVERITY, KEY, True),
    ]
    assert diff.got_worse is True
    assert diff.severity() is Severity.CRITICAL
    state = diff.changes[0]
    assert (state.before, state.after) == ("compliant", "drift")
    assert state.description.startswith("branch-01 legacy 10.0.21.0/24: compliant -> drift: ")
    assert diff.changes[1].description.endswith("best path moved from mpls to inet")


def test_recovery_from_drift_changes_but_does_not_get_worse() -> None:
    drifted = report(
        observation(paths=(*without_legacy_v4(), path(LEGACY_V4, "inet", med=200, best=True)))
    )
    diff = diff_reports(drifted, HEALTHY)
    assert diff.changes
    assert diff.got_worse is False
    assert diff.severity() is Severity.OK
    redundancy = [c for c in diff.changes if c.kind is ChangeKind.REDUNDANCY]
    assert [(c.before, c.after, c.got_worse) for c in redundancy] == [
        ("no backup", "redundant", False)
    ]


def test_losing_the_backup_path_is_a_warning_regression() -> None:
    single = report(
        observation(paths=(*without_legacy_v4(), path(LEGACY_V4, "mpls", med=100, best=True)))
    )
    diff = diff_reports(HEALTHY, single)
    assert kinds(HEALTHY, single) == [
        (ChangeKind.REDUNDANCY, KEY, True),
        (ChangeKind.SEVERITY, KEY, True),
    ]
    assert diff.severity() is Severity.WARNING
    assert "backup path lost" in diff.changes[0].description


def test_link_going_down_reports_oper_and_session_changes() -> None:
    down = report(observation(peers_=peers(mpls=PeerState.IDLE), interfaces_=interfaces(
        mpls=OperStatus.DOWN)))  # fmt: skip
    diff = diff_reports(HEALTHY, down)
    link_changes = [
        (c.kind, c.before, c.after, c.got_worse) for c in diff.changes if len(c.key) == 2
    ]
    assert link_changes == [
        (ChangeKind.LINK_OPER, "up", "down", True),
        (ChangeKind.LINK_BGP, "established", "not established", True),
        (ChangeKind.SEVERITY, "ok", "critical", True),
    ]
    assert diff.severity() is Severity.CRITICAL


def test_becoming_unknown_is_worse_than_ok_but_not_than_critical() -> None:
    unknown = report()
    to_unknown = diff_reports(HEALTHY, unknown)
    assert to_unknown.got_worse is True
    assert to_unknown.severity() is Severity.UNKNOWN
    critical = report(observation(paths=()))
    path_changes = [c for c in diff_reports(critical, unknown).changes if len(c.key) == 3]
    assert path_changes
    assert not any(c.got_worse for c in path_changes)


def test_new_sites_appear_and_removed_sites_disappear() -> None:
    two = report(observation(1), observation(2), sites=2)
    grown = diff_reports(HEALTHY, two)
    assert {c.kind for c in grown.changes} == {ChangeKind.APPEARED}
    assert {c.key[0] for c in grown.changes} == {"branch-02"}
    assert grown.got_worse is False

    missing = evaluate(intent(2), snapshot(observation(1)), NOW)
    assert diff_reports(HEALTHY, missing).got_worse is True

    shrunk = diff_reports(two, HEALTHY)
    assert {c.kind for c in shrunk.changes} == {ChangeKind.DISAPPEARED}
    assert shrunk.got_worse is False
    assert len(shrunk.changes) == 6  # four prefixes and two links of branch-02


def test_changing_rates_alone_are_not_changes() -> None:
    before = report(observation(at=NOW - 120), observation(at=NOW - 60))
    after = report(
        observation(at=NOW - 60),
        replace(observation(), interfaces=tuple(replace(i, in_octets=10**6) for i in interfaces())),
    )
    assert before.links != after.links
    assert diff_reports(before, after).changes == ()
