"""A snapshot whose error text holds control characters: every format of ``check`` prints it safely.

The renderers themselves are tested field by field in
tests/reports/test_unprintable_text.py; this is the same through the command,
from a snapshot file to stdout, a file and stderr.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from sprmon.core.observed import Snapshot
from sprmon.snapshot import dump_snapshot, load_snapshot
from tests.cli.cli_support import INTENT, SNAPSHOTS, Run

#: ESC (clear the screen), BEL, CR, NUL, DEL, U+2028 and a right-to-left override.
AGENT_SAID = "agent said \x1b[2J\x07\r\x00\x7f\u2028\u202e bye"
SHOWN = "agent said \\x1b[2J\\x07\\r\\x00\\x7f\\u2028\\u202e bye"


@pytest.fixture
def hostile_snapshot(tmp_path: Path) -> Path:
    """The mixed example with branch-01's newest poll failed with ``AGENT_SAID``."""
    snapshot = load_snapshot(SNAPSHOTS / "mixed.json")
    newest = max(o.collected_at for o in snapshot.observations)
    observations = tuple(
        replace(o, paths=None, interfaces=None, error=AGENT_SAID)
        if o.site == "branch-01" and o.collected_at == newest
        else o
        for o in snapshot.observations
    )
    target = tmp_path / "hostile.json"
    dump_snapshot(Snapshot(observations=observations, taken_at=snapshot.taken_at), target)
    return target


def _assert_safe(text: str) -> None:
    assert sorted({c for c in text if not (c.isprintable() or c == "\n")}) == []


@pytest.mark.parametrize("output_format", ["table", "junit"])
def test_text_formats_print_the_agents_words_escaped(
    run: Run, hostile_snapshot: Path, output_format: str
) -> None:
    result = run("check", "-i", INTENT, "-s", hostile_snapshot, "--format", output_format)
    assert result.exit_code == 2, result.output
    _assert_safe(result.stdout)
    assert SHOWN in result.stdout
    if output_format == "junit":
        messages = {e.get("message") for e in ET.fromstring(result.stdout).iter("error")}
        assert f"BGP table not collected: {SHOWN}" in messages


def test_json_keeps_the_agents_exact_words_and_prints_safely(
    run: Run, hostile_snapshot: Path
) -> None:
    result = run("check", "-i", INTENT, "-s", hostile_snapshot, "--format", "json")
    _assert_safe(result.stdout)
    explanations = {p["explanation"] for p in json.loads(result.stdout)["paths"]}
    assert f"BGP table not collected: {AGENT_SAID}" in explanations


def test_a_report_file_is_escaped_like_stdout(
    run: Run, hostile_snapshot: Path, tmp_path: Path
) -> None:
    target = tmp_path / "report.txt"
    result = run("check", "-i", INTENT, "-s", hostile_snapshot, "-o", target)
    assert result.exit_code == 2
    text = target.read_text(encoding="utf-8")
    _assert_safe(text)
    assert SHOWN in text


def test_validate_prints_a_key_with_control_characters_escaped(run: Run, tmp_path: Path) -> None:
    intent = tmp_path / "intent.yaml"
    # YAML's "\e" and "\a" are ESC and BEL.
    intent.write_text(INTENT.read_text() + '"bad\\e[2Jkey\\a": 1\n', encoding="utf-8")
    result = run("validate", intent)
    assert result.exit_code == 1
    _assert_safe(result.stdout)
    assert "bad\\x1b[2Jkey\\x07: unknown key" in result.stdout
