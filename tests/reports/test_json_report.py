"""The sprmon.check/v1 JSON document."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from sprmon.core.findings import PathState, Report
from sprmon.reports.json_report import SCHEMA, render_json, report_to_dict

DOC = Path(__file__).resolve().parents[2] / "docs" / "json-output.md"

PATH_KEYS = [
    "site",
    "app",
    "prefix",
    "state",
    "severity",
    "expected_link",
    "actual_links",
    "redundant",
    "marking_ok",
    "explanation",
    "matched_prefix",
    "candidates",
]
LINK_KEYS = [
    "site",
    "link",
    "severity",
    "oper_up",
    "bgp_established",
    "established_since",
    "capacity_bps",
    "in_bps",
    "out_bps",
    "utilization_in",
    "utilization_out",
    "error_rate",
    "discard_rate",
    "notes",
]


def test_mixed_report_matches_the_reviewed_golden_file(
    scenario_report: Callable[[str], Report], golden: Callable[[str, str], None]
) -> None:
    golden("check_mixed.json", render_json(scenario_report("mixed.json")))


def test_keys_come_in_the_documented_order(scenario_report: Callable[[str], Report]) -> None:
    document = report_to_dict(scenario_report("mixed.json"))
    assert list(document) == [
        "schema",
        "evaluated_at",
        "severity",
        "exit_code",
        "summary",
        "paths",
        "links",
    ]
    assert all(list(p) == PATH_KEYS for p in document["paths"])
    assert all(list(link) == LINK_KEYS for link in document["links"])
    assert list(document["summary"])[:7] == [
        "compliant",
        "failover",
        "drift",
        "no_route",
        "unknown",
        "paths",
        "links",
    ]


def test_header_carries_schema_time_severity_and_exit_code(
    scenario_report: Callable[[str], Report],
) -> None:
    document = report_to_dict(scenario_report("mixed.json"))
    assert document["schema"] == SCHEMA == "sprmon.check/v1"
    assert document["evaluated_at"] == "2026-11-25T19:32:10Z"
    assert (document["severity"], document["exit_code"]) == ("critical", 2)


def test_summary_counts_the_mixed_scenario(scenario_report: Callable[[str], Report]) -> None:
    summary = report_to_dict(scenario_report("mixed.json"))["summary"]
    assert summary == {
        "compliant": 21,
        "failover": 2,
        "drift": 2,
        "no_route": 0,
        "unknown": 0,
        "paths": 25,
        "links": 10,
        "sites": 5,
        # branch-02: 2 failover + 3 without mpls; branch-04: 10.0.30.0/24
        "not_redundant": 6,
        # branch-03 (MED 300) and branch-05 (MED 150) on both legacy prefixes
        "marking_wrong": 4,
        "links_by_severity": {"ok": 8, "warning": 1, "critical": 1, "unknown": 0},
    }


def test_drift_lists_candidates_with_the_deciding_meds(
    scenario_report: Callable[[str], Report],
) -> None:
    paths = report_to_dict(scenario_report("mixed.json"))["paths"]
    drift = next(p for p in paths if p["site"] == "branch-03" and p["prefix"] == "10.0.21.0/24")
    assert drift["state"] == PathState.DRIFT.value
    assert (drift["expected_link"], drift["actual_links"]) == ("mpls", ["inet"])
    assert [(c["link"], c["med"], c["best"]) for c in drift["candidates"]] == [
        ("inet", 200, True),
        ("mpls", 300, False),
    ]


def test_link_rates_are_bits_per_second_and_utilisation_a_fraction(
    scenario_report: Callable[[str], Report],
) -> None:
    links = report_to_dict(scenario_report("mixed.json"))["links"]
    busy = next(link for link in links if link["site"] == "branch-05" and link["link"] == "mpls")
    assert busy["capacity_bps"] == 10_000_000
    assert busy["in_bps"] == 9_000_000
    assert busy["utilization_in"] == 0.9
    assert busy["severity"] == "warning"
    assert busy["established_since"] is not None
    assert busy["established_since"].endswith("Z")


def test_output_is_deterministic_json_with_a_final_newline(
    scenario_report: Callable[[str], Report],
) -> None:
    report = scenario_report("mixed.json")
    text = render_json(report)
    assert text == render_json(report)
    assert text.endswith("}\n")
    assert json.loads(text) == report_to_dict(report)


def test_every_output_field_is_documented(scenario_report: Callable[[str], Report]) -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)`", DOC.read_text(), flags=re.MULTILINE))
    document = report_to_dict(scenario_report("mixed.json"))
    used = set(document) | set(document["summary"]) | set(PATH_KEYS) | set(LINK_KEYS)
    used |= set(document["paths"][0]["candidates"][0])
    assert used - documented == set()
