"""The ``sprmon`` command: a click group with one module per command."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import click

from sprmon.cli.check import check
from sprmon.cli.common import EXIT_CODES_HELP, EXIT_UNKNOWN, CliError, CliUsageError, log
from sprmon.cli.demo import demo
from sprmon.cli.diff import diff
from sprmon.cli.lab_commands import lab
from sprmon.cli.run import run
from sprmon.cli.validate import validate

__all__ = ["main"]


def _version() -> str:
    try:
        return version("sprmon")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "unknown"


class SprmonGroup(click.Group):
    """A group whose failures follow the monitoring-plugin convention.

    Usage errors exit 3 (click's own 2 would read as CRITICAL) and print one
    line; an unexpected exception prints one line too, with its traceback only
    at ``-vv``, so that a monitoring system never shows a traceback as status.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise _exit_unknown(exc) from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _exit_unknown(exc) from exc
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            # The one place that catches everything: a bug must still end as
            # UNKNOWN with one line, not as a traceback in a monitoring console.
            log.debug("internal error", exc_info=True)
            raise CliError(
                f"internal error: {type(exc).__name__}: {exc} "
                "(run with -vv for the traceback, and please report it)"
            ) from exc


class _StderrHandler(logging.Handler):
    """Writes to whatever stderr is at the time (click's test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:  # logging must never break the command it reports on
            self.handleError(record)


def _configure_logging(verbose: int) -> None:
    """Send sprmon's log records to stderr, more of them with each ``-v``."""
    logger = logging.getLogger("sprmon")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("sprmon: %(levelname)s: %(name)s: %(message)s"))
        logger.addHandler(handler)
    if verbose:
        logger.setLevel(logging.INFO if verbose == 1 else logging.DEBUG)


def _exit_unknown(exc: click.UsageError) -> click.UsageError:
    if isinstance(exc, CliUsageError):
        return exc
    return CliUsageError(exc.format_message(), exc.ctx)


@click.group(
    cls=SprmonGroup,
    epilog=EXIT_CODES_HELP,
    invoke_without_command=True,
    context_settings={"max_content_width": 80},
)
@click.version_option(_version(), "--version", prog_name="sprmon", message="%(prog)s %(version)s")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Log more to stderr: -v for progress, -vv for debugging detail.",
)
@click.pass_context
def main(ctx: click.Context, verbose: int) -> None:
    """Is each application leaving over the link the BGP policy intends?

    sprmon compares an intent file (sites, links, applications and the link each
    application must use) with what the site routers report (BGP paths, peers,
    interface counters) and reports every path and link that is not as intended.

    \b
    Start here:
      sprmon demo                         watch a simulated WAN break
      sprmon lab --write-intent lab.yaml  run it; then, in another terminal:
      sprmon check --intent lab.yaml      check it live over SNMP
      sprmon validate examples/scenario/intent.yaml
      sprmon check --intent examples/scenario/intent.yaml \\
                   --snapshot examples/scenario/snapshots/mixed.json
    """
    _configure_logging(verbose)
    if ctx.invoked_subcommand is None:
        # Help, but not "OK": a monitoring system calling a bare sprmon must not see 0.
        click.echo(ctx.get_help())
        ctx.exit(EXIT_UNKNOWN)


main.add_command(validate)
main.add_command(check)
main.add_command(run)
main.add_command(diff)
main.add_command(lab)
main.add_command(demo)
