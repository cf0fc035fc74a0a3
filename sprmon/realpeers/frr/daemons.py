"""The network's processes: how zebra, bgpd and snmpd start in a namespace, and how they stop.

Every daemon runs in the foreground under ``ip netns exec`` in its own
session, so the pid started is the daemon's pid and a Ctrl-C meant for the
caller does not reach it. A daemon is stopped by that pid; when it is not this
process's child (``scripts/frr-wan down``), only after checking that the pid
still runs a command naming the network's folder, so a recycled pid is never
signalled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sprmon.realpeers.frr.topology import FrrWanError

FRR_DIR = Path("/usr/lib/frr")
FRR_USER = "frr"


@dataclass(frozen=True)
class Daemon:
    router: str
    program: str
    pid: int


def frr_ids() -> tuple[int, int]:
    """The uid and gid of the ``frr`` user, which owns the routers' files."""
    import pwd  # noqa: PLC0415 (Unix only, and only needed here)

    try:
        entry = pwd.getpwnam(FRR_USER)
    except KeyError as exc:
        raise FrrWanError(
            "user 'frr' does not exist: install the Debian packages frr and frr-snmp "
            "(scripts/install-system-deps)"
        ) from exc
    return entry.pw_uid, entry.pw_gid


def frr_command(rundir: Path, program: str, *, snmp: bool) -> list[str]:
    """``program`` (zebra, bgpd) of the router whose files are in ``rundir``."""
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
    if snmp:
        daemon += ["-M", "snmp"]
    # FRR keeps crash state in /var/tmp/frr/DAEMON.PID: give each namespace its
    # own /var/tmp, in the private mount namespace that "ip netns exec" makes.
    return ["sh", "-c", 'mount --bind "$0" /var/tmp && exec "$@"', str(rundir / "vartmp"), *daemon]


def snmpd_command(rundir: Path) -> list[str]:
    # -I -smux: SMUX would listen on TCP port 199 of every address.
    return [
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


def daemon_env(rundir: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "MIBS": "",
        "SNMPCONFPATH": str(rundir / "snmp"),
        "SNMP_PERSISTENT_DIR": str(rundir / "snmp"),
    }


def spawn(
    namespace: str, command: Sequence[str], env: Mapping[str, str], output: Path
) -> subprocess.Popen[bytes]:
    """Start ``command`` in ``namespace``, its stdout and stderr appended to ``output``."""
    with output.open("ab") as out:
        return subprocess.Popen(
            ["ip", "netns", "exec", namespace, *command],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env),
            # Its own session: a Ctrl-C meant for the caller does not reach it,
            # and it outlives scripts/frr-wan up.
            start_new_session=True,
        )


def alive(pid: int, marker: str) -> bool:
    """``pid`` runs (not a zombie) a command whose arguments mention ``marker``."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rpartition(")")[2].split()[0]
    return state != "Z" and marker.encode() in cmdline


async def stop(pid: int, marker: str, child: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL; ``child`` is the Popen when this process started it."""

    def running() -> bool:
        return child.poll() is None if child is not None else alive(pid, marker)

    loop = asyncio.get_running_loop()
    for sig, grace_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        if not running():
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = loop.time() + grace_s
        # Polled: a process this one did not start (scripts/frr-wan down) has no
        # exit notification to wait on.
        while loop.time() < deadline:
            if not running():
                return
            await asyncio.sleep(0.05)
    raise FrrWanError(f"pid {pid} survived SIGKILL")


async def until(
    probe: Callable[[], Awaitable[bool]],
    *,
    check: Callable[[], None],
    timeout_s: float,
    what: str,
    interval_s: float = 0.1,
) -> None:
    """Wait for ``probe`` to say yes; ``check`` raises first if a daemon died meanwhile."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not await probe():
        check()
        if loop.time() > deadline:
            raise FrrWanError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await asyncio.sleep(interval_s)
