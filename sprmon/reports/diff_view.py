"""What moved between two reports (:func:`sprmon.core.diff.diff_reports`), for people and programs."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Mapping
from enum import Enum
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from sprmon.core.diff import ReportDiff
from sprmon.core.findings import Report, Severity
from sprmon.reports._format import SEVERITY_STYLE, severity_name
from sprmon.snapshot import format_time

__all__ = ["DIFF_SCHEMA", "diff_exit_code", "diff_renderable", "diff_to_dict", "render_diff_json"]

DIFF_SCHEMA = "sprmon.diff/v1"


def diff_exit_code(diff: ReportDiff) -> int:
    """0 when nothing got worse, else the severity of the worst regression."""
    return int(diff.severity()) if diff.got_worse else 0


def _plain(value: Any) -> Any:
    """A change's key or value as JSON: enums by value, tuples as arrays."""
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        return [_plain(v) for v in value]
    return value


def _text(value: Any) -> str:
    plain = _plain(value)
    if plain is None:
        return "-"
    if isinstance(plain, list):
        return " ".join(_text(v) for v in plain)
    return str(plain)


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
        "severity": severity_name(diff.severity()) if diff.got_worse else "ok",
        "exit_code": diff_exit_code(diff),
        "summary": {
            "changes": len(diff.changes),
            "got_worse": worse,
            "other": len(diff.changes) - worse,
        },
        "changes": [
            {
                "kind": _plain(c.kind),
                "key": _plain(c.key),
                "before": _plain(c.before),
                "after": _plain(c.after),
                "got_worse": c.got_worse,
                "description": c.description,
            }
            for c in diff.changes
        ],
    }


def render_diff_json(diff: ReportDiff, before: Report, after: Report) -> str:
    return json.dumps(diff_to_dict(diff, before, after), indent=2, ensure_ascii=False) + "\n"


def diff_renderable(diff: ReportDiff, before: Report, after: Report) -> RenderableType:
    head = Text(
        f"sprmon diff: {format_time(before.evaluated_at)} "
        f"({severity_name(before.severity())}) -> {format_time(after.evaluated_at)} "
        f"({severity_name(after.severity())})"
    )
    if not diff.changes:
        return Group(head, Text(), Text("Nothing changed.", style=SEVERITY_STYLE[Severity.OK]))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("", no_wrap=True)
    table.add_column("what")
    table.add_column("change")
    for change in diff.changes:
        worse = change.got_worse
        table.add_row(
            Text("worse", style=SEVERITY_STYLE[Severity.CRITICAL]) if worse else Text(""),
            Text(_text(change.key)),
            Text(change.description),
        )
    count = sum(1 for c in diff.changes if c.got_worse)
    code = diff_exit_code(diff)
    verdict = Text(f"{len(diff.changes)} change(s), {count} got worse. ")
    verdict.append(
        f"{severity_name(Severity(code)).upper()} (exit {code})",
        "bold " + SEVERITY_STYLE[Severity(code)],
    )
    return Group(head, Text(), table, Text(), verdict)


def render_diff_table(diff: ReportDiff, before: Report, after: Report, *, width: int = 80) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, no_color=True, color_system=None, highlight=False, markup=False
    )
    console.print(diff_renderable(diff, before, after))
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())
