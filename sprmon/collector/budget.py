"""How much one site's agent may send in one poll: its byte budget, sized from the intent.

A hostile or broken agent can answer every GETBULK with 60,000-octet strings
and never end its table: bounded only by the row limit and the deadline, one
such agent drove sprmon to 5.1 GB. Each poll's session is therefore held to a
budget of octets received (:func:`~sprmon.collector.session.varbind_octets`:
OID arcs, value octets, 8 per number and per binding's framing); past it the
site's poll stops with :class:`~sprmon.collector.errors.SnmpBudgetExceeded`.

The budget is what the poll can legitimately need, with room to spare::

    budget = 256 KiB                                    probe, overshoot, retries
           + 2,000 interface rows x (11 columns x 64 + 256)   the whole ifTable
           + max(16, 4 x neighbours) peer rows x 4 columns x 64
           + (walk limit + IPv4 prefixes x (neighbours + 2)) x 6 columns x 64
           + covering prefixes probed x 64

- 64 octets per value: an OID of about 20 arcs, a number or a short string
  and the framing; 256 for an interface name (a DisplayString is at most 255).
- The whole ifTable is read when the links name no interface, and its name
  column to find theirs (:mod:`sprmon.collector.link_interfaces`), so its
  size is the router's, not the intent's: 2,000 rows covers site routers.
- The walk limit is the rows a BGP table walk may read before sprmon switches
  to targeted reads (``CollectOptions.targeted_above_rows``, 10,000); a
  targeted read then costs about one row per established peer per intent
  prefix, plus one GETNEXT binding per covering prefix it probes.

A site with 3 prefixes and 2 neighbours gets about 6 MiB; a 60 s plugin run
over 64 sites at once holds at most 64 budgets. ``CollectOptions.min_site_budget``
(``sprmon check --site-budget MIB``) raises every site's budget to at least that.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sprmon.collector.targeted import ipv4_prefixes, targeted_candidates
from sprmon.core.intent import Site
from sprmon.core.prefixes import Prefix

#: Octets per value of a walked column, and per interface name.
VALUE_OCTETS = 64
NAME_OCTETS = 256
#: Interface rows a site router may have.
INTERFACE_ROWS = 2_000
IF_COLUMNS = 11
PEER_COLUMNS = 4
PATH_COLUMNS = 6
#: The probe, overshoot past a column's end, retransmitted answers.
BASE_OCTETS = 256 * 1024


def site_budget_octets(
    site: Site, prefixes: Sequence[Prefix], *, walk_rows: int, minimum: int = 0
) -> int:
    """The octets ``site``'s agent may send in one poll (see the module docstring)."""
    neighbors = len({address for link in site.links for address in link.neighbors})
    ipv4, candidates = _prefix_counts(tuple(prefixes))
    interfaces = INTERFACE_ROWS * (IF_COLUMNS * VALUE_OCTETS + NAME_OCTETS)
    peers = max(16, 4 * neighbors) * PEER_COLUMNS * VALUE_OCTETS
    paths = (walk_rows + ipv4 * (neighbors + 2)) * PATH_COLUMNS * VALUE_OCTETS
    probes = candidates * VALUE_OCTETS
    return max(minimum, BASE_OCTETS + interfaces + peers + paths + probes)


@functools.lru_cache(maxsize=8)
def _prefix_counts(prefixes: tuple[Prefix, ...]) -> tuple[int, int]:
    """(IPv4 prefixes, covering prefixes a targeted read may probe): every site of
    a check shares the intent's prefixes, so this is computed once per check."""
    return len(ipv4_prefixes(prefixes)), len(targeted_candidates(prefixes))
