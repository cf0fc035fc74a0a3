"""Rates from two samples of a monotonic counter, and when not to trust them.

A rate is only reported when the two samples can honestly be compared. Every
case that would otherwise produce a spike or a negative rate (a reboot, a
counter reset, a changed counter width, a wrap that is not one) yields no rate
and a note that says why, because a made-up spike on a dashboard is worse than
a gap.
"""

from __future__ import annotations

from sprmon.core.observed import Interface, SiteObservation

NOT_IN_ORDER = "samples not in time order"
DISCONTINUITY = "counter discontinuity (device rebooted or counters reset); rate resumes next poll"
WRAPPED_32 = "32-bit counter wrapped"
DECREASED_64 = "64-bit counter decreased: counter reset assumed; rate resumes next poll"
IMPLAUSIBLE = "implausible rate: counter discontinuity suspected"
NOT_COLLECTED = "counter not collected"
OUT_OF_RANGE = "counter value out of range for its width: agent or decoder fault"

_WRAP_32 = 2**32


def rate_and_note(
    before: int | None,
    after: int | None,
    seconds: float,
    *,
    bits: int,
    reset: bool,
    max_rate: float | None,
) -> tuple[float | None, str | None]:
    """The per-second rate of a counter that went from ``before`` to ``after`` in ``seconds``,
    and a note: why there is no rate (the rate is then ``None``) or what was corrected.

    ``bits`` is the counter width (32 or 64). ``reset`` is the caller's verdict
    that the counter may have restarted between the samples (see
    :func:`discontinuity`). ``max_rate`` is the fastest the counter can
    plausibly move (e.g. twice the interface speed in octets per second) or
    ``None`` for no bound. The rate is never negative.
    """
    if seconds <= 0:
        return None, NOT_IN_ORDER
    delta, note = counter_delta(
        before,
        after,
        bits=bits,
        reset=reset,
        max_delta=None if max_rate is None else max_rate * seconds,
    )
    return (None, note) if delta is None else (delta / seconds, note)


def counter_delta(
    before: int | None,
    after: int | None,
    *,
    bits: int,
    reset: bool,
    max_delta: float | None,
) -> tuple[int | None, str | None]:
    """How much a counter advanced from ``before`` to ``after``, and why not, or what was corrected.

    The rules of :func:`counter_rate` without the time: ``max_delta`` is the
    most it can plausibly advance between the two samples (``None``: no bound).
    The daemon's monotonic totals (:mod:`sprmon.core.totals`) add these deltas.
    """
    if before is None or after is None:
        return None, NOT_COLLECTED
    if reset:
        return None, DISCONTINUITY
    if before < 0 or after < 0 or (bits == 32 and (before >= _WRAP_32 or after >= _WRAP_32)):
        return None, OUT_OF_RANGE
    note: str | None = None
    delta = after - before
    if delta < 0:
        if bits != 32:
            # A 64-bit counter does not wrap within any polling interval
            # (decades at 100 Gbit/s): going down means it restarted.
            return None, DECREASED_64
        # Assume exactly one wrap; a reset disguised as a wrap usually shows
        # up as an implausible rate below.
        delta = after + _WRAP_32 - before
        note = WRAPPED_32
    if max_delta is not None and delta > max_delta:
        return None, IMPLAUSIBLE
    return delta, note


def discontinuity(
    before: SiteObservation,
    after: SiteObservation,
    iface_before: Interface,
    iface_after: Interface,
) -> str | None:
    """Why the interface counters of two polls cannot be compared, or ``None`` if they can.

    sysUpTime going backwards is treated as a reboot even though sysUpTime
    itself wraps after about 497 days (2**32 hundredths of a second): after
    such a wrap one poll is lost, which is cheaper than one wrong rate after a
    real reboot, and the two cannot be told apart from the samples alone.
    """
    if (
        before.uptime_ticks is not None
        and after.uptime_ticks is not None
        and after.uptime_ticks < before.uptime_ticks
    ):
        return "sysUpTime went backwards: device rebooted"
    if (
        iface_before.discontinuity_ticks is not None
        and iface_after.discontinuity_ticks is not None
        and iface_before.discontinuity_ticks != iface_after.discontinuity_ticks
    ):
        return "ifCounterDiscontinuityTime changed: counters were reset"
    if iface_before.counter_bits != iface_after.counter_bits:
        return (
            f"counter width changed from {iface_before.counter_bits} to "
            f"{iface_after.counter_bits} bits"
        )
    return None
