"""Net-SNMP's ``snmpd`` as a real SNMP peer, and Net-SNMP's tools as the reference client.

::

    async with run_snmpd(tmp_path, users=[V3User("alice", "authpass1", "privpass1")]) as agent:
        rows = await agent.bulkwalk("1.3.6.1.2.1.31.1.1.1.1")

The agent listens on ``udp:HOST:PORT`` with a free port picked at start-up
(retried if another process takes it first), reads only our config (``-C``),
keeps its persistent files in the work folder, and is stopped by its pid.
``MIBS=`` keeps it and the tools from loading MIB files: everything here is
numeric (``-On``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sprmon.lab.credentials import LabCredentials, V2cCredentials
from sprmon.realpeers.process import free_udp_port, run_peer

SNMPD = "snmpd"


class SnmpdError(RuntimeError):
    pass


@dataclass(frozen=True)
class V3User:
    """An SNMPv3 user created by ``createUser`` (Net-SNMP protocol names)."""

    name: str
    auth_key: str | None = None
    priv_key: str | None = None
    auth_protocol: str = "SHA-256"
    priv_protocol: str = "AES"

    @property
    def level(self) -> str:
        if self.auth_key is None:
            return "noauth"
        return "priv" if self.priv_key is not None else "auth"

    def config_lines(self) -> list[str]:
        create = f"createUser {self.name}"
        if self.auth_key is not None:
            create += f' {self.auth_protocol} "{self.auth_key}"'
            if self.priv_key is not None:
                create += f' {self.priv_protocol} "{self.priv_key}"'
        return [create, f"rouser {self.name} {self.level}"]


@dataclass(frozen=True)
class Snmpd:
    host: str
    port: int
    community: str
    pid: int
    workdir: Path
    log_path: Path
    netns: str | None = None
    env: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def tool(self, program: str, *args: str, timeout_s: float = 60.0) -> str:
        """Run a Net-SNMP tool (``snmpbulkwalk``, ``snmpget``...) against this agent."""
        return await run_tool(program, *args, self.address, env=self.env, timeout_s=timeout_s)

    async def bulkwalk(
        self, oid: str, *, repetitions: int = 25, community: str | None = None
    ) -> list[tuple[str, str, str]]:
        """``snmpbulkwalk -v2c -On``: (numeric OID without the leading dot, type, value)."""
        out = await run_tool(
            "snmpbulkwalk",
            "-v2c",
            "-c",
            community or self.community,
            "-On",
            "-Oe",
            "-Ot",
            f"-Cr{repetitions}",
            self.address,
            oid,
            env=self.env,
        )
        return parse_tool_output(out)


def parse_tool_output(out: str) -> list[tuple[str, str, str]]:
    rows = []
    for line in out.splitlines():
        if " = " not in line:
            continue
        oid, _, rest = line.partition(" = ")
        kind, _, value = rest.partition(": ")
        rows.append((oid.strip().lstrip("."), kind.strip(), value.strip()))
    return rows


async def run_tool(program: str, *args: str, env: dict[str, str], timeout_s: float = 60.0) -> str:
    process = await asyncio.create_subprocess_exec(
        program,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        async with asyncio.timeout(timeout_s):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise SnmpdError(f"{program} {' '.join(args)} failed: {err.decode(errors='replace')}")
    return out.decode(errors="replace")


def auth_args(credentials: LabCredentials) -> list[str]:
    """Net-SNMP command-line options for a lab's credentials (``lab.credentials``)."""
    if isinstance(credentials, V2cCredentials):
        return ["-v2c", "-c", credentials.community]
    return [
        "-v3",
        "-l",
        "authPriv",
        "-u",
        credentials.user,
        "-a",
        "SHA-256",
        "-A",
        credentials.auth_key,
        "-x",
        "AES",
        "-X",
        credentials.priv_key,
    ]


def _write_config(workdir: Path, lines: Sequence[str]) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "snmpd.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


def tool_env(workdir: Path) -> dict[str, str]:
    """Environment for snmpd and the tools: no MIB loading, state kept in ``workdir``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SNMP")}
    env["MIBS"] = ""
    env["SNMP_PERSISTENT_DIR"] = str(workdir / "persist")
    env["SNMPCONFPATH"] = str(workdir / "toolconf")
    return env


@contextlib.asynccontextmanager
async def run_snmpd(
    workdir: Path,
    *,
    community: str = "public",
    users: Sequence[V3User] = (),
    extra_config: Sequence[str] = (),
    host: str = "127.0.0.1",
    clients: str | None = None,
    netns: str | None = None,
    ready_timeout_s: float = 15.0,
) -> AsyncIterator[Snmpd]:
    """Start snmpd, wait until it answers, stop it (by pid) on exit.

    The community is accepted from ``clients`` (an address or prefix; by
    default ``host`` itself, i.e. loopback). In a namespace (``netns``) snmpd
    listens on port 161 of ``host``, an address of that namespace.
    """
    env = tool_env(workdir)

    async def spawn(port: int, attempt: int) -> tuple[asyncio.subprocess.Process, Snmpd]:
        log_path = workdir / f"snmpd-{attempt}.log"
        lines = [
            f"agentAddress udp:{host}:{port}",
            f"rocommunity {community} {clients or host}",
            # One log line per request would fill the log in benchmarks.
            "dontLogTCPWrappersConnects yes",
            # Our own users only: no access from anywhere else.
            *[line for user in users for line in user.config_lines()],
            *extra_config,
        ]
        config = _write_config(workdir, lines)
        # -I -smux: SMUX would listen on TCP port 199 of every address.
        command = [SNMPD, "-f", "-C", "-c", str(config), "-Lf", str(log_path), "-I", "-smux"]
        if netns is not None:
            command = ["ip", "netns", "exec", netns, *command]
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
        )
        agent = Snmpd(
            host=host,
            port=port,
            community=community,
            pid=process.pid,
            workdir=workdir,
            log_path=log_path,
            netns=netns,
            env=env,
        )
        return process, agent

    async with run_peer(
        "snmpd",
        spawn,
        _answers,
        host=host,
        not_yet=(SnmpdError,),
        ready_timeout_s=ready_timeout_s,
        error=SnmpdError,
        pick_port=free_udp_port if netns is None else lambda _host: 161,
        poll_s=0.1,
        stop_timeout_s=5,
    ) as agent:
        yield agent


async def _answers(agent: Snmpd) -> None:
    await run_tool(
        "snmpget",
        "-v2c",
        "-c",
        agent.community,
        "-r0",
        "-t0.3",
        "-On",
        agent.address,
        "1.3.6.1.2.1.1.3.0",
        env=agent.env,
        timeout_s=5,
    )
