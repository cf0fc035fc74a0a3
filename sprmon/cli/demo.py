"""``sprmon demo``: a newcomer's first command (``make demo``).

It starts the lab in this process, checks it live, breaks two sites in the
two ways the scenario cares about most (a drift and a failover), checks
again, and shows what changed and how to do the same by hand. It checks its
own story too: if the lab does not show what the demo says it will, the demo
says so and exits 3, so ``make demo`` cannot pass while showing nonsense.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import tempfile
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sprmon.cli.common import CliError, load_intent_or_fail, print_renderable, render_report
from sprmon.cli.progress import PollProgress, stderr_is_terminal
from sprmon.core.diff import diff_reports
from sprmon.core.findings import PathState, Report, Severity
from sprmon.core.intent import Intent
from sprmon.core.prefixes import Prefix
from sprmon.lab.control import default_state_dir
from sprmon.lab.errors import LabError
from sprmon.reports.diff_view import diff_renderable, render_diff_table
from sprmon.service import ServiceError, live_report, pollable_sites

if TYPE_CHECKING:
    from sprmon.lab.runner import Lab

__all__ = ["demo"]

SITES = 5
#: The lab's own default seed: the demo shows the numbers `sprmon lab` shows.
SEED = 1
#: The lab's counters move every tick, and rates come from the collector's
#: clock: a tick well below the interval keeps the rates shown within a few
#: per cent of the simulated traffic.
TICK_S = 0.1
LAB_NAME = "demo"
DRIFT_SITE = "site-002"
FAILOVER_SITE = "site-004"
LEGACY_PREFIX = Prefix("10.0.21.0/24")
WIDTH = 80


def _say(text: str = "") -> None:
    """A paragraph of the demo's story, wrapped to the report's width."""
    if not text:
        click.echo()
        return
    for paragraph in text.split("\n"):
        click.echo(textwrap.fill(paragraph, WIDTH, break_on_hyphens=False) if paragraph else "")


def _heading(text: str) -> None:
    click.echo()
    click.echo(text)
    click.echo("=" * len(text))


_EPILOG = """\b
Exit codes:
  0  the demo ran (whatever the checks inside it found)
  3  it could not run (no free port), or the lab did not
     show what the demo expected
