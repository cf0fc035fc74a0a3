"""The reference WAN built from real routers: FRRouting and Net-SNMP in network namespaces.

::

    async with frr_wan(sites=2) as wan:
        wan.write_intent(folder / "intent.yaml")      # plus folder/community
        routes = await wan.bgp_routes("branch-01")    # FRR's own view
        async with wan.link_down("branch-01", "mpls"):
            ...

Root only. One namespace per router (docs/real-routers.md)::

    core-mpls (AS 65000) ---mpls--- branch-01 (AS 65101) ---inet--- core-inet (AS 65000)
    core-mpls            ---mpls--- branch-02 (AS 65102) ---inet--- core-inet
                                        |
                                       mgmt: a veth per branch to the root namespace,
                                       where sprmon polls the branch's snmpd

    core-mpls: MED 100 on 10.0.21.0/24 (legacy), MED 300 on the others
    core-inet: MED 200 on every prefix

Every router runs its own ``zebra`` and ``bgpd`` (as user ``frr``, with its
own config, pid, vty and zserv socket files under ``workdir/ROUTER``); every
branch also runs ``snmpd`` as the AgentX master that bgpd's BGP4-MIB plugs
into, while IF-MIB comes from the branch namespace's real interfaces. The
addresses inside the namespaces are documentation ranges (198.51.100.0/24 on
the mpls links, 203.0.113.0/24 on the inet links); the management links use
free /30s from the upper halves of the same ranges, checked against the root
namespace's routes. Nothing here uses 192.0.2.0/24, the machine's own range.

The network is described by a :class:`FrrWan`, which can be saved to and
loaded from JSON so that ``scripts/frr-wan`` can build it in one command and
tear it down in another. Processes are stopped by the pid that was started;
when they are not this process's children (``scripts/frr-wan down``), only
after checking that the pid still runs a command naming this network's
folder, so a recycled pid is never signalled.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.peers.netns import NetnsError, ip, run
from tests.peers.snmpd import SnmpdError, parse_tool_output, run_tool, tool_env

FRR_DIR = Path("/usr/lib/frr")
FRR_USER = "frr"
CORE_AS = 65000
FIRST_SITE_AS = 65101
#: The scenario's application prefixes (IPv4 only: FRR 8.4 serves BGP4-MIB, not BGP4V2-MIB).
LEGACY = "10.0.21.0/24"
DEFAULT_PREFIXES = ("10.0.10.0/24", "10.0.30.0/24")
APP_PREFIXES = (LEGACY, *DEFAULT_PREFIXES)
#: MEDs set by the cores (lower wins).
MED_STEERED = 100
MED_INET = 200
MED_BACKUP = 300
#: Which core sits at the far end of each link role.
CORES = {"mpls": "core-mpls", "inet": "core-inet"}
LINKS = ("mpls", "inet")
MPLS_CAPACITY = "10Mbps"
INET_CAPACITY = "100Mbps"
#: BGP keepalive and hold time: short, so that a silent session loss shows within seconds.
KEEPALIVE_S = 1
HOLD_TIME_S = 3
#: snmpd re-reads interface counters and status at most this often.
IF_MIB_CACHE_S = 3.0

BGP_PATH_BEST = "1.3.6.1.2.1.15.6.1.13"
IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


class FrrWanError(RuntimeError):
    pass


@dataclass(frozen=True)
class SitePlan:
    """One branch router: its AS, its link addresses and its management address."""

    name: str
    asn: int
    #: Index of the /30 used on both of its uplinks.
    slot: int
    mgmt_root: str
    mgmt_site: str

    def core_address(self, link: str) -> str:
        return str(_link_network(link, self.slot)[1])

    def site_address(self, link: str) -> str:
        return str(_link_network(link, self.slot)[2])


def _link_network(link: str, slot: int) -> ipaddress.IPv4Network:
    base = {"mpls": "198.51.100.0", "inet": "203.0.113.0"}[link]
    return ipaddress.IPv4Network(f"{ipaddress.IPv4Address(base) + 4 * slot}/30")


@dataclass(frozen=True)
class Daemon:
    router: str
    program: str
    pid: int


@dataclass
class FrrWan:
    """A running (or partly built) network; everything teardown needs to remove it."""

    workdir: Path
    token: str
    community: str
    sites: tuple[SitePlan, ...]
    #: router name -> namespace name
    namespaces: dict[str, str] = field(default_factory=dict)
    #: Root-namespace ends of the management veths.
    root_devices: list[str] = field(default_factory=list)
    daemons: list[Daemon] = field(default_factory=list)
    #: The processes this Python process started (not saved): reaped on stop.
    _children: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict, repr=False)

    # -- names ---------------------------------------------------------------

    @property
    def routers(self) -> tuple[str, ...]:
        return ("core-mpls", "core-inet", *(site.name for site in self.sites))

    def site(self, name: str) -> SitePlan:
        for site in self.sites:
            if site.name == name:
                return site
        raise KeyError(f"no site {name!r} in this network (sites: {self.site_names})")

    @property
    def site_names(self) -> tuple[str, ...]:
        return tuple(site.name for site in self.sites)

    def rundir(self, router: str) -> Path:
        return self.workdir / router

    def link_of_peer(self, site: str, peer: str) -> str | None:
        """The link role whose core address is ``peer``, as the intent says."""
        plan = self.site(site)
        return next((link for link in LINKS if plan.core_address(link) == peer), None)

    # -- talking to the routers ---------------------------------------------

    async def exec(self, router: str, *command: str, timeout_s: float = 30.0) -> str:
        """Run a command inside a router's namespace."""
        return await run(
            "ip", "netns", "exec", self.namespaces[router], *command, timeout_s=timeout_s
        )

    async def vtysh(self, router: str, *commands: str) -> str:
        """``vtysh -c CMD...`` against that router's own daemons."""
        args = [arg for command in commands for arg in ("-c", command)]
        return await self.exec(
            router,
            "env",
            "VTYSH_HISTFILE=/dev/null",
            "vtysh",
            "--vty_socket",
            str(self.rundir(router)),
            *args,
        )

    async def configure(self, router: str, *lines: str) -> None:
        """Enter ``lines`` in configuration mode, then make the peers see the result at once.

        Without the soft clear, bgpd applies a changed route-map to its
        outbound updates only after its route-map delay (about 5 s).
        """
        out = await self.vtysh(router, "configure terminal", *lines, "end")
        problems = [line for line in out.splitlines() if line.startswith("%")]
        if problems:
            raise FrrWanError(f"{router} refused {list(lines)}: {'; '.join(problems)}")
        await self.vtysh(router, "clear bgp ipv4 unicast * soft out")

    async def bgp_routes(self, site: str) -> dict[str, list[dict[str, Any]]]:
        """``show bgp ipv4 unicast json``: prefix -> FRR's paths (``bestpath``, ``peerId``...)."""
        shown = json.loads(await self.vtysh(site, "show bgp ipv4 unicast json"))
        routes: dict[str, list[dict[str, Any]]] = shown.get("routes", {})
        return routes

    async def bgp_sessions(self, site: str) -> dict[str, str]:
        """Neighbour address -> FRR's session state (``Established``, ``Active``...)."""
        shown = json.loads(await self.vtysh(site, "show bgp ipv4 unicast summary json"))
        peers: dict[str, dict[str, Any]] = shown.get("peers", {})
        return {address: str(peer.get("state")) for address, peer in peers.items()}

    async def kernel_operstate(self, site: str, link: str) -> str:
        shown = json.loads(await self.exec(site, "ip", "-j", "link", "show", "dev", link))
        return str(shown[0].get("operstate"))

    async def snmpwalk(self, site: str, oid: str) -> list[tuple[str, str, str]]:
        """Net-SNMP's ``snmpbulkwalk`` of the branch's agent, from the root namespace."""
        out = await run_tool(
            "snmpbulkwalk",
            "-v2c",
            "-c",
            self.community,
            "-On",
            "-r1",
            "-t1",
            f"{self.site(site).mgmt_site}:161",
            oid,
            env=tool_env(self.workdir / "tools"),
        )
        return parse_tool_output(out)

    # -- faults ---------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def link_down(self, site: str, link: str) -> AsyncIterator[None]:
        """The far end of the branch's ``link`` goes down: the branch sees carrier loss."""
        core, device = self.namespaces[CORES[link]], site
        await ip("-n", core, "link", "set", device, "down")
        try:
            yield
        finally:
            await ip("-n", core, "link", "set", device, "up")

    @contextlib.asynccontextmanager
    async def session_blackholed(self, site: str, link: str) -> AsyncIterator[None]:
        """The branch drops everything to its ``link`` neighbour: the BGP session dies
        silently (after the hold time) while the link stays up."""
        route = f"{self.site(site).core_address(link)}/32"
        await ip("-n", self.namespaces[site], "route", "add", "blackhole", route)
        try:
            yield
        finally:
            await ip("-n", self.namespaces[site], "route", "del", "blackhole", route)

    @contextlib.asynccontextmanager
    async def core_policy(
        self, core: str, apply: Sequence[str], revert: Sequence[str]
    ) -> AsyncIterator[None]:
        """Change a core's configuration (through vtysh) for the body, then change it back."""
        await self.configure(core, *apply)
        try:
            yield
        finally:
            await self.configure(core, *revert)

    def steered_med(self, site: str, med: int) -> contextlib.AbstractAsyncContextManager[None]:
        """core-mpls sends ``med`` instead of 100 on the steered prefix to ``site``."""
        entry = f"route-map {route_map(site)} permit 10"
        return self.core_policy(
            "core-mpls", [entry, f"set metric {med}"], [entry, f"set metric {MED_STEERED}"]
        )

    def withheld(
        self, core: str, site: str, prefix: str
    ) -> contextlib.AbstractAsyncContextManager[None]:
        """``core`` stops advertising ``prefix`` to ``site``; its session stays up."""
        prefix_list = "WITHHELD"
        entry = f"route-map {route_map(site)} deny 5"
        return self.core_policy(
            core,
            [
                f"ip prefix-list {prefix_list} seq 5 permit {prefix}",
                entry,
                f"match ip address prefix-list {prefix_list}",
            ],
            [f"no {entry}", f"no ip prefix-list {prefix_list}"],
        )

    # -- steady state -----------------------------------------------------------

    async def steady_problems(self) -> list[str]:
        """What differs from the designed steady state, in FRR's view and snmpd's; [] if none."""
        problems: list[str] = []
        for site in self.sites:
            sessions = await self.bgp_sessions(site.name)
            for link in LINKS:
                state = sessions.get(site.core_address(link), "absent")
                if state != "Established":
                    problems.append(f"{site.name}: {link} session {state}")
            routes = await self.bgp_routes(site.name)
            for prefix in APP_PREFIXES:
                want = "mpls" if prefix == LEGACY else "inet"
                paths = routes.get(prefix, [])
                best = [p.get("peerId") for p in paths if p.get("bestpath")]
                if len(paths) != 2 or best != [site.core_address(want)]:
                    problems.append(
                        f"{site.name}: {prefix}: {len(paths)} path(s), best from {best}"
                    )
            try:
                best_rows = await self.snmpwalk(site.name, BGP_PATH_BEST)
                names = {
                    oid.rsplit(".", 1)[1]: value.strip('"')
                    for oid, _, value in await self.snmpwalk(site.name, IF_NAME)
                }
                status = {
                    names.get(oid.rsplit(".", 1)[1]): value
                    for oid, _, value in await self.snmpwalk(site.name, IF_OPER_STATUS)
                }
            except SnmpdError as exc:
                problems.append(f"{site.name}: snmpd: {exc}")
                continue
            if len(best_rows) != 2 * len(APP_PREFIXES):
                problems.append(f"{site.name}: snmpd serves {len(best_rows)} bgp4PathAttr rows")
            problems += [
                f"{site.name}: IF-MIB says {link} has ifOperStatus {status.get(link)}"
                for link in LINKS
                if status.get(link) != "1"
            ]
        return problems

    async def wait_steady(self, timeout_s: float = 30.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            self.check_daemons()
            problems = await self.steady_problems()
            if not problems:
                return
            if loop.time() > deadline:
                raise FrrWanError(
                    f"not in the steady state after {timeout_s:.0f} s: {'; '.join(problems)}"
                )
            await asyncio.sleep(0.5)

    def check_daemons(self) -> None:
        """Raise, with the end of its log, if a daemon of this network has exited."""
        for daemon in self.daemons:
            if not self.running(daemon):
                raise FrrWanError(
                    f"{daemon.program} of {daemon.router} (pid {daemon.pid}) is not running:\n"
                    + self.log_tail(daemon.router, daemon.program)
                )

    def running(self, daemon: Daemon) -> bool:
        child = self._children.get(daemon.pid)
        if child is not None:
            # Our own child: exact, even in the instant between fork and exec.
            return child.poll() is None
        return _alive(daemon.pid, str(self.workdir))

    def log_tail(self, router: str, program: str, lines: int = 20) -> str:
        text = ""
        for name in (f"{program}.log", f"{program}.out"):
            path = self.rundir(router) / name
            if path.exists():
                text += "".join(
                    f"  {name}: {line}\n"
                    for line in path.read_text(errors="replace").splitlines()[-lines:]
                )
        return text

    # -- intent -------------------------------------------------------------------

    def intent_yaml(self, community_file: str = "community") -> str:
        """sprmon's intent for this network (the community is read from ``community_file``)."""
        site_lines = []
        for site in self.sites:
            neighbors = ", ".join(
                f"{link}: {{neighbors: [{site.core_address(link)}]}}" for link in LINKS
            )
            site_lines.append(
                f"  - {{name: {site.name}, address: {site.mgmt_site}, links: {{{neighbors}}}, "
                f"labels: {{asn: '{site.asn}'}}}}"
            )
        return "\n".join(
            [
                "# sprmon intent for the FRRouting WAN that scripts/frr-wan builds",
                "# (docs/real-routers.md). Each site is an FRR router in its own network",
                "# namespace; sprmon reaches its snmpd over the site's management veth.",
                "version: 1",
                "links:",
                '  mpls: {description: "veth to core-mpls (AS 65000)"}',
                '  inet: {description: "veth to core-inet (AS 65000)"}',
                "applications:",
                "  legacy:",
                "    description: Legacy servers that need the SLA link",
                f"    prefixes: [{LEGACY}]",
                "    links: [mpls, inet]",
                f"    marking: {{mpls: {{med: {MED_STEERED}}}}}",
                "default_application:",
                f"  prefixes: [{', '.join(DEFAULT_PREFIXES)}]",
                "  links: [inet, mpls]",
                f"  marking: {{inet: {{med: {MED_INET}}}}}",
                "credentials:",
                "  frr-wan:",
                f"    snmp: {{version: 2c, community: {{file: {community_file}}}}}",
                "site_defaults:",
                "  snmp: {credentials: frr-wan}",
                "  links:",
                f"    mpls: {{capacity: {MPLS_CAPACITY}, interface: mpls}}",
                f"    inet: {{capacity: {INET_CAPACITY}, interface: inet}}",
                "sites:",
                *site_lines,
                "",
            ]
        )

    def write_intent(self, path: Path) -> Path:
        """Write the intent to ``path`` and the community to ``community`` next to it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        community = path.parent / "community"
        community.write_text(self.community + "\n")
        community.chmod(0o600)
        path.write_text(self.intent_yaml())
        return path

    # -- saving (for scripts/frr-wan) ---------------------------------------------

    def to_json(self) -> str:
        return json.dumps(
            {
                "workdir": str(self.workdir),
                "token": self.token,
                "community": self.community,
                "sites": [asdict(site) for site in self.sites],
                "namespaces": self.namespaces,
                "root_devices": self.root_devices,
                "daemons": [asdict(daemon) for daemon in self.daemons],
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> FrrWan:
        data = json.loads(text)
        return cls(
            workdir=Path(data["workdir"]),
            token=data["token"],
            community=data["community"],
            sites=tuple(SitePlan(**site) for site in data["sites"]),
            namespaces=dict(data["namespaces"]),
            root_devices=list(data["root_devices"]),
            daemons=[Daemon(**daemon) for daemon in data["daemons"]],
        )


def route_map(site: str) -> str:
    """The name of a core's outbound route-map towards ``site`` (one per site)."""
    return f"TO-{site.upper()}"


# -- building -------------------------------------------------------------------------


def site_names(count: int) -> tuple[str, ...]:
    return tuple(f"branch-{n:02d}" for n in range(1, count + 1))


async def plan_sites(count: int) -> tuple[SitePlan, ...]:
    """Site plans with management /30s that no route of the root namespace covers yet."""
    if not 1 <= count <= 30:
        raise ValueError(f"between 1 and 30 sites, not {count}")
    subnets = await _free_management_subnets(count)
    return tuple(
        SitePlan(
            name=name,
            asn=FIRST_SITE_AS + slot,
            slot=slot,
            mgmt_root=str(subnet[1]),
            mgmt_site=str(subnet[2]),
        )
        for slot, (name, subnet) in enumerate(zip(site_names(count), subnets, strict=True))
    )


async def _free_management_subnets(count: int) -> list[ipaddress.IPv4Network]:
    used = []
    for route in json.loads(await ip("-j", "-4", "route", "show", "table", "all")):
        destination = route.get("dst", "default")
        if destination == "default":
            continue
        with contextlib.suppress(ValueError):
            used.append(ipaddress.IPv4Network(destination, strict=False))
    candidates = [
        subnet
        for half in ("203.0.113.128/25", "198.51.100.128/25")
        for subnet in ipaddress.IPv4Network(half).subnets(new_prefix=30)
        if not any(subnet.overlaps(other) for other in used)
    ]
    if len(candidates) < count:
        raise FrrWanError(
            f"only {len(candidates)} free /30s left in 203.0.113.128/25 and 198.51.100.128/25 "
            f"for {count} management links (another network is using them)"
        )
    # Random, so that two networks built at the same moment rarely pick the same ones.
    start = secrets.randbelow(len(candidates) - count + 1)
    return candidates[start : start + count]


def _core_bgpd_conf(wan: FrrWan, core: str) -> str:
    link = "mpls" if core == "core-mpls" else "inet"
    router_id = str(_link_network(link, 0)[1])
    lines = [
        "frr defaults traditional",
        f"hostname {core}",
        f"log file {wan.rundir(core) / 'bgpd.log'} informational",
        f"ip prefix-list STEERED seq 5 permit {LEGACY}",
    ]
    for site in wan.sites:
        if core == "core-mpls":
            lines += [
                f"route-map {route_map(site.name)} permit 10",
                " match ip address prefix-list STEERED",
                f" set metric {MED_STEERED}",
                "exit",
                f"route-map {route_map(site.name)} permit 20",
                f" set metric {MED_BACKUP}",
                "exit",
            ]
        else:
            lines += [
                f"route-map {route_map(site.name)} permit 10",
                f" set metric {MED_INET}",
                "exit",
            ]
    lines += [
        f"router bgp {CORE_AS}",
        f" bgp router-id {router_id}",
        # FRR's default (RFC 8212) would announce nothing to an eBGP peer without policy.
        " no bgp ebgp-requires-policy",
        f" timers bgp {KEEPALIVE_S} {HOLD_TIME_S}",
    ]
    # Neighbour-level lines stay outside the address-family block: FRR ends the
    # block silently at the first one it meets there.
    for site in wan.sites:
        address = site.site_address(link)
        lines += [
            f" neighbor {address} remote-as {site.asn}",
            f" neighbor {address} description {site.name}",
            f" neighbor {address} timers connect 1",
        ]
    lines += [" address-family ipv4 unicast"]
    lines += [f"  network {prefix}" for prefix in APP_PREFIXES]
    lines += [
        f"  neighbor {site.site_address(link)} route-map {route_map(site.name)} out"
        for site in wan.sites
    ]
    lines += [" exit-address-family", "exit", ""]
    return "\n".join(lines)


def _site_bgpd_conf(wan: FrrWan, site: SitePlan) -> str:
    lines = [
        "frr defaults traditional",
        f"hostname {site.name}",
        f"log file {wan.rundir(site.name) / 'bgpd.log'} informational",
        # Register BGP4-MIB with the namespace's snmpd (AgentX master).
        "agentx",
        f"router bgp {site.asn}",
        f" bgp router-id {site.site_address('mpls')}",
        " no bgp ebgp-requires-policy",
        f" timers bgp {KEEPALIVE_S} {HOLD_TIME_S}",
    ]
    for link in LINKS:
        address = site.core_address(link)
        lines += [
            f" neighbor {address} remote-as {CORE_AS}",
            f" neighbor {address} description {CORES[link]} over {link}",
            f" neighbor {address} timers connect 1",
        ]
    lines += ["exit", ""]
    return "\n".join(lines)


def _snmpd_conf(wan: FrrWan, site: SitePlan) -> str:
    return "\n".join(
        [
            f"agentAddress udp:{site.mgmt_site}:161",
            f"rocommunity {wan.community} {site.mgmt_root}/32",
            "dontLogTCPWrappersConnects yes",
            "master agentx",
            f"agentXSocket {wan.rundir(site.name) / 'agentx.sock'}",
            # bgpd runs as frr, snmpd as root: the socket must be open to it.
            "agentXPerms 0666 0777",
            "",
        ]
    )


def _prepare_dirs(wan: FrrWan) -> None:
    """Folders the frr user can reach: ``workdir`` itself must be world-traversable."""
    for parent in wan.workdir.parents:
        if parent.exists() and not parent.stat().st_mode & 0o001:
            raise FrrWanError(
                f"the frr user cannot reach {wan.workdir}: {parent} is not world-searchable "
                "(use a folder under /tmp)"
            )
    wan.workdir.mkdir(parents=True, exist_ok=True)
    wan.workdir.chmod(0o755)
    uid, gid = _frr_ids()
    for router in wan.routers:
        rundir = wan.rundir(router)
        for sub in ("", "vartmp", "snmp"):
            (rundir / sub).mkdir(parents=True, exist_ok=True)
            os.chown(rundir / sub, uid, gid)
        zebra = rundir / "zebra.conf"
        zebra.write_text(f"hostname {router}\nlog file {rundir / 'zebra.log'} informational\n")
        bgpd = rundir / "bgpd.conf"
        if router in CORES.values():
            bgpd.write_text(_core_bgpd_conf(wan, router))
        else:
            site = wan.site(router)
            bgpd.write_text(_site_bgpd_conf(wan, site))
            (rundir / "snmpd.conf").write_text(_snmpd_conf(wan, site))
            # bgpd's AgentX subagent reads "frr.conf" from SNMPCONFPATH.
            (rundir / "snmp" / "frr.conf").write_text(f"agentXSocket {rundir / 'agentx.sock'}\n")
            (rundir / "snmpd-persist").mkdir(exist_ok=True)
        for conf in (zebra, bgpd):
            os.chown(conf, uid, gid)


def _frr_ids() -> tuple[int, int]:
    import pwd  # noqa: PLC0415 (Unix only, and only needed here)

    try:
        entry = pwd.getpwnam(FRR_USER)
    except KeyError as exc:
        raise FrrWanError(
            "user 'frr' does not exist: install the Debian packages frr and frr-snmp "
            "(scripts/install-system-deps)"
        ) from exc
    return entry.pw_uid, entry.pw_gid


async def _create_namespaces(wan: FrrWan) -> None:
    for router in wan.routers:
        namespace = f"sprmon-frr-{wan.token}-{router}"
        await ip("netns", "add", namespace)
        wan.namespaces[router] = namespace
        # IPv6 off before any link exists, so that every device inherits it:
        # router solicitations would add bytes the utilisation test did not send.
        await run(
            "ip",
            "netns",
            "exec",
            namespace,
            "sysctl",
            "-qw",
            "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1",
        )
        await ip("-n", namespace, "link", "set", "lo", "up")


async def _create_links(wan: FrrWan) -> None:
    for core in CORES.values():
        batch = [f"address add {prefix.replace('.0/', '.1/')} dev lo" for prefix in APP_PREFIXES]
        await _batch(wan.namespaces[core], batch)
    for number, site in enumerate(wan.sites):
        ns = wan.namespaces[site.name]
        for link in LINKS:
            core_ns = wan.namespaces[CORES[link]]
            await ip(
                "-n",
                ns,
                *f"link add {link} type veth peer name {site.name}".split(),
                "netns",
                core_ns,
            )
            await ip("-n", ns, "address", "add", f"{site.site_address(link)}/30", "dev", link)
            await ip(
                "-n", core_ns, "address", "add", f"{site.core_address(link)}/30", "dev", site.name
            )
            await ip("-n", ns, "link", "set", link, "up")
            await ip("-n", core_ns, "link", "set", site.name, "up")
        root_device = f"frr{wan.token}m{number}"
        await ip("link", "add", root_device, "type", "veth", "peer", "name", "mgmt", "netns", ns)
        wan.root_devices.append(root_device)
        await run("sysctl", "-qw", f"net.ipv6.conf.{root_device}.disable_ipv6=1")
        await ip("address", "add", f"{site.mgmt_root}/30", "dev", root_device)
        await ip("link", "set", root_device, "up")
        await ip("-n", ns, "address", "add", f"{site.mgmt_site}/30", "dev", "mgmt")
        await ip("-n", ns, "link", "set", "mgmt", "up")


async def _batch(namespace: str, commands: Sequence[str]) -> None:
    await ip("-n", namespace, "-batch", "-", stdin=("\n".join(commands) + "\n").encode())


def _start(
    wan: FrrWan, router: str, program: str, command: Sequence[str], env: Mapping[str, str]
) -> None:
    rundir = wan.rundir(router)
    with (rundir / f"{program}.out").open("ab") as out:
        process = subprocess.Popen(
            ["ip", "netns", "exec", wan.namespaces[router], *command],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env),
            # Its own session: a Ctrl-C meant for the caller does not reach it,
            # and it outlives scripts/frr-wan up.
            start_new_session=True,
        )
    wan._children[process.pid] = process
    wan.daemons.append(Daemon(router, program, process.pid))


