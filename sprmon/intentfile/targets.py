"""Credentials and each site's targets: how the inventory reaches its router.

:func:`read_credentials` records the ``credentials`` section in the
:class:`~sprmon.intentfile.context.CompileContext` (and checks the secret
files it names); :class:`Targets` builds a site's
:class:`~sprmon.inventory.SnmpTarget` and :class:`~sprmon.inventory.GnmiTarget`
from its two layers and the credentials they name, and reports a target two
sites share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from sprmon.core.prefixes import Address
from sprmon.intentfile.context import (
    REF_NAME,
    TARGET_KINDS,
    CompileContext,
    SiteSeen,
    given,
    mapping,
    pick,
)
from sprmon.intentfile.problems import FieldPath, Scope
from sprmon.intentfile.schema import CredentialSpec, GnmiSpec, SecretSpec, SnmpSpec, validate
from sprmon.inventory import ALL_PARTS, GnmiTarget, SecretRef, SnmpTarget

# The inventory owns the defaults; we only fill in what the file sets.
_SNMP_DEFAULTS = SnmpTarget(host="")
_GNMI_DEFAULTS = GnmiTarget(host="")

_TargetSpec = TypeVar("_TargetSpec", SnmpSpec, GnmiSpec)


def read_credentials(ctx: CompileContext, raw: object) -> None:
    """The ``credentials`` section, into ``ctx.credentials`` and ``ctx.credential_kinds``."""
    if raw is None:
        return
    for name, value in (ctx.section(raw, "credentials") or {}).items():
        ctx.name(("credentials", name), name, REF_NAME)
        scope = ctx.root.child(("credentials", name))
        spec = validate(CredentialSpec, value, scope, ctx.problems)
        ctx.credentials[name] = spec
        if spec is not None:
            for rel, secret in _secret_specs(spec):
                _check_secret_file(ctx, scope, rel, secret)
        ctx.credential_kinds[name] = frozenset(
            kind for kind in TARGET_KINDS if kind in mapping(value)
        )


def _check_secret_file(
    ctx: CompileContext, scope: Scope, rel: FieldPath, spec: SecretSpec | None
) -> None:
    """A secret file must be where the policy allows (CompileContext.secret_file_problem)."""
    if spec is not None and spec.file is not None:
        problem = ctx.secret_file_problem(ctx.path(spec.file))
        if problem is not None:
            ctx.problem(scope, (*rel, "file"), problem)


def _secret_specs(spec: CredentialSpec) -> list[tuple[FieldPath, SecretSpec | None]]:
    """Every secret a credential names, with where it is written."""
    found: list[tuple[FieldPath, SecretSpec | None]] = []
    if spec.snmp is not None:
        found.append((("snmp", "community"), spec.snmp.community))
        if spec.snmp.auth is not None:
            found.append((("snmp", "auth", "key"), spec.snmp.auth.key))
        if spec.snmp.priv is not None:
            found.append((("snmp", "priv", "key"), spec.snmp.priv.key))
    if spec.gnmi is not None:
        found.append((("gnmi", "password"), spec.gnmi.password))
    return found


@dataclass(slots=True)
class Targets:
    ctx: CompileContext
    #: (host, port) -> the site that uses it first.
    snmp_targets: dict[tuple[str, int], SiteSeen] = field(default_factory=dict)
    gnmi_targets: dict[tuple[str, int], SiteSeen] = field(default_factory=dict)
    snmp_templates: dict[str, SnmpTarget | None] = field(default_factory=dict)

    def claim(
        self, scope: Scope, seen: SiteSeen, snmp: SnmpTarget | None, gnmi: GnmiTarget | None
    ) -> None:
        """Each SNMP or gNMI target (host and port) belongs to one site."""
        for kind, target, targets in (
            ("SNMP", snmp, self.snmp_targets),
            ("gNMI", gnmi, self.gnmi_targets),
        ):
            if target is None:
                continue
            key = (target.host, target.port)
            other = targets.setdefault(key, seen)
            if other is not seen:
                self.ctx.problem(
                    scope,
                    (kind.lower(),),
                    f"{kind} target {_host_port(*key)} is already used by site '{other.name}' "
                    f"({other.where()})",
                )

    def _host(
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
        host = pick(high, low, lambda s: s.host) or address
        if host is None:
            self.ctx.problem(
                scope,
                (kind, "host"),
                f"not set for site '{name}' (set address or {kind}.host in {where})",
            )
        return host

    def snmp(
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
        host = self._host(
            scope, "snmp", name=name, high=high, low=low, address=address, where=where
        )
        credentials = pick(high, low, lambda s: s.credentials)
        if credentials is None:
            self.ctx.problem(
                scope, ("snmp", "credentials"), f"not set for site '{name}' (set it in {where})"
            )
            return None
        template = self._snmp_credentials(credentials)
        if host is None or template is None:
            return None
        d = _SNMP_DEFAULTS
        return SnmpTarget(
            host=host,
            port=given(pick(high, low, lambda s: s.port), d.port),
            version=template.version,
            community=template.community,
            user=template.user,
            auth_protocol=template.auth_protocol,
            auth_key=template.auth_key,
            priv_protocol=template.priv_protocol,
            priv_key=template.priv_key,
            timeout_s=given(pick(high, low, lambda s: s.timeout), d.timeout_s),
            retries=given(pick(high, low, lambda s: s.retries), d.retries),
            max_repetitions=given(pick(high, low, lambda s: s.max_repetitions), d.max_repetitions),
            targeted_bgp=given(pick(high, low, lambda s: s.targeted_bgp), d.targeted_bgp),
        )

    def _snmp_credentials(self, name: str) -> SnmpTarget | None:
        """The credential part of a target, built once per credential and shared."""
        if name in self.snmp_templates:
            return self.snmp_templates[name]
        credentials = self.ctx.credentials.get(name)
        snmp = credentials.snmp if credentials is not None else None
        template = None
        if snmp is not None:
            template = SnmpTarget(
                host="",
                version=snmp.version,
                community=self.ctx.secret(snmp.community),
                user=snmp.user,
                auth_protocol=snmp.auth.protocol if snmp.auth else None,
                auth_key=self.ctx.secret(snmp.auth.key) if snmp.auth else None,
                priv_protocol=snmp.priv.protocol if snmp.priv else None,
                priv_key=self.ctx.secret(snmp.priv.key) if snmp.priv else None,
            )
        self.snmp_templates[name] = template
        return template

    def gnmi(
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
        host = self._host(
            scope, "gnmi", name=name, high=high, low=low, address=address, where=where
        )
        if host is None:
            return None
        username: str | None = None
        password: SecretRef | None = None
        credentials_name = pick(high, low, lambda s: s.credentials)
        if credentials_name is not None:
            credentials = self.ctx.credentials.get(credentials_name)
            gnmi = credentials.gnmi if credentials is not None else None
            if gnmi is None:
                return None
            username, password = gnmi.username, self.ctx.secret(gnmi.password)
        ca_file = pick(high, low, lambda s: s.ca_file)
        d = _GNMI_DEFAULTS
        return GnmiTarget(
            host=host,
            port=given(pick(high, low, lambda s: s.port), d.port),
            username=username,
            password=password,
            tls=given(pick(high, low, lambda s: s.tls), d.tls),
            ca_file=self.ctx.path(ca_file) if ca_file is not None else None,
            timeout_s=given(pick(high, low, lambda s: s.timeout), d.timeout_s),
            use=given(pick(high, low, lambda s: s.use), d.use),
        )

    def check_gnmi_use(self, scope: Scope, name: str, gnmi: GnmiTarget) -> None:
        """A site with only a gNMI target must read everything over gNMI."""
        missing = [part.value for part in ALL_PARTS if part not in gnmi.use]
        if missing:
            self.ctx.problem(
                scope,
                ("gnmi", "use"),
                f"site '{name}' has no snmp target to read {' and '.join(missing)} with: "
                f"add {', '.join(missing)} to gnmi.use, or give the site an snmp target",
            )


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
