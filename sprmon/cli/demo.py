"""``sprmon demo``: a newcomer's first command (``make demo``).

It starts the lab and the daemon (``sprmon run``) in this process, checks the
lab live, shows what the daemon's ``/metrics`` says, breaks two sites in the
two ways the scenario cares about most (a drift and a failover), shows the
daemon's metrics and log move and the same check again, repairs the sites,
and shows how to do the same by hand. It checks its own story too: if the
lab or the daemon does not show what the demo says it will, the demo says so
and exits 3, so ``make demo`` cannot pass while showing nonsense.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sprmon.cli import demo_text as text
from sprmon.cli.common import (
    CliError,
    CliUsageError,
    Seconds,
    load_config_or_fail,
    print_renderable,
    render_report,
)
from sprmon.cli.demo_daemon import (
    DemoDaemon,
    Metrics,
    Sample,
    add_daemon_sections,
    default_port_or_free,
)
from sprmon.cli.demo_text import (
    DAEMON_INTERVAL_S,
    DRIFT_QUERY,
    DRIFT_SITE,
    FAILOVER_SITE,
    LEGACY,
    SITES,
    WIDTH,
)
from sprmon.cli.progress import PollProgress, stderr_is_terminal
from sprmon.cli.run import parse_listen
from sprmon.core.diff import diff_reports
from sprmon.core.findings import PathState, Report, Severity
from sprmon.core.prefixes import Prefix
from sprmon.exporters.mqtt_topics import Topics
from sprmon.exporters.web import DEFAULT_HOST, DEFAULT_PORT
from sprmon.intentfile import LoadedIntent
from sprmon.lab.control import default_state_dir
from sprmon.lab.errors import LabError
from sprmon.reports.diff_view import diff_renderable, render_diff_table
from sprmon.service import ServiceError, live_report, pollable_sites

if TYPE_CHECKING:
    from sprmon.lab.runner import Lab

__all__ = ["demo"]

#: The lab's own default seed: the demo shows the numbers `sprmon lab` shows.
SEED = 1
#: The lab's counters move every tick, and rates come from the collector's
#: clock: a tick well below the interval keeps the rates shown within a few
#: per cent of the simulated traffic.
TICK_S = 0.1
LAB_NAME = "demo"
LEGACY_PREFIX = Prefix("10.0.21.0/24")
#: After a preferred link returns, how long a path on the fallback is failover
#: (converging) before it is drift; short, like the demo's poll interval.
GRACE_S = 10.0
#: A fault shows within two intervals plus the view's once-a-second publishing;
#: the rest is room for a busy machine. Only a broken demo waits this long.
SEEN_WITHIN_S = 4 * DAEMON_INTERVAL_S + 8.0


@dataclass(frozen=True, slots=True)
class _Options:
    interval_s: float
    host: str
    port: int
    mqtt: tuple[str, int] | None
    keep_running: bool


#: --interval: the demo tells its story in about 15 s; a minute between polls is plenty.
_INTERVAL = Seconds(0.0, 60.0)

_EPILOG = """\b
Exit codes:
  0  the demo ran (whatever the checks inside it found)
  3  it could not run (a port in use), or the lab or the
     daemon did not show what the demo expected
  130  interrupted (Ctrl-C) before the end of the story
