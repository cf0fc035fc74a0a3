"""SIGHUP's reload: a good file is put in force, a bad one is rejected with its problems."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from sprmon.daemon.reload import IntentReloader
from sprmon.intentfile import LoadedIntent, load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "scenario" / "intent.yaml"


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def replace_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def intent_file(tmp_path: Path) -> Path:
    path = tmp_path / "intent.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    return path


async def test_a_good_file_is_applied(intent_file: Path) -> None:
    applied: list[LoadedIntent] = []
    reloader = IntentReloader(intent_file, applied.append)
    append(intent_file, "monitor: {bgp_interval: 2m}\n")
    assert await reloader.reload()
    (loaded,) = applied
    assert loaded.intent.monitor.bgp_interval_s == 120.0


async def test_a_bad_file_is_rejected_with_every_problem_logged(
    intent_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    applied: list[LoadedIntent] = []
    reloader = IntentReloader(intent_file, applied.append)
    replace_text(intent_file, "version: 1\nlinks: {}\nbogus: 1\n")
    with caplog.at_level(logging.ERROR, logger="sprmon.daemon.reload"):
        assert not await reloader.reload()
    assert applied == []
    messages = [r.getMessage() for r in caplog.records]
    assert f"{intent_file}:3: bogus: unknown key 'bogus'" in "\n".join(messages)
    assert messages[-1].startswith("intent reload rejected (")
    assert messages[-1].endswith("the intent in force stays")


async def test_a_missing_file_is_rejected_too(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reloader = IntentReloader(tmp_path / "gone.yaml", lambda intent: None)
    with caplog.at_level(logging.ERROR, logger="sprmon.daemon.reload"):
        assert not await reloader.reload()
    assert f"{tmp_path / 'gone.yaml'}: file not found" in caplog.messages


async def test_requests_during_a_reload_end_in_one_more_reload_of_the_newest_file(
    intent_file: Path,
) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    loads: list[str] = []
    loop = asyncio.get_running_loop()

    def slow_load(path: Path) -> LoadedIntent:
        loads.append(path.read_text(encoding="utf-8")[-40:])
        if len(loads) == 1:
            loop.call_soon_threadsafe(started.set)
            asyncio.run_coroutine_threadsafe(release.wait(), loop).result()
        return load_config(path)

    applied: list[LoadedIntent] = []
    reloader = IntentReloader(intent_file, applied.append, load=slow_load)
    first = asyncio.create_task(reloader.reload())
    await started.wait()
    second = asyncio.create_task(reloader.reload())
    third = asyncio.create_task(reloader.reload())
    await asyncio.sleep(0)
    release.set()
    assert await first
    assert not await second  # superseded by the third
    assert await third
    assert len(loads) == 2
    assert len(applied) == 2
