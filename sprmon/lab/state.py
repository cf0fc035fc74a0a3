"""What changes in the lab's routers while it runs: boot time, interfaces, sessions, faults.

Mutable on purpose (the model changes them in place); what the model hands
out is read from them as frozen values: core types, and :class:`PeerInfo`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sprmon.core.observed import BgpPeer, Interface, OperStatus, PeerState
from sprmon.core.prefixes import Address
from sprmon.lab.counters import ZERO, Counters, CounterValues, last_refresh
from sprmon.lab.faults import ActiveFault

IF_TYPE_ETHERNET = 6
IF_TYPE_LOOPBACK = 24
IF_TYPE_TUNNEL = 131
#: ifIndex of every router's loopback, which carries no traffic.
LOOPBACK_INDEX = 1


class InterfaceState:
    __slots__ = (
        "counters",
        "discontinuity",
        "if_type",
        "index",
        "name",
        "oper_up",
        "shown",
        "speed_bps",
    )

    def __init__(
        self,
        index: int,
        name: str,
        if_type: int,
        speed_bps: int,
        counters: Counters,
    ) -> None:
        self.index = index
        self.name = name
        self.if_type = if_type
        self.speed_bps = speed_bps
        self.oper_up = True
        self.counters = counters
        #: When the counters last jumped (None: not since boot).
        self.discontinuity: float | None = None
        #: The counters as of the router's last refresh, when it refreshes them
        #: periodically (None: live, as of every reading).
        self.shown: CounterValues | None = None

    def refresh(self, at: float) -> None:
        """Show the counters as they were at ``at`` until the next refresh."""
        self.shown = self.counters.at(at)

    def reading(self, now: float, boot_time: float) -> Interface:
        """The interface as IF-MIB shows it at ``now`` on a router booted at ``boot_time``."""
        values = self.shown if self.shown is not None else self.counters.at(now)
        discontinuity = (
            0
            if self.discontinuity is None
            else max(0, math.floor((self.discontinuity - boot_time) * 100))
        )
        return Interface(
            index=self.index,
            name=self.name,
            oper_status=OperStatus.UP if self.oper_up else OperStatus.DOWN,
            speed_bps=self.speed_bps,
            in_octets=values.in_octets % 2**64,
            out_octets=values.out_octets % 2**64,
            counter_bits=64,
            in_errors=values.in_errors % 2**32,
            out_errors=values.out_errors % 2**32,
            in_discards=values.in_discards % 2**32,
            out_discards=values.out_discards % 2**32,
            discontinuity_ticks=discontinuity,
        )


@dataclass(frozen=True, slots=True)
class PeerInfo:
    """A BGP peer as a router's BGP4-MIB shows it (more than :class:`BgpPeer` holds)."""

    peer: BgpPeer
    local_address: Address
    #: The peer's BGP identifier while established, else None.
    identifier: Address | None
    #: Times the session has entered established since this router booted
    #: (bgpPeerFsmEstablishedTransitions, unbounded: the MIB wraps it at 2**32).
    #: 1 for a session up since the start; one more each time it comes back
    #: (link or session fault cleared, the other end rebooted); a reboot of
    #: this router starts it again (1 if the session comes back, else 0).
    established_transitions: int
    #: When the session last entered or left established, as this router saw
    #: it (not before the router booted): OpenConfig's last-established.
    since: float


