"""Network namespaces and veth pairs for tests that need real interfaces (root only).

Addresses come from 198.51.100.0/24 and 203.0.113.0/24 (documentation
ranges), never the machine's own 192.0.2.0/24. Everything created is removed
on exit, also when the body fails. Namespace and device names carry a random
token so tests can run side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path


class NetnsError(RuntimeError):
    pass


async def ip(*args: str, stdin: bytes | None = None) -> str:
    """Run ``ip ARGS``; raise with its stderr when it fails."""
    return await run("ip", *args, stdin=stdin)


async def run(*command: str, stdin: bytes | None = None, timeout_s: float = 60.0) -> str:
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout_s):
            out, err = await process.communicate(stdin)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise NetnsError(f"{' '.join(command)} failed: {err.decode(errors='replace').strip()}")
    return out.decode(errors="replace")


def _mac(device: str) -> str:
    return Path(f"/sys/class/net/{device}/address").read_text().strip()


def _disable_ipv6(device: str) -> None:
    # Router solicitations and neighbour discovery would add bytes we did not send.
    Path(f"/proc/sys/net/ipv6/conf/{device}/disable_ipv6").write_text("1\n")


async def _namespace_without_ipv6(namespace: str) -> None:
    for scope in ("all", "default"):
        await run(
            "ip",
            "netns",
            "exec",
            namespace,
            "sysctl",
            "-qw",
            f"net.ipv6.conf.{scope}.disable_ipv6=1",
        )


@dataclass(frozen=True)
class VethPair:
    namespace: str
    root_device: str
    ns_device: str
    root_address: str
    ns_address: str
    root_mac: str
    ns_mac: str

    async def exec(self, *command: str, stdin: bytes | None = None) -> str:
        """Run a command inside the namespace."""
        return await run("ip", "netns", "exec", self.namespace, *command, stdin=stdin)


@contextlib.asynccontextmanager
async def veth_namespace(
    *, root_address: str = "198.51.100.1/24", ns_address: str = "198.51.100.2/24"
) -> AsyncIterator[VethPair]:
    """A namespace holding one end of a veth pair; the other end stays in the
    root namespace (where snmpd serves its counters). IPv6 is off on both ends."""
    token = secrets.token_hex(3)
    namespace = f"sprmon-{token}"
    root_device, ns_device = f"spr{token}r", f"spr{token}n"
    await ip("netns", "add", namespace)
    try:
        await _namespace_without_ipv6(namespace)
        await ip("link", "add", root_device, "type", "veth", "peer", "name", ns_device)
        try:
            _disable_ipv6(root_device)
            # Moved in after the namespace's default is set: the device takes it.
            await ip("link", "set", ns_device, "netns", namespace)
            await ip("addr", "add", root_address, "dev", root_device)
            await ip("link", "set", root_device, "up")
            await ip("-n", namespace, "addr", "add", ns_address, "dev", ns_device)
            await ip("-n", namespace, "link", "set", ns_device, "up")
            await ip("-n", namespace, "link", "set", "lo", "up")
            root_mac = _mac(root_device)
            shown = json.loads(await ip("-j", "-n", namespace, "link", "show", "dev", ns_device))
            yield VethPair(
                namespace=namespace,
                root_device=root_device,
                ns_device=ns_device,
                root_address=root_address.split("/", maxsplit=1)[0],
                ns_address=ns_address.split("/", maxsplit=1)[0],
                root_mac=root_mac,
                ns_mac=shown[0]["address"],
            )
        finally:
            with contextlib.suppress(NetnsError):
                await ip("link", "del", root_device)
    finally:
        await ip("netns", "del", namespace)


@dataclass(frozen=True)
class WideNamespace:
    namespace: str
    #: Interfaces inside the namespace, loopback included.
    interfaces: int
    #: The namespace's end of the link to the root namespace: reach services here.
    address: str

    async def exec(self, *command: str) -> str:
        return await run("ip", "netns", "exec", self.namespace, *command)


@contextlib.asynccontextmanager
async def namespace_with_interfaces(
    count: int, *, root_address: str = "203.0.113.1/30", ns_address: str = "203.0.113.2/30"
) -> AsyncIterator[WideNamespace]:
    """A namespace with about ``count`` interfaces (veth pairs with both ends
    inside, plus a link to the root namespace and loopback), IPv6 disabled so
    that snmpd there does not spend its time on link-local addresses."""
    token = secrets.token_hex(3)
    namespace = f"sprmon-{token}"
    root_device, ns_device = f"spr{token}r", f"spr{token}n"
    await ip("netns", "add", namespace)
    try:
        await _namespace_without_ipv6(namespace)
        await ip("link", "add", root_device, "type", "veth", "peer", "name", ns_device)
        try:
            _disable_ipv6(root_device)
            await ip("link", "set", ns_device, "netns", namespace)
            await ip("addr", "add", root_address, "dev", root_device)
            await ip("link", "set", root_device, "up")
            pairs = max(0, (count - 2) // 2)
            batch = [f"link add v{n}a type veth peer name v{n}b" for n in range(pairs)]
            batch += [f"link set v{n}{end} up" for n in range(pairs) for end in "ab"]
            batch += [
                f"addr add {ns_address} dev {ns_device}",
                f"link set {ns_device} up",
                "link set lo up",
            ]
            await ip("-n", namespace, "-batch", "-", stdin="\n".join(batch).encode() + b"\n")
            yield WideNamespace(
                namespace=namespace,
                interfaces=2 + 2 * pairs,
                address=ns_address.split("/", maxsplit=1)[0],
            )
        finally:
            with contextlib.suppress(NetnsError):
                await ip("link", "del", root_device)
    finally:
        await ip("netns", "del", namespace)
