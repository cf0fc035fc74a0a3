"""Which link does one route leave over, and is that what the intent says?

:func:`evaluate_route` judges the paths of one route at one site for one
application. It depends only on the site's link states, the application and
the path attributes (not on the prefix, except in two explanations), so the
caller memoises it per site: most of a site's routes look alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sprmon.core.findings import CandidatePath, PathFinding, PathState, Severity
from sprmon.core.intent import Application, Marking
from sprmon.core.link_evaluation import LinkStatus, missing_link
from sprmon.core.observed import BgpPath, Origin
from sprmon.core.prefixes import Prefix, covering_prefixes

#: Shown in ``actual_links`` for a path over no link of the site.
UNKNOWN_LINK = "?"

_ORIGIN_RANK = {Origin.IGP: 0, Origin.EGP: 1, Origin.INCOMPLETE: 2}


def origin_rank(origin: Origin | None) -> int:
    """BGP's origin order, lower preferred (RFC 4271 9.1.2.2 c): IGP, EGP, INCOMPLETE.

    A missing origin ranks as IGP: an attribute the router did not report must
    not make its path look worse than it is (the lab's decision process uses
    this same rule, so the two never disagree on why a path won).
    """
    return 0 if origin is None else _ORIGIN_RANK[origin]


@dataclass(frozen=True, slots=True)
class AppPlan:
    """An application with everything the hot loop needs precomputed."""

    name: str
    links: tuple[str, ...]
    #: Link name -> position in ``links`` (lower is preferred).
    rank: dict[str, int]
    marking: dict[str, Marking]
    #: (prefix, the prefix and its covering prefixes longest first).
    prefixes: tuple[tuple[Prefix, tuple[Prefix, ...]], ...]

    @classmethod
    def of(cls, app: Application) -> AppPlan:
        return cls(
            name=app.name,
            links=app.links,
            rank={link: i for i, link in enumerate(app.links)},
            marking=app.marking,
            prefixes=tuple((p, covering_prefixes(p)) for p in app.prefixes),
        )


@dataclass(frozen=True, slots=True)
class SiteView:
    """One site's address-to-link map and link states, built once per evaluation."""

    name: str
    #: BGP neighbour address -> link role.
    by_peer: dict[str, str]
    #: Next-hop address -> link role (consulted when the peer is not recognised).
    by_next_hop: dict[str, str]
    status: dict[str, LinkStatus]
    #: Site link role -> position at the site, to order links no application allows.
    order: dict[str, int]
    #: Roles of the links that are usable.
    usable: frozenset[str]

    def link_of(self, path: BgpPath) -> str | None:
        role = self.by_peer.get(path.peer)
        if role is None and path.next_hop is not None:
            role = self.by_next_hop.get(path.next_hop)
        return role

    def status_of(self, role: str) -> LinkStatus:
        status = self.status.get(role)
        return missing_link(role) if status is None else status


def expected_link(site: SiteView, app: AppPlan) -> str | None:
    usable = site.usable
    for role in app.links:
        if role in usable:
            return role
    return None


def no_route(site: SiteView, app: AppPlan, prefix: Prefix) -> PathFinding:
    return PathFinding(
        site=site.name,
        app=app.name,
        prefix=prefix,
        state=PathState.NO_ROUTE,
        severity=Severity.CRITICAL,
        expected_link=expected_link(site, app),
        actual_links=(),
        redundant=False,
        marking_ok=None,
        explanation=f"no route to {prefix} or any covering prefix",
    )


def _preference(path: BgpPath) -> tuple[int, int, int, int]:
    """Sort key, smallest first, following BGP's best-path order; unknowns rank neutral."""
    return (
        -(path.local_pref if path.local_pref is not None else 100),
        len(path.as_path),
        origin_rank(path.origin),
        path.med if path.med is not None else 0,
    )


def _deciding(winner: BgpPath, loser: BgpPath) -> tuple[str, int, int, bool] | None:
    """The first best-path attribute that differs: (name, winner's, loser's, winner better)."""
    if (
        winner.local_pref is not None
        and loser.local_pref is not None
        and winner.local_pref != loser.local_pref
    ):
        w, lo = winner.local_pref, loser.local_pref
        return ("local-pref", w, lo, w > lo)
    if len(winner.as_path) != len(loser.as_path):
        w, lo = len(winner.as_path), len(loser.as_path)
        return ("AS-path length", w, lo, w < lo)
    if winner.origin is not None and loser.origin is not None and winner.origin != loser.origin:
        w, lo = _ORIGIN_RANK[winner.origin], _ORIGIN_RANK[loser.origin]
        return ("origin", w, lo, w < lo)
    if winner.med is not None and loser.med is not None and winner.med != loser.med:
        return ("MED", winner.med, loser.med, winner.med < loser.med)
    return None


def _attr_text(name: str, value: int) -> str:
    if name == "origin":
        return f"origin {next(o for o, r in _ORIGIN_RANK.items() if r == value).value}"
    return f"{name} {value}"


