"""What the evaluation concludes: one finding per (site, prefix) and per (site, link)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from sprmon.core.prefixes import Prefix


class PathState(StrEnum):
    COMPLIANT = "compliant"
    FAILOVER = "failover"
    DRIFT = "drift"
    NO_ROUTE = "no_route"
    UNKNOWN = "unknown"


class Severity(IntEnum):
    """Monitoring-plugin severities; the value is the exit code.

    Ordered by how much an operator must care, not by value: see :func:`worst`.
    """

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


#: Critical beats unknown beats warning beats ok: a site we could not read
#: might be critical, so it outranks a known warning; a known outage outranks both.
_RANK = {Severity.OK: 0, Severity.WARNING: 1, Severity.UNKNOWN: 2, Severity.CRITICAL: 3}


def worst(severities: Iterable[Severity]) -> Severity:
    result = Severity.OK
    for severity in severities:
        if _RANK[severity] > _RANK[result]:
            result = severity
    return result


def rank(severity: Severity) -> int:
    """Position in the order ok < warning < unknown < critical."""
    return _RANK[severity]


@dataclass(frozen=True, slots=True)
class CandidatePath:
    """A path the site had for the prefix, as shown in explanations."""

    link: str | None  # None: the path matches no link of the site
    peer: str
    next_hop: str | None
    med: int | None
    local_pref: int | None
    as_path: tuple[int, ...]
    best: bool


@dataclass(frozen=True, slots=True)
class PathFinding:
    site: str
    app: str
    prefix: Prefix
    state: PathState
    severity: Severity
    #: First usable link of the application's list; None if none is usable or unknown.
    expected_link: str | None
    #: Links of the best path(s); several under ECMP. "?" for a path over no known link.
    actual_links: tuple[str, ...]
    #: A usable path over another allowed link exists; None when unknown.
    redundant: bool | None
    #: Attributes match the intent's marking; None when no marking is stated or checkable.
    marking_ok: bool | None
    explanation: str
    #: The route that decided (may be a shorter covering prefix); None if no route.
    matched_prefix: Prefix | None = None
    candidates: tuple[CandidatePath, ...] = ()


@dataclass(frozen=True, slots=True)
class LinkFinding:
    site: str
    link: str
    severity: Severity
    #: None when the interface was not observed.
    oper_up: bool | None
    #: None when the BGP peers were not observed.
    bgp_established: bool | None
    #: POSIX time the session came up, if established and known.
    established_since: float | None
    capacity_bps: int
    in_bps: float | None
    out_bps: float | None
    utilization_in: float | None
    utilization_out: float | None
    #: Errors per second, in + out; None when unknown.
    error_rate: float | None
    discard_rate: float | None
    #: Why rates are unknown or what was corrected (e.g. "32-bit counter wrapped").
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    """The evaluation of one intent against one snapshot."""

    evaluated_at: float
    paths: tuple[PathFinding, ...]
    links: tuple[LinkFinding, ...]

    def severity(self) -> Severity:
        return worst([f.severity for f in self.paths] + [f.severity for f in self.links])

    def state_counts(self) -> dict[str, int]:
        """Count of path findings per state, every state present (zero if none)."""
        counts = Counter(f.state.value for f in self.paths)
        return {state.value: counts.get(state.value, 0) for state in PathState}
