"""Evaluate an intent against a snapshot: one finding per (site, prefix) and per (site, link).

The evaluation never guesses: a site whose newest observation is missing,
stale or incomplete gets ``unknown`` findings that say which.

It is the hot path of the whole tool (tens of thousands of sites times tens of
prefixes), hence the shape of :func:`_site_paths`: per-intent data is computed
once per call, per-site indexes once per site, and route verdicts are memoised
per site because most of a site's routes carry the same attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from sprmon.core.findings import LinkFinding, PathFinding, PathState, Report, Severity
from sprmon.core.intent import Intent, Site
from sprmon.core.link_evaluation import LinkStatus, link_finding, link_status
from sprmon.core.observed import BgpPath, SiteObservation, Snapshot
from sprmon.core.path_evaluation import AppPlan, SiteView, evaluate_route, no_route
from sprmon.core.prefixes import Prefix

__all__ = ["UnknownSiteError", "evaluate"]


class UnknownSiteError(ValueError):
    """``evaluate(..., sites=...)`` named sites the intent does not define."""

    def __init__(self, names: Sequence[str], source: str) -> None:
        shown = ", ".join(sorted(names)[:5]) + (", ..." if len(names) > 5 else "")
        super().__init__(
            f"{len(names)} site(s) not defined in the intent {source}: {shown}; "
            "check the spelling or add them to the intent"
        )
        self.names = tuple(names)


def evaluate(
    intent: Intent,
    snapshot: Snapshot,
    now: float,
    *,
    sites: Collection[str] | None = None,
) -> Report:
    """Judge every site of ``intent`` (or only ``sites``) against ``snapshot`` as of ``now``.

    Findings are ordered by site (intent order), then application (intent
    order, the default application last), then prefix (intent order); link
    findings by site, then the site's link order. Raises
    :class:`UnknownSiteError` if ``sites`` names a site the intent lacks.
    """
    selected = _select_sites(intent, sites)
    history = _observations_by_site(snapshot.observations, {s.name for s in selected})
    plans = [AppPlan.of(a) for a in intent.applications if not a.is_default]
    plans += [AppPlan.of(a) for a in intent.applications if a.is_default]
    stale_after = intent.thresholds.stale_after_s

    path_findings: list[PathFinding] = []
    link_findings: list[LinkFinding] = []
    for site in selected:
        observations = history.get(site.name, [])
        newest = observations[-1] if observations else None
        problem = _unusable(newest, now, stale_after)
        fresh = newest if problem is None or problem.link_state_known else None
        statuses = {link.role: link_status(link, fresh) for link in site.links}

        paths = newest.paths if newest is not None else None
        if problem is not None or paths is None:
            reason = problem.reason if problem is not None else "BGP table not collected"
            _unknown_paths(site.name, plans, reason, path_findings)
        else:
            _site_paths(_site_view(site, statuses), plans, paths, path_findings)

        link_note = problem.reason if problem is not None and fresh is None else None
        samples = [
            o
            for o in observations
            if o.interfaces is not None and now - o.collected_at <= stale_after
        ]
        for link in site.links:
            link_findings.append(
                link_finding(
                    site.name,
                    link,
                    statuses[link.role],
                    samples=samples,
                    thresholds=intent.thresholds,
                    unusable_note=link_note,
                )
            )
    return Report(evaluated_at=now, paths=tuple(path_findings), links=tuple(link_findings))


def _select_sites(intent: Intent, names: Collection[str] | None) -> list[Site]:
    if names is None:
        return list(intent.sites)
    wanted = set(names)
    selected = [s for s in intent.sites if s.name in wanted]
    if len(selected) != len(wanted):
        unknown = wanted - {s.name for s in selected}
        raise UnknownSiteError(sorted(unknown), intent.source)
    return selected


def _observations_by_site(
    observations: Sequence[SiteObservation], wanted: set[str]
) -> dict[str, list[SiteObservation]]:
    """Each site's observations, oldest first (ties keep snapshot order: the later one wins)."""
    history: dict[str, list[SiteObservation]] = {}
    for obs in observations:
        if obs.site in wanted:
            history.setdefault(obs.site, []).append(obs)
    for site_obs in history.values():
        if len(site_obs) > 1:
            site_obs.sort(key=attrgetter("collected_at"))
    return history


@dataclass(frozen=True, slots=True)
class _Unusable:
    """Why a site's path findings are unknown."""

    reason: str
    #: The observation still tells link states (it is fresh, only the BGP part is missing).
    link_state_known: bool