def _summary(path: BgpPath) -> str:
    """The attribute an operator looks at first, for ``best via inet (MED 200)``."""
    if path.med is not None:
        return f" (MED {path.med})"
    if path.local_pref is not None:
        return f" (local-pref {path.local_pref})"
    return ""


def _lost_choice(
    winner: BgpPath, win_link: str, loser: BgpPath, lose_link: str, marking: Marking | None
) -> tuple[str, str]:
    """Why ``loser`` (over the expected link) lost to ``winner``: (comparison, intended value)."""
    decided = _deciding(winner, loser)
    if decided is None:
        return f"via {win_link} beat via {lose_link} (tie broken by router-id/age)", ""
    name, w, lo, winner_better = decided
    w_text, lo_text = _attr_text(name, w), _attr_text(name, lo)
    if winner_better:
        text = f"via {win_link} ({w_text}) beat via {lose_link} ({lo_text})"
    else:
        text = (
            f"via {win_link} ({w_text}) was selected over via {lose_link} ({lo_text}) although "
            f"its {name} is worse (path over {lose_link} not usable by the router?)"
        )
    intended: int | None = None
    if marking is not None:
        if name == "MED":
            intended = marking.med
        elif name == "local-pref":
            intended = marking.local_pref
    if intended is not None and intended != lo:
        return text, f"; intended {name} {intended} on {lose_link}"
    return text, ""


def _marking(
    paths: Sequence[BgpPath], roles: Sequence[str | None], marking: Mapping[str, Marking]
) -> tuple[bool | None, list[str]]:
    if not marking:
        return None, []
    checked = False
    problems: dict[str, None] = {}
    for path, role in zip(paths, roles, strict=True):
        if role is None:
            continue
        want = marking.get(role)
        if want is None:
            continue
        checked = True
        if want.med is not None and path.med != want.med:
            got = "no MED" if path.med is None else f"MED {path.med}"
            problems[f"{got} on {role}, intended {want.med}"] = None
        if want.local_pref is not None and path.local_pref != want.local_pref:
            got = "no local-pref" if path.local_pref is None else f"local-pref {path.local_pref}"
            problems[f"{got} on {role}, intended {want.local_pref}"] = None
        for community in want.communities:
            if community not in path.communities:
                problems[f"community {community} missing on {role}"] = None
    if not checked:
        return None, []
    return not problems, list(problems)


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _unrecognised(site: SiteView, paths: Sequence[BgpPath], roles: Sequence[str | None]) -> str:
    texts = []
    for path, role in zip(paths, roles, strict=True):
        if role is None and (path.best or path.multipath):
            hop = f" (next hop {path.next_hop})" if path.next_hop else ""
            texts.append(f"{path.peer}{hop}")
    peers = _join(texts)
    return f"best path via unrecognised peer {peers}, which matches no link of {site.name}"


def _candidates(
    paths: Sequence[BgpPath], roles: Sequence[str | None], installed: Sequence[bool]
) -> tuple[CandidatePath, ...]:
    """Every path as shown in explanations, installed ones first, otherwise in table order."""
    first: list[CandidatePath] = []
    rest: list[CandidatePath] = []
    for p, role, best in zip(paths, roles, installed, strict=True):
        (first if best else rest).append(
            CandidatePath(role, p.peer, p.next_hop, p.med, p.local_pref, p.as_path, best)
        )
    return (*first, *rest)


def _ordered(site: SiteView, app: AppPlan, links: set[str]) -> tuple[str, ...]:
    """Links in application order, then links the application does not allow, then "?"."""
    if len(links) == 1:
        return tuple(links)
    rank = app.rank

    def order(role: str) -> tuple[int, int]:
        if role == UNKNOWN_LINK:
            return (2, 0)
        if role in rank:
            return (0, rank[role])
        return (1, site.order.get(role, len(rank)))

    return tuple(sorted(links, key=order))


