"""The lab routers' BGP: the paths each one receives, and the decision process over them.

A site receives the data-centre prefixes from both cores over eBGP; a core
receives each site's LAN prefix from the site over eBGP and from the other
core over iBGP. The decision process marks one path per prefix ``best``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from sprmon.core.observed import BgpPath, Origin
from sprmon.core.path_evaluation import origin_rank
from sprmon.core.prefixes import Address, Prefix, prefix_version
from sprmon.lab.plan import CORE_AS, CORE_BY_ROLE, LINK_COMMUNITIES, CorePlan, SitePlan

#: Local preference every router applies to what it learns (the BGP default).
DEFAULT_LOCAL_PREF = 100


@dataclass(frozen=True, slots=True)
class Candidate:
    """A received path with what the decision process needs beyond the path."""

    path: BgpPath
    ebgp: bool
    #: BGP identifier of the router that sent the path.
    router_id: Address


def _keep_min(
    candidates: list[Candidate], key: Callable[[Candidate], tuple[int, ...]]
) -> list[Candidate]:
    best = min(key(c) for c in candidates)
    return [c for c in candidates if key(c) == best]


def _local_pref(path: BgpPath) -> int:
    return DEFAULT_LOCAL_PREF if path.local_pref is None else path.local_pref


def address_key(address: str) -> tuple[int, int]:
    """Sort key of an address: IPv4 before IPv6, then numerically."""
    ip = ipaddress.ip_address(address)
    return (ip.version, int(ip))


def prefix_key(prefix: str) -> tuple[int, int, int]:
    network = ipaddress.ip_network(prefix)
    return (network.version, int(network.network_address), network.prefixlen)


def select_best(candidates: Sequence[Candidate]) -> Candidate | None:
    """The BGP decision process (RFC 4271 9.1.2.2) over the paths to one prefix.

    Highest local preference, shortest AS path, lowest origin (ranked as the
    core's explanations rank it), lowest MED among paths from the same
    neighbouring AS (a missing MED counts as 0), eBGP over iBGP, lowest router
    ID, lowest peer address. IGP cost to the next hop is skipped: every next
    hop here is directly connected.
    """
    remaining = list(candidates)
    if not remaining:
        return None
    remaining = _keep_min(remaining, lambda c: (-_local_pref(c.path),))
    remaining = _keep_min(remaining, lambda c: (len(c.path.as_path),))
    remaining = _keep_min(remaining, lambda c: (origin_rank(c.path.origin),))

    # MED is only comparable between paths from the same neighbouring AS, so
    # this step removes paths instead of sorting them (it is not an order).
    def neighbour_as(c: Candidate) -> int | None:
        return c.path.as_path[0] if c.path.as_path else None

    remaining = [
        c
        for c in remaining
        if not any(
            neighbour_as(o) == neighbour_as(c) and (o.path.med or 0) < (c.path.med or 0)
            for o in remaining
        )
    ]
    if any(c.ebgp for c in remaining):
        remaining = [c for c in remaining if c.ebgp]
    remaining = _keep_min(remaining, lambda c: address_key(c.router_id))
    remaining = _keep_min(remaining, lambda c: address_key(c.path.peer))
    return remaining[0]


class DecisionStep(StrEnum):
    """A step of the decision process, in the order :func:`select_best` takes them."""

    LOCAL_PREF = "local-pref"
    AS_PATH = "as-path"
    ORIGIN = "origin"
    MED = "med"
    EXTERNAL = "external"
    ROUTER_ID = "router-id"
    PEER_ADDRESS = "peer-address"


def losing_step(loser: Candidate, winner: Candidate) -> DecisionStep:
    """The step of the decision process at which ``loser`` fell behind ``winner``.

    The first attribute, in :func:`select_best`'s order, in which the two
    differ (MED only between paths from the same neighbouring AS). Exact for
    two candidates, which is all a lab router has for a prefix.
    """
    a, b = loser.path, winner.path
    if _local_pref(a) != _local_pref(b):
        return DecisionStep.LOCAL_PREF
    if len(a.as_path) != len(b.as_path):
        return DecisionStep.AS_PATH
    if origin_rank(a.origin) != origin_rank(b.origin):
        return DecisionStep.ORIGIN
    same_as = a.as_path[:1] == b.as_path[:1]
    if same_as and (a.med or 0) != (b.med or 0):
        return DecisionStep.MED
    if loser.ebgp != winner.ebgp:
        return DecisionStep.EXTERNAL
    if loser.router_id != winner.router_id:
        return DecisionStep.ROUTER_ID
    return DecisionStep.PEER_ADDRESS


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of the decision process over a router's received paths."""

    #: All paths, sorted by prefix and peer, ``best`` set on each prefix's winner.
    paths: tuple[BgpPath, ...]
    #: (prefix, peer) of each path that lost -> the step it lost at.
    lost: dict[tuple[Prefix, Address], DecisionStep]


def decide(candidates: Iterable[Candidate]) -> Decision:
    """Run the decision process for every prefix of ``candidates``."""
    by_prefix: dict[Prefix, list[Candidate]] = {}
    for candidate in candidates:
        by_prefix.setdefault(candidate.path.prefix, []).append(candidate)
    result: list[BgpPath] = []
    lost: dict[tuple[Prefix, Address], DecisionStep] = {}
    for prefix in sorted(by_prefix, key=prefix_key):
        group = sorted(by_prefix[prefix], key=lambda c: address_key(c.path.peer))
        winner = select_best(group)
        for candidate in group:
            result.append(replace(candidate.path, best=candidate is winner))
            if winner is not None and candidate is not winner:
                lost[(prefix, candidate.path.peer)] = losing_step(candidate, winner)
    return Decision(tuple(result), lost)


def mark_best(candidates: Iterable[Candidate]) -> tuple[BgpPath, ...]:
    """All paths, sorted by prefix and peer, with ``best`` set on each prefix's winner."""
    return decide(candidates).paths


def site_paths(site: SitePlan, advertised: Mapping[str, Mapping[Prefix, int]]) -> Decision:
    """The site's paths to the data centre, best marked, and why the others lost.

    ``advertised``: link role -> what the core on it sends (prefix -> MED),
    for the links whose session is established.
    """
    candidates: list[Candidate] = []
    for link in site.links:
        if link.role not in advertised:
            continue
        for prefix, med in advertised[link.role].items():
            v6 = prefix_version(prefix) == 6
            candidates.append(
                Candidate(
                    BgpPath(
                        prefix=prefix,
                        peer=link.core_address,
                        next_hop=link.core_next_hop_v6 if v6 else link.core_address,
                        med=med,
                        local_pref=DEFAULT_LOCAL_PREF,
                        as_path=(CORE_AS,),
                        communities=(LINK_COMMUNITIES[link.role],),
                        origin=Origin.IGP,
                    ),
                    ebgp=True,
                    router_id=CORE_BY_ROLE[link.role].router_id,
                )
            )
    return decide(candidates)


def core_paths(
    core: CorePlan, other: CorePlan, site: SitePlan, *, from_site: bool, from_other: bool
) -> Decision:
    """``core``'s paths to ``site``'s LAN, best marked, and why the other lost.

    ``from_site``: the core's own eBGP session to the site is established;
    ``from_other``: the other core has the site's LAN over its own session and
    the iBGP session between the cores is established.
    """
    candidates: list[Candidate] = []
    if from_site:
        own = site.link(core.role)
        candidates.append(
            Candidate(
                BgpPath(
                    prefix=site.lan_prefix,
                    peer=own.site_address,
                    next_hop=own.site_address,
                    local_pref=DEFAULT_LOCAL_PREF,
                    as_path=(site.asn,),
                    origin=Origin.IGP,
                ),
                ebgp=True,
                router_id=site.router_id,
            )
        )
    if from_other:
        candidates.append(
            Candidate(
                BgpPath(
                    prefix=site.lan_prefix,
                    peer=other.router_id,
                    # iBGP keeps the eBGP next hop: the site's other address.
                    next_hop=site.link(other.role).site_address,
                    local_pref=DEFAULT_LOCAL_PREF,
                    as_path=(site.asn,),
                    origin=Origin.IGP,
                ),
                ebgp=False,
                router_id=other.router_id,
            )
        )
    return decide(candidates)
