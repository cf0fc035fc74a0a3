"""What the evaluation concludes: one finding per (site, prefix) and per (site, link)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import NamedTuple

from sprmon.core.prefixes import Prefix


class PathState(StrEnum):
    COMPLIANT = "compliant"
    FAILOVER = "failover"
    DRIFT = "drift"
    NO_ROUTE = "no_route"
    UNKNOWN = "unknown"


class Severity(Enum):
    """How much an operator must care about a finding, in monitoring-plugin terms.

    Members compare by that care, ok < warning < unknown < critical, so
    ``max()`` gives the worst: a site we could not read might be critical, so
    it outranks a known warning, and a known outage outranks both. The exit
    code is a separate number (:attr:`exit_code`), because the plugin
    convention numbers unknown (3) after critical (2).
    """

    OK = "ok"
    WARNING = "warning"
    UNKNOWN = "unknown"
    CRITICAL = "critical"

    @property
    def exit_code(self) -> int:
        """0 ok, 1 warning, 2 critical, 3 unknown (Nagios, Icinga, Sensu)."""
        return _EXIT_CODE[self.value]

    def __lt__(self, other: Severity) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return _RANK[self.value] < _RANK[other.value]

    def __le__(self, other: Severity) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return _RANK[self.value] <= _RANK[other.value]

    def __gt__(self, other: Severity) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return _RANK[self.value] > _RANK[other.value]

    def __ge__(self, other: Severity) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return _RANK[self.value] >= _RANK[other.value]


# Keyed by value, not by member: a string's hash is cached, an Enum's is a Python call.
_RANK = {"ok": 0, "warning": 1, "unknown": 2, "critical": 3}
_EXIT_CODE = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}


class CandidatePath(NamedTuple):
    """A path the site had for the prefix, as shown in explanations."""

    link: str | None  # None: the path matches no link of the site
    peer: str
    next_hop: str | None
    med: int | None
    local_pref: int | None
    as_path: tuple[int, ...]
    best: bool


class PathFinding(NamedTuple):
    """The verdict on one application prefix at one site.

    A named tuple rather than a frozen dataclass: an evaluation makes one per
    (site, prefix), half a million for a large fleet, and a named tuple is
    immutable and built in a fraction of the time a frozen dataclass's
    ``__init__`` takes. Read it by field name; its tuple-ness is not a contract.
    """

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
        """The worst severity of any finding; OK when there are none."""
        # The distinct severities first: max() straight over half a million
        # findings makes as many Python-level comparisons (about 6x slower).
        present = {f.severity for f in self.paths} | {f.severity for f in self.links}
        return max(present, default=Severity.OK)

    def state_counts(self) -> dict[str, int]:
        """Count of path findings per state, every state present (zero if none)."""
        counts = Counter(f.state.value for f in self.paths)
        return {state.value: counts.get(state.value, 0) for state in PathState}