def _frr_command(wan: FrrWan, router: str, program: str) -> list[str]:
    rundir = wan.rundir(router)
    daemon = [
        str(FRR_DIR / program),
        "-u",
        FRR_USER,
        "-g",
        FRR_USER,
        "-f",
        str(rundir / f"{program}.conf"),
        "-i",
        str(rundir / f"{program}.pid"),
        "-z",
        str(rundir / "zserv.api"),
        "--vty_socket",
        str(rundir),
        # No vty on TCP: vtysh uses the socket in rundir.
        "-P",
        "0",
    ]
    if program == "bgpd" and router not in CORES.values():
        daemon += ["-M", "snmp"]
    # FRR keeps crash state in /var/tmp/frr/DAEMON.PID: give each namespace its
    # own /var/tmp, in the private mount namespace that "ip netns exec" makes.
    return ["sh", "-c", 'mount --bind "$0" /var/tmp && exec "$@"', str(rundir / "vartmp"), *daemon]


def _daemon_env(wan: FrrWan, router: str) -> dict[str, str]:
    rundir = wan.rundir(router)
    return {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "MIBS": "",
        "SNMPCONFPATH": str(rundir / "snmp"),
        "SNMP_PERSISTENT_DIR": str(rundir / "snmp"),
    }


async def _start_snmpd(wan: FrrWan, site: SitePlan) -> None:
    rundir = wan.rundir(site.name)
    command = [
        "snmpd",
        "-f",
        "-C",
        "-c",
        str(rundir / "snmpd.conf"),
        "-Lf",
        str(rundir / "snmpd.log"),
        "-I",
        "-smux",
    ]
    env = {**_daemon_env(wan, site.name), "SNMP_PERSISTENT_DIR": str(rundir / "snmpd-persist")}
    _start(wan, site.name, "snmpd", command, env)
    await _until(
        functools.partial(_snmp_answers, wan, site),
        wan,
        timeout_s=15,
        what=f"snmpd of {site.name} answering on {site.mgmt_site}",
    )


