"""``sprmon diff BEFORE AFTER``: what moved between two snapshots."""

from __future__ import annotations

from pathlib import Path

import click

from sprmon.cli.common import (
    check_sites,
    format_option,
    intent_option,
    judge_or_fail,
    load_intent_or_fail,
    load_snapshot_or_fail,
    log,
    output_option,
    print_renderable,
    sites_option,
    write_text,
)
from sprmon.core.diff import diff_reports
from sprmon.reports.diff_view import (
    diff_exit_code,
    diff_renderable,
    render_diff_json,
    render_diff_table,
)

__all__ = ["diff"]

_EPILOG = """\b
Exit codes:
  0  nothing got worse (changes for the better may be listed)
  1  the worst regression is a warning (e.g. a failover, a lost backup)
  2  the worst regression is critical (e.g. a drift, a lost route)
  3  bad intent, unreadable or wrong-version snapshot, usage error
"""


@click.command(short_help="Show what moved between two snapshots.", epilog=_EPILOG)
@click.argument("before_file", metavar="BEFORE", type=click.Path(path_type=Path))
@click.argument("after_file", metavar="AFTER", type=click.Path(path_type=Path))
@intent_option("The intent file both snapshots are judged against.")
@sites_option("Only this site (repeatable).")
@format_option(["table", "json"], "table for people, json for programs.")
@output_option("Write the result to this file instead of stdout.")
@click.pass_context
def diff(  # noqa: PLR0917 - click passes every option as an argument
    ctx: click.Context,
    before_file: Path,
    after_file: Path,
    intent_file: Path,
    sites: tuple[str, ...],
    output_format: str,
    output: Path | None,
) -> None:
    """Show what moved between two snapshots, e.g. across a maintenance window.

    Both snapshots are evaluated against the same intent; the result lists the
    paths that changed link or state, redundancy lost or regained, marking
    changes and links whose state changed. The exit code is 0 unless something
    got worse.

    \b
    Example:
      sprmon diff examples/scenario/snapshots/before.json \\
                  examples/scenario/snapshots/after.json \\
                  --intent examples/scenario/intent.yaml
    """
    intent = load_intent_or_fail(intent_file, cached=True)
    check_sites(intent, sites)
    before = judge_or_fail(intent, load_snapshot_or_fail(before_file), sites)
    after = judge_or_fail(intent, load_snapshot_or_fail(after_file), sites)
    result = diff_reports(before, after)
    log.info("%d change(s), got worse: %s", len(result.changes), result.got_worse)
    if output_format == "json":
        write_text(render_diff_json(result, before, after), output)
    else:
        print_renderable(
            lambda: diff_renderable(result, before, after),
            lambda: render_diff_table(result, before, after),
            output,
        )
    ctx.exit(diff_exit_code(result))
