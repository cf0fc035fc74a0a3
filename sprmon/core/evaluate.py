"""Evaluate an intent against a snapshot: one finding per (site, prefix) and per (site, link).

The evaluation never guesses: a site whose newest observation is missing,
stale or incomplete gets ``unknown`` findings that say which.

It is the hot path of the whole tool (tens of thousands of sites times tens of
prefixes), hence the shape of :func:`_site_paths`: per-intent data is computed
once per call, per-site indexes once per site, and route verdicts are memoised
per site because most of a site's routes carry the same attributes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import fields
from operator import attrgetter
from typing import Any

from sprmon.core.findings import LinkFinding, PathFinding, PathState, Report, Severity
from sprmon.core.intent import Intent, Site
from sprmon.core.link_evaluation import LinkStatus, link_finding, link_status
from sprmon.core.observed import BgpPath, SiteObservation, Snapshot
from sprmon.core.path_evaluation import (
    AppPlan,
    RouteOutcome,
    SiteView,
    evaluate_route,
    no_route,
)
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


#: Everything of a BgpPath but its prefix: two routes whose paths agree on
#: these are judged alike, whatever their prefix.
_path_key = attrgetter(
    "peer",
    "next_hop",
    "med",
    "local_pref",
    "as_path",
    "communities",
    "origin",
    "best",
    "multipath",
)

_PATH_FIELDS = (
    "site",
    "app",
    "prefix",
    "state",
    "severity",
    "expected_link",
    "actual_links",
    "redundant",
    "marking_ok",
    "explanation",
    "matched_prefix",
    "candidates",
)
# Half a million findings per run: a frozen dataclass's __init__ pays one
# object.__setattr__ per field, so the hot loop fills the slots directly. Only
# when PathFinding has exactly these fields; otherwise the normal constructor.
_FAST_FINDINGS = tuple(f.name for f in fields(PathFinding)) == _PATH_FIELDS and all(
    f.name in PathFinding.__slots__ for f in fields(PathFinding)
)


def _slot_setter(name: str) -> Any:
    return getattr(PathFinding, name).__set__


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
    findings by site, then the site's link order.
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
        fresh = newest if problem is None or problem[1] else None
        statuses = {link.role: link_status(link, fresh) for link in site.links}

        paths = newest.paths if newest is not None else None
        if problem is not None or paths is None:
            reason = problem[0] if problem is not None else "BGP table not collected"
            _unknown_paths(site.name, plans, reason, path_findings)
        else:
            _site_paths(_site_view(site, statuses), plans, paths, path_findings)

        link_note = None if fresh is not None else (problem[0] if problem else None)
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


def _unusable(
    obs: SiteObservation | None, now: float, stale_after: float
) -> tuple[str, bool] | None:
    """Why the path findings of a site are unknown, and whether link states are still usable."""
    if obs is None:
        return "no observation of site", False
    age = now - obs.collected_at
    if age > stale_after:
        return f"observation is {age:.0f} s old (stale after {stale_after:g} s)", False
    error = f": {obs.error}" if obs.error else ""
    if obs.paths is None or (obs.error and not obs.paths):
        return f"BGP table not collected{error}", True
    if obs.peers is None:
        return f"BGP peers not collected{error}", True
    return None


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
    return SiteView(site.name, by_peer, by_next_hop, statuses, order)


def _site_paths(
    view: SiteView,
    plans: Sequence[AppPlan],
    paths: Sequence[BgpPath],
    out: list[PathFinding],
) -> None:
    """Append one finding per application prefix of one site with a usable observation."""
    routes: dict[str, list[BgpPath]] = {}
    get_route = routes.get
    for path in paths:
        route = get_route(path.prefix)
        if route is None:
            routes[path.prefix] = [path]
        else:
            route.append(path)

    memo: dict[tuple[Any, ...], RouteOutcome] = {}
    site = view.name
    append = out.append
    new = object.__new__
    fast = _FAST_FINDINGS
    cls = PathFinding
    (s_site, s_app, s_prefix, s_state, s_sev, s_exp, s_act, s_red, s_mark, s_expl, s_match,
     s_cand) = [_slot_setter(name) for name in _PATH_FIELDS]  # fmt: skip

    for app_index, app in enumerate(plans):
        app_name = app.name
        for prefix, covering in app.prefixes:
            matched: Prefix | None = None
            route = None
            for candidate in covering:
                route = get_route(candidate)
                if route is not None:
                    matched = candidate
                    break
            if route is None or matched is None:
                outcome = no_route(view, app, prefix)
            else:
                key = (app_index, matched if matched != prefix else None, *map(_path_key, route))
                cached = memo.get(key)
                if cached is None or cached.prefix_specific:
                    outcome = evaluate_route(view, app, prefix, matched, route)
                    memo[key] = outcome
                else:
                    outcome = cached
            if fast:
                finding = new(cls)
                s_site(finding, site)
                s_app(finding, app_name)
                s_prefix(finding, prefix)
                s_state(finding, outcome.state)
                s_sev(finding, outcome.severity)
                s_exp(finding, outcome.expected_link)
                s_act(finding, outcome.actual_links)
                s_red(finding, outcome.redundant)
                s_mark(finding, outcome.marking_ok)
                s_expl(finding, outcome.explanation)
                s_match(finding, matched)
                s_cand(finding, outcome.candidates)
            else:
                finding = cls(
                    site=site,
                    app=app_name,
                    prefix=prefix,
                    state=outcome.state,
                    severity=outcome.severity,
                    expected_link=outcome.expected_link,
                    actual_links=outcome.actual_links,
                    redundant=outcome.redundant,
                    marking_ok=outcome.marking_ok,
                    explanation=outcome.explanation,
                    matched_prefix=matched,
                    candidates=outcome.candidates,
                )
            append(finding)
