"""``sprmon check``: judge observed state against the intent, as a monitoring plugin.

The observed state is a saved snapshot (``--snapshot``) or, without one, a
live SNMP poll of the intent's sites. Both go through the same evaluation and
the same renderers, so the report and the exit code mean the same either way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from sprmon.cli.common import (
    EXIT_CODES_HELP,
    CliError,
    CliUsageError,
    check_sites,
    format_option,
    intent_option,
    load_intent_or_fail,
    load_snapshot_or_fail,
    log,
    output_option,
    print_renderable,
    sites_option,
    write_text,
)
from sprmon.cli.progress import PollProgress, stderr_is_terminal
from sprmon.core.evaluate import UnknownSiteError, evaluate
from sprmon.core.findings import Report
from sprmon.core.intent import Intent, Site
from sprmon.core.observed import Snapshot
from sprmon.reports.json_report import render_json
from sprmon.reports.junit import render_junit
from sprmon.reports.table import render_table, report_renderable
from sprmon.snapshot import SnapshotError, dump_snapshot

if TYPE_CHECKING:
    from sprmon.collector.poller import OnSiteDone, SnmpPoller

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_INTERVAL_S",
    "FORMATS",
    "LiveOptions",
    "check",
    "collect_live",
    "evaluate_checked",
    "obtain_snapshot",
    "render_report",
    "snmp_extra_missing",
]

FORMATS = ("table", "json", "junit")
DEFAULT_INTERVAL_S = 5.0
DEFAULT_CONCURRENCY = 64
#: Top-level modules of the ``snmp`` extra; a missing one means the extra is not installed.
_SNMP_EXTRA_MODULES = frozenset({"pysnmp", "pyasn1", "cryptography"})
#: Options that only mean something when sprmon polls the routers itself.
_LIVE_ONLY = {
    "interval": "--interval",
    "concurrency": "--concurrency",
    "save_snapshot": "--save-snapshot",
}


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """How a live check polls: the interval between its two polls, its bound, its output."""

    interval_s: float = DEFAULT_INTERVAL_S
    concurrency: int = DEFAULT_CONCURRENCY
    #: Also write the collected snapshot here.
    save_to: Path | None = None
    #: Draw a progress bar on stderr (only for a terminal: see sprmon.cli.progress).
    progress: bool = False

    def __post_init__(self) -> None:
        if self.interval_s < 0:
            raise ValueError(f"the interval cannot be negative, not {self.interval_s}")
        if self.concurrency < 1:
            raise ValueError(f"the concurrency must be at least 1, not {self.concurrency}")

    @property
    def polls(self) -> int:
        return 1 if self.interval_s == 0 else 2


def obtain_snapshot(
    intent: Intent,
    snapshot_path: Path | None,
    sites: Sequence[str],
    live: LiveOptions | None = None,
) -> Snapshot:
    """The observed state to judge: a saved snapshot file, or a live poll of ``sites``.

    Live (no ``snapshot_path``): every site of the intent, or only ``sites``,
    is polled over SNMP as ``live`` says, and the result is written to
    ``live.save_to`` if given.
    """
    if snapshot_path is not None:
        return load_snapshot_or_fail(snapshot_path)
    live = live or LiveOptions()
    selected = _selected_sites(intent, sites)
    with PollProgress(
        sites=sum(1 for site in selected if site.snmp is not None),
        polls=live.polls,
        interval_s=live.interval_s,
        enabled=live.progress,
    ) as progress:
        snapshot = asyncio.run(
            collect_live(
                intent,
                selected,
                interval_s=live.interval_s,
                concurrency=live.concurrency,
                on_site_done=progress.on_site_done,
            )
        )
    if live.save_to is not None:
        try:
            dump_snapshot(snapshot, live.save_to)
        except SnapshotError as exc:
            raise CliError(f"cannot save the snapshot: {exc}") from exc
        log.info("saved the collected snapshot to %s", live.save_to)
    return snapshot


async def collect_live(
    intent: Intent,
    sites: Sequence[Site],
    *,
    interval_s: float = DEFAULT_INTERVAL_S,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_site_done: OnSiteDone | None = None,
) -> Snapshot:
    """Poll ``sites`` over SNMP: twice ``interval_s`` apart (start to start), once if 0.

    Every application prefix of the intent is asked for (what targeted
    sites fetch instead of walking their BGP table). A site that cannot be
    polled comes back with ``SiteObservation.error`` set, never as an exception.
    """
    poller_class = _snmp_poller()
    polled = [site for site in sites if site.snmp is not None]
    if not polled:
        raise CliError(
            "none of the selected sites has an snmp target: live collection speaks SNMP "
            "only (gNMI is planned); pass --snapshot FILE to judge saved state"
        )
    if len(polled) < len(sites):
        skipped = [site.name for site in sites if site.snmp is None]
        log.warning(
            "%d site(s) without an snmp target are not polled and report unknown: %s",
            len(skipped),
            ", ".join(skipped[:5]) + (", ..." if len(skipped) > 5 else ""),
        )
    prefixes = list(dict.fromkeys(p for app in intent.applications for p in app.prefixes))
    started = time.monotonic()
    async with poller_class(max_concurrency=concurrency, on_site_done=on_site_done) as poller:
        if interval_s == 0:
            snapshot = await poller.poll(polled, prefixes)
        else:
            snapshot = await poller.poll_twice(polled, prefixes, interval_s=interval_s)
    if log.isEnabledFor(logging.INFO):
        failed = {o.site for o in snapshot.observations if o.error is not None}
        log.info(
            "polled %d site(s) %s in %.1f s, %d failed",
            len(polled),
            "once" if interval_s == 0 else "twice",
            time.monotonic() - started,
            len(failed),
        )
    return snapshot


def _snmp_poller() -> type[SnmpPoller]:
    """The SNMP poller class, imported only now: pysnmp is the optional ``snmp`` extra."""
    try:
        from sprmon.collector import poller  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        missing = snmp_extra_missing(exc)
        if missing is None:
            raise
        raise CliError(
            f"live collection needs pysnmp, from the snmp extra ({missing} is not installed): "
            "pip install 'sprmon[snmp]', or pass --snapshot FILE"
        ) from exc
    return poller.SnmpPoller


def snmp_extra_missing(exc: ModuleNotFoundError) -> str | None:
    """The missing module if it belongs to the ``snmp`` extra, else None (a real bug)."""
    missing = (exc.name or "").partition(".")[0]
    return missing if missing in _SNMP_EXTRA_MODULES else None


def _selected_sites(intent: Intent, names: Sequence[str]) -> list[Site]:
    if not names:
        return list(intent.sites)
    wanted = set(names)
    return [site for site in intent.sites if site.name in wanted]


def evaluate_checked(
    intent: Intent, snapshot: Snapshot, sites: Sequence[str], *, now: float | None = None
) -> Report:
    """Evaluate as of ``now``, by default the snapshot's own time (a saved one never goes stale)."""
    when = snapshot.effective_time() if now is None else now
    try:
        return evaluate(intent, snapshot, when, sites=sites or None)
    except UnknownSiteError as exc:  # check_sites runs first; this is the core's own guard
        raise CliUsageError(str(exc)) from exc


