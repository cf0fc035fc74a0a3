"""What collectors observed at the sites: BGP paths, BGP peers, interfaces.

Frozen, slotted dataclasses filled by collectors (SNMP, gNMI) or decoded from
a saved snapshot (:mod:`sprmon.snapshot`). Times are POSIX seconds (float,
UTC) so the core never asks a clock. Addresses and prefixes are canonical
strings (:mod:`sprmon.core.prefixes`).

A field that was not collected is ``None``; an empty tuple means "collected,
and there were none". The evaluation relies on that distinction to say
``unknown`` instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sprmon.core.prefixes import Address, Prefix

#: Version of the snapshot JSON schema (docs/snapshot-format.md).
SNAPSHOT_SCHEMA_VERSION = 1


class Origin(StrEnum):
    IGP = "igp"
    EGP = "egp"
    INCOMPLETE = "incomplete"


class PeerState(StrEnum):
    """BGP finite-state-machine states (RFC 4271, BGP4-MIB bgpPeerState)."""

    IDLE = "idle"
    CONNECT = "connect"
    ACTIVE = "active"
    OPENSENT = "opensent"
    OPENCONFIRM = "openconfirm"
    ESTABLISHED = "established"


class OperStatus(StrEnum):
    """IF-MIB ifOperStatus."""

    UP = "up"
    DOWN = "down"
    TESTING = "testing"
    UNKNOWN = "unknown"
    DORMANT = "dormant"
    NOT_PRESENT = "notPresent"
    LOWER_LAYER_DOWN = "lowerLayerDown"


@dataclass(frozen=True, slots=True)
class BgpPath:
    """One path to a prefix, as received from one BGP peer."""

    prefix: Prefix
    #: The BGP neighbour that sent this path.
    peer: Address
    next_hop: Address | None = None
    med: int | None = None
    local_pref: int | None = None
    as_path: tuple[int, ...] = ()
    communities: tuple[str, ...] = ()
    origin: Origin | None = None
    #: Selected as best (installed) by the router.
    best: bool = False
    #: Installed as an additional equal-cost path (ECMP).
    multipath: bool = False


@dataclass(frozen=True, slots=True)
class BgpPeer:
    address: Address
    state: PeerState
    remote_as: int | None = None
    #: Seconds the session has been established (BGP4-MIB bgpPeerFsmEstablishedTime),
    #: as of the observation's ``collected_at``.
    established_for_s: float | None = None
    #: Times the session has entered ``established`` since the router started
    #: (BGP4-MIB bgpPeerFsmEstablishedTransitions, a Counter32; gNMI established-transitions).
    established_transitions: int | None = None


@dataclass(frozen=True, slots=True)
class Interface:
    index: int
    name: str
    oper_status: OperStatus
    #: Interface speed in bits per second (ifHighSpeed * 1e6, or ifSpeed).
    speed_bps: int | None = None
    in_octets: int | None = None
    out_octets: int | None = None
    #: 64 for ifXTable HC counters, 32 for ifTable counters.
    counter_bits: int = 64
    in_errors: int | None = None
    out_errors: int | None = None
    in_discards: int | None = None
    out_discards: int | None = None
    #: ifCounterDiscontinuityTime in hundredths of a second of sysUpTime, if known.
    discontinuity_ticks: int | None = None
    #: When the agent last refreshed these counters (POSIX seconds, the collector's
    #: clock), if the collector timed it; None: they are as of the observation's
    #: ``collected_at``, up to one agent refresh period old (docs/snmp-collector.md).
    counters_at: float | None = None
    #: The same moment by the agent's clock: sysUpTime, hundredths of a second.
    counters_uptime_ticks: int | None = None


@dataclass(frozen=True, slots=True)
class SiteObservation:
    """One poll of one site router."""

    site: str
    collected_at: float
    #: sysUpTime in hundredths of a second; goes backwards after a reboot.
    uptime_ticks: int | None = None
    #: All BGP paths collected (any prefix, best or not); None if not collected.
    paths: tuple[BgpPath, ...] | None = None
    peers: tuple[BgpPeer, ...] | None = None
    interfaces: tuple[Interface, ...] | None = None
    #: Why the poll failed or is partial (e.g. "timeout after 2.0 s"); None if fine.
    error: str | None = None
    #: Seconds the collector watched the link interfaces' counters for the agent's
    #: refresh (an interface whose refresh it saw has ``counters_at``); None: not watched.
    counter_watch_s: float | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Observations of many sites.

    A site may appear several times (successive polls): the newest observation
    decides paths and status, the two newest with interface counters give rates.
    """

    observations: tuple[SiteObservation, ...]
    #: When the snapshot was taken (newest observation if not given).
    taken_at: float | None = None
    #: Free-form provenance, e.g. the collector and its version.
    source: str = ""
    version: int = SNAPSHOT_SCHEMA_VERSION

    def effective_time(self) -> float:
        if self.taken_at is not None:
            return self.taken_at
        return max((o.collected_at for o in self.observations), default=0.0)
