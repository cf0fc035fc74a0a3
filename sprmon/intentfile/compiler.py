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

This module reads the sections in order and owns the top-level ones (version,
links, applications, thresholds); the rest is in its own module, all sharing
one :class:`~sprmon.intentfile.context.CompileContext`:
:mod:`~sprmon.intentfile.targets` (credentials, each site's SNMP and gNMI
targets), :mod:`~sprmon.intentfile.layers` (``site_defaults``, groups and the
merge), :mod:`~sprmon.intentfile.sites` (the sites list and CSV) and
:mod:`~sprmon.intentfile.daemon_sections` (``monitor``, ``mqtt``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sprmon.core.intent import (
    Application,
    Intent,
    LinkRole,
    Marking,
    Thresholds,
)
from sprmon.core.prefixes import Prefix
from sprmon.intentfile.context import CompileContext, given, mapping
from sprmon.intentfile.daemon_sections import compile_monitor, compile_mqtt
from sprmon.intentfile.layers import Layers
from sprmon.intentfile.loaded import LoadedIntent, Provenance
from sprmon.intentfile.problems import FieldPath, Problems, Scope
from sprmon.intentfile.schema import (
    TOP_LEVEL_KEYS,
    ApplicationSpec,
    LinkSpec,
    ThresholdsSpec,
    unknown_key_message,
    validate,
)
from sprmon.intentfile.sites import Sites
from sprmon.intentfile.targets import Targets, read_credentials
from sprmon.intentfile.values import describe, kind_of, parse_prefix
from sprmon.intentfile.yamlsource import YamlDocument
from sprmon.inventory import Inventory

SUPPORTED_VERSION = 1
DEFAULT_APPLICATION = "default"

# Link and application names end up in CSV column paths and metric labels.
_ROLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_THRESHOLD_DEFAULTS = Thresholds()


def compile_intent(
    document: YamlDocument, *, file: str, base_dir: Path, problems: Problems
) -> LoadedIntent | None:
    """Check ``document`` and build the intent and inventory; ``None`` when it is unusable.

    Problems are added to ``problems``; a result is only returned when none
    were found. ``base_dir`` is the intent file's folder (absolute): secret
    files, CA files and ``sites_csv`` are relative to it.
    """
    return _Compiler(CompileContext(document, file, base_dir, problems)).compile()


@dataclass(slots=True)
class _Compiler:
    ctx: CompileContext
    root: Scope = field(init=False)
    problems: Problems = field(init=False)
    layers: Layers = field(init=False)
    sites: Sites = field(init=False)

    def __post_init__(self) -> None:
        self.root, self.problems = self.ctx.root, self.ctx.problems
        self.layers = Layers(self.ctx)
        self.sites = Sites(self.ctx, self.layers, Targets(self.ctx))

    def problem(self, scope: Scope, rel: FieldPath, message: str) -> None:
        self.problems.add(scope, rel, message)

    def compile(self) -> LoadedIntent | None:
        data = self.ctx.document.data
        if data is None:
            self.problem(self.root, (), "the file is empty: an intent file starts with version: 1")
            return None
        if not isinstance(data, dict):
            self.problem(
                self.root,
                (),
                "expected a mapping of sections (version, links, applications, sites, ...), "
                f"got {kind_of(data)}",
            )
            return None
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                self.problem(self.root, (key,), unknown_key_message(key, list(TOP_LEVEL_KEYS)))
        if not self._version(data):
            return None
        links = self._links(data.get("links"))
        read_credentials(self.ctx, data.get("credentials"))
        applications = self._applications(data)
        thresholds = self._thresholds(data.get("thresholds"))
        self.layers.read_site_defaults(data.get("site_defaults"))
        self.layers.read_groups(data.get("groups"))
        self.sites.read_yaml(data.get("sites"))
        self.sites.read_csv(data.get("sites_csv"))
        if self.sites.count == 0 and not self.sites.csv_broken:
            self.problem(self.root, (), "no sites: add a sites list or a sites_csv file")
        monitor = compile_monitor(data.get("monitor"), self.root, self.problems, thresholds)
        mqtt, mqtt_valid = compile_mqtt(
            data.get("mqtt"),
            self.root,
            self.problems,
            secret=self.ctx.secret,
            path=self.ctx.path,
        )
        if mqtt is not None and mqtt.password is not None and mqtt.password.file is not None:
            problem = self.ctx.secret_file_problem(mqtt.password.file)
            if problem is not None:
                self.problem(self.root, ("mqtt", "password", "file"), problem)
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
            sites=tuple(self.sites.sites),
            thresholds=thresholds,
            source=self.ctx.file,
            monitor=monitor,
        )
        provenance = Provenance(tuple(self.ctx.sources), tuple(self.ctx.secret_files))
        return LoadedIntent(intent, Inventory(self.sites.access), mqtt, provenance)

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

    def _links(self, raw: object) -> tuple[LinkRole, ...] | None:
        if raw is None:
            self.problem(
                self.root,
                ("links",),
                "no links defined: name the uplinks every site has, "
                "e.g. links: {mpls: {}, inet: {}}",
            )
            return None
        section = self.ctx.section(raw, "links")
        if section is None:
            return None
        if not section:
            self.problem(self.root, ("links",), "no links defined: name at least one link")
        self.ctx.link_names = tuple(section)
        roles: list[LinkRole] = []
        for name, value in section.items():
            named = self.ctx.name(("links", name), name, _ROLE_NAME)
            scope = self.root.child(("links", name))
            spec = validate(LinkSpec, {} if value is None else value, scope, self.problems)
            if spec is not None and named:
                roles.append(LinkRole(name=name, description=spec.description))
        if not roles or len(roles) != len(section):
            return None
        self.ctx.roles = tuple(role.name for role in roles)
        return tuple(roles)

    def _applications(self, data: Mapping[str, object]) -> tuple[Application, ...] | None:
        apps: list[Application] = []
        # Prefix -> (application, scope, index): where it was first given.
        owners: dict[Prefix, tuple[str, Scope, int]] = {}
        raw = data.get("applications")
        section = self.ctx.section(raw, "applications") if raw is not None else {}
        broken = section is None
        for name, value in (section or {}).items():
            named = self.ctx.name(("applications", name), name, _ROLE_NAME)
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
        self._check_application(name, mapping(raw), scope, owners)
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
            unknown = self.ctx.unknown_link(role)
            if unknown is not None:
                self.problem(scope, ("links", index), unknown)
            elif role in seen:
                self.problem(scope, ("links", index), f"link '{role}' is listed twice")
            seen.add(role)
        for role in mapping(raw.get("marking")):
            unknown = self.ctx.unknown_link(role)
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
            utilization_warning=given(spec.utilization_warning, d.utilization_warning),
            utilization_critical=given(spec.utilization_critical, d.utilization_critical),
            error_rate_warning=given(spec.error_rate_warning, d.error_rate_warning),
            error_rate_critical=given(spec.error_rate_critical, d.error_rate_critical),
            stale_after_s=given(spec.stale_after, d.stale_after_s),
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


def _items(value: object) -> list[object]:
    """The items of a list as written; a single value is a one-item list."""
    if isinstance(value, list):
        return value
    return [] if value is None or isinstance(value, dict) else [value]


def _percent(ratio: float) -> str:
    return f"{ratio * 100:g}%"


def _per_second(rate: float) -> str:
    return f"{rate:g}/s"
