"""What the daemon needs from a collector: one poll of one site, and why it failed.

The daemon knows nothing of SNMP or gNMI. It hands each collector a site's
:class:`~sprmon.inventory.RouterAccess` from the inventory without reading
it; the collector says whether it speaks one of its targets
(:meth:`Collector.handles`) and polls the site through it
(:meth:`Collector.poll`) into a :class:`~sprmon.core.observed.SiteObservation`;
a poll that fails carries the reason in the observation's ``error`` and, for
the daemon's metrics, a short :class:`FailureReason` in the result. A gNMI
collector plugs in by implementing this protocol: the scheduler, the history
and the exporters do not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol as TypingProtocol

from sprmon.core.intent import Site
from sprmon.core.monitor import Protocol
from sprmon.core.observed import SiteObservation
from sprmon.core.prefixes import Prefix
from sprmon.inventory import RouterAccess

__all__ = ["Collector", "FailureReason", "PollRequest", "PollResult"]


class FailureReason(StrEnum):
    """Why a poll failed, as a metric label (``sprmon_poll_errors_total{reason}``)."""

    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    AUTH = "auth"
    MALFORMED = "malformed"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class PollRequest:
    """What one poll reads. Interfaces and BGP peers are always read (small, and
    the link states need them); the BGP table only when ``bgp_table`` is set."""

    prefixes: tuple[Prefix, ...]
    bgp_table: bool = True


@dataclass(frozen=True, slots=True)
class PollResult:
    observation: SiteObservation
    #: None when the poll succeeded (``observation.error`` is None too).
    failure: FailureReason | None = None


class Collector(TypingProtocol):
    """A way to poll site routers (SNMP, gNMI)."""

    @property
    def protocol(self) -> Protocol: ...

    def handles(self, access: RouterAccess) -> bool:
        """Whether ``access`` has a target this collector speaks."""
        ...

    async def poll(self, site: Site, access: RouterAccess, request: PollRequest) -> PollResult:
        """Poll ``site`` through ``access``; never raises for a failure of the site (only
        when cancelled)."""
        ...
