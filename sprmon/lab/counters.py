"""Interface counters of the lab's routers: exact at any instant, moved by rates.

Not :mod:`sprmon.core.counters` (which turns two readings into a rate): this
is the other side, the counters a simulated interface shows.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CounterValues:
    """Interface counters at one instant, unbounded (the MIB takes them modulo 2**N)."""

    in_octets: int
    out_octets: int
    in_discards: int
    out_discards: int
    in_errors: int
    out_errors: int


ZERO = CounterValues(0, 0, 0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Rates:
    """What an interface carries, per second."""

    in_bps: float = 0.0
    out_bps: float = 0.0
    in_discards_ps: float = 0.0
    out_discards_ps: float = 0.0


class Counters:
    """Counters as a linear function of time between two changes of rate.

    Keeping (value at ``since``, rate) instead of adding to the counters on
    every tick makes a counter's value at any time exact and cheap, and it
    stops by itself when the rate is zero (a link that is down).
    """

    __slots__ = ("base", "rates", "since")

    def __init__(self, base: CounterValues, since: float) -> None:
        self.base = base
        self.since = since
        self.rates = Rates()

    def at(self, now: float) -> CounterValues:
        dt = max(0.0, now - self.since)
        r = self.rates
        b = self.base
        return CounterValues(
            in_octets=b.in_octets + math.floor(r.in_bps * dt / 8),
            out_octets=b.out_octets + math.floor(r.out_bps * dt / 8),
            in_discards=b.in_discards + math.floor(r.in_discards_ps * dt),
            out_discards=b.out_discards + math.floor(r.out_discards_ps * dt),
            in_errors=b.in_errors,
            out_errors=b.out_errors,
        )

    def set_rates(self, rates: Rates, now: float) -> None:
        if rates == self.rates:
            return
        self.base = self.at(now)
        self.since = now
        self.rates = rates

    def reset(self, values: CounterValues, now: float) -> None:
        self.base = values
        self.since = now

    def jump_below_wrap(self, now: float, seconds: float) -> None:
        """Put the octet counters ``seconds`` of the current traffic below 2**64.

        They then wrap on their own within ``seconds`` (and, taken modulo
        2**32, so do the 32-bit ones); the other counters keep their values.
        """
        values = self.at(now)

        def below_wrap(rate_bps: float) -> int:
            margin = max(1, math.ceil(rate_bps / 8 * seconds))
            return 2**64 - margin

        self.reset(
            CounterValues(
                in_octets=below_wrap(self.rates.in_bps),
                out_octets=below_wrap(self.rates.out_bps),
                in_discards=values.in_discards,
                out_discards=values.out_discards,
                in_errors=values.in_errors,
                out_errors=values.out_errors,
            ),
            now,
        )


def last_refresh(now: float, period_s: float, phase_s: float) -> float:
    """The latest refresh at or before ``now`` of counters refreshed every ``period_s``
    seconds at ``phase_s`` past each multiple of the period (POSIX seconds)."""
    return phase_s + math.floor((now - phase_s) / period_s) * period_s


def initial_counters(rng: random.Random) -> CounterValues:
    # Arbitrary starting values, as on a router that has been up for a while;
    # below 2**40 so that a 64-bit counter never wraps by itself.
    return CounterValues(
        in_octets=rng.randrange(2**40),
        out_octets=rng.randrange(2**40),
        in_discards=rng.randrange(10_000),
        out_discards=rng.randrange(10_000),
        in_errors=rng.randrange(1_000),
        out_errors=rng.randrange(1_000),
    )