def render_report(report: Report, output_format: str, output: Path | None) -> None:
    """The report in ``output_format`` on stdout, or in ``output``."""
    if output_format == "json":
        write_text(render_json(report), output)
    elif output_format == "junit":
        write_text(render_junit(report), output)
    else:
        print_renderable(report_renderable(report), render_table(report), output)


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
    type=click.FloatRange(min=0),
    default=DEFAULT_INTERVAL_S,
    show_default=True,
    metavar="SECONDS",
    help="Live: poll twice this far apart, so that link rates and utilisation are known. "
    "0 polls once: paths and link states are judged, rates are unknown. Keep it above "
    "the agents' counter cache (Net-SNMP snmpd caches IF-MIB for about 3 s), or both polls "
    "read the same counters and a busy link looks idle.",
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
    save_snapshot: Path | None,
) -> None:
    """Report, for every site and application prefix, which link it leaves over.

    Without --snapshot, sprmon polls every site of the intent (or the --site
    ones) over SNMP, twice --interval seconds apart, and judges what it read
    as of now; with --snapshot it judges a saved snapshot as of its own time.

    Every path is compliant, failover (the preferred link is down: expected, but
    degraded), drift (the preferred link is up but the path avoids it: the policy
    is broken), no_route or unknown; every link is checked for its interface, BGP
    session, utilisation and errors. A site that cannot be polled is unknown, with
    the reason. The exit code is the worst finding.

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
    if save_snapshot is not None and not save_snapshot.parent.is_dir():
        # Said before polling: a long audit must not be lost to a typo in a path.
        raise CliUsageError(
            f"--save-snapshot {save_snapshot}: the folder {save_snapshot.parent} does not exist",
            ctx,
        )
    intent = load_intent_or_fail(intent_file)
    check_sites(intent, sites)
    live = LiveOptions(
        interval_s=interval,
        concurrency=concurrency,
        save_to=save_snapshot,
        progress=stderr_is_terminal(),
    )
    snapshot = obtain_snapshot(intent, snapshot_file, sites, live)
    # A live poll is judged as of now, like any monitoring check; a saved
    # snapshot as of its own time, so that it never goes stale.
    now = time.time() if snapshot_file is None else None
    report = evaluate_checked(intent, snapshot, sites, now=now)
    log.info(
        "evaluated %d path(s) and %d link(s): %s",
        len(report.paths),
        len(report.links),
        report.severity().name,
    )
    render_report(report, output_format, output)
    ctx.exit(report.severity().exit_code)
