"""Which protocol reads which part of a site, and one observation from the two.

A site whose inventory entry (:class:`~sprmon.inventory.RouterAccess`) has only
an ``snmp`` target is read over SNMP, one with only a ``gnmi`` target over
gNMI. A site with both reads over gNMI what its ``gnmi.use`` says (everything
by default) and the rest over SNMP, e.g. the BGP table over gNMI (the only way
to see IPv6 paths) and the interface counters over SNMP.
:func:`merge` makes the one :class:`~sprmon.core.observed.SiteObservation` the
evaluation sees: the paths and peers from the protocol that reads BGP, the
interfaces and uptime from the one that reads interfaces, and the time of the
latter (counter rates are timed by when the counters were read). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from sprmon.core.observed import SiteObservation
from sprmon.inventory import ALL_PARTS, DataPart, RouterAccess

__all__ = ["SitePlan", "merge", "site_plan"]


@dataclass(frozen=True, slots=True)
class SitePlan:
    """The parts a site reads over each protocol."""

    gnmi: tuple[DataPart, ...] = ()
    snmp: tuple[DataPart, ...] = ()

    @property
    def merged(self) -> bool:
        """Both protocols take part: their observations are merged."""
        return bool(self.gnmi) and bool(self.snmp)

    def reader(self, part: DataPart) -> str | None:
        if part in self.gnmi:
            return "gnmi"
        return "snmp" if part in self.snmp else None


def site_plan(access: RouterAccess, *, gnmi: bool = True, snmp: bool = True) -> SitePlan:
    """What a site reached through ``access`` reads over each protocol, when those
    collectors are available.

    ``gnmi``/``snmp`` False: that collector is not available, so the other
    protocol reads everything it can (a site with both targets falls back to SNMP).
    """
    over_gnmi = access.gnmi.use if access.gnmi is not None and gnmi else ()
    over_snmp: tuple[DataPart, ...] = ()
    if access.snmp is not None and snmp:
        over_snmp = tuple(part for part in ALL_PARTS if part not in over_gnmi)
    return SitePlan(gnmi=tuple(over_gnmi), snmp=over_snmp)


def merge(
    site: str,
    plan: SitePlan,
    gnmi: SiteObservation | None,
    snmp: SiteObservation | None,
    *,
    at: float,
    missing: dict[str, str] | None = None,
) -> SiteObservation:
    """One observation from the gNMI and the SNMP observations of a site read over both.

    ``gnmi``/``snmp``: the newest usable observation of each (None: none). A part
    whose protocol gave nothing usable is left out (``None``) and ``error`` says
    why, from ``missing`` (protocol -> reason) when the caller knows. ``at`` is
    the time of a merged observation that has neither part's time.
    """
    sources = {"gnmi": gnmi, "snmp": snmp}
    reasons = missing or {}
    errors: list[str] = []
    bgp_reader = plan.reader(DataPart.BGP)
    if_reader = plan.reader(DataPart.INTERFACES)
    bgp = sources.get(bgp_reader) if bgp_reader else None
    ifs = sources.get(if_reader) if if_reader else None
    for part, reader, source, fields in (
        (DataPart.BGP, bgp_reader, bgp, ("paths", "peers")),
        (DataPart.INTERFACES, if_reader, ifs, ("interfaces",)),
    ):
        if reader is None:
            continue
        if source is None:
            reason = reasons.get(reader, "not read yet")
            errors.append(f"{part.value} over {_name(reader)}: {reason}")
        elif source.error is not None and any(getattr(source, f) is None for f in fields):
            errors.append(source.error)
    timed = ifs or bgp
    return SiteObservation(
        site=site,
        collected_at=timed.collected_at if timed is not None else at,
        uptime_ticks=ifs.uptime_ticks if ifs is not None else None,
        paths=bgp.paths if bgp is not None else None,
        peers=bgp.peers if bgp is not None else None,
        interfaces=ifs.interfaces if ifs is not None else None,
        error="; ".join(dict.fromkeys(errors)) or None,
    )


def _name(protocol: str) -> str:
    return "gNMI" if protocol == "gnmi" else "SNMP"
