"""Whatever the input, load_intent returns an Intent or raises IntentFileError, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sprmon.core.intent import Intent
from sprmon.intentfile import IntentFileError, load_intent
from tests.intentfile.intentfile_helpers import BASE

SCENARIO = Path(__file__).resolve().parents[2] / "examples" / "scenario" / "intent.yaml"
# Characters that matter to YAML, to the format and to the parsers of values.
SPICE = st.sampled_from([*":{}[],-#&*!|>'\"%@`\t\n ~.0123456789/abcMbpsv", "\x00", "é"])
# The tests overwrite the same files in tmp_path for every example, on purpose.
_REUSE = [HealthCheck.function_scoped_fixture]


def _check(path: Path, text: str) -> None:
    """Load ``path`` and check the outcome is one of the two allowed ones, well formed."""
    try:
        result = load_intent(path)
    except IntentFileError as exc:
        assert exc.problems, "an IntentFileError always carries at least one problem"
        last_line = text.count("\n") + 2
        for problem in exc.problems:
            assert problem.line is None or 1 <= problem.line <= last_line, problem
            assert problem.message
            assert str(problem).startswith(problem.file)
    else:
        assert isinstance(result, Intent)


@settings(suppress_health_check=_REUSE, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_an_intent_or_an_intent_file_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "intent.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _check(path, text)


def _mangle(text: str, data: st.DataObject) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "splice", "swap"]))
        if action == "delete" and len(lines) > 1:
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "swap":
            other = data.draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        else:
            line = lines[index]
            at = data.draw(st.integers(0, len(line)))
            cut = data.draw(st.integers(0, 3))
            insert = "".join(data.draw(st.lists(SPICE, max_size=4)))
            lines[index] = line[:at] + insert + line[at + cut :]
    return "".join(lines)


@settings(max_examples=120, deadline=None, suppress_health_check=_REUSE)
@given(st.data())
def test_mangled_scenario_gives_an_intent_or_an_intent_file_error(
    tmp_path: Path, data: st.DataObject
) -> None:
    text = _mangle(SCENARIO.read_text(encoding="utf-8"), data)
    path = tmp_path / "intent.yaml"
    path.write_text(text, encoding="utf-8")
    _check(path, text)


@settings(max_examples=60, deadline=None, suppress_health_check=_REUSE)
@given(
    st.lists(
        st.lists(st.text(SPICE, max_size=8), min_size=0, max_size=6).map(",".join),
        min_size=1,
        max_size=4,
    )
)
def test_mangled_csv_gives_an_intent_or_an_intent_file_error(
    tmp_path: Path, rows: list[str]
) -> None:
    header = "name,address,snmp.port,links.mpls.neighbors,links.inet.capacity,labels.x"
    (tmp_path / "sites.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    text = BASE + "sites_csv: sites.csv\n"
    path = tmp_path / "intent.yaml"
    path.write_text(text, encoding="utf-8")
    _check(path, text)


def test_anchors_and_aliases_can_share_values(tmp_path: Path) -> None:
    text = (
        BASE.replace("  prefixes: [10.0.21.0/24]", "  prefixes: &legacy [10.0.21.0/24]")
        .replace("    marking: {mpls: {med: 100}}", "    marking: {mpls: &steered {med: 100}}")
        .replace("  links: [inet, mpls]", "  links: [inet, mpls]\n  marking: {inet: *steered}")
    )
    path = tmp_path / "intent.yaml"
    path.write_text(text, encoding="utf-8")
    default = load_intent(path).applications[1]
    assert default.marking["inet"].med == 100


def test_alias_bomb_is_refused_with_one_problem(tmp_path: Path) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for number in range(1, 9):
        previous, name = chr(ord("a") + number - 1), chr(ord("a") + number)
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    path = tmp_path / "intent.yaml"
    path.write_text("version: 1\n" + "\n".join(levels) + "\n", encoding="utf-8")
    with pytest.raises(IntentFileError) as info:
        load_intent(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}: the document expands to too many values (check anchors and aliases)"
    ]


def test_alias_inside_its_own_anchor_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "intent.yaml"
    text = BASE.replace("groups:\n  big:", "groups: &g\n  x: *g\n  big:")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IntentFileError) as info:
        load_intent(path)
    found = [str(p) for p in info.value.problems]
    assert f"{path}:24: groups.x: an alias refers to a value that contains it" in found
