"""From a parsed intent file to the core :class:`~sprmon.core.intent.Intent` and the inventory.

Each site's targets (how to reach its router) go to the
:class:`~sprmon.inventory.Inventory`; the rest of the site (its links, group
and labels) is policy and goes to the intent.

Three kinds of checks, so that every problem is reported once, at the line
where it was written:

1. Shape: each part (a link, an application, a credential, ``site_defaults``,
   a group, a site or CSV row) is validated on its own by the schema.
2. References and uniqueness (link roles, credentials, groups, site names,
   prefixes) are checked on what was written, whether or not the rest of that
   part is valid: a typo in one prefix must not hide an unknown link next to it.
3. Completeness: each site is merged (``site_defaults`` < group < site) and
   checked for what it must have (capacities, a target, credentials), then
   built. When a layer it depends on is broken we cannot know what that layer
   would have contributed, so the site skips this step rather than burying the
   real problem under thousands of follow-on ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from sprmon.core.intent import (
    Application,
    Intent,
    LinkRole,
    Marking,
    Site,
    SiteLink,
    Thresholds,
)
from sprmon.core.prefixes import Address, Prefix
from sprmon.intentfile.csvsource import read_sites_csv
from sprmon.intentfile.daemon_sections import compile_monitor, compile_mqtt
from sprmon.intentfile.loaded import LoadedIntent
from sprmon.intentfile.problems import FieldPath, Problems, Scope
from sprmon.intentfile.schema import (
    TOP_LEVEL_KEYS,
    ApplicationSpec,
    CredentialSpec,
    GnmiSpec,
    LinkSpec,
    SecretSpec,
    SiteBodySpec,
    SiteLinkSpec,
    SiteSpec,
    SnmpSpec,
    ThresholdsSpec,
    unknown_key_message,
    validate,
)
from sprmon.intentfile.values import describe, parse_prefix
from sprmon.intentfile.yamlsource import YamlDocument
from sprmon.inventory import (
    ALL_PARTS,
    GnmiTarget,
    Inventory,
    RouterAccess,
    SecretRef,
    SnmpTarget,
)

SUPPORTED_VERSION = 1
DEFAULT_APPLICATION = "default"

# Link and application names end up in CSV column paths and metric labels.
_ROLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_REF_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# Labels become Prometheus labels.
_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TARGET_KINDS = ("snmp", "gnmi")
# The inventory owns the defaults; we only fill in what the file sets.
_SNMP_DEFAULTS = SnmpTarget(host="")
_GNMI_DEFAULTS = GnmiTarget(host="")
_THRESHOLD_DEFAULTS = Thresholds()

_M = TypeVar("_M", bound=BaseModel)
_S = TypeVar("_S", bound=BaseModel)
_T = TypeVar("_T")
_TargetSpec = TypeVar("_TargetSpec", SnmpSpec, GnmiSpec)


def compile_intent(
    document: YamlDocument, *, file: str, base_dir: Path, problems: Problems
) -> LoadedIntent | None:
    """Check ``document`` and build the intent and inventory; ``None`` when it is unusable.

    Problems are added to ``problems``; a result is only returned when none
    were found. ``base_dir`` is the intent file's folder (absolute): secret
    files, CA files and ``sites_csv`` are relative to it.
    """
    return _Compiler(document, file, base_dir, problems).compile()


@dataclass(frozen=True, slots=True)
class _SiteSeen:
    file: str
    line: int | None
    name: str

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(slots=True)
class _Compiler:
    document: YamlDocument
    file: str
    base_dir: Path
    problems: Problems
    root: Scope = field(init=False)
    #: ``None`` when the links section is unusable: role names are then not checked.
    link_names: tuple[str, ...] | None = None
    #: The link roles every site must have; ``None`` when any link definition is broken.
    roles: tuple[str, ...] | None = None
    #: Name -> spec; ``None`` for an entry that exists but is broken.
    credentials: dict[str, CredentialSpec | None] = field(default_factory=dict)
    #: Name -> the target kinds ("snmp", "gnmi") it was written for, valid or not.
    credential_kinds: dict[str, frozenset[str]] = field(default_factory=dict)
    groups: dict[str, SiteBodySpec | None] = field(default_factory=dict)
    defaults: SiteBodySpec | None = None
    #: Group -> site_defaults merged with it (``None`` if either is broken).
    bases: dict[str | None, SiteBodySpec | None] = field(default_factory=dict)
    site_names: dict[str, _SiteSeen] = field(default_factory=dict)
    snmp_targets: dict[tuple[str, int], _SiteSeen] = field(default_factory=dict)
    gnmi_targets: dict[tuple[str, int], _SiteSeen] = field(default_factory=dict)
    snmp_templates: dict[str, SnmpTarget | None] = field(default_factory=dict)
    sites: list[Site] = field(default_factory=list)
    access: dict[str, RouterAccess] = field(default_factory=dict)
    site_count: int = 0
    csv_broken: bool = False

    def __post_init__(self) -> None:
        self.root = Scope(file=self.file, lines=self.document.lines, fallback_line=1)

    def problem(self, scope: Scope, rel: FieldPath, message: str) -> None:
        self.problems.add(scope, rel, message)

    # --- top level ---------------------------------------------------------------------------

    def compile(self) -> LoadedIntent | None:
        data = self.document.data
        if data is None:
            self.problem(self.root, (), "the file is empty: an intent file starts with version: 1")
            return None
        if not isinstance(data, dict):
            self.problem(
                self.root,
                (),
                "expected a mapping of sections (version, links, applications, sites, ...), "
                f"got {describe(data)}",
            )
            return None
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                self.problem(self.root, (key,), unknown_key_message(key, list(TOP_LEVEL_KEYS)))
        if not self._version(data):
            return None
        links = self._links(data.get("links"))
        self._credentials(data.get("credentials"))
        applications = self._applications(data)
        thresholds = self._thresholds(data.get("thresholds"))
        self._site_defaults(data.get("site_defaults"))
        self._groups(data.get("groups"))
        self._yaml_sites(data.get("sites"))
        self._csv_sites(data.get("sites_csv"))
        if self.site_count == 0 and not self.csv_broken:
            self.problem(self.root, (), "no sites: add a sites list or a sites_csv file")
        monitor = compile_monitor(data.get("monitor"), self.root, self.problems, thresholds)
        mqtt, mqtt_valid = compile_mqtt(
            data.get("mqtt"), self.root, self.problems, secret=self._secret, path=self._path
        )
        if (
            self.problems
            or links is None
            or applications is None
            or thresholds is None
            or monitor is None
            or not mqtt_valid
        ):
            return None
        intent = Intent(
            links=links,
            applications=applications,
            sites=tuple(self.sites),
            thresholds=thresholds,
            source=self.file,
            monitor=monitor,
        )
        return LoadedIntent(intent, Inventory(self.access), mqtt)

    def _version(self, data: Mapping[str, object]) -> bool:
        """False when the file is for another version: its keys would mean other things."""
        if "version" not in data:
            self.problem(
                self.root, ("version",), "required key 'version' is missing (add 'version: 1')"
            )
            return True
        version = data["version"]
        if version in (SUPPORTED_VERSION, str(SUPPORTED_VERSION)) and not isinstance(version, bool):
            return True
        shown = version if isinstance(version, int | float) else describe(version)
        self.problem(
            self.root,
            ("version",),
            f"unsupported version {shown} (this sprmon reads version {SUPPORTED_VERSION})",
        )
        return False

    def _section(self, value: object, key: str) -> dict[str, object] | None:
        """A mapping section; ``None`` (and a problem) if it is something else."""
        if isinstance(value, dict):
            return value
        self.problem(self.root, (key,), f"expected a mapping (name: ...), got {describe(value)}")
        return None

    def _name(self, rel: FieldPath, name: str, pattern: re.Pattern[str]) -> bool:
        if pattern.fullmatch(name):
            return True
        allowed = "letters, digits, '-' and '_'" + (" and '.'" if "." in pattern.pattern else "")
        self.problem(
            self.root,
            rel,
            f"name '{name}' must start with a letter or digit and use only {allowed}",
        )
        return False

    # --- links, credentials, applications, thresholds ----------------------------------------

    def _links(self, raw: object) -> tuple[LinkRole, ...] | None:
        if raw is None:
            self.problem(
                self.root,
                ("links",),
                "no links defined: name the uplinks every site has, "
                "e.g. links: {mpls: {}, inet: {}}",
            )
            return None
        section = self._section(raw, "links")
        if section is None:
            return None
        if not section:
            self.problem(self.root, ("links",), "no links defined: name at least one link")
        self.link_names = tuple(section)
        roles: list[LinkRole] = []
        for name, value in section.items():
            named = self._name(("links", name), name, _ROLE_NAME)
            scope = self.root.child(("links", name))
            spec = validate(LinkSpec, {} if value is None else value, scope, self.problems)
            if spec is not None and named:
                roles.append(LinkRole(name=name, description=spec.description))
        if not roles or len(roles) != len(section):
            return None
        self.roles = tuple(role.name for role in roles)
        return tuple(roles)

    def _unknown_link(self, role: str) -> str | None:
        """The problem with using link ``role``, if it is not defined."""
        if self.link_names is None or role in self.link_names:
            return None
        return f"unknown link '{role}' (defined links: {', '.join(sorted(self.link_names))})"

    def _credentials(self, raw: object) -> None:
        if raw is None:
            return
        for name, value in (self._section(raw, "credentials") or {}).items():
            self._name(("credentials", name), name, _REF_NAME)
            scope = self.root.child(("credentials", name))
            self.credentials[name] = validate(CredentialSpec, value, scope, self.problems)
            self.credential_kinds[name] = frozenset(
                kind for kind in _TARGET_KINDS if kind in _mapping(value)
            )

    def _applications(self, data: Mapping[str, object]) -> tuple[Application, ...] | None:
        apps: list[Application] = []
        # Prefix -> (application, scope, index): where it was first given.
        owners: dict[Prefix, tuple[str, Scope, int]] = {}
        raw = data.get("applications")
        section = self._section(raw, "applications") if raw is not None else {}
        broken = section is None
        for name, value in (section or {}).items():
            named = self._name(("applications", name), name, _ROLE_NAME)
            if name == DEFAULT_APPLICATION:
                self.problem(
                    self.root,
                    ("applications", name),
                    "the name 'default' is reserved for default_application",
                )
                named = False
            scope = self.root.child(("applications", name))
            app = self._application(name, value, scope, owners, is_default=False)
            broken |= app is None or not named
            if app is not None:
                apps.append(app)
        if "default_application" in data:
            scope = self.root.child(("default_application",))
            app = self._application(
                DEFAULT_APPLICATION, data["default_application"], scope, owners, is_default=True
            )
            broken |= app is None
            if app is not None:
                apps.append(app)
        elif not section and not broken:
            self.problem(
                self.root,
                () if raw is None else ("applications",),
                "no applications: add applications and/or default_application "
                "(which prefixes must use which links)",
            )
            broken = True
        return None if broken else tuple(apps)

    def _application(
        self,
        name: str,
        raw: object,
        scope: Scope,
        owners: dict[Prefix, tuple[str, Scope, int]],
        *,
        is_default: bool,
    ) -> Application | None:
        before = len(self.problems)
        self._check_application(name, _mapping(raw), scope, owners)
        spec = validate(ApplicationSpec, raw, scope, self.problems)
        if spec is None or len(self.problems) != before:
            return None
        return Application(
            name=name,
            prefixes=spec.prefixes,
            links=spec.links,
            marking={
                role: Marking(med=m.med, local_pref=m.local_pref, communities=m.communities)
                for role, m in spec.marking.items()
            },
            is_default=is_default,
        )

    def _check_application(
        self,
        name: str,
        raw: Mapping[str, object],
        scope: Scope,
        owners: dict[Prefix, tuple[str, Scope, int]],
    ) -> None:
        """Links, marking and prefix overlaps, on what was written."""
        prefixes = _items(raw.get("prefixes"))
        if "prefixes" in raw and not prefixes:
            self.problem(scope, ("prefixes",), "an application needs at least one prefix")
        for index, item in enumerate(prefixes):
            try:
                prefix = parse_prefix(item)
            except ValueError:
                continue  # the schema reports it
            owner = owners.setdefault(prefix, (name, scope, index))
            if owner[1] is scope and owner[2] == index:
                continue
            other, other_scope, other_index = owner
            line = other_scope.line(("prefixes", other_index))
            if other == name:
                message = f"prefix {prefix} is listed twice (also on line {line})"
            else:
                message = (
                    f"prefix {prefix} is also in application '{other}' (line {line}): a prefix "
                    "belongs to one application (a more specific one may belong to another)"
                )
            self.problem(scope, ("prefixes", index), message)
        links = _items(raw.get("links"))
        if "links" in raw and not links:
            self.problem(scope, ("links",), "an application needs at least one link")
        seen: set[str] = set()
        for index, role in enumerate(links):
            if not isinstance(role, str):
                continue  # the schema reports it
            unknown = self._unknown_link(role)
            if unknown is not None:
                self.problem(scope, ("links", index), unknown)
            elif role in seen:
                self.problem(scope, ("links", index), f"link '{role}' is listed twice")
            seen.add(role)
        for role in _mapping(raw.get("marking")):
            unknown = self._unknown_link(role)
            if unknown is not None:
                self.problem(scope, ("marking", role), unknown)
            elif seen and role not in seen:
                self.problem(
                    scope,
                    ("marking", role),
                    f"marking for link '{role}', which this application does not use "
                    f"(its links: {', '.join(str(r) for r in links)})",
                )

    def _thresholds(self, raw: object) -> Thresholds | None:
        scope = self.root.child(("thresholds",))
        if raw is None:
            return _THRESHOLD_DEFAULTS
        if not isinstance(raw, dict):
            self.problem(self.root, ("thresholds",), f"expected a mapping, got {describe(raw)}")
            return None
        # One key at a time, so that a bad stale_after does not hide a bad ordering.
        values: dict[str, object] = {}
        broken = False
        for key, value in raw.items():
            spec = validate(ThresholdsSpec, {key: value}, scope, self.problems)
            if spec is None:
                broken = True
            else:
                values[key] = getattr(spec, key)
        spec = ThresholdsSpec.model_validate(values)  # each value passed on its own
        d = _THRESHOLD_DEFAULTS
        thresholds = Thresholds(
            utilization_warning=_given(spec.utilization_warning, d.utilization_warning),
            utilization_critical=_given(spec.utilization_critical, d.utilization_critical),
            error_rate_warning=_given(spec.error_rate_warning, d.error_rate_warning),
            error_rate_critical=_given(spec.error_rate_critical, d.error_rate_critical),
            stale_after_s=_given(spec.stale_after, d.stale_after_s),
        )
        pairs = (
            ("utilization", spec.utilization_warning, spec.utilization_critical, _percent),
            ("error_rate", spec.error_rate_warning, spec.error_rate_critical, _per_second),
        )
        for kind, warning, critical, show in pairs:
            low = getattr(thresholds, f"{kind}_warning")
            high = getattr(thresholds, f"{kind}_critical")
            if low < high:
                continue
            broken = True
            low_text = show(low) + ("" if warning is not None else ", the default")
            high_text = show(high) + ("" if critical is not None else ", the default")
            at = f"{kind}_warning" if warning is not None else f"{kind}_critical"
            self.problem(
                scope,
                (at,),
                f"{kind}_warning ({low_text}) must be below {kind}_critical ({high_text})",
            )
        return None if broken else thresholds

    # --- site layers -------------------------------------------------------------------------

    def _site_defaults(self, raw: object) -> None:
        self.defaults = self._layer(("site_defaults",), raw)

    def _layer(self, rel: FieldPath, raw: object) -> SiteBodySpec | None:
        """``site_defaults`` or a group; ``None`` if anything in it is wrong."""
        scope = self.root.child(rel)
        data = {} if raw is None else raw
        before = len(self.problems)
        self._check_references(scope, _mapping(data))
        spec = validate(SiteBodySpec, data, scope, self.problems)
        return spec if len(self.problems) == before else None

    def _groups(self, raw: object) -> None:
        if raw is None:
            return
        for name, value in (self._section(raw, "groups") or {}).items():
            self._name(("groups", name), name, _REF_NAME)
            self.groups[name] = self._layer(("groups", name), value)

    def _check_references(self, scope: Scope, raw: Mapping[str, object]) -> None:
        """What one layer refers to: link roles, credentials; and its label names."""
        for role in _mapping(raw.get("links")):
            unknown = self._unknown_link(role)
            if unknown is not None:
                self.problem(scope, ("links", role), unknown)
        for kind in _TARGET_KINDS:
            name = _mapping(raw.get(kind)).get("credentials")
            if isinstance(name, str):
                self._check_credentials(scope, kind, name)
        for label in _mapping(raw.get("labels")):
            if not _LABEL_NAME.fullmatch(label):
                self.problem(
                    scope,
                    ("labels", label),
                    f"label name '{label}' must be letters, digits and '_', not starting "
                    "with a digit (it becomes a Prometheus label)",
                )

    def _check_credentials(self, scope: Scope, kind: str, name: str) -> None:
        rel = (kind, "credentials")
        kinds = self.credential_kinds.get(name)
        if kinds is None:
            defined = ", ".join(sorted(self.credential_kinds)) or "none"
            message = f"unknown credentials '{name}' (defined credentials: {defined})"
            self.problem(scope, rel, message)
        elif kinds and kind not in kinds:
            fitting = sorted(n for n, k in self.credential_kinds.items() if kind in k)
            self.problem(
                scope,
                rel,
                f"credentials '{name}' have no {kind} section "
                f"(credentials with {kind}: {', '.join(fitting) or 'none'})",
            )

    def _base(self, group: str | None) -> SiteBodySpec | None:
        """``site_defaults`` merged with ``group``; ``None`` if either is broken."""
        if group in self.bases:
            return self.bases[group]
        base = self.defaults
        if base is not None and group is not None:
            spec = self.groups.get(group)
            base = merge(base, spec) if spec is not None else None
        self.bases[group] = base
        return base

    # --- sites -------------------------------------------------------------------------------

    def _yaml_sites(self, raw: object) -> None:
        if raw is None:
            return
        if not isinstance(raw, list):
            self.problem(self.root, ("sites",), f"expected a list of sites, got {describe(raw)}")
            return
        for index, item in enumerate(raw):
            name = _mapping(item).get("name")
            label = f"sites[{name}]" if isinstance(name, str) and name else f"sites[{index}]"
            scope = self.root.child(("sites", index), label)
            if not isinstance(item, dict):
                self.site_count += 1
                self.problem(scope, (), f"expected a site (a mapping), got {describe(item)}")
                continue
            self._site(scope, item)

    def _csv_sites(self, raw: object) -> None:
        if raw is None:
            return
        self.csv_broken = True
        if not isinstance(raw, str) or not raw.strip():
            self.problem(self.root, ("sites_csv",), f"expected a file name, got {describe(raw)}")
            return
        path = self.base_dir / raw
        display = str(Path(self.file).parent / raw)
        if not path.is_file():
            reason = "it is a folder" if path.is_dir() else "file not found"
            self.problem(self.root, ("sites_csv",), f"cannot read sites from {display}: {reason}")
            return
        rows = read_sites_csv(path, display, self.link_names, self.problems)
        if rows is None:
            return
        self.csv_broken = False
        for row in rows:
            name = row.data.get("name")
            label = f"sites[{name}]" if isinstance(name, str) else f"sites[line {row.line}]"
            scope = Scope(file=display, lines={}, label=label, fallback_line=row.line)
            self._site(scope, row.data)

    def _site(self, scope: Scope, raw: Mapping[str, object]) -> None:
        self.site_count += 1
        before = len(self.problems)
        name = raw.get("name")
        if isinstance(name, str) and name:
            if name != name.strip() or not name.isprintable():
                self.problem(
                    scope,
                    ("name",),
                    "a site name cannot start or end with spaces or hold control characters",
                )
            first = self.site_names.get(name)
            if first is not None:
                self.problem(
                    scope, ("name",), f"site name '{name}' is already used ({first.where()})"
                )
            else:
                self.site_names[name] = _SiteSeen(scope.file, scope.line(), name)
        self._check_references(scope, raw)
        group = raw.get("group")
        if isinstance(group, str) and group not in self.groups:
            defined = ", ".join(sorted(self.groups)) or "none"
            self.problem(scope, ("group",), f"unknown group '{group}' (defined groups: {defined})")
        spec = validate(SiteSpec, raw, scope, self.problems)
        if spec is None or len(self.problems) != before:
            return
        base = self._base(spec.group)
        if base is None:
            return
        site = self._build_site(scope, spec, base)
        if site is not None:
            self.sites.append(site)

    def _build_site(self, scope: Scope, spec: SiteSpec, base: SiteBodySpec) -> Site | None:
        """The core site: each value from the site if it sets it, else from ``base``.

        Reading through the two layers gives the documented merge (mappings
        merge key by key, a list comes whole from one layer) without copying
        models, which matters at 10,000 sites.
        """
        name = spec.name
        where = (
            f"the site, its group '{spec.group}' or site_defaults"
            if spec.group is not None
            else "the site or site_defaults"
        )
        before = len(self.problems)
        address = _pick(spec, base, lambda s: s.address)
        snmp = self._snmp_target(
            scope, name=name, high=spec.snmp, low=base.snmp, address=address, where=where
        )
        gnmi = self._gnmi_target(
            scope, name=name, high=spec.gnmi, low=base.gnmi, address=address, where=where
        )
        if spec.snmp is None and base.snmp is None and spec.gnmi is None and base.gnmi is None:
            self.problem(
                scope, (), f"site '{name}' has no snmp or gnmi target: set snmp or gnmi in {where}"
            )
        if gnmi is not None and snmp is None and spec.snmp is None and base.snmp is None:
            self._check_gnmi_use(scope, name, gnmi)
        links = self._site_links(scope, name, spec.links or {}, base.links or {}, where)
        if len(self.problems) != before or links is None:
            return None
        seen = _SiteSeen(scope.file, scope.line(), name)
        for kind, target, targets in (
            ("SNMP", snmp, self.snmp_targets),
            ("gNMI", gnmi, self.gnmi_targets),
        ):
            if target is None:
                continue
            key = (target.host, target.port)
            other = targets.setdefault(key, seen)
            if other is not seen:
                self.problem(
                    scope,
                    (kind.lower(),),
                    f"{kind} target {_host_port(*key)} is already used by site '{other.name}' "
                    f"({other.where()})",
                )
        self.access[name] = RouterAccess(snmp=snmp, gnmi=gnmi)
        return Site(
            name=name,
            links=links,
            group=spec.group,
            labels={**(base.labels or {}), **(spec.labels or {})},
        )

    def _target_host(
        self,
        scope: Scope,
        kind: str,
        *,
        name: str,
        high: _TargetSpec | None,
        low: _TargetSpec | None,
        address: Address | None,
        where: str,
    ) -> Address | None:
        """The ``kind`` target's own host, else the site's address; a problem if neither is set."""
        host = _pick(high, low, lambda s: s.host) or address
        if host is None:
            self.problem(
                scope,
                (kind, "host"),
                f"not set for site '{name}' (set address or {kind}.host in {where})",
            )
        return host

    def _snmp_target(
        self,
        scope: Scope,
        *,
        name: str,
        high: SnmpSpec | None,
        low: SnmpSpec | None,
        address: Address | None,
        where: str,
    ) -> SnmpTarget | None:
        if high is None and low is None:
            return None
        host = self._target_host(
            scope, "snmp", name=name, high=high, low=low, address=address, where=where
        )
        credentials = _pick(high, low, lambda s: s.credentials)
        if credentials is None:
            self.problem(
                scope, ("snmp", "credentials"), f"not set for site '{name}' (set it in {where})"
            )
            return None
        template = self._snmp_credentials(credentials)
        if host is None or template is None:
            return None
        d = _SNMP_DEFAULTS
        return SnmpTarget(
            host=host,
            port=_given(_pick(high, low, lambda s: s.port), d.port),
            version=template.version,
            community=template.community,
            user=template.user,
            auth_protocol=template.auth_protocol,
            auth_key=template.auth_key,
            priv_protocol=template.priv_protocol,
            priv_key=template.priv_key,
            timeout_s=_given(_pick(high, low, lambda s: s.timeout), d.timeout_s),
            retries=_given(_pick(high, low, lambda s: s.retries), d.retries),
            max_repetitions=_given(
                _pick(high, low, lambda s: s.max_repetitions), d.max_repetitions
            ),
            targeted_bgp=_given(_pick(high, low, lambda s: s.targeted_bgp), d.targeted_bgp),
        )

    def _snmp_credentials(self, name: str) -> SnmpTarget | None:
        """The credential part of a target, built once per credential and shared."""
        if name in self.snmp_templates:
            return self.snmp_templates[name]
        credentials = self.credentials.get(name)
        snmp = credentials.snmp if credentials is not None else None
        template = None
        if snmp is not None:
            template = SnmpTarget(
                host="",
                version=snmp.version,
                community=self._secret(snmp.community),
                user=snmp.user,
                auth_protocol=snmp.auth.protocol if snmp.auth else None,
                auth_key=self._secret(snmp.auth.key) if snmp.auth else None,
                priv_protocol=snmp.priv.protocol if snmp.priv else None,
                priv_key=self._secret(snmp.priv.key) if snmp.priv else None,
            )
        self.snmp_templates[name] = template
        return template

    def _gnmi_target(
        self,
        scope: Scope,
        *,
        name: str,
        high: GnmiSpec | None,
        low: GnmiSpec | None,
        address: Address | None,
        where: str,
    ) -> GnmiTarget | None:
        if high is None and low is None:
            return None
        host = self._target_host(
            scope, "gnmi", name=name, high=high, low=low, address=address, where=where
        )
        if host is None:
            return None
        username: str | None = None
        password: SecretRef | None = None
        credentials_name = _pick(high, low, lambda s: s.credentials)
        if credentials_name is not None:
            credentials = self.credentials.get(credentials_name)
            gnmi = credentials.gnmi if credentials is not None else None
            if gnmi is None:
                return None
            username, password = gnmi.username, self._secret(gnmi.password)
        ca_file = _pick(high, low, lambda s: s.ca_file)
        d = _GNMI_DEFAULTS
        return GnmiTarget(
            host=host,
            port=_given(_pick(high, low, lambda s: s.port), d.port),
            username=username,
            password=password,
            tls=_given(_pick(high, low, lambda s: s.tls), d.tls),
            ca_file=self._path(ca_file) if ca_file is not None else None,
            timeout_s=_given(_pick(high, low, lambda s: s.timeout), d.timeout_s),
            use=_given(_pick(high, low, lambda s: s.use), d.use),
        )

    def _check_gnmi_use(self, scope: Scope, name: str, gnmi: GnmiTarget) -> None:
        """A site with only a gNMI target must read everything over gNMI."""
        missing = [part.value for part in ALL_PARTS if part not in gnmi.use]
        if missing:
            self.problem(
                scope,
                ("gnmi", "use"),
                f"site '{name}' has no snmp target to read {' and '.join(missing)} with: "
                f"add {', '.join(missing)} to gnmi.use, or give the site an snmp target",
            )

    def _site_links(
        self,
        scope: Scope,
        name: str,
        high: Mapping[str, SiteLinkSpec],
        low: Mapping[str, SiteLinkSpec],
        where: str,
    ) -> tuple[SiteLink, ...] | None:
        if self.roles is None:
            return None
        links: list[SiteLink] = []
        # (kind, address) -> role: a path is attributed to a link by its peer or next hop.
        claimed: dict[tuple[str, Address], str] = {}
        for role in self.roles:
            mine, shared = high.get(role), low.get(role)
            capacity = _pick(mine, shared, lambda s: s.capacity)
            if capacity is None:
                self.problem(
                    scope,
                    ("links", role, "capacity"),
                    f"not set for site '{name}' (set it in {where})",
                )
                continue
            neighbors = _pick(mine, shared, lambda s: s.neighbors) or ()
            next_hops = _pick(mine, shared, lambda s: s.next_hops) or ()
            if not neighbors and not next_hops:
                self.problem(
                    scope,
                    ("links", role, "neighbors"),
                    f"not set for site '{name}': give the BGP neighbors (or next_hops) of link "
                    f"'{role}' in {where}, so that sprmon can tell which paths use it",
                )
            for kind, addresses in (("neighbors", neighbors), ("next_hops", next_hops)):
                self._claim(scope, role, kind, addresses, claimed)
            interface = _pick(mine, shared, lambda s: s.interface)
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
            self.problem(scope, ("links", role, kind), message)
            return

    # --- values ------------------------------------------------------------------------------

    def _secret(self, spec: SecretSpec | None) -> SecretRef | None:
        if spec is None:
            return None
        if spec.env is not None:
            return SecretRef(env=spec.env)
        return SecretRef(file=self._path(spec.file or ""))

    def _path(self, text: str) -> str:
        """Relative paths in the file are relative to the file's folder."""
        return str(self.base_dir / text)


