"""``sprmon check``: the report on stdout or a file, and the worst finding as the exit code."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from sprmon.core.observed import Snapshot
from sprmon.snapshot import dump_snapshot, load_snapshot
from tests.cli.cli_support import INTENT, SNAPSHOTS, Run

MIXED = SNAPSHOTS / "mixed.json"


@pytest.mark.parametrize(
    ("snapshot", "sites", "code"),
    [
        pytest.param("compliant.json", [], 0, id="all-compliant-ok"),
        pytest.param("mixed.json", [], 2, id="mixed-critical"),
        pytest.param("mixed.json", ["branch-01"], 0, id="compliant-site-ok"),
        pytest.param("mixed.json", ["branch-02"], 2, id="failover-with-link-down-critical"),
        pytest.param("mixed.json", ["branch-03"], 2, id="drift-critical"),
        pytest.param("mixed.json", ["branch-04"], 1, id="no-backup-warning"),
        pytest.param("mixed.json", ["branch-05"], 1, id="wrong-marking-and-busy-link-warning"),
        pytest.param("mixed.json", ["branch-04", "branch-05"], 1, id="two-warnings"),
    ],
)
def test_exit_code_is_the_worst_finding(
    run: Run, snapshot: str, sites: list[str], code: int
) -> None:
    site_args = [arg for site in sites for arg in ("--site", site)]
    result = run("check", "--intent", INTENT, "--snapshot", SNAPSHOTS / snapshot, *site_args)
    assert result.exit_code == code, result.output
    assert result.stderr == ""


def test_unobserved_site_is_unknown_exit_3_with_a_report(run: Run, tmp_path: Path) -> None:
    snapshot = load_snapshot(MIXED)
    without = tuple(o for o in snapshot.observations if o.site != "branch-01")
    target = tmp_path / "partial.json"
    dump_snapshot(Snapshot(observations=without, taken_at=snapshot.taken_at), target)
    result = run("check", "-i", INTENT, "-s", target, "--site", "branch-01", "--format", "json")
    assert result.exit_code == 3
    document = json.loads(result.stdout)
    assert document["summary"]["unknown"] == 5
    assert {p["explanation"] for p in document["paths"]} == {"no observation of site"}


def test_critical_outranks_unknown(run: Run, tmp_path: Path) -> None:
    snapshot = load_snapshot(MIXED)
    without = tuple(o for o in snapshot.observations if o.site != "branch-01")
    target = tmp_path / "partial.json"
    dump_snapshot(Snapshot(observations=without, taken_at=snapshot.taken_at), target)
    result = run("check", "-i", INTENT, "-s", target)
    assert result.exit_code == 2


def test_table_is_the_default_and_explains_the_drift(run: Run) -> None:
    result = run("check", "--intent", INTENT, "--snapshot", MIXED)
    assert result.stdout.startswith("sprmon check, evaluated at 2026-11-25T19:32:10Z\n")
    assert "branch-03 legacy 10.0.21.0/24: drift, critical" in result.stdout
    assert result.stdout.rstrip().endswith("CRITICAL (exit 2)")
    assert "\x1b[" not in result.stdout


def test_json_output_carries_the_same_exit_code(run: Run) -> None:
    result = run("check", "-i", INTENT, "-s", MIXED, "--format", "json")
    document = json.loads(result.stdout)
    assert document["exit_code"] == result.exit_code == 2
    assert len(document["paths"]) == 25


def test_site_filter_limits_the_report(run: Run) -> None:
    result = run("check", "-i", INTENT, "-s", MIXED, "--site", "branch-03", "--format", "json")
    document = json.loads(result.stdout)
    assert {p["site"] for p in document["paths"]} == {"branch-03"}
    assert {link["site"] for link in document["links"]} == {"branch-03"}


def test_junit_to_a_file_leaves_stdout_empty_and_keeps_the_exit_code(
    run: Run, tmp_path: Path
) -> None:
    target = tmp_path / "sprmon.xml"
    result = run("check", "-i", INTENT, "-s", MIXED, "--format", "junit", "--output", target)
    assert result.exit_code == 2
    assert result.stdout == ""
    suite = ET.parse(target).getroot()[0]
    assert (suite.get("tests"), suite.get("failures")) == ("27", "6")


def test_unknown_site_exits_3_naming_the_valid_sites(run: Run) -> None:
    result = run("check", "-i", INTENT, "-s", MIXED, "--site", "branch-6")
    assert result.exit_code == 3
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "unknown site 'branch-6'" in line
    assert "branch-01, branch-02, branch-03, branch-04, branch-05" in line


def test_without_snapshot_polls_live_and_a_missing_secret_leaves_every_site_unknown(
    run: Run,
) -> None:
    # Live collection is tested against the lab in test_cli_live.py; here the
    # secret is missing, so nothing is sent anywhere.
    result = run(
        "check",
        "--intent",
        INTENT,
        "--interval",
        "0",
        "--format",
        "json",
        env={"SPRMON_SNMP_COMMUNITY": None},
    )
    assert result.exit_code == 3
    paths = json.loads(result.stdout)["paths"]
    assert {p["state"] for p in paths} == {"unknown"}
    assert all(
        "environment variable SPRMON_SNMP_COMMUNITY is not set" in p["explanation"] for p in paths
    )


def _document(**changes: object) -> str:
    document = json.loads(MIXED.read_text())
    document.update(changes)
    return json.dumps(document)


BAD_SNAPSHOTS = [
    pytest.param(MIXED.read_text()[:5000], "ends too early (truncated?)", id="truncated"),
    pytest.param(_document(version=2), "snapshot version 2 is not supported", id="wrong-version"),
    pytest.param(
        MIXED.read_text().replace('"med":200', '"med":"200"', 1),
        'observations[0].paths[0].med: expected an integer, got "200"',
        id="wrong-type",
    ),
    pytest.param(_document(colour="red"), "colour: unknown key", id="unknown-key"),
    pytest.param(
        MIXED.read_text().replace("10.0.21.0/24", "10.0.21.0/33", 1),
        "observations[0].paths[0].prefix: '10.0.21.0/33' does not appear to be",
        id="bad-prefix",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_SNAPSHOTS)
def test_bad_snapshot_exits_3_with_one_line_and_no_traceback(
    run: Run, tmp_path: Path, text: str, message: str
) -> None:
    target = tmp_path / "snap.json"
    target.write_text(text)
    result = run("check", "-i", INTENT, "-s", target)
    assert result.exit_code == 3
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"sprmon: error: invalid snapshot: {target}: ")
    assert message in line


def test_bad_intent_exits_3_with_one_line_pointing_at_validate(run: Run, tmp_path: Path) -> None:
    intent = tmp_path / "intent.yaml"
    intent.write_text(
        INTENT.read_text()
        .replace("links: [mpls, inet]", "links: [mpls, lte]")
        .replace("capacity: 10Mbps", "capacity: lots")
    )
    result = run("check", "-i", intent, "-s", MIXED)
    assert result.exit_code == 3
    (line,) = result.stderr.splitlines()
    assert line.startswith("sprmon: error: invalid intent (")
    assert f"run 'sprmon validate {intent}' to list them): {intent}:" in line


def test_unwritable_output_exits_3(run: Run, tmp_path: Path) -> None:
    result = run("check", "-i", INTENT, "-s", MIXED, "-o", tmp_path / "no" / "such" / "dir.txt")
    assert result.exit_code == 3
    assert result.stderr.startswith("sprmon: error: cannot write ")


def test_verbose_logs_progress_on_stderr_only(run: Run) -> None:
    result = run("-v", "check", "-i", INTENT, "-s", MIXED, "--format", "json")
    assert json.loads(result.stdout)["exit_code"] == 2
    assert "sprmon: INFO: sprmon.cli: evaluated 25 path(s) and 10 link(s): CRITICAL" in (
        result.stderr
    )


def test_terminal_gets_colours_from_rich(run: Run) -> None:
    # FORCE_COLOR makes rich treat the runner's stdout as a colour terminal.
    result = run("check", "-i", INTENT, "-s", MIXED, env={"FORCE_COLOR": "1", "NO_COLOR": None})
    assert result.exit_code == 2
    assert "\x1b[31m" in result.stdout
    assert "drift" in result.stdout


@pytest.mark.parametrize(
    ("lost", "error", "said"),
    [
        ({"interfaces": None}, "interfaces not collected: agent A sent junk", "links"),
        ({"peers": None}, "BGP peers not collected: agent A timed out", "paths"),
        ({"paths": None}, "BGP paths not collected: agent A timed out", "paths"),
    ],
    ids=["interfaces", "peers", "paths"],
)
def test_a_failed_stage_is_named_once_in_the_report(
    run: Run, tmp_path: Path, lost: dict[str, None], error: str, said: str
) -> None:
    # The collector's error names the stage; the report used to name it again
    # ("BGP peers not collected: BGP peers not collected: ...").
    snapshot = load_snapshot(MIXED)
    newest = max(o.collected_at for o in snapshot.observations)
    changes: dict[str, Any] = {"error": error, **lost}
    observations = tuple(
        dataclasses.replace(o, **changes)
        if o.site == "branch-01" and o.collected_at == newest
        else o
        for o in snapshot.observations
    )
    target = tmp_path / "failed.json"
    dump_snapshot(Snapshot(observations=observations, taken_at=snapshot.taken_at), target)
    result = run("check", "-i", INTENT, "-s", target, "--site", "branch-01", "--format", "json")
    document = json.loads(result.stdout)
    texts = [p["explanation"] for p in document["paths"]] + [
        note for link in document["links"] for note in link["notes"]
    ]
    assert all(text.count("not collected") <= 1 for text in texts), texts
    if said == "links":
        assert all(link["notes"][0] == error for link in document["links"])
    else:
        assert {p["explanation"] for p in document["paths"]} == {error}
