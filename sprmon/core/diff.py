"""What changed between two reports, and whether it got worse.

Path findings are matched by (site, application, prefix), link findings by
(site, link). Every field an operator acts on yields its own :class:`Change`,
so a notifier can alert on ``got_worse`` and show the descriptions as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from sprmon.core.findings import LinkFinding, PathFinding, Report, Severity, rank, worst


class ChangeKind(StrEnum):
    STATE = "state"
    ACTUAL_LINKS = "actual_links"
    REDUNDANCY = "redundancy"
    MARKING = "marking"
    SEVERITY = "severity"
    LINK_OPER = "link_oper"
    LINK_BGP = "link_bgp"
    APPEARED = "appeared"
    DISAPPEARED = "disappeared"


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    #: (site, application, prefix) for a path finding, (site, link) for a link finding.
    key: tuple[str, ...]
    #: The value before and after, as shown to a user (None: absent).
    before: str | None
    after: str | None
    got_worse: bool
    #: Severity of the finding after the change (before it, for a disappeared finding).
    severity: Severity
    description: str


@dataclass(frozen=True, slots=True)
class ReportDiff:
    changes: tuple[Change, ...]

    @property
    def got_worse(self) -> bool:
        return any(c.got_worse for c in self.changes)

    def severity(self) -> Severity:
        """The severity of the worst regression; OK if nothing got worse."""
        return worst(c.severity for c in self.changes if c.got_worse)


def _show(value: bool | None, yes: str, no: str) -> str:
    if value is None:
        return "unknown"
    return yes if value else no


def _links(links: tuple[str, ...]) -> str:
    return ",".join(links) if links else "none"


def _where(key: tuple[str, ...]) -> str:
    return " ".join(key)


def _path_changes(key: tuple[str, ...], old: PathFinding, new: PathFinding) -> Iterator[Change]:
    where = _where(key)
    sev = new.severity
    if old.state != new.state:
        yield Change(
            ChangeKind.STATE,
            key,
            old.state.value,
            new.state.value,
            rank(new.severity) > rank(old.severity),
            sev,
            f"{where}: {old.state.value} -> {new.state.value}: {new.explanation}",
        )
    if old.actual_links != new.actual_links:
        before, after = _links(old.actual_links), _links(new.actual_links)
        yield Change(
            ChangeKind.ACTUAL_LINKS,
            key,
            before,
            after,
            rank(new.severity) > rank(old.severity),
            sev,
            f"{where}: best path moved from {before} to {after}",
        )
    if old.redundant != new.redundant:
        before = _show(old.redundant, "redundant", "no backup")
        after = _show(new.redundant, "redundant", "no backup")
        yield Change(
            ChangeKind.REDUNDANCY,
            key,
            before,
            after,
            old.redundant is True and new.redundant is False,
            sev,
            f"{where}: backup path lost (no usable path over another allowed link)"
            if old.redundant is True and new.redundant is False
            else f"{where}: redundancy {before} -> {after}",
        )
    if old.marking_ok != new.marking_ok:
        before = _show(old.marking_ok, "marking ok", "marking wrong")
        after = _show(new.marking_ok, "marking ok", "marking wrong")
        yield Change(
            ChangeKind.MARKING,
            key,
            before,
            after,
            new.marking_ok is False,
            sev,
            f"{where}: {before} -> {after}",
        )
    if old.severity != new.severity:
        yield _severity_change(key, old.severity, new.severity)


def _severity_change(key: tuple[str, ...], old: Severity, new: Severity) -> Change:
    return Change(
        ChangeKind.SEVERITY,
        key,
        old.name.lower(),
        new.name.lower(),
        rank(new) > rank(old),
        new,
        f"{_where(key)}: severity {old.name.lower()} -> {new.name.lower()}",
    )


def _link_changes(key: tuple[str, ...], old: LinkFinding, new: LinkFinding) -> Iterator[Change]:
    where = _where(key)
    if old.oper_up != new.oper_up:
        before = _show(old.oper_up, "up", "down")
        after = _show(new.oper_up, "up", "down")
        yield Change(
            ChangeKind.LINK_OPER,
            key,
            before,
            after,
            rank(new.severity) > rank(old.severity),
            new.severity,
            f"{where}: link {before} -> {after}",
        )
    if old.bgp_established != new.bgp_established:
        before = _show(old.bgp_established, "established", "not established")
        after = _show(new.bgp_established, "established", "not established")
        yield Change(
            ChangeKind.LINK_BGP,
            key,
            before,
            after,
            rank(new.severity) > rank(old.severity),
            new.severity,
            f"{where}: BGP session {before} -> {after}",
        )
    if old.severity != new.severity:
        yield _severity_change(key, old.severity, new.severity)


def _appeared(key: tuple[str, ...], severity: Severity, what: str) -> Change:
    return Change(
        ChangeKind.APPEARED,
        key,
        None,
        severity.name.lower(),
        rank(severity) > rank(Severity.OK),
        severity,
        f"{_where(key)}: new {what} finding ({severity.name.lower()})",
    )


def _disappeared(key: tuple[str, ...], severity: Severity, what: str) -> Change:
    return Change(
        ChangeKind.DISAPPEARED,
        key,
        severity.name.lower(),
        None,
        False,
        severity,
        f"{_where(key)}: {what} finding no longer evaluated (was {severity.name.lower()})",
    )


def diff_reports(before: Report, after: Report) -> ReportDiff:
    """Every change from ``before`` to ``after``, in ``after``'s order, then what disappeared."""
    changes: list[Change] = []
    old_paths: dict[tuple[str, ...], PathFinding] = {
        (f.site, f.app, f.prefix): f for f in before.paths
    }
    seen: set[tuple[str, ...]] = set()
    for new in after.paths:
        key: tuple[str, ...] = (new.site, new.app, new.prefix)
        seen.add(key)
        old = old_paths.get(key)
        if old is None:
            changes.append(_appeared(key, new.severity, "path"))
        elif old != new:
            changes.extend(_path_changes(key, old, new))
    changes.extend(
        _disappeared(key, f.severity, "path") for key, f in old_paths.items() if key not in seen
    )

    old_links: dict[tuple[str, ...], LinkFinding] = {(f.site, f.link): f for f in before.links}
    seen = set()
    for new_link in after.links:
        key = (new_link.site, new_link.link)
        seen.add(key)
        old_link = old_links.get(key)
        if old_link is None:
            changes.append(_appeared(key, new_link.severity, "link"))
        elif old_link != new_link:
            changes.extend(_link_changes(key, old_link, new_link))
    changes.extend(
        _disappeared(key, f.severity, "link") for key, f in old_links.items() if key not in seen
    )
    return ReportDiff(tuple(changes))
