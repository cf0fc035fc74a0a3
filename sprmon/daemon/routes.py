"""How the daemon reads a site: polled, watched (streamed), or both.

:func:`route_for` picks, for one site, the polling collector and the streaming
collector that speak its targets and, when gNMI takes part, the
:class:`~sprmon.collector.gnmi.plan.SitePlan` (what each protocol reads) and
the :class:`~sprmon.daemon.collector.StreamRequest` of its stream. A site that
no streaming collector handles is routed as before: polled only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sprmon.collector.gnmi.plan import SitePlan, site_plan
from sprmon.core.monitor import Protocol
from sprmon.daemon.collector import Collector, StreamingCollector, StreamRequest
from sprmon.inventory import RouterAccess

if TYPE_CHECKING:
    from sprmon.core.intent import Site
    from sprmon.daemon.sites import Policy

__all__ = ["Route", "route_for"]


@dataclass(frozen=True, slots=True)
class Route:
    """How a site is read: polled, watched, or both (``plan`` when gNMI takes part),
    through ``access`` (the inventory's entry for the site)."""

    poller: Collector | None
    access: RouterAccess
    streamer: StreamingCollector | None = None
    plan: SitePlan | None = None
    request: StreamRequest | None = None

    @property
    def readers(self) -> tuple[Collector | StreamingCollector, ...]:
        """The collectors that read the site (none when no collector speaks its targets)."""
        return tuple(c for c in (self.poller, self.streamer) if c is not None)

    @property
    def key(self) -> tuple[object, ...]:
        """What must stay the same for a running watch to carry on after a reload.

        A poll reads the site's target afresh each time; a stream keeps the one it
        was opened with, so a changed streamed target opens a new stream.
        """
        return (
            None if self.poller is None else self.poller.protocol,
            None if self.streamer is None else self.streamer.protocol,
            self.plan,
            self.request,
            None if self.streamer is None else self.access,
        )


def route_for(
    site: Site,
    pollers: Sequence[Collector],
    streamers: Sequence[StreamingCollector],
    policy: Policy,
) -> Route:
    access = policy.access(site)
    poller = next((c for c in pollers if c.handles(access)), None)
    streamer = next((c for c in streamers if c.handles(access)), None)
    if streamer is None:
        return Route(poller, access)
    # A site with both targets reads over SNMP what gnmi.use leaves out, if an SNMP
    # collector is there to read it.
    plan = site_plan(access, snmp=poller is not None and poller.protocol is Protocol.SNMP)
    if not plan.snmp:
        poller = None
    request = StreamRequest(
        prefixes=policy.prefixes,
        parts=plan.gnmi,
        sample_interval_s=policy.settings.counter_interval_s,
    )
    return Route(poller, access, streamer, plan, request)
