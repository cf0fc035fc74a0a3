"""The whole check's deadline: every site's poll ends by it, whatever the agents do.

A monitoring plugin is killed at its own timeout (often 60 s) and then reports
nothing at all: one slow agent answering just inside its timeout, with an
endless table, made ``sprmon check`` take 96.7 s. :class:`CheckDeadline` is
that bound for :class:`~sprmon.collector.poller.SnmpPoller`; the words a site
gets when it cuts the site's poll, or comes before the site got a slot, are
here too.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CheckDeadline:
    """When a whole check must end (``time.monotonic()``), and how long it had."""

    at: float
    total_s: float

    @classmethod
    def starting_now(cls, total_s: float) -> CheckDeadline:
        if not total_s > 0:
            raise ValueError(f"a check's deadline must be positive, not {total_s}")
        return cls(time.monotonic() + total_s, total_s)

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def cut(self, site: str) -> str:
        """The error of a site whose poll this deadline cut."""
        return (
            f"poll of {site} cut off by the whole check's deadline of {self.total_s:g} s "
            "(other sites or this agent were slow; the sites that finished are reported)"
        )

    def missed(self, site: str) -> str:
        """The error of a site that never got a slot before this deadline."""
        return (
            f"{site} not polled: the whole check's deadline of {self.total_s:g} s passed "
            "while it waited for a slot (raise --deadline or --concurrency)"
        )


async def acquire_before(semaphore: asyncio.Semaphore, deadline: CheckDeadline | None) -> bool:
    """Take a poll slot; False if the check's deadline passes first."""
    if deadline is None:
        await semaphore.acquire()
        return True
    remaining = deadline.remaining()
    if remaining <= 0:
        return False
    try:
        async with asyncio.timeout(remaining):
            await semaphore.acquire()
    except TimeoutError:
        return False
    return True