def evaluate_route(
    site: SiteView,
    app: AppPlan,
    prefix: Prefix,
    route_prefix: Prefix,
    paths: Sequence[BgpPath],
) -> tuple[PathFinding, bool]:
    """Judge the paths of the route ``route_prefix`` (the longest match for ``prefix``).

    Also says whether the verdict is shareable: true unless its explanation
    names ``prefix``, so that another prefix whose route carries the same
    attributes at the same site may reuse it with only its own prefix changed.
    """
    roles = [site.link_of(p) for p in paths]
    expected = expected_link(site, app)
    rank = app.rank
    installed = [p.best or p.multipath for p in paths]

    candidates = _candidates(paths, roles, installed)
    marking_ok, marking_problems = _marking(paths, roles, app.marking)
    tail = ""
    if marking_ok is False:
        tail += "; marking: " + ", ".join(marking_problems)
    if route_prefix != prefix:
        tail += f"; covered by {route_prefix}"

    if not any(installed):
        count = f"{len(paths)} path" + ("s" if len(paths) != 1 else "")
        unselected = PathFinding(
            site=site.name,
            app=app.name,
            prefix=prefix,
            state=PathState.NO_ROUTE,
            severity=Severity.CRITICAL,
            expected_link=expected,
            actual_links=(),
            redundant=False,
            marking_ok=marking_ok,
            explanation=f"{count} but none selected as best (next hop unreachable?){tail}",
            matched_prefix=route_prefix,
            candidates=candidates,
        )
        return unselected, True

    actual_set = {
        UNKNOWN_LINK if r is None else r for r, b in zip(roles, installed, strict=True) if b
    }
    actual = _ordered(site, app, actual_set)
    redundant = any(
        r is not None and r in rank and r not in actual_set and r in site.usable for r in roles
    )

    prefix_specific = False
    if expected is not None and actual == (expected,):
        if expected == app.links[0]:
            state, severity = PathState.COMPLIANT, Severity.OK
            text = f"best via {expected} as intended"
            if not redundant:
                others = [link for link in app.links if link != expected]
                if others:
                    text += f"; no backup: no usable path over {_join(others)}"
                else:
                    text += f"; no backup: {app.name} allows only {expected}"
            if not redundant or marking_ok is False:
                severity = Severity.WARNING
        else:
            state, severity = PathState.FAILOVER, Severity.WARNING
            reasons = [site.status_of(link).down_reason() for link in app.links[: rank[expected]]]
            text = f"failover to {expected}; " + "; ".join(reasons)
    elif all(link in rank for link in actual) and (
        expected is None or all(rank[link] < rank[expected] for link in actual)
    ):
        # The preferred link is down but its route has not been withdrawn yet
        # (hold timer running, or BFD not configured): traffic is black-holed.
        state, severity = PathState.FAILOVER, Severity.WARNING
        links = _join(list(actual))
        if expected is None:
            others = [site.status_of(link).down_reason() for link in app.links]
            text = (
                f"no allowed link is usable ({'; '.join(others)}); best path still via {links}; "
                "BGP has not withdrawn it yet (traffic is likely dropped)"
            )
        else:
            verb = "is" if len(actual) == 1 else "are"
            down = [site.status_of(link).down_reason() for link in actual]
            text = (
                f"best path still via {links} although {links} {verb} down; BGP has not "
                f"withdrawn it yet (traffic is likely dropped); {'; '.join(down)}"
            )
    else:
        state, severity = PathState.DRIFT, Severity.CRITICAL
        text, prefix_specific = _drift(
            site, app, prefix=prefix, paths=paths, roles=roles, expected=expected, actual=actual
        )
    finding = PathFinding(
        site=site.name,
        app=app.name,
        prefix=prefix,
        state=state,
        severity=severity,
        expected_link=expected,
        actual_links=actual,
        redundant=redundant,
        marking_ok=marking_ok,
        explanation=text + tail,
        matched_prefix=route_prefix,
        candidates=candidates,
    )
    return finding, not prefix_specific


def _drift(
    site: SiteView,
    app: AppPlan,
    *,
    prefix: Prefix,
    paths: Sequence[BgpPath],
    roles: Sequence[str | None],
    expected: str | None,
    actual: tuple[str, ...],
) -> tuple[str, bool]:
    """Explain a drift; the flag says the explanation names ``prefix``."""
    parts: list[str] = []
    if expected is None:
        reasons = "; ".join(site.status_of(link).down_reason() for link in app.links)
        parts.append(f"no allowed link is usable ({reasons})")
    known = [link for link in actual if link != UNKNOWN_LINK]
    if len(actual) > 1:
        shown = [*known, "an unrecognised peer"] if UNKNOWN_LINK in actual else known
        intended = f"; intended {expected} only" if expected is not None else ""
        parts.append(f"load-shared across {_join(shown)}{intended}")
    if UNKNOWN_LINK in actual:
        parts.append(_unrecognised(site, paths, roles))
    disallowed = [link for link in known if link not in app.rank]
    if disallowed:
        parts.append(f"best via {_join(disallowed)}, which {app.name} does not allow")
    if len(actual) > 1 or UNKNOWN_LINK in actual or expected is None:
        return "; ".join(parts), False

    # One recognised link carries the best path, but not the expected one.
    winner_link = actual[0]
    winner = next(
        p for p, r in zip(paths, roles, strict=True) if r == winner_link and (p.best or p.multipath)
    )
    offered = [p for p, r in zip(paths, roles, strict=True) if r == expected]
    if not offered:
        status = site.status_of(expected)
        up = "is up with its session" if status.oper_up else "has its session"
        parts.append(
            f"{expected} {up} established but offers no path for {prefix}; "
            f"best via {winner_link}{_summary(winner)}"
        )
        return "; ".join(parts), True
    loser = min(offered, key=_preference)
    comparison, intended = _lost_choice(
        winner, winner_link, loser, expected, app.marking.get(expected)
    )
    usable = "" if disallowed else f" although {expected} is usable"
    parts.append(f"{comparison}{usable}{intended}")
    return "; ".join(parts), False
