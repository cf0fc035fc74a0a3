"""What the table report says, cell by cell and line by line, as plain strings.

The table report has two layouts that must print the same words: rich's
(:mod:`sprmon.reports.table`: colours on a terminal, any text) and the plain
one (:mod:`sprmon.reports.plain_table`: what ``check`` prints without a
terminal, without importing rich). Both take their words from here, so that
they cannot disagree; only the layout and the colours are their own. Data from
the network goes through :func:`~sprmon.printable.printable` here, once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from sprmon.core.findings import LinkFinding, PathFinding, PathState, Report
from sprmon.isotime import format_time
from sprmon.printable import printable
from sprmon.reports._format import (
    SEVERITIES,
    link_problems,
    per_second,
    percent,
    severity_name,
    yes_no,
)

__all__ = [
    "LINK_COLUMNS",
    "LINK_RIGHT_ALIGNED",
    "PATH_COLUMNS",
    "PATH_NO_WRAP",
    "link_cells",
    "link_explanation",
    "link_head",
    "path_cells",
    "path_explanation",
    "path_head",
    "shows_candidates",
    "site_cells",
    "summary_parts",
    "title_line",
]

PATH_COLUMNS = ("site", "app", "prefix", "state", "via", "redundant", "marking")
#: Path columns never wrapped when rich has to narrow the table.
PATH_NO_WRAP = ("prefix", "state")
LINK_COLUMNS = ("site", "link", "status", "oper", "bgp", "in", "out", "errors", "discards")
#: Link columns aligned to the right: the numbers.
LINK_RIGHT_ALIGNED = ("in", "out", "errors", "discards")


def title_line(report: Report) -> str:
    return f"sprmon check, evaluated at {format_time(report.evaluated_at)}"


def site_cells(findings: Iterable[PathFinding | LinkFinding]) -> Iterator[tuple[str, bool]]:
    """The site column: the name on a site's first row only, and whether a site ends."""
    items = list(findings)
    for i, finding in enumerate(items):
        first = i == 0 or items[i - 1].site != finding.site
        last = i == len(items) - 1 or items[i + 1].site != finding.site
        yield (finding.site if first else ""), last


def path_cells(finding: PathFinding, site: str) -> tuple[str, ...]:
    """One row of the paths table, in PATH_COLUMNS order (``site`` from site_cells)."""
    marking = {None: "-", True: "ok", False: "wrong"}[finding.marking_ok]
    return (
        printable(site),
        printable(finding.app),
        printable(finding.prefix),
        finding.state.value,
        printable("+".join(finding.actual_links) or "-"),
        yes_no(finding.redundant),
        marking,
    )


def _up(value: bool | None) -> str:
    return "?" if value is None else ("up" if value else "down")


def link_cells(finding: LinkFinding, site: str) -> tuple[str, ...]:
    """One row of the links table, in LINK_COLUMNS order (``site`` from site_cells)."""
    return (
        printable(site),
        printable(finding.link),
        severity_name(finding.severity),
        _up(finding.oper_up),
        _up(finding.bgp_established),
        percent(finding.utilization_in),
        percent(finding.utilization_out),
        per_second(finding.error_rate),
        per_second(finding.discard_rate),
    )


def path_head(finding: PathFinding) -> tuple[str, str]:
    """A path finding's heading: what it is about, then its state and severity (coloured)."""
    state = finding.state.value.replace("_", " ")
    return (
        printable(f"{finding.site} {finding.app} {finding.prefix}: "),
        f"{state}, {severity_name(finding.severity)}",
    )


def path_explanation(finding: PathFinding) -> str:
    return printable(finding.explanation)


def shows_candidates(finding: PathFinding) -> bool:
    """Whether the explanation lists the candidate paths (CANDIDATE_COLUMNS) under it."""
    return finding.state in (PathState.DRIFT, PathState.NO_ROUTE) and bool(finding.candidates)


def link_head(finding: LinkFinding) -> tuple[str, str]:
    """A link finding's heading: which link, then its severity (coloured)."""
    return printable(f"{finding.site} link {finding.link}: "), severity_name(finding.severity)


def link_explanation(finding: LinkFinding) -> str:
    return "; ".join(link_problems(finding))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_parts(report: Report) -> tuple[str, str]:
    """The last line: the counts, then the verdict and exit code (bold and coloured)."""
    states = report.state_counts()
    sites = len({f.site for f in report.paths} | {f.site for f in report.links})
    link_counts = Counter(f.severity for f in report.links)
    severity = report.severity()
    paths = ", ".join(f"{states[s.value]} {s.value.replace('_', ' ')}" for s in PathState)
    links = ", ".join(f"{link_counts.get(s, 0)} {severity_name(s)}" for s in SEVERITIES)
    counts = (
        f"{_plural(len(report.paths), 'path')} at {_plural(sites, 'site')}: {paths}; "
        f"{_plural(len(report.links), 'link')}: {links}. "
    )
    return counts, f"{severity_name(severity).upper()} (exit {severity.exit_code})"
