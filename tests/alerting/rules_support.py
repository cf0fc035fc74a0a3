"""The shipped rules and Alertmanager example, read as data for the tests.

``rule_files()`` is the text of every ``rules/*.rules.yml``; ``scaled_rule_files``
returns them with every ``for:`` and ``keep_firing_for:`` divided (minutes
become seconds at the default factor of 60), so that a test against a real
Prometheus evaluating every second sees the alerts of a real fleet fire in the
same order, with the same gaps between them, in seconds instead of minutes.
Nothing else in the rules changes; the real durations are checked by the
promtool unit tests in rules/tests/.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
RULE_TESTS = RULES / "tests"
ALERTMANAGER_EXAMPLE = RULES / "alertmanager.example.yml"
RUNBOOK = ROOT / "docs" / "runbook.md"

_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def rule_paths() -> list[Path]:
    return sorted(RULES.glob("*.rules.yml"))


def rule_files() -> dict[str, str]:
    """File name -> text of every shipped rule file."""
    return {path.name: path.read_text() for path in rule_paths()}


def duration_s(text: str) -> float:
    """A Prometheus duration (``1h30m``, ``5m``, ``90s``) in seconds."""
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(int(n) * _UNIT_S[u] for n, u in parts)


def scaled_rule_files(factor: float = 60.0) -> dict[str, str]:
    """Every rule file with its ``for:``/``keep_firing_for:`` divided by ``factor``."""
    yaml = YAML()
    out: dict[str, str] = {}
    for name, text in rule_files().items():
        data = yaml.load(text)
        for group in data["groups"]:
            for rule in group["rules"]:
                for key in ("for", "keep_firing_for"):
                    if key in rule:
                        seconds = max(1, round(duration_s(str(rule[key])) / factor))
                        rule[key] = f"{seconds}s"
        buffer = io.StringIO()
        yaml.dump(data, buffer)
        out[name] = buffer.getvalue()
    return out


@dataclass(frozen=True)
class Rule:
    file: str
    group: str
    name: str  # the alert's or the recording's name
    expr: str
    is_alert: bool
    raw: dict[str, Any]


@functools.cache
def rules() -> tuple[Rule, ...]:
    """Every rule of every shipped rule file, in file order (read once per session)."""
    yaml = YAML(typ="safe")
    return tuple(
        Rule(
            file=path.name,
            group=group["name"],
            name=rule["alert"] if "alert" in rule else rule["record"],
            expr=str(rule["expr"]),
            is_alert="alert" in rule,
            raw=rule,
        )
        for path in rule_paths()
        for group in yaml.load(path.read_text())["groups"]
        for rule in group["rules"]
    )


def alert_names() -> set[str]:
    return {rule.name for rule in rules() if rule.is_alert}


@functools.cache
def unit_tests() -> tuple[tuple[Path, dict[str, Any]], ...]:
    """(file, test) for every test of every promtool unit-test file."""
    yaml = YAML(typ="safe")
    return tuple(
        (path, test)
        for path in sorted(RULE_TESTS.glob("*.yml"))
        for test in yaml.load(path.read_text())["tests"]
    )


def alertmanager_example() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(ALERTMANAGER_EXAMPLE.read_text())
    return data
