"""Severities: ordered by how much an operator must care, numbered by the plugin convention."""

from __future__ import annotations

from itertools import permutations

import pytest

from sprmon.core.findings import Report, Severity


def test_severities_sort_ok_warning_unknown_critical() -> None:
    assert sorted(Severity) == [
        Severity.OK,
        Severity.WARNING,
        Severity.UNKNOWN,
        Severity.CRITICAL,
    ]


@pytest.mark.parametrize("order", list(permutations(Severity)))
def test_max_gives_the_worst_whatever_the_order(order: tuple[Severity, ...]) -> None:
    assert max(order) is Severity.CRITICAL
    assert max(s for s in order if s is not Severity.CRITICAL) is Severity.UNKNOWN


def test_exit_codes_follow_the_monitoring_plugin_convention() -> None:
    assert {s: s.exit_code for s in Severity} == {
        Severity.OK: 0,
        Severity.WARNING: 1,
        Severity.CRITICAL: 2,
        Severity.UNKNOWN: 3,
    }


def test_a_severity_is_not_a_number() -> None:
    # mypy rejects each of these too; at run time they fail instead of misleading.
    unknown: object = Severity.UNKNOWN
    with pytest.raises(TypeError):
        int(unknown)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        assert Severity.WARNING < 2  # type: ignore[operator]
    assert unknown != 3


def test_report_without_findings_is_ok() -> None:
    assert Report(evaluated_at=0.0, paths=(), links=()).severity() is Severity.OK