async def _snmp_answers(wan: FrrWan, site: SitePlan) -> bool:
    try:
        await run_tool(
            "snmpget",
            "-v2c",
            "-c",
            wan.community,
            "-r0",
            "-t0.3",
            "-On",
            f"{site.mgmt_site}:161",
            SYS_UPTIME,
            env=tool_env(wan.workdir / "tools"),
        )
    except SnmpdError:
        return False
    return True


async def _vty_answers(wan: FrrWan, router: str, program: str) -> bool:
    if not (wan.rundir(router) / f"{program}.vty").exists():
        return False
    try:
        await wan.exec(
            router,
            "env",
            "VTYSH_HISTFILE=/dev/null",
            "vtysh",
            "--vty_socket",
            str(wan.rundir(router)),
            "-d",
            program,
            "-c",
            "show version",
        )
    except NetnsError:
        return False
    return True


async def _until(
    probe: Callable[[], Awaitable[bool]],
    wan: FrrWan,
    *,
    timeout_s: float,
    what: str,
    interval_s: float = 0.1,
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not await probe():
        wan.check_daemons()
        if loop.time() > deadline:
            raise FrrWanError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await asyncio.sleep(interval_s)


async def _start_router(wan: FrrWan, router: str) -> None:
    for program in ("zebra", "bgpd"):
        _start(wan, router, program, _frr_command(wan, router, program), _daemon_env(wan, router))
        await _until(
            functools.partial(_vty_answers, wan, router, program),
            wan,
            timeout_s=15,
            what=f"{program} of {router}",
        )


async def build(workdir: Path, *, sites: int = 2, converge_timeout_s: float = 30.0) -> FrrWan:
    """Build and start the network; on any failure, remove what was built and raise."""
    wan = FrrWan(
        workdir=workdir,
        token=secrets.token_hex(3),
        community=secrets.token_hex(8),
        sites=await plan_sites(sites),
    )
    try:
        _prepare_dirs(wan)
        await _create_namespaces(wan)
        await _create_links(wan)
        async with asyncio.TaskGroup() as group:
            for site in wan.sites:
                group.create_task(_start_snmpd(wan, site))
        async with asyncio.TaskGroup() as group:
            for router in wan.routers:
                group.create_task(_start_router(wan, router))
        await wan.wait_steady(converge_timeout_s)
    except BaseException as exc:
        logs = "".join(
            f"{daemon.program} of {daemon.router}:\n{wan.log_tail(daemon.router, daemon.program)}"
            for daemon in wan.daemons
        )
        await teardown(wan)
        remove_files(wan)
        if isinstance(exc, Exception):
            raise FrrWanError(f"the FRR network did not come up: {exc}\n{logs}") from exc
        raise
    return wan


async def teardown(wan: FrrWan) -> list[str]:
    """Stop every daemon by pid, remove every namespace and device; return what failed."""
    failures: list[str] = []
    # Routing daemons before snmpd, so that no subagent reconnects in between.
    order = {"bgpd": 0, "zebra": 1, "snmpd": 2}
    for daemon in sorted(wan.daemons, key=lambda d: order.get(d.program, 3)):
        try:
            await _stop(daemon.pid, str(wan.workdir), wan._children.get(daemon.pid))
        except FrrWanError as exc:
            failures.append(str(exc))
    for device in wan.root_devices:
        with contextlib.suppress(NetnsError):
            await ip("link", "del", device)
    for namespace in wan.namespaces.values():
        try:
            await ip("netns", "del", namespace)
        except NetnsError as exc:
            failures.append(str(exc))
    return failures


def remove_files(wan: FrrWan) -> None:
    """Remove what building wrote into ``workdir`` (the folder itself stays)."""
    for router in wan.routers:
        shutil.rmtree(wan.rundir(router), ignore_errors=True)
    shutil.rmtree(wan.workdir / "tools", ignore_errors=True)


def _alive(pid: int, marker: str) -> bool:
    """``pid`` runs (not a zombie) a command whose arguments mention ``marker``."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rpartition(")")[2].split()[0]
    return state != "Z" and marker.encode() in cmdline


async def _stop(pid: int, marker: str, child: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL; ``child`` is the Popen when this process started it."""

    def alive() -> bool:
        return child.poll() is None if child is not None else _alive(pid, marker)

    loop = asyncio.get_running_loop()
    for sig, grace_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        if not alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = loop.time() + grace_s
        # Polled: a process this one did not start (scripts/frr-wan down) has no
        # exit notification to wait on.
        while loop.time() < deadline:
            if not alive():
                return
            await asyncio.sleep(0.05)
    raise FrrWanError(f"pid {pid} survived SIGKILL")


@contextlib.asynccontextmanager
async def frr_wan(
    *, sites: int = 2, workdir: Path | None = None, keep_logs_in: Path | None = None
) -> AsyncIterator[FrrWan]:
    """The network, removed on exit (also when the body fails).

    Without ``workdir``, a temporary folder is made and removed afterwards;
    the daemons' logs are first copied to ``keep_logs_in`` if given.
    """
    # Under /tmp rather than $TMPDIR or pytest's tmp_path: the frr user must be
    # able to reach its files, and pytest's folders are private to root.
    own = workdir is None
    folder = Path(tempfile.mkdtemp(prefix="sprmon-frr-", dir="/tmp")) if own else workdir
    assert folder is not None
    try:
        wan = await build(folder, sites=sites)
        try:
            yield wan
        finally:
            failures = await teardown(wan)
            if keep_logs_in is not None:
                for log in folder.glob("*/*.log"):
                    target = keep_logs_in / log.parent.name
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy(log, target / log.name)
            if failures:
                raise FrrWanError("teardown incomplete: " + "; ".join(failures))
    finally:
        if own:
            shutil.rmtree(folder, ignore_errors=True)
