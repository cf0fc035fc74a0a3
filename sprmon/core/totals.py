"""Monotonic link totals from successive device counters, for Prometheus ``rate()``.

A router's counters wrap (32-bit ifTable counters at 10 Gbit/s wrap in under
four seconds), restart at zero when it reboots or when its counters are
reset, and may change width when an agent starts or stops serving ifXTable.
A raw counter handed to Prometheus therefore gives spikes or gaps. The
daemon instead adds up the deltas between successive polls
(:func:`sprmon.core.counters.counter_delta`, the evaluation's own rules) into
totals that start at zero and never go backwards.

After a reset, the new reading counts what the counter saw since the reset,
and is added only when that is safe: the time since the reset is known
(sysUpTime after a reboot; sysUpTime minus ifCounterDiscontinuityTime after a
counter reset), the reading is no more than the interface could carry in that
time, and a 32-bit counter cannot have wrapped in it. Otherwise the poll adds
nothing: a dashboard shows a dip in rate, never a spike. A changed counter
width, a changed interface or a wrap that is not one likewise adds nothing
and starts again from the new reading.

BGP session flaps are the increases of bgpPeerFsmEstablishedTransitions of
the link's neighbours; after the router restarts (the count goes down), its
new count is added: each establishment since the restart is the session
coming back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sprmon.core.counters import counter_delta
from sprmon.core.intent import SiteLink
from sprmon.core.link_evaluation import find_interface
from sprmon.core.monitor import LinkTotals
from sprmon.core.observed import Interface, SiteObservation

__all__ = ["CounterSample", "LinkCounters", "advance_totals", "sample_link"]

_WRAP_32 = 2**32
#: Smallest Ethernet frame: bounds how fast a packet counter can move.
_MIN_FRAME_OCTETS = 64
#: Totals fields in :attr:`CounterSample.values` order.
_FIELDS = ("in_octets", "out_octets", "in_errors", "out_errors", "in_discards", "out_discards")
_OCTET_FIELDS = 2


@dataclass(frozen=True, slots=True)
class CounterSample:
    """One link's counters in one poll."""

    collected_at: float
    uptime_ticks: int | None
    #: (ifIndex, ifName) of the interface read; None when it was not found or not read.
    interface: tuple[int, str] | None
    bits: int
    speed_bps: int | None
    discontinuity_ticks: int | None
    #: In :data:`_FIELDS` order.
    values: tuple[int | None, ...]
    #: The neighbours whose transitions were summed, and the sum (None: not read).
    peers: tuple[str, ...]
    transitions: int | None


@dataclass(frozen=True, slots=True)
class LinkCounters:
    """What the daemon keeps per link: the totals and the sample they were last advanced to."""

    totals: LinkTotals
    last: CounterSample | None = None


def sample_link(link: SiteLink, observation: SiteObservation) -> CounterSample:
    """The counters of ``link`` in ``observation`` (values None where not read)."""
    iface: Interface | None = find_interface(link, observation.interfaces)
    transitions: int | None = None
    peers: list[str] = []
    if observation.peers is not None:
        for peer in observation.peers:
            if peer.address in link.neighbors and peer.established_transitions is not None:
                peers.append(peer.address)
                transitions = (transitions or 0) + peer.established_transitions
    if iface is None:
        values: tuple[int | None, ...] = (None,) * len(_FIELDS)
        return CounterSample(
            observation.collected_at,
            observation.uptime_ticks,
            None,
            64,
            None,
            None,
            values,
            tuple(sorted(peers)),
            transitions,
        )
    values = (
        iface.in_octets,
        iface.out_octets,
        iface.in_errors,
        iface.out_errors,
        iface.in_discards,
        iface.out_discards,
    )
    return CounterSample(
        collected_at=observation.collected_at,
        uptime_ticks=observation.uptime_ticks,
        interface=(iface.index, iface.name),
        bits=iface.counter_bits,
        speed_bps=iface.speed_bps,
        discontinuity_ticks=iface.discontinuity_ticks,
        values=values,
        peers=tuple(sorted(peers)),
        transitions=transitions,
    )


