"""A running network, and everything a test or ``scripts/frr-wan`` does with it.

:class:`FrrWan` names the routers and their namespaces, talks to them (vtysh,
FRR's JSON, Net-SNMP's tools from the root namespace), injects faults as
async context managers that undo themselves, says whether the network is in
its designed steady state, writes sprmon's intent for it, and is saved to and
loaded from JSON so that ``scripts/frr-wan`` can build it in one command and
tear it down in another. :mod:`sprmon.realpeers.frr.build` builds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sprmon.realpeers.frr.config import intent_yaml
from sprmon.realpeers.frr.daemons import Daemon, alive
from sprmon.realpeers.frr.topology import (
    APP_PREFIXES,
    BGP_PATH_BEST,
    CORES,
    IF_NAME,
    IF_OPER_STATUS,
    LEGACY,
    LINKS,
    MED_STEERED,
    FrrWanError,
    SitePlan,
    route_map,
)
from sprmon.realpeers.netns import ip, run
from sprmon.realpeers.snmpd import SnmpdError, parse_tool_output, run_tool, tool_env


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

    def started(self, router: str, program: str, process: subprocess.Popen[bytes]) -> None:
        """Record a daemon this process has just started (teardown stops it)."""
        self._children[process.pid] = process
        self.daemons.append(Daemon(router, program, process.pid))

    def child(self, daemon: Daemon) -> subprocess.Popen[bytes] | None:
        """The daemon's process when this process started it (not after ``from_json``)."""
        return self._children.get(daemon.pid)

    def running(self, daemon: Daemon) -> bool:
        child = self.child(daemon)
        if child is not None:
            # Our own child: exact, even in the instant between fork and exec.
            return child.poll() is None
        return alive(daemon.pid, str(self.workdir))

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
        return intent_yaml(self.sites, community_file)

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
