"""``sprmon run`` as a process, and its JSON log read line by line."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Python start-up and the first poll of every lab site, on a busy machine.
START_S = 20.0
#: Only a hung process reaches it.
PROCESS_TIMEOUT_S = 60.0

Record = dict[str, Any]


class Daemon:
    """A ``sprmon run`` process and the JSON records of its log, as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.records: list[Record] = []
        self.other: list[str] = []
        self._updated = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode().rstrip("\n")
            try:
                self.records.append(json.loads(line))
            except json.JSONDecodeError:
                self.other.append(line)
            self._updated.set()
        self._updated.set()

    async def until(
        self, what: str, predicate: Callable[[Record], bool], timeout_s: float
    ) -> Record:
        """The first record (old or new) that satisfies ``predicate``."""
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    for record in self.records:
                        if predicate(record):
                            return record
                    if self._reader.done():
                        raise AssertionError(f"the daemon ended before: {what}")
                    self._updated.clear()
                    await self._updated.wait()
        except TimeoutError:
            messages = [r.get("message") for r in self.records[-40:]]
            raise AssertionError(f"not within {timeout_s:g} s: {what}; log: {messages}") from None

    def events(self) -> list[Record]:
        return [r["event"] for r in self.records if "event" in r]

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return await self.wait()

    async def wait(self) -> int:
        try:
            code = await asyncio.wait_for(self.process.wait(), PROCESS_TIMEOUT_S)
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
        await self._reader
        return code


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
    return {**env, "NO_COLOR": "1", "SPRMON_LAB_STATE_DIR": str(tmp_path / "state")}


async def start(tmp_path: Path, *args: str | Path) -> Daemon:
    """``python -m sprmon ARGS``; ``run`` gets ``--listen 127.0.0.1:0`` unless ARGS say
    where, so that tests side by side never contend for the default metrics port."""
    listen = () if "--listen" in args else ("--listen", "127.0.0.1:0")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sprmon",
        *(str(a) for a in args),
        *listen,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=_env(tmp_path),
    )
    return Daemon(process)


def message(text: str) -> Callable[[Record], bool]:
    return lambda record: text in record.get("message", "")


def change(
    site: str, new_state: str | None, old_state: str | None = "any"
) -> Callable[[Record], bool]:
    def matches(record: Record) -> bool:
        event = record.get("event")
        return (
            event is not None
            and event["site"] == site
            and event["new_state"] == new_state
            and (old_state == "any" or event["old_state"] == old_state)
        )

    return matches
