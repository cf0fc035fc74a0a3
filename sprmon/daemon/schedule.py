"""When each site is polled next: intervals with jitter, a spread start, and backoff.

Pure arithmetic over a random source the caller injects (``random.Random``
in the daemon, a seeded one in tests):

- the first poll of each site falls at a random point of its first interval,
  so a daemon that starts (or a SIGHUP that adds) thousands of sites does not
  poll them all at once;
- every later interval varies by up to ``jitter`` either way, so sites that
  happened to line up drift apart again;
- a target that keeps failing is retried after 1, 2, 4, ... intervals, up to
  :data:`MAX_BACKOFF_FACTOR` intervals (and never more than
  :data:`MAX_BACKOFF_S`): a dead router costs little, and a router that comes
  back is seen again within minutes.
"""

from __future__ import annotations

from random import Random

__all__ = ["MAX_BACKOFF_FACTOR", "MAX_BACKOFF_S", "first_delay", "next_delay"]

MAX_BACKOFF_FACTOR = 8
MAX_BACKOFF_S = 600.0


def first_delay(interval_s: float, rng: Random) -> float:
    """Seconds until a new site's first poll: anywhere in its first interval."""
    return rng.uniform(0.0, interval_s)


def next_delay(interval_s: float, *, jitter: float, failures: int, rng: Random) -> float:
    """Seconds from the start of a poll to the start of the next one.

    ``failures`` counts the target's consecutive failed polls, this one
    included (0 after a success).
    """
    base = interval_s
    if failures > 0:
        factor = 2 ** min(failures - 1, 16)
        base = min(interval_s * min(factor, MAX_BACKOFF_FACTOR), max(interval_s, MAX_BACKOFF_S))
    spread = base * jitter
    return max(0.0, base + rng.uniform(-spread, spread))
