"""Every duration option is a finite number of seconds within its documented bounds.

``check --interval inf`` (or 1e308) slept for ever and ``nan`` was taken as a
duration; so were ``lab --tick nan`` and ``inf``. Each option now refuses them
with a usage error that names it and its bounds, before anything starts.
"""

from __future__ import annotations

import math

import click
import pytest

from sprmon.cli.check import LiveOptions
from sprmon.cli.common import Seconds
from sprmon.cli.main import COMMANDS
from sprmon.lab import run_lab
from sprmon.lab.errors import LabError
from tests.cli.cli_support import INTENT, Run

#: (command line before the option, option, bounds as the message says them)
DURATIONS = [
    (["check", "-i", str(INTENT)], "--interval", "0 to 3600"),
    (["check", "-i", str(INTENT)], "--deadline", "1 to 3600"),
    (["lab"], "--tick", "0.01 to 60"),
    (["lab"], "--counter-refresh", "0 to 600"),
    (["demo"], "--interval", "0 to 60"),
]
REFUSED = ["nan", "inf", "-inf", "1e308", "1e309", "-1", "3601", "soon"]


@pytest.mark.parametrize("value", REFUSED)
@pytest.mark.parametrize(
    ("before", "option", "bounds"), DURATIONS, ids=[f"{d[0][0]} {d[1]}" for d in DURATIONS]
)
def test_a_duration_that_is_not_finite_or_out_of_bounds_is_a_usage_error(
    run: Run, before: list[str], option: str, bounds: str, value: str
) -> None:
    result = run(*before, option, value)

    assert result.exit_code == 3
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"sprmon: usage error: Invalid value for '{option}': ")
    assert f"{bounds}" in line


def _options(command: click.Command) -> list[tuple[str, click.Parameter]]:
    found = [(command.name or "", p) for p in command.params]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            found += [(f"{command.name} {name}", p) for name, p in _options(sub)]
    return found


def test_no_command_takes_a_float_that_is_not_a_bounded_duration() -> None:
    # FloatRange without both bounds lets inf through, and NaN in any case.
    params = [p for spec in COMMANDS.values() for p in _options(spec.load())]
    floats = [
        f"{where} {param.name}"
        for where, param in params
        if isinstance(param.type, click.types.FloatParamType)
    ]
    durations = {
        f"{where} {param.name}" for where, param in params if isinstance(param.type, Seconds)
    }

    assert floats == []
    assert durations == {
        "check interval",
        "check deadline",
        "lab tick",
        "lab counter_refresh",
        "demo interval",
    }


def test_the_bounds_themselves_are_accepted() -> None:
    seconds = Seconds(0.01, 60)
    assert seconds.convert("0.01", None, None) == 0.01
    assert seconds.convert("60", None, None) == 60.0
    assert seconds.convert(1, None, None) == 1.0


@pytest.mark.parametrize("interval", [math.inf, math.nan, -1.0])
def test_live_options_refuse_an_interval_that_is_not_a_duration(interval: float) -> None:
    with pytest.raises(ValueError, match="the interval must be 0 or a finite duration"):
        LiveOptions(interval_s=interval)


@pytest.mark.parametrize("tick", [math.inf, math.nan, 0.0])
async def test_a_lab_refuses_a_tick_that_is_not_a_positive_duration(tick: float) -> None:
    with pytest.raises(LabError, match="the tick must be a positive number of seconds"):
        async with run_lab(sites=1, tick=tick, control=False):
            pass  # pragma: no cover - never started
