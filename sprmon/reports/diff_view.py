"""What moved between two reports (:func:`sprmon.core.diff.diff_reports`), as text or JSON.

As in the other renderers, names and texts from the network are printable
(:mod:`sprmon.printable`): escaped in the table, ``\\uXXXX`` in the JSON.
"""

from __future__ import annotations

import io
import json
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from sprmon.core.diff import ReportDiff
from sprmon.core.findings import Report, Severity
from sprmon.isotime import format_time
from sprmon.printable import json_printable, printable
from sprmon.reports._format import SEVERITY_STYLE, severity_name

__all__ = ["DIFF_SCHEMA", "diff_exit_code", "diff_renderable", "diff_to_dict", "render_diff_json"]

DIFF_SCHEMA = "sprmon.diff/v1"


def diff_exit_code(diff: ReportDiff) -> int:
    """0 when nothing got worse, else the exit code of the worst regression's severity."""
    return diff.severity().exit_code


def diff_to_dict(diff: ReportDiff, before: Report, after: Report) -> dict[str, Any]:
    worse = sum(1 for c in diff.changes if c.got_worse)
    return {
        "schema": DIFF_SCHEMA,
        "before": {
            "evaluated_at": format_time(before.evaluated_at),
            "severity": severity_name(before.severity()),
        },
        "after": {
            "evaluated_at": format_time(after.evaluated_at),
            "severity": severity_name(after.severity()),
        },
        "got_worse": diff.got_worse,
        "severity": severity_name(diff.severity()),
        "exit_code": diff_exit_code(diff),
        "summary": {
            "changes": len(diff.changes),
            "got_worse": worse,
            "other": len(diff.changes) - worse,
        },
        "changes": [
            {
                "kind": c.kind.value,
                "key": list(c.key),
                "before": c.before,
                "after": c.after,
                "got_worse": c.got_worse,
                "severity": severity_name(c.severity),
                "description": c.description,
            }
            for c in diff.changes
        ],
    }


def render_diff_json(diff: ReportDiff, before: Report, after: Report) -> str:
    document = json.dumps(diff_to_dict(diff, before, after), indent=2, ensure_ascii=False)
    return json_printable(document) + "\n"


def _change_lines(diff: ReportDiff) -> list[RenderableType]:
    """Changes grouped by finding: the finding once, then what changed, worst marked."""
    lines: list[RenderableType] = []
    grid: Table | None = None
    current: tuple[str, ...] | None = None
    for change in diff.changes:
        if change.key != current:
            current = change.key
            lines.append(Text(printable(" ".join(change.key)), style="bold"))
            grid = Table.grid(padding=(0, 1))
            grid.add_column(width=5, no_wrap=True)
            grid.add_column()
            lines.append(Padding.indent(grid, 2))
        assert grid is not None
        lead = " ".join(change.key) + ": "
        text = change.description.removeprefix(lead)
        marker = (
            Text("worse", style=SEVERITY_STYLE[change.severity]) if change.got_worse else Text("")
        )
        grid.add_row(marker, Text(printable(text)))
    return lines


def diff_renderable(diff: ReportDiff, before: Report, after: Report) -> RenderableType:
    head = Text(
        f"sprmon diff: {format_time(before.evaluated_at)} "
        f"({severity_name(before.severity())}) -> {format_time(after.evaluated_at)} "
        f"({severity_name(after.severity())})"
    )
    if not diff.changes:
        verdict = Text("Nothing changed. ")
        verdict.append("OK (exit 0)", "bold " + SEVERITY_STYLE[Severity.OK])
        return Group(head, Text(), verdict)
    count = sum(1 for c in diff.changes if c.got_worse)
    severity = diff.severity()
    verdict = Text(f"{len(diff.changes)} changes, {count} got worse. ")
    verdict.append(
        f"{severity_name(severity).upper()} (exit {severity.exit_code})",
        "bold " + SEVERITY_STYLE[severity],
    )
    return Group(head, Text(), *_change_lines(diff), Text(), verdict)


def render_diff_table(diff: ReportDiff, before: Report, after: Report, *, width: int = 80) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, no_color=True, color_system=None, highlight=False, markup=False
    )
    console.print(diff_renderable(diff, before, after))
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())
