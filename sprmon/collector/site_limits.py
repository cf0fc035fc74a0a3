"""How long one site's poll may take, and how many octets its agent may send.

The one-off poller (:class:`~sprmon.collector.poller.SnmpPoller`) and the
daemon (:mod:`sprmon.daemon.snmp`) hold every site to the same two bounds: a
deadline of the target's ``timeout_s`` x tries x the requests a poll is
expected to need (more with targeted BGP reading), capped; and the byte
budget of :mod:`sprmon.collector.budget`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sprmon.collector.budget import site_budget_octets
from sprmon.collector.snmp_collector import PEERS, CollectOptions
from sprmon.collector.targeted import targeted_candidates
from sprmon.core.intent import Site
from sprmon.core.prefixes import Prefix
from sprmon.inventory import SnmpTarget

__all__ = ["SiteLimits", "first_hints"]


@dataclass(frozen=True, slots=True)
class SiteLimits:
    """The deadline and byte budget of one site's poll."""

    options: CollectOptions
    expected_requests: int = 12
    deadline_cap_s: float = 120.0

    def deadline_s(self, target: SnmpTarget, prefixes: Sequence[Prefix] = ()) -> float:
        """How long one site's poll may take before it is cut off."""
        requests = self.expected_requests
        if prefixes and (target.targeted_bgp or self.options.auto_targeted):
            candidates = len(targeted_candidates(prefixes))
            requests += math.ceil(candidates / max(1, self.options.probe_batch)) + candidates
        tries = target.retries + 1
        return min(self.deadline_cap_s, target.timeout_s * tries * requests)

    def budget_octets(self, site: Site, prefixes: Sequence[Prefix] = ()) -> int:
        """The octets the site's agent may send in one poll (:mod:`~sprmon.collector.budget`)."""
        options = self.options
        return site_budget_octets(
            site,
            prefixes,
            walk_rows=min(options.max_rows, options.targeted_above_rows),
            minimum=options.min_site_budget,
        )


def first_hints(site: Site) -> dict[str, int]:
    """What the intent says of a site's tables before its first poll: its BGP
    neighbours are the peers to expect (the walk still reads any others)."""
    neighbors = {address for link in site.links for address in link.neighbors}
    return {PEERS: len(neighbors)} if neighbors else {}
