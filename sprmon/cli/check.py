"""``sprmon check``: judge observed state against the intent, as a monitoring plugin.

The observed state is a saved snapshot (``--snapshot``) or, without one, a
live read of the intent's sites (SNMP, gNMI or both, as each site's
targets say). Both go through the same service layer
(:mod:`sprmon.service`), evaluation and renderers, so the report and the exit
code mean the same either way.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click
from click.core import ParameterSource

from sprmon.cli.common import (
    EXIT_CODES_HELP,
    CliError,
    CliUsageError,
    Seconds,
    check_sites,
    format_option,
    intent_option,
    judge_or_fail,
    load_config_or_fail,
    load_snapshot_or_fail,
    log,
    output_option,
    render_report,
    sites_option,
)
from sprmon.cli.progress import PollProgress, stderr_is_terminal
from sprmon.core.observed import Snapshot
from sprmon.intentfile import LoadedIntent
from sprmon.service import (
    DEFAULT_CONCURRENCY,
    DEFAULT_DEADLINE_S,
    DEFAULT_INTERVAL_S,
    ServiceError,
    collect,
    pollable_sites,
    select_sites,
)

__all__ = ["FORMATS", "LiveOptions", "check", "obtain_snapshot"]

FORMATS = ("table", "json", "junit")
#: Options that only mean something when sprmon polls the routers itself.
_LIVE_ONLY = {
    "interval": "--interval",
    "concurrency": "--concurrency",
    "save_snapshot": "--save-snapshot",
    "deadline": "--deadline",
    "site_budget": "--site-budget",
}
#: --deadline bounds: a check shorter than a second polls nothing; an hour is no plugin.
_DEADLINE = Seconds(1.0, 3600.0)
#: --interval bounds: 0 polls once; two polls an hour apart are already no plugin's.
_INTERVAL = Seconds(0.0, 3600.0)
#: --site-budget bounds, in MiB.
_BUDGET_RANGE = (1, 4096)


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """How a live check polls: the interval between its two polls, its bound, its output."""

    interval_s: float = DEFAULT_INTERVAL_S
    concurrency: int = DEFAULT_CONCURRENCY
    #: Also write the collected snapshot here.
    save_to: Path | None = None
    #: Draw a progress bar on stderr (only for a terminal: see sprmon.cli.progress).
    progress: bool = False
    #: The whole check's deadline (None: only each site's own).
    deadline_s: float | None = DEFAULT_DEADLINE_S
    #: Every site's agent may send at least this many MiB per poll (0: sized from the intent).
    site_budget_mib: int = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.interval_s) and self.interval_s >= 0):
            raise ValueError(f"the interval must be 0 or a finite duration, not {self.interval_s}")
        if self.deadline_s is not None and not (
            math.isfinite(self.deadline_s) and self.deadline_s > 0
        ):
            raise ValueError(f"the deadline must be a positive duration, not {self.deadline_s}")
        if self.concurrency < 1:
            raise ValueError(f"the concurrency must be at least 1, not {self.concurrency}")

    @property
    def polls(self) -> int:
        return 1 if self.interval_s == 0 else 2


def obtain_snapshot(
    config: LoadedIntent,
    snapshot_path: Path | None,
    sites: Sequence[str],
    live: LiveOptions | None = None,
) -> Snapshot:
    """The observed state to judge: a saved snapshot file, or a live poll of ``sites``.

    Live (no ``snapshot_path``): every site of the intent, or only ``sites``,
    is read over SNMP and/or gNMI at its inventory targets as ``live`` says, and the
    result is written to
    ``live.save_to`` if given.
    """
    if snapshot_path is not None:
        return load_snapshot_or_fail(snapshot_path)
    import asyncio  # noqa: PLC0415 - only a live poll needs it, not a saved snapshot

    live = live or LiveOptions()
    intent, inventory = config.intent, config.inventory
    selected = select_sites(intent, sites)
    with PollProgress(
        sites=len(pollable_sites(selected, inventory)[0]),
        polls=live.polls,
        interval_s=live.interval_s,
        enabled=live.progress,
    ) as progress:
        try:
            snapshot = asyncio.run(
                collect(
                    intent,
                    inventory,
                    selected,
                    interval_s=live.interval_s,
                    concurrency=live.concurrency,
                    on_site_done=progress.on_site_done,
                    deadline_s=live.deadline_s,
                    min_site_budget=live.site_budget_mib * 2**20,
                )
            )
        except ServiceError as exc:
            raise CliError(str(exc)) from exc
    if live.save_to is not None:
        # The snapshot codec brings pydantic: a live check that saves nothing skips it.
        from sprmon.snapshot import SnapshotError, dump_snapshot  # noqa: PLC0415

        try:
            dump_snapshot(snapshot, live.save_to)
        except SnapshotError as exc:
            raise CliError(f"cannot save the snapshot: {exc}") from exc
        log.info("saved the collected snapshot to %s", live.save_to)
    return snapshot


@click.command(
    short_help="Report which link each application prefix leaves over.", epilog=EXIT_CODES_HELP
)
@intent_option("The intent file (YAML) describing sites, links and applications.")
@click.option(
    "--snapshot",
    "-s",
    "snapshot_file",
    type=click.Path(path_type=Path),
    help="Judge this saved snapshot (JSON) instead of polling the routers.",
)
@sites_option("Only this site (repeat for several). Default: every site of the intent.")
@format_option(FORMATS, "table for people, json for programs (docs/json-output.md), junit for CI.")
@output_option("Write the report to this file instead of stdout; the exit code is the same.")
@click.option(
    "--interval",
    type=_INTERVAL,
    default=DEFAULT_INTERVAL_S,
    show_default=True,
    help="Live: poll twice this far apart, so that link rates and utilisation are known. "
    "0 polls once: paths and link states are judged, rates are unknown. Keep it above "
    "the agents' counter cache (Net-SNMP snmpd caches IF-MIB for about 3 s), or both polls "
    f"read the same counters and a busy link looks idle. {_INTERVAL.bounds()}.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    metavar="N",
    help="Live: poll at most N sites at once.",
)
@click.option(
    "--deadline",
    type=_DEADLINE,
    default=DEFAULT_DEADLINE_S,
    show_default=True,
    help="Live: the whole check ends within this; a site not done by then is unknown, "
    "with the reason, and every other site is reported. The default fits a monitoring "
    f"plugin's 60 s timeout. {_DEADLINE.bounds()}.",
)
@click.option(
    "--site-budget",
    type=click.IntRange(*_BUDGET_RANGE),
    default=None,
    metavar="MIB",
    help="Live: let each site's agent send at least this many MiB per poll. By default "
    "the budget is sized from the intent (about 6 MiB for a small site; "
    "docs/hostile-input.md); a site past it is unknown, so that no agent can fill memory.",
)
@click.option(
    "--save-snapshot",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Live: also write what was collected to FILE, to judge it later with --snapshot "
    "or attach it to a bug report.",
)
@click.pass_context
def check(  # noqa: PLR0917 - click passes every option as an argument
    ctx: click.Context,
    intent_file: Path,
    snapshot_file: Path | None,
    sites: tuple[str, ...],
    output_format: str,
    output: Path | None,
    interval: float,
    concurrency: int,
    deadline: float,
    site_budget: int | None,
    save_snapshot: Path | None,
) -> None:
    """Report, for every site and application prefix, which link it leaves over.

    Without --snapshot, sprmon polls every site of the intent (or the --site
    ones) over SNMP and/or gNMI, as each site's targets say, twice --interval
    seconds apart, and judges what it read
    as of now; with --snapshot it judges a saved snapshot as of its own time.

    A live check ends within --deadline seconds whatever the routers do: a
    site still being polled then is unknown, with the reason.

    Every path is compliant, failover (the preferred link is down: expected, but
    degraded), drift (the preferred link is up but the path avoids it: the policy
    is broken), no_route or unknown; every link is checked for its interface, BGP
    session, utilisation and errors. A site that cannot be polled is unknown, with
    the reason. The exit code is the worst finding.

    Run every minute by a monitoring system, check compiles its intent once: the
    result is kept in $SPRMON_CACHE_DIR (default ~/.cache/sprmon) and used while
    the intent's files are unchanged; SPRMON_NO_CACHE=1 turns that off.

    \b
    Examples:
      sprmon check --intent intent.yaml
      sprmon check -i intent.yaml --site branch-03 --interval 0 --format json
      sprmon check -i intent.yaml --save-snapshot snap.json
      sprmon check --intent examples/scenario/intent.yaml \\
                   --snapshot examples/scenario/snapshots/mixed.json
      sprmon check -i intent.yaml -s snap.json --format junit -o sprmon.xml
    """
    if snapshot_file is not None:
        given = [
            flag
            for param, flag in _LIVE_ONLY.items()
            if ctx.get_parameter_source(param) is not ParameterSource.DEFAULT
        ]
        if given:
            raise CliUsageError(
                f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} for live "
                "collection, not with --snapshot",
                ctx,
            )
    # Both said before polling: a long audit must not be lost to a typo in a path.
    if save_snapshot is not None and not save_snapshot.parent.is_dir():
        raise CliUsageError(
            f"--save-snapshot {save_snapshot}: the folder {save_snapshot.parent} does not exist",
            ctx,
        )
    if output is not None and not output.parent.is_dir():
        raise CliError(f"cannot write {output}: the folder {output.parent} does not exist")
    config = load_config_or_fail(intent_file, cached=True)
    intent = config.intent
    check_sites(intent, sites)
    live = LiveOptions(
        interval_s=interval,
        concurrency=concurrency,
        save_to=save_snapshot,
        progress=stderr_is_terminal(),
        deadline_s=deadline,
        site_budget_mib=site_budget or 0,
    )
    snapshot = obtain_snapshot(config, snapshot_file, sites, live)
    # A live poll is judged as of now, like any monitoring check; a saved
    # snapshot as of its own time, so that it never goes stale.
    now = time.time() if snapshot_file is None else None
    report = judge_or_fail(intent, snapshot, sites, now=now)
    log.info(
        "evaluated %d path(s) and %d link(s): %s",
        len(report.paths),
        len(report.links),
        report.severity().name,
    )
    render_report(report, output_format, output)
    ctx.exit(report.severity().exit_code)
