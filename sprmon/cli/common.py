"""What every command shares: exit codes, one-line errors, options, inputs and output."""

from __future__ import annotations

import gc
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
from click.decorators import FC

from sprmon.core.findings import Severity
from sprmon.printable import printable

# What a command needs is imported when it runs (pydantic, ruamel.yaml and rich
# cost more than the rest of a one-off check): these names are for mypy only.
if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from sprmon.core.findings import Report
    from sprmon.core.intent import Intent
    from sprmon.core.observed import Snapshot
    from sprmon.intentfile import LoadedIntent

log = logging.getLogger("sprmon.cli")

#: Monitoring-plugin exit codes (Nagios, Icinga, Sensu, Checkmk all read them).
EXIT_OK = Severity.OK.exit_code
EXIT_WARNING = Severity.WARNING.exit_code
EXIT_CRITICAL = Severity.CRITICAL.exit_code
EXIT_UNKNOWN = Severity.UNKNOWN.exit_code

#: The exit-code table for ``--help`` epilogs (``\b`` keeps click from re-wrapping it).
EXIT_CODES_HELP = """\b
Exit codes (monitoring-plugin convention, see docs/exit-codes.md):
  0  OK        every path compliant, every link healthy
  1  WARNING   failover, no backup, wrong marking, busy link
  2  CRITICAL  drift, no route, link or BGP session down
  3  UNKNOWN   data missing or stale; or sprmon could not run:
               bad intent file, unreadable or wrong-version
               snapshot, wrong usage
"""


class PrintableFormatter(logging.Formatter):
    """A log formatter whose messages are printable: a record quoting an agent's
    error text or a snapshot's name cannot act on the terminal, nor split its
    line. A traceback (``-vv``) keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return printable(super().formatMessage(record))


class CliError(click.ClickException):
    """Any input problem that stops a command: one line on stderr, exit 3.

    The message often quotes a file or an agent: it is printed printable
    (:func:`sprmon.printable.printable`), on one line whatever it quotes.
    """

    exit_code = EXIT_UNKNOWN

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"sprmon: error: {printable(self.format_message())}", err=True, file=file)


class CliUsageError(click.UsageError):
    """A usage error that exits 3 (click's own exit 2 would read as CRITICAL)."""

    exit_code = EXIT_UNKNOWN

    def show(self, file: IO[Any] | None = None) -> None:
        hint = ""
        if self.ctx is not None:
            hint = f" (see '{self.ctx.command_path} --help')"
        message = printable(self.format_message().rstrip("."))
        click.echo(f"sprmon: usage error: {message}{hint}", err=True, file=file)


# Options several commands take: the flags, names and types are the same
# everywhere; the help says what each command does with them.


class Seconds(click.ParamType[float, Any]):
    """A duration option: a finite number of seconds from ``low`` to ``high``.

    click's FloatRange lets NaN through (it compares false with both bounds)
    and, without an upper bound, infinity: ``check --interval inf`` slept
    for ever. Every duration option of every command is of this type, so that
    each refuses both with a usage error naming the option and its bounds.
    """

    name = "seconds"

    def __init__(self, low: float, high: float) -> None:
        self.low = low
        self.high = high

    def bounds(self) -> str:
        """``0 to 3600``: for the help and the error."""
        return f"{self.low:g} to {self.high:g}"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "SECONDS"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float | int) and not isinstance(value, bool):
            number = float(value)
        else:
            try:
                number = float(str(value))
            except ValueError:
                self.fail(f"{value!r} is not a number of seconds ({self.bounds()})", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value} is not a number of seconds ({self.bounds()})", param, ctx)
        if not self.low <= number <= self.high:
            self.fail(f"{value} is not within {self.bounds()} seconds", param, ctx)
        return number


def intent_option(help_text: str) -> Callable[[FC], FC]:
    """``--intent/-i FILE`` (required), passed as ``intent_file``."""
    return click.option(
        "--intent",
        "-i",
        "intent_file",
        required=True,
        type=click.Path(path_type=Path),
        help=help_text,
    )


def sites_option(help_text: str) -> Callable[[FC], FC]:
    """``--site NAME``, repeatable, passed as ``sites`` (a tuple, empty for every site)."""
    return click.option("--site", "sites", multiple=True, metavar="NAME", help=help_text)


