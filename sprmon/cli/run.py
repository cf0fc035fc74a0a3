"""``sprmon run``: watch every site continuously (the daemon, docs/daemon.md)."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import click

from sprmon.cli.common import CliError, CliUsageError, intent_option, load_config_or_fail
from sprmon.daemon.exporters import MetricsOptions, build_exporters
from sprmon.daemon.logs import JsonFormatter
from sprmon.daemon.runner import DaemonStartError, RunOptions, run_daemon
from sprmon.daemon.shard import Shard, ShardError
from sprmon.exporters.web import DEFAULT_HOST, DEFAULT_PORT
from sprmon.exporters.webconfig import WebConfig, WebConfigError, load_web_config

__all__ = ["parse_listen", "run"]

_LISTEN = re.compile(r"\[(?P<v6>[^\]]+)\]:(?P<port6>\d+)|(?P<host>[^:\[\]]+):(?P<port>\d+)")

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
    "--listen",
    default=f"{DEFAULT_HOST}:{DEFAULT_PORT}",
    show_default=True,
    metavar="HOST:PORT",
    help="Serve /metrics and /healthz here ([ADDRESS]:PORT for IPv6; port 0 picks a free "
    "one, logged at start). Loopback by default: exposing the metrics is a decision, "
    "ideally with --web-config.",
)
@click.option(
    "--web-config",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="TLS and basic authentication for /metrics, in the Prometheus exporter "
    "toolkit's web config format (docs/metrics.md).",
)
@click.option(
    "--per-prefix-metrics",
    is_flag=True,
    help="Also export one series per (site, prefix): sprmon_path_state and friends. "
    "Off by default: 10,000 sites x 20 prefixes would cost millions of series.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object per line on stderr, for a log shipper.",
)
def run(  # noqa: PLR0917 - click passes every option as an argument
    intent_file: Path,
    shard_text: str,
    listen: str,
    web_config: Path | None,
    per_prefix_metrics: bool,
    log_format: str,
) -> None:
    """Poll every site of the intent on a schedule and publish what changes.

    Intervals, convergence grace, jitter and the bound on polls in flight
    come from the intent's monitor: section (docs/intent-file.md). A site not
    heard from within thresholds.stale_after is unknown, never its last good
    state. One log line per state change, not per poll.

    \b
    Examples:
      sprmon run --intent intent.yaml
      sprmon run -i intent.yaml --listen 0.0.0.0:10472 --web-config web.yml
      sprmon run -i intent.yaml --shard 0/2 --log-format json
    """
    try:
        shard = Shard.parse(shard_text)
    except ShardError as exc:
        raise CliUsageError(f"--shard {exc}") from exc
    host, port = parse_listen(listen)
    config = WebConfig()
    if web_config is not None:
        try:
            config = load_web_config(web_config)
        except WebConfigError as exc:
            first = str(exc.problems[0]) if exc.problems else str(web_config)
            raise CliError(f"invalid web config: {first}") from exc
    metrics = MetricsOptions(host=host, port=port, web_config=config, per_prefix=per_prefix_metrics)
    _configure_logs(log_format)
    loaded = load_config_or_fail(intent_file)
    try:
        options = RunOptions(
            intent_path=intent_file, shard=shard, exporters=build_exporters(shard, metrics)
        )
        asyncio.run(run_daemon(options, loaded))
    except DaemonStartError as exc:
        raise CliError(str(exc)) from exc


def parse_listen(text: str) -> tuple[str, int]:
    """``127.0.0.1:10472`` or ``[::1]:10472`` -> (host, port); a usage error otherwise."""
    match = _LISTEN.fullmatch(text.strip())
    port_text = None if match is None else match.group("port6") or match.group("port")
    if match is None or port_text is None or int(port_text) > 65535:
        raise CliUsageError(
            f"--listen {text}: expected HOST:PORT, e.g. 127.0.0.1:{DEFAULT_PORT} or "
            f"[::1]:{DEFAULT_PORT} (port 0 picks a free one)"
        )
    return match.group("v6") or match.group("host"), int(port_text)


def _configure_logs(log_format: str) -> None:
    """State changes are the daemon's output: INFO at least, whatever -v says."""
    logger = logging.getLogger("sprmon")
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    if log_format == "json":
        for handler in logger.handlers:
            handler.setFormatter(JsonFormatter())
