"""The table report: 80 columns, every non-OK finding explained, colours only on request."""

from __future__ import annotations

import re
from collections.abc import Callable

from sprmon.core.findings import LinkFinding, PathFinding, PathState, Report, Severity
from sprmon.core.prefixes import canonical_prefix
from sprmon.reports.table import render_table


def test_mixed_report_matches_the_reviewed_golden_file(
    scenario_report: Callable[[str], Report], golden: Callable[[str, str], None]
) -> None:
    golden("check_mixed.txt", render_table(scenario_report("mixed.json")))


def test_no_line_is_wider_than_80_columns(scenario_report: Callable[[str], Report]) -> None:
    text = render_table(scenario_report("mixed.json"))
    assert max(len(line) for line in text.splitlines()) <= 80


def test_every_non_ok_finding_is_explained_and_ok_ones_are_not(
    scenario_report: Callable[[str], Report],
) -> None:
    report = scenario_report("mixed.json")
    text = render_table(report)
    findings = text.split("\nFindings\n", 1)[1]
    for path in report.paths:
        head = f"{path.site} {path.app} {path.prefix}: "
        assert (head in findings) is (path.severity is not Severity.OK), head
    for link in report.links:
        head = f"{link.site} link {link.link}: "
        assert (head in findings) is (link.severity is not Severity.OK), head


def test_drift_explanation_shows_the_candidate_paths(
    scenario_report: Callable[[str], Report],
) -> None:
    text = render_table(scenario_report("mixed.json"))
    assert "beat via mpls (MED 300)" in text
    assert "best  inet  203.0.113.1   MED 200, AS path 65000" in text
    assert "      mpls  198.51.100.9  MED 300, AS path 65000" in text


def test_summary_line_gives_counts_and_exit_code(
    scenario_report: Callable[[str], Report],
) -> None:
    last = render_table(scenario_report("compliant.json")).rstrip().splitlines()[-2:]
    assert " ".join(last) == (
        "25 paths at 5 sites: 25 compliant, 0 failover, 0 drift, 0 no route, 0 unknown; "
        "10 links: 10 ok, 0 warning, 0 critical, 0 unknown. OK (exit 0)"
    )


def test_plain_output_has_no_escape_codes_and_no_trailing_blanks(
    scenario_report: Callable[[str], Report],
) -> None:
    text = render_table(scenario_report("mixed.json"))
    assert "\x1b[" not in text
    assert all(line == line.rstrip() for line in text.splitlines())


def test_colours_follow_severity_when_asked_for(scenario_report: Callable[[str], Report]) -> None:
    text = render_table(scenario_report("mixed.json"), color=True)
    # rich pads a cell inside its style: "\x1b[31mdrift    \x1b[0m".
    assert re.search(r"\x1b\[31mdrift *\x1b\[0m", text)
    assert re.search(r"\x1b\[33mfailover *\x1b\[0m", text)
    assert re.search(r"\x1b\[32mcompliant *\x1b\[0m", text)


def _finding(site: str, state: PathState, severity: Severity) -> PathFinding:
    return PathFinding(
        site=site,
        app="legacy",
        prefix=canonical_prefix("10.0.21.0/24"),
        state=state,
        severity=severity,
        expected_link=None,
        actual_links=(),
        redundant=None,
        marking_ok=None,
        explanation="[red]no observation of site[/red]",
    )


def test_names_and_explanations_are_printed_literally_not_as_markup() -> None:
    report = Report(
        evaluated_at=0.0,
        paths=(_finding("[bold]branch-x", PathState.UNKNOWN, Severity.UNKNOWN),),
        links=(),
    )
    text = render_table(report)
    assert "[bold]branch-x" in text
    assert "[red]no observation of site[/red]" in text


def test_unknown_is_magenta(scenario_report: Callable[[str], Report]) -> None:
    report = Report(
        evaluated_at=0.0,
        paths=(_finding("branch-01", PathState.UNKNOWN, Severity.UNKNOWN),),
        links=(
            LinkFinding(
                site="branch-01",
                link="mpls",
                severity=Severity.UNKNOWN,
                oper_up=None,
                bgp_established=None,
                established_since=None,
                capacity_bps=10_000_000,
                in_bps=None,
                out_bps=None,
                utilization_in=None,
                utilization_out=None,
                error_rate=None,
                discard_rate=None,
                notes=("no observation of site",),
            ),
        ),
    )
    text = render_table(report, color=True)
    assert re.search(r"\x1b\[35munknown *\x1b\[0m", text)
    plain = render_table(report)
    assert "interface state unknown; BGP session state unknown; no observation of site" in plain
    assert "UNKNOWN (exit 3)" in plain
