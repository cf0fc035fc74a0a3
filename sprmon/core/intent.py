"""The intended policy, fully expanded: what every site should do.

This is the core's view of an intent file after defaults, site groups and CSV
rows have been merged (see :mod:`sprmon.intentfile`). Nothing here reads files,
resolves secrets or touches the network: a :class:`SecretRef` only says where a
secret lives; the collector that needs it resolves it.

Addresses and prefixes are canonical strings (see :mod:`sprmon.core.prefixes`)
so that the evaluation can index them with plain dict look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sprmon.core.prefixes import Prefix
from sprmon.core.settings import MonitorSettings, MqttTarget


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where a secret is kept. Never the secret itself.

    Exactly one of ``env`` (an environment variable name) or ``file`` (a path,
    relative paths already resolved against the intent file's folder) is set.
    """

    env: str | None = None
    file: str | None = None

    def __post_init__(self) -> None:
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret reference names exactly one of env or file")

    def describe(self) -> str:
        """Where the secret comes from, safe to print."""
        return f"environment variable {self.env}" if self.env else f"file {self.file}"


class SnmpVersion(StrEnum):
    V2C = "2c"
    V3 = "3"


class AuthProtocol(StrEnum):
    SHA = "sha"
    SHA224 = "sha224"
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"


class PrivProtocol(StrEnum):
    AES128 = "aes128"
    AES192 = "aes192"
    AES256 = "aes256"


@dataclass(frozen=True, slots=True)
class SnmpTarget:
    """How to reach a site router over SNMP.

    v2c uses ``community``; v3 uses ``user`` and, depending on the security
    level, ``auth_*`` and ``priv_*``. Protocols are always explicit: pysnmp
    silently picks MD5/DES when a key is given without one.
    """

    host: str
    port: int = 161
    version: SnmpVersion = SnmpVersion.V2C
    community: SecretRef | None = None
    user: str | None = None
    auth_protocol: AuthProtocol | None = None
    auth_key: SecretRef | None = None
    priv_protocol: PrivProtocol | None = None
    priv_key: SecretRef | None = None
    timeout_s: float = 2.0
    retries: int = 1
    max_repetitions: int = 25
    #: Always fetch only the BGP rows for intent prefixes; False lets the collector
    #: choose targeted reading or a walk by which reads fewer rows.
    targeted_bgp: bool = False


class DataPart(StrEnum):
    """What a collector reads from a site router, for a site with both targets to split."""

    #: The BGP table (paths) and the BGP neighbours' sessions.
    BGP = "bgp"
    #: Interfaces: oper status, speed, counters.
    INTERFACES = "interfaces"


ALL_PARTS = (DataPart.BGP, DataPart.INTERFACES)


@dataclass(frozen=True, slots=True)
class GnmiTarget:
    """How to reach a site router over gNMI (OpenConfig).

    ``tls`` False is plaintext (labs only: the password travels in clear).
    ``use`` is what is read over gNMI; a site with an SNMP target as well reads
    the other parts over SNMP (the intent file's ``gnmi.use``).
    """

    host: str
    port: int = 57400
    username: str | None = None
    password: SecretRef | None = None
    tls: bool = True
    ca_file: str | None = None
    timeout_s: float = 5.0
    use: tuple[DataPart, ...] = ALL_PARTS


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
    snmp: SnmpTarget | None = None
    gnmi: GnmiTarget | None = None
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
    #: Where ``sprmon run`` publishes events; None: no MQTT.
    mqtt: MqttTarget | None = None

    def site(self, name: str) -> Site | None:
        for site in self.sites:
            if site.name == name:
                return site
        return None
