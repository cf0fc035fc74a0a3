"""What ``sprmon demo`` says: its paragraphs, listings and the names its story uses.

:mod:`sprmon.cli.demo` runs the story (the lab, the daemon, the checks, the
faults); this module only writes text, so the story reads as a sequence of
steps and the wording can change without touching what the demo does.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from sprmon.cli.demo_daemon import DemoDaemon, Metrics
from sprmon.core.monitor import StateChange
from sprmon.daemon.logs import change_text
from sprmon.intentfile import LoadedIntent

if TYPE_CHECKING:
    from sprmon.lab.runner import Lab

SITES = 5
DRIFT_SITE = "site-002"
FAILOVER_SITE = "site-004"
LEGACY = "legacy"
WIDTH = 80
#: The daemon's poll interval in the demo's intent (the default, 60 s, would
#: make a newcomer wait minutes for a metric to move).
DAEMON_INTERVAL_S = 2.0
DRIFT_QUERY = 'sprmon_paths{state="drift"} > 0'
PREFIX_QUERY = 'sprmon_path_state{state="drift"} == 1'
#: The paths the story breaks, in the states it shows them in.
SHOWN_PATHS = (
    (DRIFT_SITE, "compliant"),
    (DRIFT_SITE, "drift"),
    (FAILOVER_SITE, "compliant"),
    (FAILOVER_SITE, "failover"),
)


def say(text: str = "") -> None:
    """A paragraph of the demo's story, wrapped to the report's width."""
    if not text:
        click.echo()
        return
    for paragraph in text.split("\n"):
        click.echo(textwrap.fill(paragraph, WIDTH, break_on_hyphens=False) if paragraph else "")


def heading(text: str) -> None:
    click.echo()
    click.echo(text)
    click.echo("=" * len(text))


def indented(text: str) -> None:
    """A line the user might copy (a command, a log line), indented, long ones wrapped."""
    click.echo(textwrap.fill(text, WIDTH, initial_indent="  ", subsequent_indent="      "))


def intro(lab: Lab, interval_s: float) -> None:
    say(
        f"sprmon demo: a simulated WAN of {SITES} sites on this machine, checked and "
        "watched live over SNMP and gNMI."
    )
    say()
    say(
        f"Each site (site-001 .. site-{SITES:03d}) and the two core routers core-mpls and "
        "core-inet are real SNMP agents on 127.0.0.1; site-001, site-003 and site-005 also "
        "serve gNMI (OpenConfig over gRPC), which sprmon reads instead. Every site has two "
        "uplinks: mpls "
        "(10 Mbps, meant for the legacy application, 10.0.21.0/24) and inet (100 Mbps, for "
        "everything else). The cores steer with BGP MEDs: core-mpls sends the legacy prefix "
        "with MED 100, core-inet with MED 200, so it leaves over mpls; the other prefixes "
        "leave over inet."
    )
    say(f"The intent file that says so: {lab.intent_path}")
    say(
        "sprmon check polls every site once (or twice, for link rates) and reports; sprmon "
        "run, the daemon, polls every site on a schedule and feeds Prometheus and MQTT. "
        "This demo runs both."
    )
    if not interval_s:
        say("(sprmon check polls once here: link rates are unknown)")


def daemon_intro(lab: Lab, loaded: LoadedIntent, daemon: DemoDaemon) -> None:
    click.echo(
        f"$ sprmon run --intent {lab.intent_path} --listen {daemon.address} --per-prefix-metrics"
    )
    say(
        f"runs alongside, in this process. It polls every site every {DAEMON_INTERVAL_S:g} s "
        "(the monitor: section the demo added to the intent; 60 s by default), keeps each "
        "site's newest evaluation, and logs one line per state change."
    )
    say()
    click.echo(f"  metrics  {daemon.url}/metrics   (for Prometheus)")
    click.echo(f"  health   {daemon.url}/healthz")
    click.echo(f"  PromQL   {DRIFT_QUERY}           sites and apps in drift")
    click.echo(f"           {PREFIX_QUERY}     and which prefixes")
    if loaded.mqtt is None:
        click.echo("  MQTT     none (sprmon demo --mqtt HOST:PORT publishes every change)")
        return
    prefix, host, port = loaded.mqtt.topic_prefix, loaded.mqtt.host, loaded.mqtt.port
    click.echo(f"  MQTT     broker {host}:{port}, client id {loaded.mqtt.client_id}")
    click.echo(f"           {prefix}/events/<site>/path/<app>/<prefix>   every change (QoS 1)")
    click.echo(f"           {prefix}/events/<site>/link/<link>")
    click.echo(f"           {prefix}/state/#   the present state of every path and link (retained)")
    indented(f"$ mosquitto_sub -h {host} -p {port} -t '{prefix}/#' -v   # mosquitto-clients")


def metric_lines(metrics: Metrics, mqtt: bool) -> None:
    """The /metrics lines about the paths and the link the story breaks, as served."""
    lines = [
        sample.line
        for site, state in SHOWN_PATHS
        for sample in metrics.find("sprmon_paths", site=site, app=LEGACY, state=state)
    ]
    lines += [s.line for s in metrics.find("sprmon_link_up", site=FAILOVER_SITE, link="mpls")]
    if mqtt:
        lines += [s.line for s in metrics.find("sprmon_mqtt_connected")]
    for line in lines:
        click.echo(f"  {line}")


def change_lines(changes: Sequence[StateChange]) -> None:
    """State changes as the daemon logs them (``sprmon run`` adds its log prefix)."""
    for change in changes:
        indented(change_text(change))


def where_next() -> None:
    heading("Where next")
    say(
        "The daemon is `sprmon run` (docs/daemon.md: schedule, SIGHUP reload, --shard). "
        "Every metric is in docs/metrics.md, the MQTT topics and payloads in "
        "docs/mqtt-events.md. In sprmon's repository, rules/ holds Prometheus alert rules "
        "over these metrics and grafana/ holds Grafana dashboards for them; "
        "`sprmon demo --keep-running` leaves the lab and the daemon up to point them at."
    )


def by_hand() -> None:
    heading("Now by hand")
    say("In one terminal, run the lab (it writes its intent file and stays up until Ctrl-C):")
    click.echo("  $ sprmon lab --write-intent lab.yaml")
    say("In another terminal, break a site and check:")
    click.echo("  $ sprmon check --intent lab.yaml")
    click.echo("  $ sprmon lab inject site-003 med-drift")
    click.echo("  $ sprmon check --intent lab.yaml --site site-003")
    click.echo("  $ sprmon lab clear site-003")
    say("Or watch it continuously (every 60 s unless the intent has a monitor: section):")
    click.echo("  $ sprmon run --intent lab.yaml        # /metrics on 127.0.0.1:10472")
    say(
        "Every fault is in `sprmon lab inject --help` and docs/lab.md; `sprmon check --help` "
        "has the options (JSON and JUnit output, --save-snapshot, --interval)."
    )


def keep_running(lab: Lab, daemon: DemoDaemon) -> None:
    heading("The lab and the daemon keep running")
    say("Faults cleared. Until Ctrl-C, point a Prometheus at the daemon (prometheus.yml):")
    click.echo("  scrape_configs:")
    click.echo("    - job_name: sprmon")
    click.echo("      scrape_interval: 5s")
    click.echo(f'      static_configs: [{{targets: ["{daemon.address}"]}}]')
    say(
        f"and ask it {DRIFT_QUERY}; the alert rules in rules/ and the dashboards in grafana/ "
        f"work on it as on a real fleet. From another terminal (the lab is named {lab.name!r}):"
    )
    click.echo(f"  $ sprmon check --intent {lab.intent_path}")
    click.echo(f"  $ curl -s {daemon.url}/metrics | grep sprmon_paths")
    click.echo(f"  $ sprmon lab --name {lab.name} inject site-003 med-drift")
    click.echo(f"  $ sprmon lab --name {lab.name} status")
    click.echo(f"  $ sprmon lab --name {lab.name} clear site-003")


def faults() -> None:
    """What the two faults the story injects mean."""
    click.echo(f"$ sprmon lab inject {DRIFT_SITE} med-drift")
    say(
        "core-mpls now sends the legacy prefix with MED 300 instead of 100, so core-inet's "
        "200 wins. Every link is up, yet the application leaves over the wrong one: the "
        "policy is broken (drift)."
    )
    click.echo(f"$ sprmon lab inject {FAILOVER_SITE} link-down mpls")
    say(
        "The mpls link fails. The legacy prefix falls back to inet as designed (failover), "
        "and the site has no backup left."
    )
