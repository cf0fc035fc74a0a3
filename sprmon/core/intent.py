"""The intended policy, fully expanded: what every site should do.

This is the core's view of an intent file after defaults, site groups and CSV
rows have been merged (see :mod:`sprmon.intentfile`): policy only, what must be
true. How to reach each router (SNMP and gNMI targets, timeouts, secret
references) is the inventory (:mod:`sprmon.inventory`), which the collectors
own; the evaluation never needs it.

Addresses and prefixes are canonical strings (see :mod:`sprmon.core.prefixes`)
so that the evaluation can index them with plain dict look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sprmon.core.prefixes import Prefix
from sprmon.core.settings import MonitorSettings


@dataclass(frozen=True, slots=True)
class LinkRole:
    """A kind of uplink every site has (e.g. ``mpls``, ``inet``)."""

    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Marking:
    """BGP attributes expected on the paths received over one link.

    ``None`` means "not checked". ``communities`` must all be present.
    """

    med: int | None = None
    local_pref: int | None = None
    communities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Application:
    """Traffic identified by destination prefixes, and the links it may use.

    ``links`` is ordered: the first is preferred, the rest are allowed
    fallbacks in order. ``marking`` maps a link name to the attributes expected
    on paths over that link.
    """

    name: str
    prefixes: tuple[Prefix, ...]
    links: tuple[str, ...]
    marking: dict[str, Marking] = field(default_factory=dict)
    #: True for the catch-all application ("everything else").
    is_default: bool = False


@dataclass(frozen=True, slots=True)
class SiteLink:
    """How one link role is recognised in one site's data, and its size.

    A BGP path belongs to this link when the peer that sent it is one of
    ``neighbors`` or its next hop is one of ``next_hops``. Counters come from
    the interface named ``interface_name`` or with index ``interface_index``.
    """

    role: str
    capacity_bps: int
    neighbors: tuple[str, ...] = ()
    next_hops: tuple[str, ...] = ()
    interface_name: str | None = None
    interface_index: int | None = None


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    links: tuple[SiteLink, ...]
    group: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def link(self, role: str) -> SiteLink | None:
        for link in self.links:
            if link.role == role:
                return link
        return None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a link finding becomes a warning or critical."""

    utilization_warning: float = 0.80
    utilization_critical: float = 0.95
    #: Errors plus discards per second, either direction.
    error_rate_warning: float = 1.0
    error_rate_critical: float = 100.0
    #: An observation older than this (relative to "now") is stale: unknown.
    stale_after_s: float = 300.0


@dataclass(frozen=True, slots=True)
class Intent:
    """The whole WAN's intended policy."""

    links: tuple[LinkRole, ...]
    applications: tuple[Application, ...]
    sites: tuple[Site, ...]
    thresholds: Thresholds = Thresholds()
    #: Where it came from, for messages.
    source: str = "<memory>"
    #: How ``sprmon run`` schedules polls (``check`` ignores it).
    monitor: MonitorSettings = field(default_factory=MonitorSettings)

    def site(self, name: str) -> Site | None:
        for site in self.sites:
            if site.name == name:
                return site
        return None
