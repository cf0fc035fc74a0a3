"""Building the network and removing it: namespaces, links, daemons, in that order.

:func:`frr_wan` is the async context manager the tests use; :func:`build` and
:func:`teardown` are its two halves, which ``scripts/frr-wan`` calls from
separate commands. Every router gets its own namespace and folder
(``workdir/ROUTER``: configs, logs, pid, vty and zserv sockets); every branch
also gets a management veth to the root namespace, on a free /30 from the
upper halves of the documentation ranges, checked against the root
namespace's routes.
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
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

from sprmon.realpeers.frr import config
from sprmon.realpeers.frr.daemons import (
    daemon_env,
    frr_command,
    frr_ids,
    snmpd_command,
    spawn,
    stop,
    until,
)
from sprmon.realpeers.frr.topology import (
    APP_PREFIXES,
    CORES,
    FIRST_SITE_AS,
    LINKS,
    SYS_UPTIME,
    FrrWanError,
    SitePlan,
    is_core,
    site_names,
)
from sprmon.realpeers.frr.wan import FrrWan
from sprmon.realpeers.netns import NetnsError, ip, run
from sprmon.realpeers.snmpd import SnmpdError, run_tool, tool_env

#: At most this many branches: the management /30s come from two /25s.
MAX_SITES = 30


async def plan_sites(count: int) -> tuple[SitePlan, ...]:
    """Site plans with management /30s that no route of the root namespace covers yet."""
    if not 1 <= count <= MAX_SITES:
        raise ValueError(f"between 1 and {MAX_SITES} sites, not {count}")
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
    uid, gid = frr_ids()
    for router in wan.routers:
        rundir = wan.rundir(router)
        for sub in ("", "vartmp", "snmp"):
            (rundir / sub).mkdir(parents=True, exist_ok=True)
            os.chown(rundir / sub, uid, gid)
        zebra = rundir / "zebra.conf"
        zebra.write_text(config.zebra_conf(router, rundir))
        bgpd = rundir / "bgpd.conf"
        if is_core(router):
            bgpd.write_text(config.core_bgpd_conf(router, wan.sites, rundir))
        else:
            site = wan.site(router)
            bgpd.write_text(config.site_bgpd_conf(site, rundir))
            (rundir / "snmpd.conf").write_text(config.snmpd_conf(site, wan.community, rundir))
            (rundir / "snmp" / "frr.conf").write_text(config.subagent_conf(rundir))
            (rundir / "snmpd-persist").mkdir(exist_ok=True)
        for conf in (zebra, bgpd):
            os.chown(conf, uid, gid)


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
    output = wan.rundir(router) / f"{program}.out"
    wan.started(router, program, spawn(wan.namespaces[router], command, env, output))


async def _start_snmpd(wan: FrrWan, site: SitePlan) -> None:
    rundir = wan.rundir(site.name)
    env = {**daemon_env(rundir), "SNMP_PERSISTENT_DIR": str(rundir / "snmpd-persist")}
    _start(wan, site.name, "snmpd", snmpd_command(rundir), env)
    await until(
        functools.partial(_snmp_answers, wan, site),
        check=wan.check_daemons,
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


async def _start_router(wan: FrrWan, router: str) -> None:
    rundir = wan.rundir(router)
    for program in ("zebra", "bgpd"):
        # Only the branches' bgpd serves BGP4-MIB (to their snmpd).
        command = frr_command(rundir, program, snmp=program == "bgpd" and not is_core(router))
        _start(wan, router, program, command, daemon_env(rundir))
        await until(
            functools.partial(_vty_answers, wan, router, program),
            check=wan.check_daemons,
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
            await stop(daemon.pid, str(wan.workdir), wan.child(daemon))
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