def format_option(choices: Sequence[str], help_text: str) -> Callable[[FC], FC]:
    """``--format``, passed as ``output_format``; table by default."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default="table",
        show_default=True,
        help=help_text,
    )


def output_option(help_text: str) -> Callable[[FC], FC]:
    """``--output/-o FILE``, passed as ``output`` (None for stdout)."""
    return click.option(
        "--output",
        "-o",
        type=click.Path(path_type=Path, dir_okay=False),
        help=help_text,
    )


def load_intent_or_fail(path: Path, *, cached: bool = False) -> Intent:
    """The policy alone (see :func:`load_config_or_fail`)."""
    return load_config_or_fail(path, cached=cached).intent


def load_config_or_fail(path: Path, *, cached: bool = False) -> LoadedIntent:
    """The intent file's policy and inventory, or a CliError whose one line says what to
    fix and how to see it all.

    ``cached``: reuse what an earlier run compiled from the same files, if nothing it
    depends on changed (:mod:`sprmon.intentfile.cache`; for the one-off commands a
    monitoring system runs every minute).
    """
    from sprmon.intentfile.cache import cache_folder, load_config_cached  # noqa: PLC0415
    from sprmon.intentfile.problems import IntentFileError  # noqa: PLC0415

    try:
        return load_config_cached(path, cache_folder() if cached else None)
    except IntentFileError as exc:
        problems = exc.problems
        if not problems:
            raise CliError(f"{path}: not a valid intent file") from exc
        first = str(problems[0])
        if len(problems) == 1:
            raise CliError(f"invalid intent: {first}") from exc
        raise CliError(
            f"invalid intent ({len(problems)} problems, run 'sprmon validate {path}' "
            f"to list them): {first}"
        ) from exc


def load_snapshot_or_fail(path: Path) -> Snapshot:
    from sprmon.snapshot import SnapshotError, load_snapshot  # noqa: PLC0415

    # A large snapshot is a million new objects that form no cycles; the cyclic
    # collector, left on, walks them again and again while they are made. The
    # library leaves that choice to its caller: the command pauses it
    # (bench/README.md: loading a million paths takes about 40 % less CPU).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return load_snapshot(path)
    except SnapshotError as exc:
        raise CliError(f"invalid snapshot: {exc}") from exc
    finally:
        if was_enabled:
            gc.enable()


def check_sites(intent: Intent, names: Sequence[str]) -> None:
    """Every ``--site`` must be in the intent; the error names close and valid sites."""
    known = [site.name for site in intent.sites]
    known_set = set(known)
    unknown = [name for name in names if name not in known_set]
    if not unknown:
        return
    import difflib  # noqa: PLC0415 - only for this error message

    name = unknown[0]
    close = difflib.get_close_matches(name, known, n=3)
    shown = known[:10]
    listing = ", ".join(shown) + (f" and {len(known) - len(shown)} more" if len(known) > 10 else "")
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise CliUsageError(
        f"unknown site '{name}' in --site: {hint}the intent {intent.source} defines {listing}"
    )


def judge_or_fail(
    intent: Intent, snapshot: Snapshot, sites: Sequence[str], *, now: float | None = None
) -> Report:
    """:func:`sprmon.service.judge`, with an unknown site as a usage error.

    ``check_sites`` runs first with a friendlier message; this is the core's own guard.
    """
    from sprmon.core.evaluate import UnknownSiteError  # noqa: PLC0415
    from sprmon.service import judge  # noqa: PLC0415

    try:
        return judge(intent, snapshot, sites, now=now)
    except UnknownSiteError as exc:
        raise CliUsageError(str(exc)) from exc


def render_report(report: Report, output_format: str, output: Path | None) -> None:
    """The report in ``output_format`` (table, json, junit) on stdout, or in ``output``."""
    # Each format imports only its own renderer: the table needs rich, json and junit do not.
    if output_format == "json":
        from sprmon.reports.json_report import render_json  # noqa: PLC0415

        write_text(render_json(report), output)
    elif output_format == "junit":
        from sprmon.reports.junit import render_junit  # noqa: PLC0415

        write_text(render_junit(report), output)
    else:
        print_table(report, output)


def print_table(report: Report, output: Path | None) -> None:
    """The table report: rich's, coloured, on a terminal; otherwise its plain 80-column text.

    Without a terminal (a monitoring system, a pipe, ``-o``) rich is not even
    imported for the usual report: the plain layout gives its exact text
    (:mod:`sprmon.reports.plain_table`, a fifth of a check's start-up saved).
    """
    if output is None and may_be_a_terminal():
        console = stdout_console()
        if console.is_terminal:
            from sprmon.reports.table import report_renderable  # noqa: PLC0415

            console.print(report_renderable(report))
            return
    from sprmon.reports.plain_table import render_plain_table  # noqa: PLC0415

    text = render_plain_table(report)
    if text is None:
        from sprmon.reports.table import render_table  # noqa: PLC0415

        text = render_table(report)
    write_text(text, output)


def may_be_a_terminal() -> bool:
    """False when rich would certainly not take stdout for a terminal: known without rich.

    rich asks the stream's ``isatty()`` unless ``TTY_COMPATIBLE`` or
    ``FORCE_COLOR`` decide; when any of them may say yes, rich decides.
    """
    if "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ:
        return True
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        return isatty is not None and bool(isatty())
    except ValueError:  # a closed stream
        return False


def stdout_console() -> Console:
    """A console on stdout (as click's test runner sets it): colours only on a terminal."""
    from rich.console import Console  # noqa: PLC0415

    return Console(file=sys.stdout, highlight=False, emoji=False, markup=False)


def write_text(text: str, output: Path | None) -> None:
    """``text`` to ``output`` (replaced), or to stdout."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror or exc}") from exc


def print_renderable(
    renderable: Callable[[], RenderableType], plain: Callable[[], str], output: Path | None
) -> None:
    """Rich output on a terminal; otherwise the plain 80-column text (files, pipes, CI logs).

    Each is made only when it is printed: laying out a table is most of printing it.
    """
    if output is None and may_be_a_terminal():
        console = stdout_console()
        if console.is_terminal:
            console.print(renderable())
            return
    write_text(plain(), output)
