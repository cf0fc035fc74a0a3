"""SIGHUP: read the intent file again, off the event loop, and put it in force if it is valid.

Loading 10,000 sites takes a second or more of CPU: it runs in a worker
thread so that polls and scrapes go on meanwhile. A file with problems is
rejected with every problem in the log (``FILE:LINE: field: message``), and
the intent in force stays so. Reloads never overlap: a SIGHUP during a reload
makes one more reload after it, so the newest file always wins.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from sprmon.intentfile import IntentFileError, LoadedIntent, load_config

__all__ = ["IntentReloader"]

log = logging.getLogger(__name__)


class IntentReloader:
    """Reloads ``path`` into ``apply`` on request; see the module docstring."""

    def __init__(
        self,
        path: Path,
        apply: Callable[[LoadedIntent], None],
        *,
        load: Callable[[Path], LoadedIntent] = load_config,
    ) -> None:
        self._path = path
        self._apply = apply
        self._load = load
        self._lock = asyncio.Lock()
        self._pending = 0
        self._tasks: set[asyncio.Task[bool]] = set()

    def request(self) -> None:
        """Schedule a reload (what the SIGHUP handler calls)."""
        task = asyncio.create_task(self.reload(), name="sprmon-reload")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def reload(self) -> bool:
        """Reload now (after any reload in progress); True if the new intent is in force."""
        self._pending += 1
        async with self._lock:
            self._pending -= 1
            if self._pending:
                return False  # a later request will read the file again
            log.info("reloading the intent from %s", self._path)
            try:
                loaded = await asyncio.to_thread(self._load, self._path)
            except IntentFileError as exc:
                for problem in exc.problems:
                    log.error("%s", problem)
                log.error(
                    "intent reload rejected (%d problem(s) above); the intent in force stays",
                    len(exc.problems),
                )
                return False
            self._apply(loaded)
            return True

    async def aclose(self) -> None:
        """Cancel reloads in progress (at shutdown)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