"""


@click.command(
    short_help="Start here: watch sprmon catch a drift in a simulated WAN.", epilog=_EPILOG
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0),
    default=3.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds between the two polls of each check (link rates need two); "
    "0 polls once and leaves rates unknown.",
)
@click.option(
    "--keep-running",
    is_flag=True,
    help="Leave the lab running after the demo, until Ctrl-C, to try sprmon on it "
    "from another terminal.",
)
def demo(interval: float, keep_running: bool) -> None:
    """Start a simulated WAN of 5 sites, check it live, break it, check again.

    The lab runs in this process: real SNMP agents on 127.0.0.1, on free
    ports, with their intent file in a temporary folder; nothing else is
    touched. The demo takes a few seconds, then stops the lab; --keep-running
    leaves it up for you to try sprmon on.

    \b
    Examples:
      sprmon demo
      sprmon demo --keep-running      then try `sprmon lab --name demo inject ...`
    """
    try:
        asyncio.run(_demo(interval_s=interval, keep_running=keep_running))
    except LabError as exc:
        raise CliError(str(exc)) from exc


async def _demo(*, interval_s: float, keep_running: bool) -> None:
    # Imported here: the lab's agents import pysnmp (about 0.4 s), which other
    # commands should not pay for at start-up.
    from sprmon.lab.runner import run_lab  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="sprmon-demo-") as folder:
        root = Path(folder)
        # A lab left running must be found by `sprmon lab inject` from another
        # terminal, so it registers where labs normally do; a lab that stops
        # with the demo stays out of sight of any lab the user runs.
        state_dir = default_state_dir() if keep_running else root / "state"
        async with run_lab(
            sites=SITES,
            seed=SEED,
            state_dir=state_dir,
            intent_path=root / "intent.yaml",
            tick=TICK_S,
            name=LAB_NAME,
        ) as lab:
            assert lab.intent_path is not None  # run_lab was given one
            intent = load_intent_or_fail(lab.intent_path)
            await _story(lab, intent, interval_s)
            if keep_running:
                await _keep_running(lab)
            else:
                _by_hand()
    _say()
    _say("The demo lab is stopped.")


async def _story(lab: Lab, intent: Intent, interval_s: float) -> None:
    _say(f"sprmon demo: a simulated WAN of {SITES} sites on this machine, checked live over SNMP.")
    _say()
    _say(
        f"Each site (site-001 .. site-{SITES:03d}) and the two core routers core-mpls and "
        "core-inet are real SNMP agents on 127.0.0.1. Every site has two uplinks: mpls "
        "(10 Mbps, meant for the legacy application, 10.0.21.0/24) and inet (100 Mbps, for "
        "everything else). The cores steer with BGP MEDs: core-mpls sends the legacy prefix "
        "with MED 100, core-inet with MED 200, so it leaves over mpls; the other prefixes "
        "leave over inet."
    )
    _say(f"The intent file that says so: {lab.intent_path}")
    how = (
        f"two polls {interval_s:g} s apart, so that link utilisation is known"
        if interval_s
        else "one poll: link rates are unknown"
    )

    _heading("1. The healthy network")
    _say(f"$ sprmon check --intent {lab.intent_path}")
    _say(f"({how})")
    _say()
    before = await _live_check(intent, interval_s)
    render_report(before, "table", None)

    _heading("2. Two things go wrong")
    lab.inject(DRIFT_SITE, "med-drift", "mpls")
    lab.inject(FAILOVER_SITE, "link-down", "mpls")
    # Counters move at the lab's ticks: advance now, so that the next poll
    # already counts from the moment of the faults.
    lab.tick()
    click.echo(f"$ sprmon lab inject {DRIFT_SITE} med-drift")
    _say(
        "core-mpls now sends the legacy prefix with MED 300 instead of 100, so core-inet's "
        "200 wins. Every link is up, yet the application leaves over the wrong one: the "
        "policy is broken (drift)."
    )
    click.echo(f"$ sprmon lab inject {FAILOVER_SITE} link-down mpls")
    _say(
        "The mpls link fails. The legacy prefix falls back to inet as designed (failover), "
        "and the site has no backup left."
    )

    _heading("3. The same check again")
    after = await _live_check(intent, interval_s)
    render_report(after, "table", None)
    _say()
    _say("What moved between the two checks (`sprmon diff` shows the same for two saved")
    _say("snapshots, e.g. across a maintenance window):")
    _say()
    changes = diff_reports(before, after)
    print_renderable(
        diff_renderable(changes, before, after),
        render_diff_table(changes, before, after, width=WIDTH),
        None,
    )
    _verify(before, after)


async def _live_check(intent: Intent, interval_s: float) -> Report:
    """What `sprmon check --intent` does without --snapshot, in this process's event loop."""
    with PollProgress(
        sites=len(pollable_sites(intent.sites)[0]),
        polls=1 if interval_s == 0 else 2,
        interval_s=interval_s,
        enabled=stderr_is_terminal(),
    ) as progress:
        try:
            result = await live_report(
                intent, interval_s=interval_s, on_site_done=progress.on_site_done
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


def _by_hand() -> None:
    _heading("Now by hand")
    _say("In one terminal, run the lab (it writes its intent file and stays up until Ctrl-C):")
    click.echo("  $ sprmon lab --write-intent lab.yaml")
    _say("In another terminal, break a site and check:")
    click.echo("  $ sprmon check --intent lab.yaml")
    click.echo("  $ sprmon lab inject site-003 med-drift")
    click.echo("  $ sprmon check --intent lab.yaml --site site-003")
    click.echo("  $ sprmon lab clear site-003")
    _say(
        "Every fault is in `sprmon lab inject --help` and docs/lab.md; `sprmon check --help` "
        "has the options (JSON and JUnit output, --save-snapshot, --interval)."
    )


async def _keep_running(lab: Lab) -> None:
    for site in (DRIFT_SITE, FAILOVER_SITE):
        lab.clear(site)
    _heading("The lab keeps running")
    _say(f"Faults cleared. Until Ctrl-C, from another terminal (the lab is named {lab.name!r}):")
    click.echo(f"  $ sprmon check --intent {lab.intent_path}")
    click.echo(f"  $ sprmon lab --name {lab.name} inject site-003 med-drift")
    click.echo(f"  $ sprmon lab --name {lab.name} status")
    click.echo(f"  $ sprmon lab --name {lab.name} clear site-003")
    async with _until_signalled() as stopped:
        await stopped.wait()


@contextlib.asynccontextmanager
async def _until_signalled() -> AsyncIterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM, which end the lab cleanly instead of killing it."""
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stopped.set)
    try:
        yield stopped
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