def _unusable(obs: SiteObservation | None, now: float, stale_after: float) -> _Unusable | None:
    if obs is None:
        return _Unusable("no observation of site", link_state_known=False)
    age = now - obs.collected_at
    if age > stale_after:
        return _Unusable(
            f"observation is {age:.0f} s old (stale after {stale_after:g} s)",
            link_state_known=False,
        )
    if obs.paths is None or (obs.error and not obs.paths):
        reason = _said_once("BGP table not collected", obs.error, "BGP paths not collected")
        return _Unusable(reason, link_state_known=True)
    if obs.peers is None:
        return _Unusable(_said_once("BGP peers not collected", obs.error), link_state_known=True)
    return None


def _said_once(lead: str, error: str | None, *same: str) -> str:
    """``lead: error``; just ``error`` when it says ``lead`` (or the like) already.

    The collector's error names the stage that failed (``BGP peers not
    collected: ...``): prefixed again, it read twice.
    """
    if not error:
        return lead
    if any(words in error for words in (lead, *same)):
        return error
    return f"{lead}: {error}"


def _unknown_paths(
    site: str, plans: Sequence[AppPlan], explanation: str, out: list[PathFinding]
) -> None:
    for app in plans:
        for prefix, _covering in app.prefixes:
            out.append(
                PathFinding(
                    site=site,
                    app=app.name,
                    prefix=prefix,
                    state=PathState.UNKNOWN,
                    severity=Severity.UNKNOWN,
                    expected_link=None,
                    actual_links=(),
                    redundant=None,
                    marking_ok=None,
                    explanation=explanation,
                )
            )


def _site_view(site: Site, statuses: dict[str, LinkStatus]) -> SiteView:
    by_peer: dict[str, str] = {}
    by_next_hop: dict[str, str] = {}
    # Reversed so that, should two links list the same address, the first wins.
    for link in reversed(site.links):
        for address in link.neighbors:
            by_peer[address] = link.role
        for address in link.next_hops:
            by_next_hop[address] = link.role
    order = {link.role: i for i, link in enumerate(site.links)}
    usable = frozenset(role for role, status in statuses.items() if status.usable)
    return SiteView(site.name, by_peer, by_next_hop, statuses, order, usable)


def _routes(paths: Sequence[BgpPath]) -> dict[str, list[BgpPath]]:
    """The site's paths grouped by prefix: the table the longest-prefix match looks up."""
    routes: dict[str, list[BgpPath]] = {}
    get_route = routes.get
    for path in paths:
        route = get_route(path.prefix)
        if route is None:
            routes[path.prefix] = [path]
        else:
            route.append(path)
    return routes


def _route_key(app_index: int, covered: str | None, route: list[BgpPath]) -> tuple[Any, ...]:
    """The memo key of a route: the application, the covering prefix that matched
    (None: the exact prefix) and every attribute but the prefix of every path.

    Flat, because each path adds the same nine fields (so it is unambiguous)
    and one flat tuple hashes faster than nested ones.
    """
    key: list[Any] = [app_index, covered]
    for p in route:
        key += (p.peer, p.next_hop, p.med, p.local_pref, p.as_path, p.communities, p.origin,
                p.best, p.multipath)  # fmt: skip
    return tuple(key)


def _covering_route(
    get_route: Callable[[str], list[BgpPath] | None], covering: tuple[Prefix, ...]
) -> tuple[Prefix | None, list[BgpPath] | None]:
    """The longest covering prefix with a route, and the route; (None, None) if there is none."""
    for candidate in covering:
        route = get_route(candidate)
        if route is not None:
            return candidate, route
    return None, None


def _site_paths(
    view: SiteView,
    plans: Sequence[AppPlan],
    paths: Sequence[BgpPath],
    out: list[PathFinding],
) -> None:
    """Append one finding per application prefix of one site with a usable observation."""
    get_route = _routes(paths).get
    # Keyed by _route_key: two routes that agree on it are judged alike, so a
    # verdict is computed once per distinct route shape and then copied with
    # the other prefix. Verdicts that name their prefix are not stored.
    memo: dict[tuple[Any, ...], PathFinding] = {}
    get_memo = memo.get
    site = view.name
    append = out.append
    for app_index, app in enumerate(plans):
        app_name = app.name
        for prefix, covering in app.prefixes:
            matched: Prefix | None = prefix
            route = get_route(prefix)
            if route is None:
                matched, route = _covering_route(get_route, covering)
            if route is None or matched is None:
                append(no_route(view, app, prefix))
                continue
            key = _route_key(app_index, None if matched is prefix else matched, route)
            shared = get_memo(key)
            if shared is None:
                finding, shareable = evaluate_route(view, app, prefix, matched, route)
                if shareable:
                    memo[key] = finding
            else:
                # The shared verdict with this prefix. Positional: a named
                # tuple's keyword call costs about twice as much.
                finding = PathFinding(
                    site,
                    app_name,
                    prefix,
                    shared.state,
                    shared.severity,
                    shared.expected_link,
                    shared.actual_links,
                    shared.redundant,
                    shared.marking_ok,
                    shared.explanation,
                    matched,
                    shared.candidates,
                )
            append(finding)
