"""``sprmon lab``: run the simulated WAN, and inject faults into the one that runs.

    sprmon lab [--sites N] [--seed S] [--write-intent FILE] [--base-port P]
               [--tick SECONDS] [--counter-refresh SECONDS] [--snmp-version 2c|3]
               [--protocols P] [--name NAME] [--state-dir DIR]
    sprmon lab inject SITE FAULT [LINK] [--prefix P] [--med N]
    sprmon lab clear SITE
    sprmon lab status [--json]

Without a subcommand the group runs the lab in the foreground until Ctrl-C
or SIGTERM. The subcommands find the running lab through its state file
(see :mod:`sprmon.lab.control`): without ``--name`` there must be exactly one.
"""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from sprmon.cli.common import CliError, CliUsageError, Seconds
from sprmon.lab.control import LabRecord, default_state_dir, find_lab, request
from sprmon.lab.credentials import V3Credentials
from sprmon.lab.errors import LabError
from sprmon.lab.faults import ONE_SHOT_FAULTS, Fault
from sprmon.lab.intent_file import secret_files, sites_csv_for
from sprmon.lab.plan import LINK_ROLES, MAX_SITES
from sprmon.lab.protocols import CHOICES, MIXED, parse_protocols

if TYPE_CHECKING:
    from sprmon.lab.runner import Lab

DEFAULT_NAME = "default"
#: --tick: a hundredth of a second is already 100 updates a second per router.
_TICK = Seconds(0.01, 60.0)
#: --counter-refresh: 0 is off; real agents cache counters for seconds, not hours.
_COUNTER_REFRESH = Seconds(0.0, 600.0)
_RUN_ONLY = (
    "sites",
    "seed",
    "intent_path",
    "base_port",
    "tick",
    "counter_refresh",
    "snmp_version",
    "protocols",
)

_name_option = click.option(
    "--name",
    default=None,
    help=f"Which lab: several can run side by side under different names [run: {DEFAULT_NAME}].",
)
_state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where running labs keep their state files and control sockets "
    "[env SPRMON_LAB_STATE_DIR, else $XDG_RUNTIME_DIR/sprmon-lab or /tmp/sprmon-lab-UID].",
)


@click.group(
    name="lab",
    short_help="Run a simulated WAN of real SNMP agents and gNMI targets.",
    invoke_without_command=True,
)
@click.option(
    "--sites",
    type=click.IntRange(1, MAX_SITES),
    default=5,
    show_default=True,
    help="Number of remote sites (each one SNMP agent), besides the two core routers.",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="Seed of the simulation (uptimes, counters, traffic demand).",
)
@click.option(
    "--write-intent",
    "intent_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the intent file for this lab here, with its secret files next to it "
    "[default: STATE_DIR/NAME/intent.yaml].",
)
@click.option(
    "--base-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Site N listens on BASE+N, the cores on the next two ports [default: free ports].",
)
@click.option(
    "--tick",
    type=_TICK,
    default=1.0,
    show_default=True,
    help=f"Seconds between two updates of the simulation (counters, uptimes); {_TICK.bounds()}.",
)
@click.option(
    "--counter-refresh",
    type=_COUNTER_REFRESH,
    default=0.0,
    show_default=True,
    help="Interface counters change only every SECONDS, each router at its own phase, "
    "as real agents cache them (Net-SNMP: 3); 0: at every tick. Keep --tick well below it. "
    f"{_COUNTER_REFRESH.bounds()}.",
)
@click.option(
    "--snmp-version",
    type=click.Choice(["2c", "3"]),
    default="2c",
    show_default=True,
    help="SNMP v2c with a community, or v3 authPriv (SHA-256, AES-128).",
)
@click.option(
    "--protocols",
    default=MIXED,
    show_default=True,
    metavar="|".join(CHOICES),
    help="What the sites answer: SNMP, gNMI (OpenConfig, with IPv6 paths) or both; "
    "mixed: every site SNMP and every other one (site-001, site-003, ...) gNMI as well. "
    "A gNMI target listens on TCP; the intent says which protocols each site answers.",
)
@_name_option
@_state_dir_option
@click.pass_context
def lab(
    ctx: click.Context,
    *,
    sites: int,
    seed: int,
    intent_path: Path | None,
    base_port: int | None,
    tick: float,
    counter_refresh: float,
    snmp_version: str,
    protocols: str,
    name: str | None,
    state_dir: Path | None,
) -> None:
    """Run a simulated WAN whose routers are real SNMP agents and gNMI targets on 127.0.0.1.

    Each remote site (AS 65101, 65102, ...) has an mpls and an inet uplink to
    the core routers core-mpls and core-inet (AS 65000), which set the MEDs of
    the scenario; every site computes its BGP best paths and its interface
    counters follow the traffic over them. Inject faults from another terminal
    with `sprmon lab inject`; see docs/lab.md.

    \b
    Faults: link-down, session-down, med-drift, withdraw (take a LINK, default
    mpls), counter-wrap, reboot, mute, garbage.
    """
    if ctx.invoked_subcommand is not None:
        given = [
            "--" + p.replace("_", "-").replace("intent-path", "write-intent")
            for p in _RUN_ONLY
            if ctx.get_parameter_source(p) is not ParameterSource.DEFAULT
        ]
        if given:
            raise CliUsageError(
                f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for running the lab, "
                f"not for `{ctx.invoked_subcommand}`",
                ctx,
            )
        return
    try:
        parse_protocols(protocols)
    except LabError as exc:
        raise CliUsageError(str(exc), ctx) from exc
    lab_name = name or DEFAULT_NAME
    directory = state_dir if state_dir is not None else default_state_dir()
    if intent_path is None:
        intent_path = directory / lab_name / "intent.yaml"
    try:
        asyncio.run(
            _serve(
                sites=sites,
                seed=seed,
                intent_path=intent_path,
                base_port=base_port,
                tick=tick,
                counter_refresh_s=counter_refresh,
                snmp_version=snmp_version,
                protocols=protocols,
                name=lab_name,
                state_dir=directory,
            )
        )
    except LabError as exc:
        raise CliError(str(exc)) from exc


