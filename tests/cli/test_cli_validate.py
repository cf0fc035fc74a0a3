"""``sprmon validate``: a summary and exit 0, or every problem and exit 1."""

from __future__ import annotations

import re
from pathlib import Path

from tests.cli.cli_support import INTENT, Run


def test_valid_intent_prints_a_one_line_summary_and_exits_0(run: Run) -> None:
    result = run("validate", INTENT)
    assert result.exit_code == 0
    assert result.stdout == f"{INTENT}: OK — 5 sites, 2 applications, 5 prefixes, 2 links\n"


def test_every_problem_is_printed_as_file_line_field_message_and_exits_1(
    run: Run, tmp_path: Path
) -> None:
    intent = tmp_path / "intent.yaml"
    text = INTENT.read_text()
    text = text.replace("links: [mpls, inet]", "links: [mpls, lte]")
    text = text.replace("{capacity: 10Mbps, interface: eth1}", "{capacity: lots, interface: eth1}")
    intent.write_text(text)
    result = run("validate", intent)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) >= 2
    assert all(re.match(rf"{re.escape(str(intent))}:\d+: \S+: .+", line) for line in lines), lines
    assert any("lte" in line for line in lines)
    assert any("lots" in line for line in lines)


def test_missing_intent_file_is_a_problem_not_a_traceback(run: Run, tmp_path: Path) -> None:
    result = run("validate", tmp_path / "absent.yaml")
    assert result.exit_code == 1
    assert result.stdout == f"{tmp_path / 'absent.yaml'}: file not found\n"
    assert "Traceback" not in result.output


def test_validate_without_an_argument_is_a_usage_error_exit_3(run: Run) -> None:
    result = run("validate")
    assert result.exit_code == 3
    assert result.stderr.startswith("sprmon: usage error: Missing argument 'INTENT'")