"""


@click.command(
    short_help="Start here: watch sprmon catch a drift in a simulated WAN.", epilog=_EPILOG
)
@click.option(
    "--interval",
    type=_INTERVAL,
    default=3.0,
    show_default=True,
    help="Seconds between the two polls of each check (link rates need two); "
    f"0 polls once and leaves rates unknown. {_INTERVAL.bounds()}.",
)
@click.option(
    "--listen",
    metavar="HOST:PORT",
    help=f"Serve the daemon's /metrics and /healthz here [default: {DEFAULT_HOST}:"
    f"{DEFAULT_PORT}, or a free port when that one is taken; port 0 picks a free one].",
)
@click.option(
    "--mqtt",
    metavar="HOST:PORT",
    help="Also publish the daemon's state changes to this MQTT broker (topics under sprmon/).",
)
@click.option(
    "--keep-running",
    is_flag=True,
    help="Leave the lab and the daemon running after the demo, until Ctrl-C, to point "
    "Prometheus or Grafana at it or try sprmon on it from another terminal.",
)
def demo(interval: float, listen: str | None, mqtt: str | None, keep_running: bool) -> None:
    """Start a simulated WAN of 5 sites and the daemon; break the WAN, watch sprmon see it.

    The lab and the daemon (`sprmon run`) run in this process: real SNMP
    agents on 127.0.0.1, on free ports, with their intent file in a temporary
    folder, and the daemon's /metrics on 127.0.0.1:10472; nothing else is
    touched. The demo takes about 15 seconds, then stops both;
    --keep-running leaves them up for you to try sprmon on.

    \b
    Examples:
      sprmon demo
      sprmon demo --mqtt 127.0.0.1:1883    also publish MQTT events
      sprmon demo --keep-running           then point Prometheus at the
                                           /metrics address it prints
    """
    if listen is None:
        host, port = DEFAULT_HOST, default_port_or_free(DEFAULT_HOST, DEFAULT_PORT)
    else:
        host, port = parse_listen(listen)
    options = _Options(interval, host, port, _broker(mqtt), keep_running)
    try:
        finished = asyncio.run(_demo(options))
    except LabError as exc:
        raise CliError(str(exc)) from exc
    if not finished:
        raise click.exceptions.Exit(130)


def _broker(text: str | None) -> tuple[str, int] | None:
    if text is None:
        return None
    try:
        return parse_listen(text)
    except CliUsageError as exc:
        raise CliUsageError(
            f"--mqtt {text}: expected the HOST:PORT of an MQTT broker, e.g. 127.0.0.1:1883"
        ) from exc


async def _demo(options: _Options) -> bool:
    """The whole demo; False if Ctrl-C ended it before the story did."""
    # Imported here: the lab's agents import pysnmp (about 0.4 s), which other
    # commands should not pay for at start-up.
    from sprmon.lab.protocols import MIXED  # noqa: PLC0415
    from sprmon.lab.runner import run_lab  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="sprmon-demo-") as folder:
        root = Path(folder)
        # A lab left running must be found by `sprmon lab inject` from another
        # terminal, so it registers where labs normally do; a lab that stops
        # with the demo stays out of sight of any lab the user runs.
        state_dir = default_state_dir() if options.keep_running else root / "state"
        async with run_lab(
            sites=SITES,
            seed=SEED,
            state_dir=state_dir,
            intent_path=root / "intent.yaml",
            tick=TICK_S,
            name=LAB_NAME,
            protocols=MIXED,
            # Plaintext gRPC on loopback: without a password nothing secret
            # travels in clear, and the newcomer is not warned about it.
            gnmi_auth=False,
        ) as lab:
            assert lab.intent_path is not None  # run_lab was given one
            add_daemon_sections(
                lab.intent_path, interval_s=DAEMON_INTERVAL_S, grace_s=GRACE_S, mqtt=options.mqtt
            )
            loaded = load_config_or_fail(lab.intent_path)
            async with DemoDaemon(
                lab.intent_path, loaded, host=options.host, port=options.port
            ) as daemon:
                finished = await daemon.run_until_stopped(_story(lab, loaded, daemon, options))
                if finished and options.keep_running:
                    text.keep_running(lab, daemon)
                    await daemon.stopped()
                elif finished:
                    text.by_hand()
    text.say()
    if not finished:
        click.echo("sprmon: interrupted", err=True)
    text.say("The demo lab is stopped.")
    return finished


async def _story(lab: Lab, loaded: LoadedIntent, daemon: DemoDaemon, options: _Options) -> None:
    text.intro(lab, options.interval_s)

    text.heading("1. The healthy network")
    text.say(f"$ sprmon check --intent {lab.intent_path}")
    text.say()
    before = await _live_check(loaded, options.interval_s)
    render_report(before, "table", None)

    text.heading("2. The daemon watches")
    text.daemon_intro(lab, loaded, daemon)
    healthy = await _until(daemon, _healthy, "every path of the lab compliant")
    text.say()
    text.say(f"What {daemon.url}/metrics says now about the two sites that are about to break:")
    text.metric_lines(healthy, options.mqtt is not None)

    text.heading("3. Two things go wrong")
    await _break_and_watch(lab, loaded, daemon)

    text.heading("5. The same check again")
    after = await _live_check(loaded, options.interval_s)
    render_report(after, "table", None)
    text.say()
    text.say("What moved between the two checks (`sprmon diff` shows the same for two saved")
    text.say("snapshots, e.g. across a maintenance window):")
    text.say()
    changes = diff_reports(before, after)
    print_renderable(
        lambda: diff_renderable(changes, before, after),
        lambda: render_diff_table(changes, before, after, width=WIDTH),
        None,
    )
    _verify(before, after)

    text.heading("6. Repaired")
    await _repair_and_watch(lab, loaded, daemon)
    text.where_next()


async def _break_and_watch(lab: Lab, loaded: LoadedIntent, daemon: DemoDaemon) -> None:
    """Steps 3 and 4: the faults, and what the daemon's log and /metrics show of them."""
    seen = len(daemon.changes)
    started = asyncio.get_running_loop().time()
    lab.inject(DRIFT_SITE, "med-drift", "mpls")
    lab.inject(FAILOVER_SITE, "link-down", "mpls")
    # Counters move at the lab's ticks: advance now, so that the next poll
    # already counts from the moment of the faults.
    lab.tick()
    text.faults()

    text.heading("4. The daemon notices")
    broken = await _until(daemon, _broken, f"drift at {DRIFT_SITE}, failover at {FAILOVER_SITE}")
    took = asyncio.get_running_loop().time() - started
    text.say(f"Within {took:.1f} s (it polls every {DAEMON_INTERVAL_S:g} s), the daemon logged:")
    text.change_lines(daemon.changes[seen:])
    text.say()
    drifting = sorted({s.labels.get("site", "?") for s in _drifting(broken)})
    text.say(f"and /metrics says ({DRIFT_QUERY} now returns {', '.join(drifting)}):")
    text.metric_lines(broken, loaded.mqtt is not None)
    if loaded.mqtt is not None:
        text.say()
        text.say("The same changes went to the broker as events, on the topics:")
        topics = Topics(loaded.mqtt.topic_prefix)
        for topic in dict.fromkeys(topics.event(change) for change in daemon.changes[seen:]):
            click.echo(f"  {topic}")


