"""The bound on polls in flight (``monitor.max_in_flight``), which a poll leaves while it waits.

::

    in_flight = InFlight(64)
    async with in_flight.slot() as idle:
        ...                    # the poll's requests count against the bound
        await idle(0.5)        # this wait does not: the slot is free meanwhile

A poll that only waits (the SNMP counter watch sleeps between re-reads of a
few counters until the agent refreshes them, up to seconds) would otherwise
hold its slot doing nothing, and at short intervals the daemon would fall
behind its schedule with every slot asleep. ``idle`` gives the slot back for
the wait and takes one again before the poll's next request; a cancelled wait
(a reload, the poll's own bound) leaves it given back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sprmon.daemon.collector import Idle

__all__ = ["InFlight"]


class InFlight:
    """At most ``limit`` polls holding a slot at once; see the module docstring."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._semaphore = asyncio.Semaphore(limit)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[Idle]:
        """Hold a slot for a poll; the yielded ``idle(seconds)`` waits without it."""
        semaphore = self._semaphore
        await semaphore.acquire()
        held = True

        async def idle(seconds: float) -> None:
            nonlocal held
            if seconds <= 0:
                return
            semaphore.release()
            held = False
            await asyncio.sleep(seconds)
            await semaphore.acquire()
            held = True

        try:
            yield idle
        finally:
            if held:
                semaphore.release()
