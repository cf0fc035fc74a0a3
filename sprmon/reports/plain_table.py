"""The table report as plain text without rich: the same bytes, when they are simple to lay out.

``sprmon check`` run by a monitoring system, into a pipe or with ``-o FILE``
prints :func:`sprmon.reports.table.render_table`'s plain text. Importing rich
and laying the report out with it was a fifth of such a check's start-up
(bench/README.md). For the usual report the layout is simple: ASCII text,
tables that fit the width, no word longer than a line. This module lays out
exactly that case and answers ``None`` for anything else (text rich measures
in cells, such as wide or combining characters; a table rich would narrow; a
word rich would cut; an empty column), which the caller then renders with
rich. The words come from :mod:`sprmon.reports.table_text`, as rich's tables
take them; tests/reports/test_plain_table.py holds both layouts to the same
bytes over generated reports.

What rich does that this reproduces (rich's ``Table``, ``Padding`` and
``Text.wrap``): a column is as wide as its widest cell; two columns are three
spaces apart (padding, divider, padding; none at the edges); the header is
underlined with ``─`` across the table; a site's rows end with a blank line,
but the last; an explanation is indented 2 and wrapped at the width less 2;
the candidate paths are a grid indented 4 whose columns are two spaces
apart; lines wrap between words, before the first word that does not fit.
Trailing blanks are dropped, as render_table drops them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from sprmon.core.findings import PathFinding, Report, Severity
from sprmon.reports._format import candidate_cells
from sprmon.reports.table_text import (
    LINK_COLUMNS,
    LINK_RIGHT_ALIGNED,
    PATH_COLUMNS,
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

__all__ = ["render_plain_table"]

#: Between two columns of a table: the left one's padding, the divider, the right one's padding.
_TABLE_GAP = 3
#: Between two columns of the candidate grid (its padding, collapsed).
_GRID_GAP = 2
_RULE = "\u2500"
#: A word as rich's wrapping sees it: leading blanks, the word, trailing blanks.
_WORD = re.compile(r"\s*\S+\s*")


class _NeedsRich(Exception):
    """The report has something only rich lays out faithfully."""


def render_plain_table(report: Report, *, width: int = 80) -> str | None:
    """:func:`~sprmon.reports.table.render_table`'s text (no colours), or None to ask rich."""
    try:
        lines = _report_lines(report, width)
    except _NeedsRich:
        return None
    return "".join(line.rstrip() + "\n" for line in lines)


def _report_lines(report: Report, width: int) -> list[str]:
    lines = _wrapped(title_line(report), width)
    lines.append("")
    path_rows = [
        (path_cells(finding, site), last)
        for finding, (site, last) in zip(report.paths, site_cells(report.paths), strict=True)
    ]
    lines += _table("Paths", PATH_COLUMNS, (), path_rows, width)
    lines.append("")
    link_rows = [
        (link_cells(finding, site), last)
        for finding, (site, last) in zip(report.links, site_cells(report.links), strict=True)
    ]
    lines += _table("Links", LINK_COLUMNS, LINK_RIGHT_ALIGNED, link_rows, width)
    explained: list[str] = []
    for path in report.paths:
        if path.severity is not Severity.OK:
            explained += _path_details(path, width)
    for link in report.links:
        if link.severity is not Severity.OK:
            explained += _wrapped("".join(link_head(link)), width)
            explained += _indented(link_explanation(link), 2, width)
    if explained:
        lines += ["", "Findings", *explained]
    lines.append("")
    lines += _wrapped("".join(summary_parts(report)), width)
    return lines


def _path_details(finding: PathFinding, width: int) -> list[str]:
    lines = _wrapped("".join(path_head(finding)), width)
    lines += _indented(path_explanation(finding), 2, width)
    if shows_candidates(finding):
        rows = [candidate_cells(candidate) for candidate in finding.candidates]
        lines += ["    " + line for line in _grid(rows, width - 4)]
    return lines


def _ascii(text: str) -> str:
    # Printable ASCII takes one cell a character: rich measures anything else itself.
    if not (text.isascii() and text.isprintable()):
        raise _NeedsRich
    return text


def _column_widths(rows: Sequence[Sequence[str]]) -> list[int]:
    widths = [max(len(_ascii(cell)) for cell in column) for column in zip(*rows, strict=True)]
    if 0 in widths:
        # rich gives an empty column a width of its own (and a table then too wide to keep).
        raise _NeedsRich
    return widths


def _table(
    title: str,
    columns: Sequence[str],
    right_aligned: Sequence[str],
    rows: Sequence[tuple[Sequence[str], bool]],
    width: int,
) -> list[str]:
    """A titled table with a ruled header; rows whose flag is set end a section (blank line)."""
    widths = _column_widths([columns, *(cells for cells, _ in rows)])
    table_width = sum(widths) + _TABLE_GAP * (len(widths) - 1)
    if table_width > width or len(title) > table_width:
        raise _NeedsRich
    gap = " " * _TABLE_GAP
    right = [column in right_aligned for column in columns]

    def line(cells: Sequence[str]) -> str:
        return gap.join(
            cell.rjust(size) if flush_right else cell.ljust(size)
            for cell, size, flush_right in zip(cells, widths, right, strict=True)
        )

    lines = [title, line(columns), _RULE * table_width]
    for i, (cells, end_section) in enumerate(rows):
        lines.append(line(cells))
        if end_section and i < len(rows) - 1:
            lines.append("")
    return lines


def _grid(rows: Sequence[Sequence[str]], width: int) -> list[str]:
    """Rows of cells, left-aligned, columns _GRID_GAP apart, no title, header or rule."""
    widths = _column_widths(rows)
    if sum(widths) + _GRID_GAP * (len(widths) - 1) > width:
        raise _NeedsRich
    gap = " " * _GRID_GAP
    return [
        gap.join(cell.ljust(size) for cell, size in zip(cells, widths, strict=True))
        for cells in rows
    ]


def _indented(text: str, indent: int, width: int) -> list[str]:
    if not text.strip():
        # rich measures a blank text as nothing and renders it in no width at all.
        raise _NeedsRich
    return [" " * indent + line for line in _wrapped(text, width - indent)]


def _wrapped(text: str, width: int) -> list[str]:
    """``text`` wrapped as rich wraps a Text: before each word that does not fit the line.

    Only the word's visible part must fit (its trailing blanks may pass the
    width); a word longer than a whole line is rich's to cut.
    """
    _ascii(text)
    breaks = [0]
    used = 0
    for word in _WORD.finditer(text):
        visible = len(word.group().rstrip())
        if visible <= width - used:
            used += len(word.group())
        elif visible > width:
            raise _NeedsRich
        elif used and word.start():
            breaks.append(word.start())
            used = len(word.group())
    breaks.append(len(text))
    return [text[start:end] for start, end in pairwise(breaks)]