async def _repair_and_watch(lab: Lab, loaded: LoadedIntent, daemon: DemoDaemon) -> None:
    seen = len(daemon.changes)
    for site in (DRIFT_SITE, FAILOVER_SITE):
        lab.clear(site)
        click.echo(f"$ sprmon lab clear {site}")
    repaired = await _until(daemon, _healthy, "every path compliant again after the repair")
    text.say("The daemon logged:")
    text.change_lines(daemon.changes[seen:])
    text.say()
    text.say(f"and {DRIFT_QUERY} is empty again:")
    text.metric_lines(repaired, loaded.mqtt is not None)


def _legacy(metrics: Metrics, site: str, state: str) -> float | None:
    return metrics.value("sprmon_paths", site=site, app=LEGACY, state=state)


def _healthy(metrics: Metrics) -> bool:
    # Every site, not only the two the story breaks: a site the daemon has not
    # judged yet would announce itself among the changes the faults cause.
    sites = [f"site-{n:03d}" for n in range(1, SITES + 1)]
    return (
        all(_legacy(metrics, site, "compliant") == 1 for site in sites)
        and metrics.value("sprmon_link_up", site=FAILOVER_SITE, link="mpls") == 1
        and not _drifting(metrics)
    )


def _drifting(metrics: Metrics) -> list[Sample]:
    """What the PromQL query ``sprmon_paths{state="drift"} > 0`` would return."""
    return [s for s in metrics.find("sprmon_paths", state="drift") if s.value > 0]


def _broken(metrics: Metrics) -> bool:
    return (
        _legacy(metrics, DRIFT_SITE, "drift") == 1
        and _legacy(metrics, FAILOVER_SITE, "failover") == 1
        and metrics.value("sprmon_link_up", site=FAILOVER_SITE, link="mpls") == 0
    )


async def _until(daemon: DemoDaemon, condition: Callable[[Metrics], bool], what: str) -> Metrics:
    metrics, held = await daemon.wait_for(condition, SEEN_WITHIN_S)
    if not held:
        raise CliError(
            f"the demo did not go as it should: the daemon's /metrics did not show {what} "
            f"within {SEEN_WITHIN_S:g} s (a busy machine can make agents time out: try "
            "again; if it persists, report it)"
        )
    return metrics


async def _live_check(loaded: LoadedIntent, interval_s: float) -> Report:
    """What `sprmon check --intent` does without --snapshot, in this process's event loop."""
    with PollProgress(
        sites=len(pollable_sites(loaded.intent.sites, loaded.inventory)[0]),
        polls=1 if interval_s == 0 else 2,
        interval_s=interval_s,
        enabled=stderr_is_terminal(),
    ) as progress:
        try:
            result = await live_report(
                loaded.intent,
                loaded.inventory,
                interval_s=interval_s,
                on_site_done=progress.on_site_done,
            )
        except ServiceError as exc:
            raise CliError(str(exc)) from exc
    return result.report


def _verify(before: Report, after: Report) -> None:
    """Fail loudly if the lab did not show what the story told.

    Only states are checked, not utilisation: rates over a short --interval
    may be off by a tick of traffic, which is no reason to fail the demo.
    """
    problems: list[str] = []
    unhealthy = {f.state for f in before.paths if f.state is not PathState.COMPLIANT}
    if unhealthy:
        problems.append(f"the healthy lab had {', '.join(sorted(unhealthy))} paths")
    if not all(f.oper_up and f.bgp_established for f in before.links):
        problems.append("the healthy lab had a link or BGP session down or unknown")
    states = {(f.site, f.prefix): f.state for f in after.paths}
    for site, expected in ((DRIFT_SITE, PathState.DRIFT), (FAILOVER_SITE, PathState.FAILOVER)):
        seen = states.get((site, LEGACY_PREFIX))
        if seen is not expected:
            problems.append(f"{site} {LEGACY_PREFIX} was {seen}, not {expected}")
    down = [f for f in after.links if f.site == FAILOVER_SITE and f.link == "mpls"]
    if not down or down[0].severity is not Severity.CRITICAL:
        problems.append(f"the mpls link of {FAILOVER_SITE} was not critical")
    if problems:
        raise CliError(
            "the demo did not go as it should: "
            + "; ".join(problems)
            + " (a busy machine can make agents time out: try again; if it persists, report it)"
        )
