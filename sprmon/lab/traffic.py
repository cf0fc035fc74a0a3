"""The lab's traffic: a fixed demand per site and prefix, carried over the best paths.

Each link carries the demand of the prefixes whose best path uses it, plus a
little background traffic, up to its capacity; the excess is discarded.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sprmon.core.observed import BgpPath
from sprmon.core.prefixes import Prefix, prefix_version
from sprmon.lab.counters import Rates
from sprmon.lab.plan import LINK_ROLES, SitePlan, application_of

#: Traffic every link carries while it is up, in each direction (keepalives,
#: management): an idle link that is up does not look like a link that is down.
BACKGROUND_BPS = 16_000
#: Average packet size used to turn excess traffic into discarded packets.
PACKET_OCTETS = 1000

#: (out, in) demand ranges in bit/s per (application, IP version); out is
#: site -> data centre. Chosen so that each link is well below capacity when
#: everything is fine and mpls saturates when it has to carry inet's traffic.
_DEMAND_RANGES: dict[tuple[str, int], tuple[tuple[int, int], tuple[int, int]]] = {
    ("legacy", 4): ((300_000, 1_500_000), (1_000_000, 3_000_000)),
    ("legacy", 6): ((100_000, 500_000), (200_000, 1_000_000)),
    ("default", 4): ((2_000_000, 8_000_000), (8_000_000, 25_000_000)),
    ("default", 6): ((1_000_000, 4_000_000), (3_000_000, 10_000_000)),
}


@dataclass(frozen=True, slots=True)
class Demand:
    """Traffic a site sends to (out) and receives from (in) one prefix, bit/s."""

    out_bps: int
    in_bps: int


def draw_demand(rng: random.Random, prefix: Prefix) -> Demand:
    """A site's demand for a data-centre prefix, drawn from its application's range."""
    app = application_of(prefix)
    (out_lo, out_hi), (in_lo, in_hi) = _DEMAND_RANGES[(app.name, prefix_version(prefix))]
    return Demand(
        out_bps=rng.randrange(out_lo, out_hi, 1000), in_bps=rng.randrange(in_lo, in_hi, 1000)
    )


@dataclass(frozen=True, slots=True)
class LinkRates:
    """What one link carries at each of its ends."""

    site: Rates
    core: Rates


def link_rates(
    site: SitePlan,
    paths: Iterable[BgpPath],
    demand: Mapping[Prefix, Demand],
    up: Mapping[str, bool],
) -> dict[str, LinkRates]:
    """Link role -> rates at both ends, from the site's best paths and demand.

    ``up``: link role -> whether the link is up (a link that is down carries nothing).
    """
    demand_out = dict.fromkeys(LINK_ROLES, 0.0)
    demand_in = dict.fromkeys(LINK_ROLES, 0.0)
    link_of_peer = {link.core_address: link.role for link in site.links}
    for path in paths:
        if path.best:
            role = link_of_peer[path.peer]
            wanted = demand[path.prefix]
            demand_out[role] += wanted.out_bps
            demand_in[role] += wanted.in_bps
    result: dict[str, LinkRates] = {}
    for link in site.links:
        if not up[link.role]:
            result[link.role] = LinkRates(Rates(), Rates())
            continue
        upstream = demand_out[link.role] + BACKGROUND_BPS
        downstream = demand_in[link.role] + BACKGROUND_BPS
        capacity = link.capacity_bps
        carried_up = float(min(upstream, capacity))
        carried_down = float(min(downstream, capacity))
        # Excess traffic is dropped at the sender's egress queue.
        up_drops = (upstream - carried_up) / (8 * PACKET_OCTETS)
        down_drops = (downstream - carried_down) / (8 * PACKET_OCTETS)
        result[link.role] = LinkRates(
            site=Rates(in_bps=carried_down, out_bps=carried_up, out_discards_ps=up_drops),
            core=Rates(in_bps=carried_up, out_bps=carried_down, out_discards_ps=down_drops),
        )
    return result
