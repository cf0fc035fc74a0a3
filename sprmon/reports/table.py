"""The report as tables for people: readable in 80 columns, coloured on a terminal.

Two tables (paths, links), then the explanation of every finding that is not
OK, then a summary line. Data from the network (site names, explanations) is
always wrapped in :class:`rich.text.Text`, never parsed as rich markup: a site
called ``[red]x`` must print as itself; and it goes through
:func:`~sprmon.printable.printable` first, so that an ESC or a CR in it prints
as ``\\x1b`` or ``\\r`` instead of acting on the terminal (rich would drop a CR
silently and let an ESC through).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Iterator

from rich import box
from rich.console import Console, Group, JustifyMethod, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from sprmon.core.findings import LinkFinding, PathFinding, PathState, Report, Severity
from sprmon.isotime import format_time
from sprmon.printable import printable
from sprmon.reports._format import (
    CANDIDATE_COLUMNS,
    SEVERITIES,
    SEVERITY_STYLE,
    candidate_cells,
    link_problems,
    per_second,
    percent,
    severity_name,
    yes_no,
)

__all__ = ["links_table", "paths_table", "render_table", "report_renderable", "summary_line"]

#: The width the layout is designed for; rich uses the terminal's when it is wider.
WIDTH = 80


def _styled(text: str, severity: Severity) -> Text:
    return Text(text, style=SEVERITY_STYLE[severity])


def _data(text: str) -> Text:
    """A cell of data from the network, printable."""
    return Text(printable(text))


def _table(title: str) -> Table:
    return Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
    )


def _site_cells(findings: Iterable[PathFinding | LinkFinding]) -> Iterator[tuple[str, bool]]:
    """The site column: the name on a site's first row only, and whether a site ends."""
    items = list(findings)
    for i, finding in enumerate(items):
        first = i == 0 or items[i - 1].site != finding.site
        last = i == len(items) - 1 or items[i + 1].site != finding.site
        yield (finding.site if first else ""), last


def paths_table(report: Report) -> Table:
    table = _table("Paths")
    for header in ("site", "app", "prefix", "state", "via", "redundant", "marking"):
        table.add_column(header, no_wrap=header in ("prefix", "state"))
    for finding, (site, last) in zip(report.paths, _site_cells(report.paths), strict=True):
        marking = {None: "-", True: "ok", False: "wrong"}[finding.marking_ok]
        table.add_row(
            _data(site),
            _data(finding.app),
            _data(finding.prefix),
            _styled(finding.state.value, finding.severity),
            _data("+".join(finding.actual_links) or "-"),
            _styled(yes_no(finding.redundant), Severity.OK)
            if finding.redundant
            else Text(yes_no(finding.redundant)),
            Text(marking),
            end_section=last,
        )
    return table


def _up(value: bool | None) -> str:
    return "?" if value is None else ("up" if value else "down")


def links_table(report: Report) -> Table:
    table = _table("Links")
    right: JustifyMethod = "right"
    for header in ("site", "link", "status", "oper", "bgp"):
        table.add_column(header)
    for header in ("in", "out", "errors", "discards"):
        table.add_column(header, justify=right)
    for finding, (site, last) in zip(report.links, _site_cells(report.links), strict=True):
        table.add_row(
            _data(site),
            _data(finding.link),
            _styled(severity_name(finding.severity), finding.severity),
            Text(_up(finding.oper_up)),
            Text(_up(finding.bgp_established)),
            Text(percent(finding.utilization_in)),
            Text(percent(finding.utilization_out)),
            Text(per_second(finding.error_rate)),
            Text(per_second(finding.discard_rate)),
            end_section=last,
        )
    return table


def _candidates_grid(finding: PathFinding) -> Table:
    grid = Table.grid(padding=(0, 2))
    for _ in range(len(CANDIDATE_COLUMNS)):
        grid.add_column()
    for candidate in finding.candidates:
        grid.add_row(*(Text(cell) for cell in candidate_cells(candidate)))
    return grid


def _path_details(finding: PathFinding) -> Iterator[RenderableType]:
    head = Text()
    head.append(printable(f"{finding.site} {finding.app} {finding.prefix}: "))
    state = finding.state.value.replace("_", " ")
    head.append(f"{state}, {severity_name(finding.severity)}", SEVERITY_STYLE[finding.severity])
    yield head
    yield Padding.indent(_data(finding.explanation), 2)
    if finding.state in (PathState.DRIFT, PathState.NO_ROUTE) and finding.candidates:
        yield Padding.indent(_candidates_grid(finding), 4)


def _link_details(finding: LinkFinding) -> Iterator[RenderableType]:
    head = Text()
    head.append(printable(f"{finding.site} link {finding.link}: "))
    head.append(severity_name(finding.severity), SEVERITY_STYLE[finding.severity])
    yield head
    yield Padding.indent(Text("; ".join(link_problems(finding))), 2)


def details(report: Report) -> list[RenderableType]:
    """The explanation of every path and link finding that is not OK."""
    lines: list[RenderableType] = []
    for path in report.paths:
        if path.severity is not Severity.OK:
            lines.extend(_path_details(path))
    for link in report.links:
        if link.severity is not Severity.OK:
            lines.extend(_link_details(link))
    return lines


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(report: Report) -> Text:
    states = report.state_counts()
    sites = len({f.site for f in report.paths} | {f.site for f in report.links})
    link_counts = Counter(f.severity for f in report.links)
    severity = report.severity()
    paths = ", ".join(f"{states[s.value]} {s.value.replace('_', ' ')}" for s in PathState)
    links = ", ".join(f"{link_counts.get(s, 0)} {severity_name(s)}" for s in SEVERITIES)
    text = Text(
        f"{_plural(len(report.paths), 'path')} at {_plural(sites, 'site')}: {paths}; "
        f"{_plural(len(report.links), 'link')}: {links}. "
    )
    text.append(
        f"{severity_name(severity).upper()} (exit {severity.exit_code})",
        "bold " + SEVERITY_STYLE[severity],
    )
    return text


def report_renderable(report: Report) -> RenderableType:
    parts: list[RenderableType] = [
        Text(f"sprmon check, evaluated at {format_time(report.evaluated_at)}"),
        Text(),
        paths_table(report),
        Text(),
        links_table(report),
    ]
    explained = details(report)
    if explained:
        parts += [Text(), Text("Findings", style="bold"), *explained]
    parts += [Text(), summary_line(report)]
    return Group(*parts)


def render_table(report: Report, *, width: int = WIDTH, color: bool = False) -> str:
    """The report as plain text (or with ANSI colours), as the CLI prints it."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        markup=False,
    )
    console.print(report_renderable(report))
    if color:
        return buffer.getvalue()
    # rich pads every table row to the table's width; trailing blanks only get in
    # the way of diffs and golden files.
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())