def advance_totals(
    previous: LinkCounters | None, site: str, link: SiteLink, observation: SiteObservation
) -> LinkCounters:
    """The totals of ``link`` after ``observation`` (the site's newest poll, in time order).

    A poll older than the last one used (or at the same time) changes nothing.
    """
    sample = sample_link(link, observation)
    if previous is None:
        previous = LinkCounters(LinkTotals(site=site, link=link.role))
    last = previous.last
    if last is not None and sample.collected_at <= last.collected_at:
        return previous
    totals = previous.totals
    counters_read = sample.interface is not None
    if counters_read:
        totals = _add_counters(totals, last, sample)
    if sample.transitions is not None:
        totals = replace(totals, session_flaps=_flaps(totals.session_flaps, last, sample))
    # Keep the previous reading of whatever this poll did not read, so that
    # a poll without interfaces (or without peers) breaks no delta.
    if last is not None:
        if not counters_read:
            sample = replace(
                sample,
                interface=last.interface,
                bits=last.bits,
                speed_bps=last.speed_bps,
                discontinuity_ticks=last.discontinuity_ticks,
                values=last.values,
            )
        if sample.transitions is None:
            sample = replace(sample, peers=last.peers, transitions=last.transitions)
    return LinkCounters(totals, sample)


@dataclass(frozen=True, slots=True)
class _Reset:
    """The counters restarted between two samples, ``seconds`` ago (None: unknown)."""

    seconds: float | None


def _reset(last: CounterSample, sample: CounterSample) -> _Reset | None:
    """Whether the counters restarted between the samples; None when they did not."""
    if (
        last.uptime_ticks is not None
        and sample.uptime_ticks is not None
        and sample.uptime_ticks < last.uptime_ticks
    ):
        return _Reset(sample.uptime_ticks / 100)
    if (
        last.discontinuity_ticks is not None
        and sample.discontinuity_ticks is not None
        and last.discontinuity_ticks != sample.discontinuity_ticks
    ):
        if sample.uptime_ticks is None or sample.uptime_ticks < sample.discontinuity_ticks:
            return _Reset(None)
        return _Reset((sample.uptime_ticks - sample.discontinuity_ticks) / 100)
    return None


def _max_rate(speed_bps: int | None, index: int) -> float | None:
    """Fastest plausible movement per second of counter ``index``: twice the line rate."""
    if not speed_bps:
        return None
    octets = 2 * speed_bps / 8
    return octets if index < _OCTET_FIELDS else octets / _MIN_FRAME_OCTETS


def _since_reset(value: int, bits: int, seconds: float | None, max_rate: float | None) -> int:
    """What a counter read after a reset may safely add: its value, or 0."""
    if seconds is None or max_rate is None or value < 0:
        return 0
    bound = max_rate * seconds
    if value > bound or (bits == 32 and bound >= _WRAP_32):
        return 0
    return value


def _add_counters(
    totals: LinkTotals, last: CounterSample | None, sample: CounterSample
) -> LinkTotals:
    comparable = (
        last is not None
        and last.interface == sample.interface
        and last.bits == sample.bits
        and sample.collected_at > last.collected_at
    )
    reset = _reset(last, sample) if last is not None and comparable else None
    seconds = sample.collected_at - last.collected_at if last is not None else 0.0
    changes: dict[str, Any] = {}
    for index, name in enumerate(_FIELDS):
        after = sample.values[index]
        if after is None:
            continue
        current: int | None = getattr(totals, name)
        added = 0
        if comparable and last is not None:
            max_rate = _max_rate(sample.speed_bps, index)
            if reset is not None:
                added = _since_reset(after, sample.bits, reset.seconds, max_rate)
            else:
                delta, _note = counter_delta(
                    last.values[index],
                    after,
                    bits=sample.bits,
                    reset=False,
                    max_delta=None if max_rate is None else max_rate * seconds,
                )
                added = delta or 0
        changes[name] = (current or 0) + added
    return replace(totals, **changes) if changes else totals


def _flaps(current: int | None, last: CounterSample | None, sample: CounterSample) -> int:
    total = current or 0
    assert sample.transitions is not None  # the caller checked
    if last is None or last.transitions is None or last.peers != sample.peers:
        return total
    if sample.transitions >= last.transitions:
        return total + sample.transitions - last.transitions
    return total + sample.transitions
