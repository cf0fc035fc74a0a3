"""Files that cannot be read, and how problems print."""

from __future__ import annotations

from pathlib import Path

import pytest

from sprmon.intentfile import IntentFileError, Problem, load_intent
from tests.intentfile.intentfile_helpers import BASE


def _only_problem(path: Path) -> str:
    with pytest.raises(IntentFileError) as info:
        load_intent(path)
    assert len(info.value.problems) == 1
    return str(info.value.problems[0])


def test_missing_file_is_an_intent_file_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    assert _only_problem(path) == f"{path}: file not found"


def test_folder_instead_of_file_is_an_intent_file_error(tmp_path: Path) -> None:
    assert _only_problem(tmp_path) == f"{tmp_path}: is a folder, not a file"


def test_text_that_is_not_utf8_is_reported_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "intent.yaml"
    path.write_bytes(b"version: 1\nlinks:\n  mpls: {description: caf\xe9}\n")
    assert _only_problem(path) == f"{path}:3: not UTF-8 text (byte 0xe9)"


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "intent.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert len(load_intent(path).sites) == 2


def test_control_characters_are_a_yaml_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "intent.yaml"
    path.write_text("version: 1\nlinks: \x00\n", encoding="utf-8")
    assert "YAML syntax error" in _only_problem(path)


def test_problem_prints_as_file_line_field_message() -> None:
    problem = Problem("examples/x.yaml", 14, "applications.legacy.links[1]", "unknown link 'mlps'")
    assert str(problem) == "examples/x.yaml:14: applications.legacy.links[1]: unknown link 'mlps'"


def test_problem_without_line_or_field_leaves_them_out() -> None:
    assert str(Problem("x.yaml", None, "", "file not found")) == "x.yaml: file not found"
    assert str(Problem("x.yaml", 3, "", "YAML syntax error")) == "x.yaml:3: YAML syntax error"


def test_intent_file_error_message_lists_every_problem() -> None:
    error = IntentFileError([Problem("x.yaml", 1, "a", "one"), Problem("x.yaml", 2, "b", "two")])
    assert str(error) == "2 problems in x.yaml:\n  x.yaml:1: a: one\n  x.yaml:2: b: two"
