"""``sprmon run``: watch every site continuously (the daemon, docs/daemon.md)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click

from sprmon.cli.common import CliError, CliUsageError, intent_option, load_intent_or_fail
from sprmon.daemon.exporters import build_exporters
from sprmon.daemon.logs import JsonFormatter
from sprmon.daemon.runner import DaemonStartError, RunOptions, run_daemon
from sprmon.daemon.shard import Shard, ShardError

__all__ = ["run"]

_EPILOG = """\b
Signals:
  SIGHUP   reload the intent file; a file with problems is rejected
           (each problem in the log) and the intent in force stays
  SIGTERM  stop cleanly (also SIGINT, Ctrl-C): polls are cancelled,
           exporters closed, exit 0
\b
Exit codes:
  0  stopped by SIGTERM or SIGINT
  3  could not start: bad intent file, bad option, port in use
"""


@click.command(short_help="Watch every site continuously (the daemon).", epilog=_EPILOG)
@intent_option("The intent file (YAML): sites, links, applications, and its monitor: section.")
@click.option(
    "--shard",
    "shard_text",
    default="0/1",
    show_default=True,
    metavar="INDEX/COUNT",
    help="Own only this share of the sites, by a stable hash of the site name: COUNT "
    "processes with 0/COUNT .. COUNT-1/COUNT cover every site exactly once.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object per line on stderr, for a log shipper.",
)
def run(intent_file: Path, shard_text: str, log_format: str) -> None:
    """Poll every site of the intent on a schedule and publish what changes.

    Intervals, convergence grace, jitter and the bound on polls in flight
    come from the intent's monitor: section (docs/intent-file.md). A site not
    heard from within thresholds.stale_after is unknown, never its last good
    state. One log line per state change, not per poll.

    \b
    Examples:
      sprmon run --intent intent.yaml
      sprmon run -i intent.yaml --shard 0/2 --log-format json
    """
    try:
        shard = Shard.parse(shard_text)
    except ShardError as exc:
        raise CliUsageError(f"--shard {exc}") from exc
    _configure_logs(log_format)
    intent = load_intent_or_fail(intent_file)
    try:
        options = RunOptions(intent_path=intent_file, shard=shard, exporters=build_exporters(shard))
        asyncio.run(run_daemon(options, intent))
    except DaemonStartError as exc:
        raise CliError(str(exc)) from exc


def _configure_logs(log_format: str) -> None:
    """State changes are the daemon's output: INFO at least, whatever -v says."""
    logger = logging.getLogger("sprmon")
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    if log_format == "json":
        for handler in logger.handlers:
            handler.setFormatter(JsonFormatter())
