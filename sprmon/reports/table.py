"""The report as tables for people: readable in 80 columns, coloured on a terminal.

Two tables (paths, links), then the explanation of every finding that is not
OK, then a summary line. Data from the network (site names, explanations) is
always wrapped in :class:`rich.text.Text`, never parsed as rich markup: a site
called ``[red]x`` must print as itself; and it goes through
:func:`~sprmon.printable.printable` first, so that an ESC or a CR in it prints
as ``\\x1b`` or ``\\r`` instead of acting on the terminal (rich would drop a CR
silently and let an ESC through). The words come from
:mod:`sprmon.reports.table_text`, which the plain layout
(:mod:`sprmon.reports.plain_table`) shares.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from rich import box
from rich.console import Console, Group, JustifyMethod, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from sprmon.core.findings import LinkFinding, PathFinding, Report, Severity
from sprmon.reports._format import CANDIDATE_COLUMNS, SEVERITY_STYLE, candidate_cells
from sprmon.reports.table_text import (
    LINK_COLUMNS,
    LINK_RIGHT_ALIGNED,
    PATH_COLUMNS,
    PATH_NO_WRAP,
    link_cells,
    link_explanation,
    link_head,
    path_cells,
    path_explanation,
    path_head,
    shows_candidates,
    site_cells,
    summary_parts,
    title_line,
)

__all__ = ["links_table", "paths_table", "render_table", "report_renderable", "summary_line"]

#: The width the layout is designed for; rich uses the terminal's when it is wider.
WIDTH = 80


def _table(title: str) -> Table:
    return Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
    )


def paths_table(report: Report) -> Table:
    table = _table("Paths")
    for header in PATH_COLUMNS:
        table.add_column(header, no_wrap=header in PATH_NO_WRAP)
    for finding, (site, last) in zip(report.paths, site_cells(report.paths), strict=True):
        styles = {"state": SEVERITY_STYLE[finding.severity]}
        if finding.redundant:
            styles["redundant"] = SEVERITY_STYLE[Severity.OK]
        table.add_row(*_row(PATH_COLUMNS, path_cells(finding, site), styles), end_section=last)
    return table


def links_table(report: Report) -> Table:
    table = _table("Links")
    right: JustifyMethod = "right"
    for header in LINK_COLUMNS:
        table.add_column(header, justify=right if header in LINK_RIGHT_ALIGNED else "left")
    for finding, (site, last) in zip(report.links, site_cells(report.links), strict=True):
        styles = {"status": SEVERITY_STYLE[finding.severity]}
        table.add_row(*_row(LINK_COLUMNS, link_cells(finding, site), styles), end_section=last)
    return table


def _row(columns: tuple[str, ...], cells: tuple[str, ...], styles: dict[str, str]) -> list[Text]:
    """A row's cells as Text, coloured where ``styles`` (by column name) says."""
    return [
        Text(cell, style=styles.get(column, ""))
        for column, cell in zip(columns, cells, strict=True)
    ]


def _candidates_grid(finding: PathFinding) -> Table:
    grid = Table.grid(padding=(0, 2))
    for _ in range(len(CANDIDATE_COLUMNS)):
        grid.add_column()
    for candidate in finding.candidates:
        grid.add_row(*(Text(cell) for cell in candidate_cells(candidate)))
    return grid


def _head(what: str, verdict: str, severity: Severity) -> Text:
    head = Text(what)
    head.append(verdict, SEVERITY_STYLE[severity])
    return head


def _path_details(finding: PathFinding) -> Iterator[RenderableType]:
    yield _head(*path_head(finding), finding.severity)
    yield Padding.indent(Text(path_explanation(finding)), 2)
    if shows_candidates(finding):
        yield Padding.indent(_candidates_grid(finding), 4)


def _link_details(finding: LinkFinding) -> Iterator[RenderableType]:
    yield _head(*link_head(finding), finding.severity)
    yield Padding.indent(Text(link_explanation(finding)), 2)


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


def summary_line(report: Report) -> Text:
    counts, verdict = summary_parts(report)
    text = Text(counts)
    text.append(verdict, "bold " + SEVERITY_STYLE[report.severity()])
    return text


def report_renderable(report: Report) -> RenderableType:
    parts: list[RenderableType] = [
        Text(title_line(report)),
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
