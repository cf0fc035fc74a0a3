"""``sprmon check``: evaluate the intent against observed state and report, as a monitoring plugin."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from sprmon.cli.common import (
    EXIT_CODES_HELP,
    CliUsageError,
    check_sites,
    load_intent_or_fail,
    load_snapshot_or_fail,
    log,
    print_renderable,
    write_text,
)
from sprmon.core.evaluate import UnknownSiteError, evaluate
from sprmon.core.findings import Report
from sprmon.core.intent import Intent
from sprmon.core.observed import Snapshot
from sprmon.reports.json_report import render_json
from sprmon.reports.junit import render_junit
from sprmon.reports.table import render_table, report_renderable

__all__ = ["FORMATS", "check", "evaluate_checked", "obtain_snapshot"]

FORMATS = ("table", "json", "junit")


def obtain_snapshot(intent: Intent, snapshot_path: Path | None, sites: Sequence[str]) -> Snapshot:
    """The observed state to judge: a saved snapshot file, or (later) a live poll of ``sites``.

    Live collection plugs in here: when ``snapshot_path`` is None, poll the
    intent's sites (only ``sites`` if given) and return the Snapshot.
    """
    if snapshot_path is None:
        raise CliUsageError(
            "live collection is not available yet: pass --snapshot FILE "
            "(a saved snapshot, see docs/snapshot-format.md)"
        )
    del intent, sites  # used by live collection only
    return load_snapshot_or_fail(snapshot_path)


def evaluate_checked(intent: Intent, snapshot: Snapshot, sites: Sequence[str]) -> Report:
    """Evaluate as of the snapshot's own time, so that a saved snapshot never goes stale."""
    try:
        return evaluate(intent, snapshot, snapshot.effective_time(), sites=sites or None)
    except UnknownSiteError as exc:  # check_sites runs first; this is the core's own guard
        raise CliUsageError(str(exc)) from exc


@click.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--intent",
    "-i",
    "intent_file",
    required=True,
    type=click.Path(path_type=Path),
    help="The intent file (YAML) describing sites, links and applications.",
)
@click.option(
    "--snapshot",
    "-s",
    "snapshot_file",
    type=click.Path(path_type=Path),
    help="A saved snapshot (JSON) of the routers' state. Required until live collection exists.",
)
@click.option(
    "--site",
    "sites",
    multiple=True,
    metavar="NAME",
    help="Only this site (repeat for several). Default: every site of the intent.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for people, json for programs (docs/json-output.md), junit for CI.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file instead of stdout; the exit code is the same.",
)
@click.pass_context
def check(
    ctx: click.Context,
    intent_file: Path,
    snapshot_file: Path | None,
    sites: tuple[str, ...],
    output_format: str,
    output: Path | None,
) -> None:
    """Report, for every site and application prefix, which link it leaves over.

    Every path is compliant, failover (the preferred link is down: expected, but
    degraded), drift (the preferred link is up but the path avoids it: the policy
    is broken), no_route or unknown; every link is checked for its interface, BGP
    session, utilisation and errors. The exit code is the worst finding.

    \b
    Examples:
      sprmon check --intent examples/scenario/intent.yaml \\
                   --snapshot examples/scenario/snapshots/mixed.json
      sprmon check -i intent.yaml -s snap.json --site branch-03 --format json
      sprmon check -i intent.yaml -s snap.json --format junit -o sprmon.xml
    """
    intent = load_intent_or_fail(intent_file)
    check_sites(intent, sites)
    snapshot = obtain_snapshot(intent, snapshot_file, sites)
    report = evaluate_checked(intent, snapshot, sites)
    log.info(
        "evaluated %d path(s) and %d link(s): %s",
        len(report.paths),
        len(report.links),
        report.severity().name,
    )
    if output_format == "json":
        write_text(render_json(report), output)
    elif output_format == "junit":
        write_text(render_junit(report), output)
    else:
        print_renderable(report_renderable(report), render_table(report), output)
    ctx.exit(int(report.severity()))
