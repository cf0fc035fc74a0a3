"""Helpers for the lab tests: a clock the test moves, and Net-SNMP's tools as the client."""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sprmon.lab import Lab, NoLabRunningError
from sprmon.lab.control import LabRecord, find_lab
from sprmon.realpeers.snmpd import auth_args, tool_env
from sprmon.smi import Oid, SnmpValue, ValueKind

#: Simulated start of every test lab (2026-01-01T00:00:00Z).
T0 = 1_767_225_600.0


class FakeClock:
    """A clock that only moves when the test says so: walks see a frozen lab."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@dataclass(frozen=True)
class ToolRun:
    returncode: int
    stdout: str
    stderr: str

    def rows(self) -> dict[str, tuple[str, str]]:
        """OID (no leading dot) -> (type, value) from ``-On -Oe -Ox`` output.

        A long Hex-STRING goes on over several lines; a Timeticks value is
        reduced to its number, ``Timeticks: (123) 0:00:01.23`` -> ``123``.
        """
        rows: dict[str, tuple[str, str]] = {}
        last = None
        for line in self.stdout.splitlines():
            if line.startswith(".") and " = " in line:
                oid, _, rest = line.partition(" = ")
                if rest.startswith("No more variables left"):
                    break  # a walk that ran into the end of the MIB view says so
                kind, _, value = rest.partition(": ")
                last = oid.strip().lstrip(".")
                rows[last] = (kind.strip(), value.strip())
            elif last is not None and line.strip():
                kind, value = rows[last]
                rows[last] = (kind, f"{value} {line.strip()}")
        for oid, (kind, value) in rows.items():
            if kind == "Timeticks":
                rows[oid] = (kind, value.partition(")")[0].lstrip("("))
        return rows


async def net_snmp(
    program: str,
    *args: str,
    workdir: Path,
    timeout_s: float = 30.0,
) -> ToolRun:
    """Run one of Net-SNMP's tools (asynchronously: the lab answers in this event loop)."""
    process = await asyncio.create_subprocess_exec(
        program,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=tool_env(workdir),
    )
    try:
        async with asyncio.timeout(timeout_s):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return ToolRun(process.returncode, out.decode(errors="replace"), err.decode(errors="replace"))


async def query(
    lab: Lab,
    program: str,
    router: str,
    *oids: str,
    workdir: Path,
    extra: tuple[str, ...] = ("-t", "2", "-r", "1"),
) -> ToolRun:
    """``program`` (snmpget, snmpbulkwalk, ...) against ``router`` of ``lab``, numeric output."""
    return await net_snmp(
        program,
        *auth_args(lab.credentials),
        *extra,
        "-On",
        "-Oe",
        "-Ox",
        f"{lab.host}:{lab.ports[router]}",
        *oids,
        workdir=workdir,
    )


def as_tool_row(value: SnmpValue) -> tuple[str, str]:
    """How :meth:`ToolRun.rows` reads ``value`` from Net-SNMP's output: (type, text)."""
    raw = value.value
    if value.kind is ValueKind.OCTET_STRING:
        assert isinstance(raw, bytes)
        return ("Hex-STRING", " ".join(f"{b:02X}" for b in raw))
    if value.kind is ValueKind.IP_ADDRESS:
        assert isinstance(raw, bytes)
        return ("IpAddress", ".".join(str(b) for b in raw))
    if value.kind is ValueKind.OBJECT_IDENTIFIER:
        assert isinstance(raw, tuple)
        return ("OID", "." + ".".join(str(i) for i in raw))
    if value.kind is ValueKind.TIMETICKS:
        return ("Timeticks", str(raw))
    if value.kind is ValueKind.INTEGER:
        return ("INTEGER", str(raw))
    return (value.kind.value, str(raw))


def dotted(oid: Oid) -> str:
    return ".".join(str(i) for i in oid)


def wait_for_lab(state_dir: Path, process: subprocess.Popen[str]) -> LabRecord:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the lab exited early: {process.communicate()}")
        try:
            return find_lab(state_dir)
        except NoLabRunningError:
            time.sleep(0.1)
    raise AssertionError("the lab did not start within 30 s")
