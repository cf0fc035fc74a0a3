"""What changed between two evaluations: the events the daemon logs and publishes.

A *subject* is a path, keyed by (site, application, prefix), or a link,
keyed by (site, link). A path's state is its :class:`PathState`; a link's
state is one of four words, from its finding:

======== =====================================================================
state    when
======== =====================================================================
down     its interface is down or its BGP session is not established (the
         link is not usable: applications fail over)
unknown  its session (or, where one is configured, its interface) was not
         observed: the site could not be read, or its data is stale
degraded usable, but above a utilisation or error-rate threshold
up       usable and below every threshold
======== =====================================================================

A subject in the new evaluation only has ``old_state`` None (it appeared: the
daemon's first evaluation, or a site or prefix added to the intent); one in
the old evaluation only has ``new_state`` None (it left the intent).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from sprmon.core.findings import LinkFinding, PathFinding, Report, Severity
from sprmon.core.monitor import StateChange, Subject

__all__ = ["LinkState", "link_explanation", "link_state", "state_changes"]

#: Explanation of a change whose subject left the evaluation.
LEFT = "no longer in the intent"


class LinkState(StrEnum):
    UP = "up"
    DOWN = "down"
    DEGRADED = "degraded"
    UNKNOWN = "unknown"


def link_state(finding: LinkFinding) -> LinkState:
    """The one-word state of a link (see the module docstring)."""
    if finding.oper_up is False or finding.bgp_established is False:
        return LinkState.DOWN
    if finding.severity is Severity.UNKNOWN or finding.bgp_established is None:
        return LinkState.UNKNOWN
    if finding.severity is Severity.OK:
        return LinkState.UP
    return LinkState.DEGRADED


def link_explanation(finding: LinkFinding) -> str:
    """Why a link is in its state, in a few words for a log line or an event."""
    parts: list[str] = []
    if finding.oper_up is False:
        parts.append("interface down")
    if finding.bgp_established is False:
        parts.append("BGP session not established")
    shares = [
        f"{name} {ratio * 100:.0f}%"
        for name, ratio in (("in", finding.utilization_in), ("out", finding.utilization_out))
        if ratio is not None
    ]
    if shares:
        parts.append("utilisation " + ", ".join(shares))
    if finding.error_rate is not None and finding.error_rate > 0:
        parts.append(f"{finding.error_rate:.3g} errors/s")
    if finding.discard_rate is not None and finding.discard_rate > 0:
        parts.append(f"{finding.discard_rate:.3g} discards/s")
    parts.extend(finding.notes)
    if not parts and link_state(finding) is LinkState.UP:
        parts.append("interface up, BGP session established")
    return "; ".join(dict.fromkeys(parts))


_PathKey = tuple[str, str, str]
_LinkKey = tuple[str, str]


def state_changes(old: Report | None, new: Report | None, at: float) -> list[StateChange]:
    """Every subject whose state differs between ``old`` and ``new`` (either may be None).

    Paths come before links; within each, subjects of ``new`` in its order,
    then the subjects that left, in ``old``'s order.
    """
    old_paths = _paths(old.paths if old is not None else ())
    new_paths = _paths(new.paths if new is not None else ())
    old_links = _links(old.links if old is not None else ())
    new_links = _links(new.links if new is not None else ())
    changes: list[StateChange] = []
    for key, finding in new_paths.items():
        before = old_paths.get(key)
        if before is None or before.state is not finding.state:
            changes.append(
                _path_change(at, finding, None if before is None else before.state.value)
            )
    for key, finding in old_paths.items():
        if key not in new_paths:
            changes.append(
                StateChange(
                    at=at,
                    site=finding.site,
                    subject=Subject.PATH,
                    old_state=finding.state.value,
                    new_state=None,
                    explanation=LEFT,
                    app=finding.app,
                    prefix=finding.prefix,
                )
            )
    for link_key, link in new_links.items():
        state = link_state(link)
        previous = old_links.get(link_key)
        before_state = None if previous is None else link_state(previous)
        if before_state is not state:
            changes.append(
                StateChange(
                    at=at,
                    site=link.site,
                    subject=Subject.LINK,
                    old_state=None if before_state is None else before_state.value,
                    new_state=state.value,
                    explanation=link_explanation(link),
                    link=link.link,
                )
            )
    for link_key, link in old_links.items():
        if link_key not in new_links:
            changes.append(
                StateChange(
                    at=at,
                    site=link.site,
                    subject=Subject.LINK,
                    old_state=link_state(link).value,
                    new_state=None,
                    explanation=LEFT,
                    link=link.link,
                )
            )
    return changes


def _path_change(at: float, finding: PathFinding, old_state: str | None) -> StateChange:
    return StateChange(
        at=at,
        site=finding.site,
        subject=Subject.PATH,
        old_state=old_state,
        new_state=finding.state.value,
        explanation=finding.explanation,
        app=finding.app,
        prefix=finding.prefix,
        expected_link=finding.expected_link,
        actual_links=finding.actual_links,
    )


def _paths(findings: Iterable[PathFinding]) -> dict[_PathKey, PathFinding]:
    return {(f.site, f.app, f.prefix): f for f in findings}


def _links(findings: Iterable[LinkFinding]) -> dict[_LinkKey, LinkFinding]:
    return {(f.site, f.link): f for f in findings}
