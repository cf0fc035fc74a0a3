"""What changed between two reports, and whether it got worse.

Path findings are matched by (site, application, prefix), link findings by
(site, link). Every field an operator acts on yields its own :class:`Change`,
so a notifier can alert on ``got_worse`` and show the descriptions as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter
from typing import TypeVar

from sprmon.core.findings import LinkFinding, PathFinding, Report, Severity


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
        return max((c.severity for c in self.changes if c.got_worse), default=Severity.OK)


def _show(value: bool | None, yes: str, no: str) -> str:
    if value is None:
        return "unknown"
    return yes if value else no


def _links(links: tuple[str, ...]) -> str:
    return ",".join(links) if links else "none"


def _where(key: tuple[str, ...]) -> str:
    return " ".join(key)


def _flag_change(
    kind: ChangeKind,
    key: tuple[str, ...],
    old: bool | None,
    new: bool | None,
    words: tuple[str, str],
    *,
    got_worse: bool,
    severity: Severity,
    label: str = "",
    description: str | None = None,
) -> Change:
    """A yes/no/unknown field that changed, shown in ``words`` (for yes, for no)."""
    before, after = _show(old, *words), _show(new, *words)
    text = description or f"{label}{before} -> {after}"
    return Change(kind, key, before, after, got_worse, severity, f"{_where(key)}: {text}")


def _path_changes(key: tuple[str, ...], old: PathFinding, new: PathFinding) -> Iterator[Change]:
    where = _where(key)
    sev = new.severity
    worse = new.severity > old.severity
    if old.state != new.state:
        yield Change(
            ChangeKind.STATE,
            key,
            old.state.value,
            new.state.value,
            worse,
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
            worse,
            sev,
            f"{where}: best path moved from {before} to {after}",
        )
    if old.redundant != new.redundant:
        lost = old.redundant is True and new.redundant is False
        yield _flag_change(
            ChangeKind.REDUNDANCY,
            key,
            old.redundant,
            new.redundant,
            ("redundant", "no backup"),
            got_worse=lost,
            severity=sev,
            label="redundancy ",
            description="backup path lost (no usable path over another allowed link)"
            if lost
            else None,
        )
    if old.marking_ok != new.marking_ok:
        yield _flag_change(
            ChangeKind.MARKING,
            key,
            old.marking_ok,
            new.marking_ok,
            ("marking ok", "marking wrong"),
            got_worse=new.marking_ok is False,
            severity=sev,
        )
    if old.severity != new.severity:
        yield _severity_change(key, old.severity, new.severity)


def _severity_change(key: tuple[str, ...], old: Severity, new: Severity) -> Change:
    return Change(
        ChangeKind.SEVERITY,
        key,
        old.value,
        new.value,
        new > old,
        new,
        f"{_where(key)}: severity {old.value} -> {new.value}",
    )


def _link_changes(key: tuple[str, ...], old: LinkFinding, new: LinkFinding) -> Iterator[Change]:
    worse = new.severity > old.severity
    if old.oper_up != new.oper_up:
        yield _flag_change(
            ChangeKind.LINK_OPER,
            key,
            old.oper_up,
            new.oper_up,
            ("up", "down"),
            got_worse=worse,
            severity=new.severity,
            label="link ",
        )
    if old.bgp_established != new.bgp_established:
        yield _flag_change(
            ChangeKind.LINK_BGP,
            key,
            old.bgp_established,
            new.bgp_established,
            ("established", "not established"),
            got_worse=worse,
            severity=new.severity,
            label="BGP session ",
        )
    if old.severity != new.severity:
        yield _severity_change(key, old.severity, new.severity)


def _appeared(key: tuple[str, ...], severity: Severity, what: str) -> Change:
    return Change(
        ChangeKind.APPEARED,
        key,
        None,
        severity.value,
        severity > Severity.OK,
        severity,
        f"{_where(key)}: new {what} finding ({severity.value})",
    )


def _disappeared(key: tuple[str, ...], severity: Severity, what: str) -> Change:
    return Change(
        ChangeKind.DISAPPEARED,
        key,
        severity.value,
        None,
        False,
        severity,
        f"{_where(key)}: {what} finding no longer evaluated (was {severity.value})",
    )


def diff_reports(before: Report, after: Report) -> ReportDiff:
    """Every change from ``before`` to ``after``, in ``after``'s order, then what disappeared."""
    path_changes = _changes(before.paths, after.paths, _path_key, _path_changes, "path")
    link_changes = _changes(before.links, after.links, _link_key, _link_changes, "link")
    return ReportDiff((*path_changes, *link_changes))


_Finding = TypeVar("_Finding", PathFinding, LinkFinding)
_path_key: Callable[[PathFinding], tuple[str, ...]] = attrgetter("site", "app", "prefix")
_link_key: Callable[[LinkFinding], tuple[str, ...]] = attrgetter("site", "link")


def _changes(
    before: Sequence[_Finding],
    after: Sequence[_Finding],
    key_of: Callable[[_Finding], tuple[str, ...]],
    compare: Callable[[tuple[str, ...], _Finding, _Finding], Iterator[Change]],
    what: str,
) -> Iterator[Change]:
    """Findings matched by key: what changed in ``after``'s order, then what disappeared."""
    old_by_key = {key_of(f): f for f in before}
    seen: set[tuple[str, ...]] = set()
    for new in after:
        key = key_of(new)
        seen.add(key)
        old = old_by_key.get(key)
        if old is None:
            yield _appeared(key, new.severity, what)
        elif old != new:
            yield from compare(key, old, new)
    for key, old in old_by_key.items():
        if key not in seen:
            yield _disappeared(key, old.severity, what)
