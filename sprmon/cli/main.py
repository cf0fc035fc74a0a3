"""The ``sprmon`` command: a click group with one module per command.

Each command's module is imported only when that command runs (a lazy group,
as in click's documentation): ``sprmon --help`` and a one-off ``sprmon check``
from a monitoring system must not pay for the lab, the daemon, the exporters,
pysnmp or gRPC (issue 10: start-up was most of a plugin check's cost).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from gettext import gettext as _
from typing import Any

import click

from sprmon.cli.common import (
    EXIT_CODES_HELP,
    EXIT_UNKNOWN,
    CliError,
    CliUsageError,
    PrintableFormatter,
    log,
)

__all__ = ["COMMANDS", "LazyCommand", "main"]


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a command lives, and its short help for the group's command list.

    The short help is a copy, so that listing the commands imports none of
    them; tests/cli/test_cli_startup.py keeps it equal to the command's own.
    """

    module: str
    attribute: str
    short_help: str

    def load(self) -> click.Command:
        command = getattr(importlib.import_module(self.module), self.attribute)
        if not isinstance(command, click.Command):  # pragma: no cover - a registry typo
            raise TypeError(f"{self.module}.{self.attribute} is not a click command")
        return command


#: Every ``sprmon`` command, by name.
COMMANDS: dict[str, LazyCommand] = {
    "validate": LazyCommand(
        "sprmon.cli.validate", "validate", "Check an intent file and list every problem in it."
    ),
    "check": LazyCommand(
        "sprmon.cli.check", "check", "Report which link each application prefix leaves over."
    ),
    "run": LazyCommand("sprmon.cli.run", "run", "Watch every site continuously (the daemon)."),
    "diff": LazyCommand("sprmon.cli.diff", "diff", "Show what moved between two snapshots."),
    "lab": LazyCommand(
        "sprmon.cli.lab_commands",
        "lab",
        "Run a simulated WAN of real SNMP agents and gNMI targets.",
    ),
    "demo": LazyCommand(
        "sprmon.cli.demo", "demo", "Start here: watch sprmon catch a drift in a simulated WAN."
    ),
}


def _version() -> str:
    # importlib.metadata costs tens of milliseconds: paid only for --version.
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("sprmon")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return "unknown"


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``, as click's version_option prints it, with the version looked up late."""
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"sprmon {_version()}", color=ctx.color)
    ctx.exit()


class SprmonGroup(click.Group):
    """A group of lazily loaded commands whose failures follow the monitoring-plugin convention.

    Usage errors exit 3 (click's own 2 would read as CRITICAL) and print one
    line; an unexpected exception prints one line too, with its traceback only
    at ``-vv``, so that a monitoring system never shows a traceback as status.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in COMMANDS:
            command = COMMANDS[cmd_name].load()
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's command list, with the registry's short help for commands not loaded."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is None:
                rows.append((name, COMMANDS[name].short_help))
            elif not loaded.hidden:
                rows.append((name, loaded.get_short_help_str(limit)))
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)

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
    """Writes to whatever stderr is at the time (click's test runner swaps it).

    Its formatter is set with :func:`_configure_logging` (the daemon may swap
    it for a JSON one); both write records' messages printable.
    """

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
        handler.setFormatter(PrintableFormatter("sprmon: %(levelname)s: %(name)s: %(message)s"))
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
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
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
