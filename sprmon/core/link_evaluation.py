"""Link state (shared with the path evaluation) and link findings.

A link is *usable* when its BGP session is established and its interface is
not known to be down. Path findings use that to decide which link an
application should be on; link findings report it with rates and errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sprmon.core.counters import as_float, discontinuity, rate_and_note
from sprmon.core.findings import LinkFinding, Severity
from sprmon.core.intent import SiteLink, Thresholds
from sprmon.core.observed import Interface, OperStatus, PeerState, SiteObservation

#: Smallest Ethernet frame: bounds how fast a packet counter can move.
_MIN_FRAME_OCTETS = 64


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """What the newest usable observation says about one link of one site."""

    role: str
    #: None: no interface configured, interfaces not collected or interface not found.
    oper_up: bool | None
    #: None: BGP peers not collected (or the observation is unusable).
    established: bool | None
    established_since: float | None
    interface: Interface | None
    #: Why ``oper_up`` is None, for notes.
    interface_note: str | None = None
    #: False for a link role the application allows but the site does not have.
    configured: bool = True

    @property
    def usable(self) -> bool:
        return self.established is True and self.oper_up is not False

    def down_reason(self) -> str:
        """Why the link is not usable, phrased for an explanation."""
        if not self.configured:
            return f"{self.role} is not configured at this site"
        if self.oper_up is False:
            return f"{self.role} down: link oper down"
        if self.established is False:
            return f"{self.role} BGP session not established"
        if self.established is None:
            return f"{self.role} BGP session state unknown"
        return f"{self.role} usable"


def missing_link(role: str) -> LinkStatus:
    """The status of a link role the application allows but the site does not have."""
    return LinkStatus(role, None, None, None, None, None, configured=False)


def find_interface(link: SiteLink, interfaces: Sequence[Interface] | None) -> Interface | None:
    """The interface a link is measured on; by name first, since ifIndex may renumber."""
    if interfaces is None:
        return None
    if link.interface_name is not None:
        for iface in interfaces:
            if iface.name == link.interface_name:
                return iface
    if link.interface_index is not None:
        for iface in interfaces:
            if iface.index == link.interface_index:
                return iface
    return None


def _interface_label(link: SiteLink) -> str:
    if link.interface_name is not None:
        return link.interface_name
    return f"ifIndex {link.interface_index}"


def link_status(link: SiteLink, obs: SiteObservation | None) -> LinkStatus:
    """Oper status and session state of ``link`` in ``obs`` (``None``: nothing usable observed)."""
    if obs is None:
        return LinkStatus(link.role, None, None, None, None, None)
    iface: Interface | None = None
    note: str | None = None
    if link.interface_name is None and link.interface_index is None:
        note = "no interface configured for the link"
    elif obs.interfaces is None:
        note = "interfaces not collected"
        if obs.error:
            # The collector's error often says these words already.
            note = obs.error if note in obs.error else f"{note}: {obs.error}"
    else:
        iface = find_interface(link, obs.interfaces)
        if iface is None:
            note = f"interface {_interface_label(link)} not found"
    oper_up = None if iface is None else iface.oper_status is OperStatus.UP

    established: bool | None = None
    since: float | None = None
    if obs.peers is not None:
        established = False
        neighbors = link.neighbors
        longest: float | None = None
        for peer in obs.peers:
            if peer.address in neighbors and peer.state is PeerState.ESTABLISHED:
                established = True
                age = peer.established_for_s
                if age is not None and (longest is None or age > longest):
                    longest = age
        # An age reaching back before 1970 is not a session's (a hostile or
        # broken source): left unknown rather than rendered as an impossible date.
        if longest is not None and longest <= obs.collected_at:
            since = obs.collected_at - longest
    return LinkStatus(link.role, oper_up, established, since, iface, note)


@dataclass(frozen=True, slots=True)
class _Rates:
    in_bps: float | None = None
    out_bps: float | None = None
    error_rate: float | None = None
    discard_rate: float | None = None
    notes: tuple[str, ...] = ()


def _pair_rate(
    counters: tuple[int | None, int | None, int | None, int | None],
    seconds: float,
    *,
    bits: int,
    reset: bool,
    max_rate: float | None,
    notes: list[str],
) -> float | None:
    """Sum of the rates of two counters given as (in before, in after, out before, out after).

    A counter collected in neither poll is left out; both left out: None.
    """
    in_before, in_after, out_before, out_after = counters
    total: float | None = None
    for before, after in ((in_before, in_after), (out_before, out_after)):
        if before is None and after is None:
            continue
        rate, note = rate_and_note(
            before, after, seconds, bits=bits, reset=reset, max_rate=max_rate
        )
        if note is not None:
            notes.append(note)
        if rate is None:
            return None
        total = rate if total is None else total + rate
    return total


def link_rates(link: SiteLink, samples: Sequence[SiteObservation]) -> _Rates:
    """Rates over the two newest ``samples`` (observations with interfaces, oldest first)."""
    if len(samples) < 2:
        return _FIRST_POLL
    first, second = samples[-2], samples[-1]
    before = find_interface(link, first.interfaces)
    after = find_interface(link, second.interfaces)
    if before is None or after is None:
        return _Rates(
            notes=(f"interface {_interface_label(link)} not in both of the last two polls",)
        )
    notes: list[str] = []
    reason = discontinuity(first, second, before, after)
    if reason is not None:
        notes.append(reason)
    reset = reason is not None
    seconds = _interval_s(_sample_time(first, before), _sample_time(second, after), reset=reset)
    if not reset and _moved(before, after):
        watched = _untimed_watch(first, before) or _untimed_watch(second, after)
        if watched is not None:
            notes.append(
                f"counter refresh not seen within the {watched:g} s watched: rate timed by "
                "the polls, off by up to the agent's refresh period over the interval"
            )
    bits = after.counter_bits
    speed = after.speed_bps
    # Twice the line rate: anything faster is a reset that looks like a wrap.
    # (A speed too large for a float bounds nothing, and must not overflow.)
    max_octets = 2 * as_float(speed) / 8 if speed else None
    max_packets = 2 * as_float(speed) / 8 / _MIN_FRAME_OCTETS if speed else None

    in_rate, note = rate_and_note(
        before.in_octets, after.in_octets, seconds, bits=bits, reset=reset, max_rate=max_octets
    )
    if note is not None:
        notes.append(note)
    out_rate, note = rate_and_note(
        before.out_octets, after.out_octets, seconds, bits=bits, reset=reset, max_rate=max_octets
    )
    if note is not None:
        notes.append(note)
    # Error counters share the octet counters' width: an SNMP agent serving HC
    # octets has 32-bit error counters that never wrap in practice, so treating
    # their decrease as a reset loses nothing.
    errors = _pair_rate(
        (before.in_errors, after.in_errors, before.out_errors, after.out_errors),
        seconds,
        bits=bits,
        reset=reset,
        max_rate=max_packets,
        notes=notes,
    )
    discards = _pair_rate(
        (before.in_discards, after.in_discards, before.out_discards, after.out_discards),
        seconds,
        bits=bits,
        reset=reset,
        max_rate=max_packets,
        notes=notes,
    )
    return _Rates(
        None if in_rate is None else 8 * in_rate,
        None if out_rate is None else 8 * out_rate,
        errors,
        discards,
        tuple(dict.fromkeys(notes)) if notes else (),
    )


#: How far the device's clock may disagree with the collector's before it is distrusted.
_UPTIME_TOLERANCE = 0.1


def _sample_time(obs: SiteObservation, iface: Interface) -> tuple[float, int | None]:
    """When ``iface``'s counters were current, by the collector's clock and the device's.

    An agent serves counters from a cache it refreshes every few seconds, so a
    poll's own time can be a whole refresh period after the moment its values
    describe; a collector that saw the refresh says when it was (``counters_at``).
    """
    if iface.counters_at is not None:
        return iface.counters_at, iface.counters_uptime_ticks
    return obs.collected_at, obs.uptime_ticks


def _interval_s(
    first: tuple[float, int | None], second: tuple[float, int | None], *, reset: bool
) -> float:
    """Seconds between two samples given as (collector time, sysUpTime ticks).

    sysUpTime is read in the same requests as the counters, so its difference
    times the two samples by the clock the counters advance on, without the
    scheduling and queueing delays that the collector's clock adds; it is used
    unless there was a discontinuity or it disagrees with the collector's clock
    by more than 10 %.
    """
    (first_at, first_ticks), (second_at, second_ticks) = first, second
    seconds = second_at - first_at
    if reset or first_ticks is None or second_ticks is None:
        return seconds
    device = as_float(second_ticks - first_ticks) / 100
    if device > 0 and abs(device - seconds) <= _UPTIME_TOLERANCE * seconds:
        return device
    return seconds


def _moved(before: Interface, after: Interface) -> bool:
    return before.in_octets != after.in_octets or before.out_octets != after.out_octets


def _untimed_watch(obs: SiteObservation, iface: Interface) -> float | None:
    """The seconds watched, when the collector watched ``iface`` but saw no refresh."""
    if obs.counter_watch_s is not None and iface.counters_at is None:
        return obs.counter_watch_s
    return None


_FIRST_POLL = _Rates(notes=("fewer than two recent polls of the interfaces: no rate yet",))
_NO_RATES = _Rates()
_RATES_UNKNOWN = _Rates(notes=("rates unknown",))


def _has_interface(link: SiteLink) -> bool:
    return link.interface_name is not None or link.interface_index is not None


def link_finding(
    site: str,
    link: SiteLink,
    status: LinkStatus,
    *,
    samples: Sequence[SiteObservation],
    thresholds: Thresholds,
    unusable_note: str | None,
) -> LinkFinding:
    """The finding for one link.

    ``samples`` are the site's observations with interfaces collected, oldest
    first, already limited to fresh ones. ``unusable_note`` says why the
    newest observation could not be used (missing, stale), if so.
    """
    notes: list[str] = []
    if unusable_note is not None:
        notes.append(unusable_note)
    elif status.interface_note is not None:
        notes.append(status.interface_note)
    if not _has_interface(link):
        rates = _NO_RATES
    elif unusable_note is not None:
        rates = _RATES_UNKNOWN
    else:
        rates = link_rates(link, samples)
    notes.extend(rates.notes)

    capacity = link.capacity_bps
    util_in = None if rates.in_bps is None or capacity <= 0 else rates.in_bps / capacity
    util_out = None if rates.out_bps is None or capacity <= 0 else rates.out_bps / capacity
    if util_in is None or util_out is None:
        utilization = util_in if util_out is None else util_out
    else:
        utilization = max(util_in, util_out)

    if (
        status.oper_up is False
        or status.established is False
        or (utilization is not None and utilization >= thresholds.utilization_critical)
        or (rates.error_rate is not None and rates.error_rate >= thresholds.error_rate_critical)
    ):
        severity = Severity.CRITICAL
    elif status.established is None or (status.oper_up is None and _has_interface(link)):
        # Half a link's health unobserved is not "ok": a link is only ok when
        # both its interface (where one is configured) and its session were seen.
        severity = Severity.UNKNOWN
    elif (
        (utilization is not None and utilization >= thresholds.utilization_warning)
        or (rates.error_rate is not None and rates.error_rate >= thresholds.error_rate_warning)
        or (rates.discard_rate is not None and rates.discard_rate >= thresholds.error_rate_warning)
    ):
        severity = Severity.WARNING
    else:
        severity = Severity.OK

    return LinkFinding(
        site=site,
        link=link.role,
        severity=severity,
        oper_up=status.oper_up,
        bgp_established=status.established,
        established_since=status.established_since,
        capacity_bps=capacity,
        in_bps=rates.in_bps,
        out_bps=rates.out_bps,
        utilization_in=util_in,
        utilization_out=util_out,
        error_rate=rates.error_rate,
        discard_rate=rates.discard_rate,
        notes=tuple(dict.fromkeys(notes)) if notes else (),
    )
