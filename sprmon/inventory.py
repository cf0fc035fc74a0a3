"""The inventory: how sprmon reaches each router (and the MQTT broker), apart from the policy.

The intent file is one file, but it holds two things: the policy (what must
be true: :class:`~sprmon.core.intent.Intent`, which the pure core judges) and
the inventory (how to reach each site's router: SNMP and gNMI targets, their
timeouts, retries and secret references). The collectors own the inventory;
the core never sees it. :func:`sprmon.intentfile.load_config` returns both.

Nothing here reads files, resolves secrets or touches the network: a
:class:`SecretRef` only says where a secret lives; the collector that needs it
resolves it (:mod:`sprmon.secrets`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "ALL_PARTS",
    "AuthProtocol",
    "DataPart",
    "GnmiTarget",
    "Inventory",
    "MqttTarget",
    "PrivProtocol",
    "RouterAccess",
    "SecretRef",
    "SnmpTarget",
    "SnmpVersion",
]


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
class MqttTarget:
    """The MQTT broker that receives state-change events and retained current states.

    As written in the intent: the password is a reference, resolved when the
    daemon starts (the exporter's own settings hold the resolved
    :class:`~sprmon.secrets.Secret`; docs/mqtt-events.md).
    """

    host: str
    port: int = 1883
    #: Topics start with it: ``<topic_prefix>/events/<site>/path/<app>/<prefix>``, ...
    topic_prefix: str = "sprmon"
    #: None: ``sprmon-<hostname>``, with ``-shard-<index>`` when the fleet is sharded.
    client_id: str | None = None
    username: str | None = None
    password: SecretRef | None = None
    tls: bool = False
    #: CA bundle to verify the broker with (TLS); None: the system's trust store.
    ca_file: str | None = None
    #: Accept any certificate (labs only).
    insecure_tls: bool = False
    keepalive_s: int = 60
    #: Events kept while the broker is away; beyond it the oldest are dropped (and counted).
    queue_limit: int = 10_000
    #: On shutdown, how long queued events may take to reach the broker.
    flush_timeout_s: float = 5.0


@dataclass(frozen=True, slots=True)
class RouterAccess:
    """How to reach one site's router: over SNMP, gNMI, or both (the intent file asks for one)."""

    snmp: SnmpTarget | None = None
    gnmi: GnmiTarget | None = None


_NO_ACCESS = RouterAccess()


class Inventory(Mapping[str, RouterAccess]):
    """Site name -> :class:`RouterAccess`, immutable. A site it lacks has no target at all."""

    __slots__ = ("_access",)

    def __init__(
        self, access: Mapping[str, RouterAccess] | Iterable[tuple[str, RouterAccess]] = ()
    ) -> None:
        self._access: Mapping[str, RouterAccess] = MappingProxyType(dict(access))

    def __getitem__(self, site: str) -> RouterAccess:
        return self._access[site]

    def __iter__(self) -> Iterator[str]:
        return iter(self._access)

    def __len__(self) -> int:
        return len(self._access)

    def __repr__(self) -> str:
        return f"Inventory({len(self._access)} site(s))"

    def __reduce__(self) -> tuple[type[Inventory], tuple[dict[str, RouterAccess]]]:
        # A mappingproxy cannot be pickled; the dict it guards can.
        return (Inventory, (dict(self._access),))

    def access(self, site: str) -> RouterAccess:
        """How to reach ``site``; no target at all when the inventory lacks it."""
        return self._access.get(site, _NO_ACCESS)

    def snmp(self, site: str) -> SnmpTarget | None:
        return self.access(site).snmp

    def gnmi(self, site: str) -> GnmiTarget | None:
        return self.access(site).gnmi

    def replace(self, site: str, access: RouterAccess) -> Inventory:
        """A copy with ``site`` reached through ``access`` (tests, benchmarks, the lab)."""
        return Inventory({**self._access, site: access})
