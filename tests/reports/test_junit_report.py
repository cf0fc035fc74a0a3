"""JUnit XML: one testcase per (site, prefix) and per unhealthy link, with the right outcome."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Callable

from sprmon.core.evaluate import evaluate
from sprmon.core.findings import Report
from sprmon.core.intent import Intent
from sprmon.core.observed import Snapshot
from sprmon.reports.junit import SUITE_NAME, render_junit


def _suite(report: Report) -> ET.Element:
    root = ET.fromstring(render_junit(report))
    assert root.tag == "testsuites"
    (suite,) = root
    assert suite.get("name") == SUITE_NAME
    return suite


def _outcome(case: ET.Element) -> tuple[str, str | None]:
    children = [c for c in case if c.tag in ("failure", "error")]
    if not children:
        return "pass", None
    (child,) = children
    return child.tag, child.get("type")


def test_mixed_report_has_a_case_per_prefix_and_per_unhealthy_link(
    scenario_report: Callable[[str], Report],
) -> None:
    suite = _suite(scenario_report("mixed.json"))
    cases = list(suite.iter("testcase"))
    # 5 sites x 5 prefixes, plus branch-02 mpls (down) and branch-05 mpls (busy)
    assert len(cases) == 27
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("27", "6", "0")
    outcomes = {(c.get("classname"), c.get("name")): _outcome(c) for c in cases}
    assert outcomes[("branch-01", "legacy 10.0.21.0/24")] == ("pass", None)
    assert outcomes[("branch-02", "legacy 10.0.21.0/24")] == ("failure", "failover")
    assert outcomes[("branch-03", "legacy 2001:db8:21::/48")] == ("failure", "drift")
    assert outcomes[("branch-04", "default 10.0.30.0/24")] == ("pass", None)
    assert outcomes[("branch-02", "link mpls")] == ("failure", "critical")
    assert outcomes[("branch-05", "link mpls")] == ("failure", "warning")
    assert ("branch-01", "link mpls") not in outcomes


def test_failure_message_is_the_explanation(scenario_report: Callable[[str], Report]) -> None:
    report = scenario_report("mixed.json")
    suite = _suite(report)
    drift = next(
        c
        for c in suite.iter("testcase")
        if (c.get("classname"), c.get("name")) == ("branch-03", "legacy 10.0.21.0/24")
    )
    failure = drift.find("failure")
    assert failure is not None
    expected = next(p for p in report.paths if p.site == "branch-03").explanation
    assert failure.get("message") == expected
    assert failure.text is not None
    assert "198.51.100.9" in failure.text


def test_compliant_path_with_a_warning_passes_and_says_why_in_system_out(
    scenario_report: Callable[[str], Report],
) -> None:
    suite = _suite(scenario_report("mixed.json"))
    case = next(
        c
        for c in suite.iter("testcase")
        if (c.get("classname"), c.get("name")) == ("branch-04", "default 10.0.30.0/24")
    )
    out = case.find("system-out")
    assert out is not None and out.text is not None
    assert out.text.startswith("warning: ")
    assert "no backup" in out.text


def test_unknown_is_an_error_and_no_route_a_failure(
    scenario_intent: Intent, scenario_snapshot: Callable[[str], Snapshot]
) -> None:
    snapshot = scenario_snapshot("mixed.json")
    observations = []
    for obs in snapshot.observations:
        if obs.site == "branch-01":
            continue  # never polled: unknown
        # branch-04's BGP table collected and empty: no route
        observations.append(dataclasses.replace(obs, paths=()) if obs.site == "branch-04" else obs)
    changed = Snapshot(observations=tuple(observations), taken_at=snapshot.taken_at)
    report = evaluate(scenario_intent, changed, changed.effective_time())
    suite = _suite(report)
    outcomes = [
        (c.get("classname"), _outcome(c))
        for c in suite.iter("testcase")
        if not str(c.get("name")).startswith("link ")
    ]
    assert [o for site, o in outcomes if site == "branch-01"] == [("error", "unknown")] * 5
    assert [o for site, o in outcomes if site == "branch-04"] == [("failure", "no_route")] * 5
    errors = sum(1 for c in suite.iter("testcase") if c.find("error") is not None)
    assert suite.get("errors") == str(errors)
