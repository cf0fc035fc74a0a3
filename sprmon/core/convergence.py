"""BGP needs a moment to move a path back: a convergence grace for the daemon.

When a preferred link (or its BGP session) comes back, the routers take a
while (advertisement intervals, best-path runs, timers) before the
application's prefix leaves over it again. For that while, the evaluation of
one instant sees a path on the fallback although the preferred link is
usable: a drift. With history, the daemon knows *when* the link became
usable again, and within ``convergence_grace_s`` of that moment such a path
is ``failover`` (with an explanation that BGP is converging, since when, and
until when); only a path still on the fallback after the grace is ``drift``.

``sprmon check`` has no history and keeps judging one instant.

Two pure steps, both run by the daemon after each evaluation of a site:

1. :func:`track_usability` follows each (site, link) from its link finding
   and remembers when it last became usable;
2. :func:`apply_convergence_grace` rewrites the qualifying drifts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from sprmon.core.findings import LinkFinding, PathFinding, PathState, Report, Severity
from sprmon.core.timetext import utc_text

__all__ = ["LinkUsability", "apply_convergence_grace", "link_usable", "track_usability"]


@dataclass(frozen=True, slots=True)
class LinkUsability:
    """What the daemon knows of one link's usability over time."""

    usable: bool
    #: When the link last became usable; None when it is not usable, or when it
    #: was usable from the first observation on and the router did not say since when.
    since: float | None
    #: The evaluation that last observed the link (POSIX seconds).
    seen_at: float


def link_usable(finding: LinkFinding) -> bool | None:
    """Usable as the evaluation means it (session up, interface not down); None: unknown."""
    if finding.oper_up is False or finding.bgp_established is False:
        return False
    if finding.bgp_established is None:
        return None
    return True


def track_usability(
    previous: LinkUsability | None, finding: LinkFinding, at: float
) -> LinkUsability | None:
    """The link's usability after the evaluation at ``at`` produced ``finding``.

    An unknown link (site unreadable, data stale) changes nothing: the daemon
    learnt nothing new about it. A link that becomes usable between two
    observations did so at the session's establishment time when the router
    says it came up after the previous observation, else at ``at`` (the
    interface came back under a session that stayed up); a session that went
    down and up again between two observations shows as a newer
    establishment time and restarts the clock too.
    """
    usable = link_usable(finding)
    if usable is None:
        return previous
    if not usable:
        return LinkUsability(usable=False, since=None, seen_at=at)
    established = finding.established_since
    if previous is None:
        return LinkUsability(usable=True, since=established, seen_at=at)
    if established is not None and established > previous.seen_at:
        since: float | None = established
    elif previous.usable:
        since = previous.since
    else:
        since = at
    return LinkUsability(usable=True, since=since, seen_at=at)


def apply_convergence_grace(
    report: Report,
    app_links: Mapping[str, tuple[str, ...]],
    usability: Mapping[tuple[str, str], LinkUsability],
    grace_s: float,
) -> Report:
    """``report`` with every drift that BGP may still be converging away turned into failover.

    A drift qualifies when its path uses only allowed links ranked after the
    expected (usable) link of its application (``app_links``: application ->
    links in preference order) and that link of that site became usable less
    than ``grace_s`` before ``report.evaluated_at``. Nothing else changes; the
    report itself is returned when no finding qualifies.
    """
    now = report.evaluated_at
    changed: list[PathFinding] | None = None
    for index, finding in enumerate(report.paths):
        if finding.state is not PathState.DRIFT:
            continue
        rewritten = _converging(finding, app_links, usability, grace_s, now)
        if rewritten is None:
            continue
        if changed is None:
            changed = list(report.paths)
        changed[index] = rewritten
    if changed is None:
        return report
    return replace(report, paths=tuple(changed))


def _converging(
    finding: PathFinding,
    app_links: Mapping[str, tuple[str, ...]],
    usability: Mapping[tuple[str, str], LinkUsability],
    grace_s: float,
    now: float,
) -> PathFinding | None:
    expected = finding.expected_link
    links = app_links.get(finding.app)
    if expected is None or links is None or expected not in links or not finding.actual_links:
        return None
    rank = links.index(expected)
    if not all(link in links and links.index(link) > rank for link in finding.actual_links):
        return None
    known = usability.get((finding.site, expected))
    if known is None or not known.usable or known.since is None:
        return None
    age = max(0.0, now - known.since)
    if age >= grace_s:
        return None
    fallback = " and ".join(finding.actual_links)
    text = (
        f"failover to {fallback} while BGP converges: {expected} usable again since "
        f"{utc_text(known.since)} ({age:.0f} s ago), within the convergence grace of "
        f"{grace_s:g} s; drift if still so at {utc_text(known.since + grace_s)}; "
        f"{finding.explanation}"
    )
    return finding._replace(state=PathState.FAILOVER, severity=Severity.WARNING, explanation=text)
