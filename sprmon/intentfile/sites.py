"""The sites, from the ``sites`` list and the ``sites_csv`` file, to core sites and their access.

Each site is checked on what was written (its name, group and references),
then validated, then read through its layers (:mod:`~sprmon.intentfile.layers`)
and built: its links go to the :class:`~sprmon.core.intent.Site`, its targets
(:mod:`~sprmon.intentfile.targets`) to the inventory's
:class:`~sprmon.inventory.RouterAccess`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sprmon.core.intent import Site, SiteLink
from sprmon.core.prefixes import Address
from sprmon.intentfile.context import CompileContext, SiteSeen, mapping, pick
from sprmon.intentfile.csvsource import SitesCsvUnreadable, read_sites_csv
from sprmon.intentfile.layers import Layers
from sprmon.intentfile.problems import Scope, quote
from sprmon.intentfile.schema import SiteBodySpec, SiteLinkSpec, SiteSpec, validate
from sprmon.intentfile.targets import Targets
from sprmon.intentfile.values import describe
from sprmon.inventory import RouterAccess


@dataclass(slots=True)
class Sites:
    ctx: CompileContext
    layers: Layers
    targets: Targets
    names: dict[str, SiteSeen] = field(default_factory=dict)
    sites: list[Site] = field(default_factory=list)
    access: dict[str, RouterAccess] = field(default_factory=dict)
    #: Every site written, built or not.
    count: int = 0
    csv_broken: bool = False

    def read_yaml(self, raw: object) -> None:
        if raw is None:
            return
        if not isinstance(raw, list):
            self.ctx.problem(
                self.ctx.root, ("sites",), f"expected a list of sites, got {describe(raw)}"
            )
            return
        for index, item in enumerate(raw):
            name = mapping(item).get("name")
            label = f"sites[{name}]" if isinstance(name, str) and name else f"sites[{index}]"
            scope = self.ctx.root.child(("sites", index), label)
            if not isinstance(item, dict):
                self.count += 1
                self.ctx.problem(scope, (), f"expected a site (a mapping), got {describe(item)}")
                continue
            self._site(scope, item)

    def read_csv(self, raw: object) -> None:
        if raw is None:
            return
        ctx = self.ctx
        self.csv_broken = True
        if not isinstance(raw, str) or not raw.strip():
            ctx.problem(ctx.root, ("sites_csv",), f"expected a file name, got {describe(raw)}")
            return
        path = ctx.base_dir / raw
        display = str(Path(ctx.file).parent / raw)
        try:
            rows = read_sites_csv(path, display, ctx.link_names, ctx.problems, sources=ctx.sources)
        except SitesCsvUnreadable as exc:
            ctx.problem(ctx.root, ("sites_csv",), f"cannot read sites from {display}: {exc}")
            return
        if rows is None:
            return
        self.csv_broken = False
        for row in rows:
            name = row.data.get("name")
            label = f"sites[{name}]" if isinstance(name, str) else f"sites[line {row.line}]"
            scope = Scope(file=display, lines={}, label=label, fallback_line=row.line)
            self._site(scope, row.data)

    def _site(self, scope: Scope, raw: Mapping[str, object]) -> None:
        ctx = self.ctx
        self.count += 1
        before = len(ctx.problems)
        name = raw.get("name")
        if isinstance(name, str) and name:
            if name != name.strip() or not name.isprintable():
                ctx.problem(
                    scope,
                    ("name",),
                    "a site name cannot start or end with spaces or hold control characters",
                )
            first = self.names.get(name)
            if first is not None:
                ctx.problem(
                    scope, ("name",), f"site name '{name}' is already used ({first.where()})"
                )
            else:
                self.names[name] = SiteSeen(scope.file, scope.line(), name)
        self.layers.check_references(scope, raw)
        group = raw.get("group")
        groups = self.layers.groups
        if isinstance(group, str) and group not in groups:
            defined = ", ".join(sorted(groups)) or "none"
            message = f"unknown group {quote(group)} (defined groups: {defined})"
            ctx.problem(scope, ("group",), message)
        spec = validate(SiteSpec, raw, scope, ctx.problems)
        if spec is None or len(ctx.problems) != before:
            return
        base = self.layers.base(spec.group)
        if base is None:
            return
        site = self._build(scope, spec, base)
        if site is not None:
            self.sites.append(site)

    def _build(self, scope: Scope, spec: SiteSpec, base: SiteBodySpec) -> Site | None:
        """The core site: each value from the site if it sets it, else from ``base``.

        Reading through the two layers gives the documented merge (mappings
        merge key by key, a list comes whole from one layer) without copying
        models, which matters at 10,000 sites.
        """
        ctx, targets = self.ctx, self.targets
        name = spec.name
        where = (
            f"the site, its group '{spec.group}' or site_defaults"
            if spec.group is not None
            else "the site or site_defaults"
        )
        before = len(ctx.problems)
        address = pick(spec, base, lambda s: s.address)
        snmp = targets.snmp(
            scope, name=name, high=spec.snmp, low=base.snmp, address=address, where=where
        )
        gnmi = targets.gnmi(
            scope, name=name, high=spec.gnmi, low=base.gnmi, address=address, where=where
        )
        if spec.snmp is None and base.snmp is None and spec.gnmi is None and base.gnmi is None:
            ctx.problem(
                scope, (), f"site '{name}' has no snmp or gnmi target: set snmp or gnmi in {where}"
            )
        if gnmi is not None and snmp is None and spec.snmp is None and base.snmp is None:
            targets.check_gnmi_use(scope, name, gnmi)
        links = self._links(scope, name, spec.links or {}, base.links or {}, where)
        if len(ctx.problems) != before or links is None:
            return None
        targets.claim(scope, SiteSeen(scope.file, scope.line(), name), snmp, gnmi)
        self.access[name] = RouterAccess(snmp=snmp, gnmi=gnmi)
        return Site(
            name=name,
            links=links,
            group=spec.group,
            labels={**(base.labels or {}), **(spec.labels or {})},
        )

    def _links(
        self,
        scope: Scope,
        name: str,
        high: Mapping[str, SiteLinkSpec],
        low: Mapping[str, SiteLinkSpec],
        where: str,
    ) -> tuple[SiteLink, ...] | None:
        roles = self.ctx.roles
        if roles is None:
            return None
        links: list[SiteLink] = []
        # (kind, address) -> role: a path is attributed to a link by its peer or next hop.
        claimed: dict[tuple[str, Address], str] = {}
        for role in roles:
            mine, shared = high.get(role), low.get(role)
            capacity = pick(mine, shared, lambda s: s.capacity)
            if capacity is None:
                self.ctx.problem(
                    scope,
                    ("links", role, "capacity"),
                    f"not set for site '{name}' (set it in {where})",
                )
                continue
            neighbors = pick(mine, shared, lambda s: s.neighbors) or ()
            next_hops = pick(mine, shared, lambda s: s.next_hops) or ()
            if not neighbors and not next_hops:
                self.ctx.problem(
                    scope,
                    ("links", role, "neighbors"),
                    f"not set for site '{name}': give the BGP neighbors (or next_hops) of link "
                    f"'{role}' in {where}, so that sprmon can tell which paths use it",
                )
            for kind, addresses in (("neighbors", neighbors), ("next_hops", next_hops)):
                self._claim(scope, role, kind, addresses, claimed)
            interface = pick(mine, shared, lambda s: s.interface)
            links.append(
                SiteLink(
                    role=role,
                    capacity_bps=capacity,
                    neighbors=neighbors,
                    next_hops=next_hops,
                    interface_name=interface if isinstance(interface, str) else None,
                    interface_index=interface if isinstance(interface, int) else None,
                )
            )
        return tuple(links)

    def _claim(
        self,
        scope: Scope,
        role: str,
        kind: str,
        addresses: Sequence[Address],
        claimed: dict[tuple[str, Address], str],
    ) -> None:
        for address in addresses:
            owner = claimed.setdefault((kind, address), role)
            if owner == role and addresses.count(address) == 1:
                continue
            message = (
                f"{address} is listed twice"
                if owner == role
                else f"{address} is also one of the {kind} of link '{owner}': "
                "sprmon could not tell which link a path uses"
            )
            self.ctx.problem(scope, ("links", role, kind), message)
            return