async def _serve(
    *,
    sites: int,
    seed: int,
    intent_path: Path,
    base_port: int | None,
    tick: float,
    counter_refresh_s: float,
    snmp_version: str,
    protocols: str,
    name: str,
    state_dir: Path,
) -> None:
    # Imported here: the agents import pysnmp (about 0.4 s), which the lab's
    # other subcommands (inject, clear, status) should not pay for.
    from sprmon.lab.runner import run_lab  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        click.echo(f"starting {sites} sites and 2 core routers ...", err=True)
        async with run_lab(
            sites=sites,
            seed=seed,
            state_dir=state_dir,
            intent_path=intent_path,
            base_port=base_port,
            tick=tick,
            counter_refresh_s=counter_refresh_s,
            name=name,
            snmp_version="3" if snmp_version == "3" else "2c",
            protocols=protocols,
        ) as running:
            click.echo(_banner(running))
            await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    click.echo(f"lab {name!r} stopped", err=True)


def _port_summary(ports: dict[str, int], transport: str = "UDP") -> str:
    names, numbers = list(ports), list(ports.values())
    if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"{names[0]} .. {names[-1]} on {transport} {numbers[0]} .. {numbers[-1]}"
    shown = ", ".join(f"{n} {p}" for n, p in list(ports.items())[:4])
    more = f", ... ({len(ports)} in all: `sprmon lab status`)" if len(ports) > 4 else ""
    return shown + more


def _banner(running: Lab) -> str:
    assert running.intent_path is not None
    folder = running.intent_path.parent
    secrets = [folder / file for file in secret_files(running.credentials)]
    name_flag = "" if running.name == DEFAULT_NAME else f" --name {running.name}"
    sites, snmp = len(running.model.sites), f"SNMP v{running.snmp_version}"
    cores = f"{len(running.core_ports)} core routers"
    if len(running.site_ports) == sites:
        what = f"{sites} sites and {cores} answer {snmp}"
        if running.gnmi_ports:
            what += f", {len(running.gnmi_ports)} of the sites gNMI as well,"
    else:
        what = f"{len(running.gnmi_ports)} sites answer gNMI"
        if running.site_ports:
            what += f" ({len(running.site_ports)} of them {snmp} as well)"
        what += f", {cores} {snmp},"
    lines = [f"sprmon lab {running.name!r}: {what} on {running.host}"]
    if running.site_ports:
        lines.append(f"  sites:   {_port_summary(running.site_ports)}")
    lines.append(f"  cores:   {', '.join(f'{n} {p}' for n, p in running.core_ports.items())}")
    if running.gnmi_ports:
        lines.append(f"  gnmi:    {_port_summary(running.gnmi_ports, 'TCP')}")
        lines.append(f"           {_gnmi_access(running, folder)}")
    sites_csv = sites_csv_for(running.intent_path, sites)
    lines += [
        f"  intent:  {running.intent_path}"
        + ("" if sites_csv is None else f" (its sites in {sites_csv.name})"),
        f"  secrets: {', '.join(str(s) for s in secrets)}",
    ]
    if running.site_ports:
        first = next(iter(running.site_ports))
        target = f"{running.host}:{running.site_ports[first]}"
        if isinstance(running.credentials, V3Credentials):
            query = (
                f"snmpbulkwalk -v3 -l authPriv -u {running.credentials.user}"
                f' -a SHA-256 -A "$(cat {secrets[0]})" -x AES -X "$(cat {secrets[1]})"'
                f" {target} 1.3.6.1.2.1.15"
            )
        else:
            query = f'snmpbulkwalk -v2c -c "$(cat {secrets[0]})" {target} 1.3.6.1.2.1.15'
        lines.append(f"  query:   {query}")
    first_site = running.model.sites[0].name
    lines += [
        f"  faults:  sprmon lab{name_flag} inject {first_site} med-drift   (from another terminal)",
        f"           sprmon lab{name_flag} clear {first_site}",
        f"  status:  sprmon lab{name_flag} status",
        "  stop:    Ctrl-C",
    ]
    return "\n".join(lines)