def merge(low: _M, high: BaseModel) -> _M:
    """``high`` over ``low``: mappings merge key by key, anything else (lists too) is replaced.

    Only ``low``'s fields are taken from ``high``, so a site (which also has a
    name and a group) can merge into a :class:`SiteBodySpec`. ``None`` means
    "not set here" and never overrides.
    """
    changes: dict[str, object] = {}
    fields = _field_names(type(low))
    for name in high.model_fields_set:
        value = getattr(high, name)
        if value is None or name not in fields:
            continue
        current = getattr(low, name)
        if isinstance(value, BaseModel) and isinstance(current, BaseModel):
            value = merge(current, value)
        elif isinstance(value, dict) and isinstance(current, dict):
            merged = dict(current)
            for key, item in value.items():
                merged[key] = _merge_value(merged.get(key), item)
            value = merged
        changes[name] = value
    return low.model_copy(update=changes) if changes else low


@cache
def _field_names(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(model.model_fields)


def _merge_value(low: object, high: object) -> object:
    if isinstance(low, BaseModel) and isinstance(high, BaseModel):
        return merge(low, high)
    return high


def _pick(high: _S | None, low: _S | None, read: Callable[[_S], _T | None]) -> _T | None:
    """``read`` from the higher layer if it sets the value, else from the lower one."""
    if high is not None:
        value = read(high)
        if value is not None:
            return value
    return read(low) if low is not None else None


def _mapping(value: object) -> Mapping[str, object]:
    """``value`` if it is a mapping, else an empty one (the schema reports the type)."""
    return value if isinstance(value, dict) else {}


def _items(value: object) -> list[object]:
    """The items of a list as written; a single value is a one-item list."""
    if isinstance(value, list):
        return value
    return [] if value is None or isinstance(value, dict) else [value]


def _given(value: _T | None, default: _T) -> _T:
    return default if value is None else value


def _percent(ratio: float) -> str:
    return f"{ratio * 100:g}%"


def _per_second(rate: float) -> str:
    return f"{rate:g}/s"


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
