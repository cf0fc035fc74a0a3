"""What a poll of many sites is given and what it returns.

:class:`SnmpSite` pairs a site with its SNMP target (:func:`snmp_sites` builds
them from an intent and an inventory); :class:`PollResult` is the snapshot of
one poll with :class:`SitePollStats`, what each site's poll cost. Kept apart
from :mod:`sprmon.collector.poller` (which re-exports them) so reports and
benches can name them without the poller's asyncio machinery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from sprmon.core.intent import Site
from sprmon.core.observed import Snapshot
from sprmon.inventory import Inventory, SnmpTarget

__all__ = ["OnSiteDone", "PollResult", "SitePollStats", "SnmpSite", "snmp_sites"]

#: ``on_site_done(site, ok, done, total)``: called once per site as it finishes.
OnSiteDone = Callable[[str, bool, int, int], None]


class SnmpSite(NamedTuple):
    """A site (its policy: name and links) and how to reach its router over SNMP."""

    site: Site
    target: SnmpTarget


def snmp_sites(sites: Iterable[Site], inventory: Inventory) -> list[SnmpSite]:
    """``sites`` that the inventory gives an SNMP target, each with it, in order."""
    return [
        SnmpSite(site, target)
        for site in sites
        if (target := inventory.snmp(site.name)) is not None
    ]


@dataclass(frozen=True, slots=True)
class SitePollStats:
    site: str
    ok: bool
    #: Requests sent (first tries) and retransmissions.
    requests: int
    retries: int
    #: Variable bindings received.
    varbinds: int
    #: Wall time of this site's poll, from its start (not its wait for a slot).
    elapsed_s: float
    deadline_s: float
    #: Requests and variable bindings spent watching for the counters' refresh
    #: (not in ``requests``/``varbinds``), and the interfaces it timed.
    watch_requests: int = 0
    watch_varbinds: int = 0
    timed_interfaces: int = 0
    #: Octets of variable bindings received (what the byte budget counts), and
    #: datagrams dropped as malformed.
    octets: int = 0
    malformed: int = 0
    #: The whole check's deadline cut this poll (or came before it could start).
    cut_by_check_deadline: bool = False


@dataclass(frozen=True, slots=True)
class PollResult:
    snapshot: Snapshot
    stats: tuple[SitePollStats, ...]
    elapsed_s: float

    @property
    def varbinds(self) -> int:
        return sum(stat.varbinds for stat in self.stats)

    @property
    def requests(self) -> int:
        return sum(stat.requests for stat in self.stats)
