"""How often ``sprmon run`` checks the policy, and how long BGP may take to converge.

These come from the optional ``monitor:`` section of the intent file
(docs/intent-file.md), checked there with ranges; the defaults live here.
They are policy, not connection settings: the convergence grace decides
``failover`` against ``drift`` (:mod:`sprmon.core.convergence`), and the
intervals say how fresh a verdict must be. Where the broker is, like how to
reach each router, is the inventory (:mod:`sprmon.inventory`).
``sprmon check`` reads none of it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MonitorSettings:
    """The daemon's schedule and its convergence grace.

    Every poll reads the interfaces and BGP peers (small tables) every
    ``counter_interval_s``; the BGP table (large on some routers) is read
    again when ``bgp_interval_s`` has passed since it was last read, within
    the same poll. Hence ``counter_interval_s <= bgp_interval_s``.
    """

    bgp_interval_s: float = 60.0
    counter_interval_s: float = 60.0
    #: How long after a preferred link (or its BGP session) became usable again
    #: a path still on a fallback is ``failover`` (BGP converging), not ``drift``.
    #: Near the BGP hold time (90 s, RFC 4271's suggestion) by default.
    convergence_grace_s: float = 90.0
    #: Each interval varies by up to this fraction either way, so that sites
    #: started together drift apart and never poll in lock-step.
    jitter: float = 0.1
    #: Polls in flight at once, over every site.
    max_in_flight: int = 64