def _gnmi_access(running: Lab, folder: Path) -> str:
    credentials = running.gnmi_credentials
    if credentials is None:
        who = "no credentials"
    else:
        snmp_files = secret_files(running.credentials)
        (password,) = (
            f for f in secret_files(running.credentials, credentials) if f not in snmp_files
        )
        who = f"user {credentials.username}, password in {folder / password}"
    tls = "TLS" if running.gnmi_tls is not None else "no TLS"
    return f"{who}; {tls}; encodings JSON_IETF, PROTO"


def _target(ctx: click.Context, name: str | None, state_dir: Path | None) -> LabRecord:
    """The running lab a subcommand addresses (its own options win over the group's)."""
    parent = ctx.parent.params if ctx.parent is not None else {}
    name = name if name is not None else parent.get("name")
    state_dir = state_dir if state_dir is not None else parent.get("state_dir")
    try:
        return find_lab(state_dir if state_dir is not None else default_state_dir(), name)
    except LabError as exc:
        raise CliError(str(exc)) from exc


def _ask(record: LabRecord, message: dict[str, Any]) -> Any:
    try:
        return request(record, message)
    except LabError as exc:
        raise CliError(str(exc)) from exc


@lab.command()
@click.argument("router")
@click.argument("fault", type=click.Choice([f.value for f in Fault]))
@click.argument("link", required=False, type=click.Choice(LINK_ROLES))
@click.option("--prefix", help="withdraw: the prefix the core stops advertising.")
@click.option(
    "--med",
    type=click.IntRange(0, 2**32 - 1),
    help="med-drift: the MED set on the steered prefixes [default: 300].",
)
@_name_option
@_state_dir_option
@click.pass_context
def inject(
    ctx: click.Context,
    *,
    router: str,
    fault: str,
    link: str | None,
    prefix: str | None,
    med: int | None,
    name: str | None,
    state_dir: Path | None,
) -> None:
    """Inject FAULT into ROUTER (a site, or core-mpls / core-inet) of the running lab.

    \b
    link-down     LINK goes down: its interface, BGP session and paths
    session-down  the BGP session on LINK goes idle; the link stays up
    med-drift     the core on LINK sets MED 300 (or --med) on the steered prefixes
    withdraw      the core on LINK stops advertising a prefix (--prefix)
    counter-wrap  the octet counters jump to just below 2**64 / 2**32
    reboot        uptime and counters restart from zero, sessions re-establish
    mute          the agent stops answering
    garbage       the agent answers with malformed SNMP messages
    """
    record = _target(ctx, name, state_dir)
    result = _ask(
        record,
        {
            "op": "inject",
            "router": router,
            "fault": fault,
            "link": link,
            "prefix": prefix,
            "med": med,
        },
    )
    verb = "applied" if Fault(result["fault_kind"]) in ONE_SHOT_FAULTS else "injected"
    click.echo(f"{result['router']}: {verb} {result['fault']}")


@lab.command()
@click.argument("router")
@_name_option
@_state_dir_option
@click.pass_context
def clear(ctx: click.Context, router: str, name: str | None, state_dir: Path | None) -> None:
    """Remove every fault of ROUTER in the running lab."""
    record = _target(ctx, name, state_dir)
    result = _ask(record, {"op": "clear", "router": router})
    removed = result["removed"]
    if removed:
        click.echo(f"{result['router']}: cleared {', '.join(removed)}")
    else:
        click.echo(f"{result['router']}: had no faults")


@lab.command()
@click.option("--json", "as_json", is_flag=True, help="Print the full status as JSON.")
@_name_option
@_state_dir_option
@click.pass_context
def status(ctx: click.Context, as_json: bool, name: str | None, state_dir: Path | None) -> None:
    """Show the running lab: ports, sessions, best links and faults of every router."""
    record = _target(ctx, name, state_dir)
    result = _ask(record, {"op": "status"})
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(
        f"lab {result['name']!r} (pid {result['pid']}): {result['sites']} sites, "
        f"SNMP v{result['snmp_version']} on {result['host']}, seed {result['seed']}, "
        f"tick {result['tick_s']:g} s"
    )
    if result["intent"]:
        click.echo(f"intent: {result['intent']}")
    rows = [("ROUTER", "SNMP", "GNMI", "AS", "SESSIONS", "BEST LINK (IPv4)", "FAULTS")]
    for router in result["routers"]:
        sessions = " ".join(f"{k}={v}" for k, v in router["sessions"].items())
        best = " ".join(
            f"{prefix}={link or 'none'}"
            for prefix, link in router["best_links"].items()
            if ":" not in prefix
        )
        rows.append(
            (
                router["name"],
                _port_cell(router.get("port")),
                _port_cell(router.get("gnmi_port")),
                str(router["asn"]),
                sessions,
                best or "-",
                ", ".join(router["faults"]) or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))


def _port_cell(port: object) -> str:
    return "-" if port is None else str(port)
