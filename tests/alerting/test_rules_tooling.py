"""rules/: promtool and amtool accept it, its unit tests pass and cover every alert,
the Alertmanager example's inhibitions and routes fit the rules they name."""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict

import pytest

from tests.alerting.rules_support import (
    ALERTMANAGER_EXAMPLE,
    RULE_TESTS,
    RUNBOOK,
    alert_names,
    alertmanager_example,
    duration_s,
    rule_paths,
    rules,
    scaled_rule_files,
    unit_tests,
)

SEVERITIES = {"critical", "warning"}


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_promtool_check_rules_accepts_every_rule_file() -> None:
    result = run("promtool", "check", "rules", *map(str, rule_paths()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(rule_paths()) == 4


def test_promtool_unit_tests_pass() -> None:
    files = sorted(RULE_TESTS.glob("*.yml"))
    result = run("promtool", "test", "rules", *map(str, files))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files)


def test_amtool_accepts_the_alertmanager_example() -> None:
    result = run("amtool", "check-config", str(ALERTMANAGER_EXAMPLE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 inhibit rules" in result.stdout


@pytest.mark.parametrize(
    ("severity", "receiver"), [("critical", "sprmon-pager"), ("warning", "sprmon-tickets")]
)
def test_the_alertmanager_example_routes_by_severity(severity: str, receiver: str) -> None:
    result = run(
        "amtool",
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_EXAMPLE}",
        "alertname=SprmonPathDrift",
        "site=site-002",
        f"severity={severity}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [receiver]


def _unit_tested() -> tuple[dict[str, set[str]], set[str], dict[str, list[dict[str, str]]]]:
    """(alert -> severities seen firing, alerts seen not firing, alert -> fired label sets)."""
    fired: dict[str, set[str]] = defaultdict(set)
    quiet: set[str] = set()
    labels: dict[str, list[dict[str, str]]] = defaultdict(list)
    for _, test in unit_tests():
        for case in test.get("alert_rule_test", []):
            name = case["alertname"]
            if not case.get("exp_alerts"):
                quiet.add(name)
            for alert in case.get("exp_alerts") or []:
                fired[name].add(alert["exp_labels"]["severity"])
                labels[name].append(alert["exp_labels"])
    return fired, quiet, labels


def test_every_alert_and_severity_is_unit_tested_firing_and_not_firing() -> None:
    fired, quiet, _ = _unit_tested()
    for rule in rules():
        if rule.is_alert:
            assert rule.raw["labels"]["severity"] in fired[rule.name], (rule.name, "firing")
            assert rule.name in quiet, (rule.name, "not firing")


def test_every_recording_rule_is_unit_tested() -> None:
    tested = {
        re.match(r"[\w:]+", case["expr"]).group(0)  # type: ignore[union-attr]
        for _, test in unit_tests()
        for case in test.get("promql_expr_test", [])
    }
    assert {rule.name for rule in rules() if not rule.is_alert} <= tested


def test_every_alert_says_how_bad_what_and_where_to_look() -> None:
    anchors = {
        re.sub(r"[^\w-]", "", line.lstrip("#").strip().lower().replace(" ", "-"))
        for line in RUNBOOK.read_text().splitlines()
        if line.startswith("#")
    }
    for rule in rules():
        if not rule.is_alert:
            continue
        assert rule.raw["labels"]["severity"] in SEVERITIES, rule.name
        annotations = rule.raw["annotations"]
        assert set(annotations) == {"summary", "description", "runbook_url"}, rule.name
        page, _, anchor = annotations["runbook_url"].partition("#")
        assert page == "docs/runbook.md", rule.name
        assert anchor == rule.name.lower(), rule.name
        assert anchor in anchors, f"{rule.name}: no heading for #{anchor} in docs/runbook.md"


def _names(matchers: list[str], alerts: set[str]) -> set[str] | None:
    """Alert names an inhibit rule's matchers select; None when they do not name any."""
    for matcher in matchers:
        name, op, value = re.fullmatch(r'(\w+)(=~|=)"(.*)"', matcher).groups()  # type: ignore[union-attr]
        if name == "alertname":
            return {a for a in alerts if re.fullmatch(value, a)} if op == "=~" else {value}
    return None


def test_every_inhibit_rule_names_real_alerts_that_carry_the_labels_it_compares() -> None:
    alerts = alert_names()
    _, _, fired_labels = _unit_tested()
    for inhibit in alertmanager_example()["inhibit_rules"]:
        source = _names(inhibit["source_matchers"], alerts)
        target = _names(inhibit["target_matchers"], alerts)
        if source is None or target is None:
            continue  # the critical-mutes-warning rule: labels absent on both sides are equal
        assert source and source <= alerts, inhibit
        assert target and target <= alerts, inhibit
        for name in source | target:
            assert fired_labels[name], f"{name} is never seen firing in rules/tests"
            for labels in fired_labels[name]:
                missing = set(inhibit["equal"]) - set(labels)
                assert not missing, f"{name} fires without {missing}, which {inhibit} compares"


def test_a_failover_or_missing_backup_fires_only_after_the_link_alert_that_inhibits_it() -> None:
    """Inhibition applies from when the source alert reaches Alertmanager: the link
    alerts must fire before the consequences they mute, or those notify first."""
    waits = {rule.name: duration_s(rule.raw.get("for", "0s")) for rule in rules() if rule.is_alert}
    for cause in ("SprmonLinkDown", "SprmonBgpSessionDown"):
        for consequence in ("SprmonPathFailover", "SprmonPathNotRedundant"):
            assert waits[consequence] > waits[cause], (cause, consequence)
    assert waits["SprmonPathMarkingWrong"] > waits["SprmonPathDrift"]


def test_an_unseen_drift_keeps_firing_until_an_alert_says_sprmon_is_blind() -> None:
    alerts = {rule.name: rule.raw for rule in rules() if rule.is_alert}
    blind = max(duration_s(alerts[name]["for"]) for name in ("SprmonDown", "SprmonSiteUnknown"))
    for name in ("SprmonPathDrift", "SprmonPathNoRoute"):
        assert duration_s(alerts[name]["keep_firing_for"]) > blind, name


def test_scaled_rules_divide_every_wait_and_nothing_else() -> None:
    scaled = scaled_rule_files(60)
    assert "for: 3s" in scaled["sprmon-paths.rules.yml"]
    assert "keep_firing_for: 10s" in scaled["sprmon-paths.rules.yml"]
    assert "[30m]" in scaled["sprmon-links.rules.yml"]
    assert duration_s("1h30m") == 5400