class Session:
    """One BGP session, seen from both of its ends (two router names)."""

    __slots__ = ("established", "since", "transitions")

    def __init__(self, ends: Iterable[str], since: float) -> None:
        self.established = True
        #: When the session last entered or left the established state.
        self.since = since
        #: Router name -> bgpPeerFsmEstablishedTransitions at that end: the times
        #: the session has entered established since that router booted.
        self.transitions: dict[str, int] = dict.fromkeys(ends, 1)

    def set_established(self, established: bool, now: float) -> None:
        if established == self.established:
            return
        self.established = established
        self.since = now
        if established:
            for end in self.transitions:
                self.transitions[end] += 1

    def reading(
        self,
        router: RouterState,
        now: float,
        *,
        address: Address,
        local: Address,
        remote_as: int,
        identifier: Address,
    ) -> PeerInfo:
        """The session as ``router`` shows it at ``now``, to the peer at ``address``."""
        since = max(self.since, router.boot_time)
        return PeerInfo(
            peer=BgpPeer(
                address=address,
                state=PeerState.ESTABLISHED if self.established else PeerState.IDLE,
                remote_as=remote_as,
                established_for_s=float(math.floor(now - since)),
            ),
            local_address=local,
            identifier=identifier if self.established else None,
            established_transitions=self.transitions[router.name],
            since=since,
        )

    def restart_end(self, end: str, now: float) -> None:
        """Router ``end`` rebooted at ``now``.

        An established session drops and comes straight back: its established
        time restarts, the other end counts one more transition and the
        rebooted end counts from one. A session that is down stays down, and
        the rebooted end has not seen it established yet.
        """
        if self.established:
            self.since = now
            for other in self.transitions:
                self.transitions[other] += 1
            self.transitions[end] = 1
        else:
            self.transitions[end] = 0


class RouterState:
    __slots__ = (
        "asn",
        "boot_time",
        "faults",
        "interfaces",
        "name",
        "refresh_phase_s",
        "refresh_s",
        "refreshed_at",
        "router_id",
    )

    def __init__(
        self,
        name: str,
        asn: int,
        router_id: Address,
        boot_time: float,
        *,
        refresh_s: float = 0.0,
        refresh_phase_s: float = 0.0,
    ) -> None:
        self.name = name
        self.asn = asn
        self.router_id = router_id
        self.boot_time = boot_time
        self.interfaces: dict[int, InterfaceState] = {}
        self.faults: list[ActiveFault] = []
        #: Interface counters change only every ``refresh_s`` seconds (0: at every
        #: reading), at ``refresh_phase_s`` past each multiple of the period, as a
        #: router's agent serves them from a cache it refreshes (Net-SNMP: 3 s).
        self.refresh_s = refresh_s
        self.refresh_phase_s = refresh_phase_s
        self.refreshed_at = -math.inf

    def refresh_counters(self, now: float) -> None:
        """Take the refresh due by ``now``, at the moment it was due.

        The caller does so before changing any rate, so the counters between
        the last refresh and ``now`` follow the rates of that stretch.
        """
        if self.refresh_s <= 0:
            return
        due = last_refresh(now, self.refresh_s, self.refresh_phase_s)
        if due > self.refreshed_at:
            for interface in self.interfaces.values():
                interface.refresh(due)
            self.refreshed_at = due

    def _refresh_now(self, now: float) -> None:
        # A jump (reboot, wrap) shows at once, as an agent starting afresh would.
        if self.refresh_s > 0:
            for interface in self.interfaces.values():
                interface.refresh(now)

    def uptime_ticks(self, now: float) -> int:
        """sysUpTime in hundredths of a second (unbounded; the MIB wraps it at 2**32)."""
        return max(0, math.floor((now - self.boot_time) * 100))

    def restart(self, now: float) -> None:
        """Uptime and every counter start again from zero (its sessions are the caller's)."""
        self.boot_time = now
        for interface in self.interfaces.values():
            interface.counters.reset(ZERO, now)
            interface.discontinuity = None
        self._refresh_now(now)

    def wrap_counters(self, now: float, seconds: float) -> None:
        """Every link interface's octet counters jump to ``seconds`` of traffic below the wrap."""
        for interface in self.interfaces.values():
            if interface.index == LOOPBACK_INDEX:
                continue
            interface.counters.jump_below_wrap(now, seconds)
            # The jump itself is a discontinuity (a rate across it means
            # nothing); the wrap that follows is ordinary counter behaviour.
            interface.discontinuity = now
        self._refresh_now(now)
