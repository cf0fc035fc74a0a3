"""What moved across the example maintenance window, as text and JSON."""

from __future__ import annotations

import json
from collections.abc import Callable

from sprmon.core.diff import diff_reports
from sprmon.core.findings import Report
from sprmon.reports.diff_view import (
    DIFF_SCHEMA,
    diff_exit_code,
    diff_to_dict,
    render_diff_json,
    render_diff_table,
)

Reports = Callable[[str], Report]


def test_maintenance_window_matches_the_reviewed_golden_files(
    scenario_report: Reports, golden: Callable[[str, str], None]
) -> None:
    before, after = scenario_report("before.json"), scenario_report("after.json")
    result = diff_reports(before, after)
    golden("diff_before_after.txt", render_diff_table(result, before, after))
    golden("diff_before_after.json", render_diff_json(result, before, after))


def test_drift_in_the_window_is_a_critical_regression(scenario_report: Reports) -> None:
    before, after = scenario_report("before.json"), scenario_report("after.json")
    document = diff_to_dict(diff_reports(before, after), before, after)
    assert document["schema"] == DIFF_SCHEMA
    assert (document["got_worse"], document["severity"], document["exit_code"]) == (
        True,
        "critical",
        2,
    )
    worse = {tuple(c["key"]) for c in document["changes"] if c["got_worse"]}
    assert worse == {
        ("branch-03", "legacy", "10.0.21.0/24"),
        ("branch-03", "legacy", "2001:db8:21::/48"),
    }


def test_regained_redundancy_is_listed_but_not_a_regression(scenario_report: Reports) -> None:
    before, after = scenario_report("before.json"), scenario_report("after.json")
    changes = diff_to_dict(diff_reports(before, after), before, after)["changes"]
    regained = [c for c in changes if c["kind"] == "redundancy"]
    assert [c["key"][0] for c in regained] == ["branch-02"] * 3
    assert all(not c["got_worse"] for c in regained)
    assert all((c["before"], c["after"]) == ("no backup", "redundant") for c in regained)


def test_reversed_window_loses_redundancy_a_warning(scenario_report: Reports) -> None:
    before, after = scenario_report("after.json"), scenario_report("before.json")
    result = diff_reports(before, after)
    assert diff_exit_code(result) == 1


def test_same_report_twice_says_nothing_changed_and_exits_0(scenario_report: Reports) -> None:
    report = scenario_report("mixed.json")
    result = diff_reports(report, report)
    assert diff_exit_code(result) == 0
    assert "Nothing changed. OK (exit 0)" in render_diff_table(result, report, report)
    document = json.loads(render_diff_json(result, report, report))
    assert (document["changes"], document["severity"], document["exit_code"]) == ([], "ok", 0)


def test_each_finding_is_named_once_with_its_changes_indented(scenario_report: Reports) -> None:
    before, after = scenario_report("before.json"), scenario_report("after.json")
    text = render_diff_table(diff_reports(before, after), before, after)
    lines = text.splitlines()
    assert lines.count("branch-03 legacy 10.0.21.0/24") == 1
    assert "  worse best path moved from mpls to inet" in lines
    assert max(len(line) for line in lines) <= 80
