"""A real peer as a child process: started on a free port, waited for, stopped by its pid.

::

    async with run_peer(
        "prometheus",
        spawn,                    # (port, attempt) -> (the process, the caller's handle)
        lambda peer: http_get(f"{peer.url}/-/ready"),
        host="127.0.0.1",
        not_yet=(OSError,),
        ready_timeout_s=60,
        error=PrometheusError,
    ) as prometheus:
        ...

Every peer of the tests (Prometheus, Alertmanager, snmpd, Mosquitto, ``sprmon
run``) starts the same way: a port is picked free at start-up, and if the peer
exits before it is ready (another process took the port in between), the start
is tried again on another port, three times at most. Whatever happens, the
process is stopped by its pid: SIGTERM, then SIGKILL if it has not exited in
time, so that no test leaves a server behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

#: How many times a peer is started on a new free port before giving up.
ATTEMPTS = 3


class Peer(Protocol):
    """What :func:`run_peer` needs of the caller's handle: where the peer logs."""

    @property
    def log_path(self) -> Path: ...


P = TypeVar("P", bound=Peer)


def free_tcp_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (another process may take it before the peer does)."""
    return _free_port(host, socket.SOCK_STREAM)


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port nothing is bound to now (the same race as :func:`free_tcp_port`)."""
    return _free_port(host, socket.SOCK_DGRAM)


def _free_port(host: str, kind: socket.SocketKind) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def log_tail(path: Path, chars: int | None = 3000) -> str:
    """The end of a peer's log (None: all of it) for an error message; "" if there is none."""
    if not path.exists():
        return ""
    text = path.read_text(errors="replace")
    return text if chars is None else text[-chars:]


async def start_logged(
    command: Sequence[str],
    log_path: Path,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> asyncio.subprocess.Process:
    """Start ``command`` with nothing on its stdin and its output appended to ``log_path``."""
    with log_path.open("ab") as log:
        return await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            cwd=cwd,
            env=env,
        )


async def stop_process(process: asyncio.subprocess.Process, *, timeout_s: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if ``process`` has not exited within ``timeout_s``."""
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    try:
        async with asyncio.timeout(timeout_s):
            await process.wait()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        await process.wait()


async def wait_ready(
    process: asyncio.subprocess.Process,
    probe: Callable[[], Awaitable[object]],
    *,
    not_yet: tuple[type[Exception], ...],
    timeout_s: float,
    poll_s: float = 0.2,
) -> bool:
    """Call ``probe`` until it returns without raising one of ``not_yet``: True. False
    if the process exits first; TimeoutError if neither happens within ``timeout_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if process.returncode is not None:
            return False
        with contextlib.suppress(*not_yet):
            await probe()
            return True
        await asyncio.sleep(poll_s)
    raise TimeoutError(f"not ready within {timeout_s:g} s")


@contextlib.asynccontextmanager
async def run_peer(
    name: str,
    spawn: Callable[[int, int], Awaitable[tuple[asyncio.subprocess.Process, P]]],
    probe: Callable[[P], Awaitable[object]],
    *,
    host: str,
    not_yet: tuple[type[Exception], ...],
    ready_timeout_s: float,
    error: Callable[[str], Exception],
    pick_port: Callable[[str], int] = free_tcp_port,
    poll_s: float = 0.2,
    stop_timeout_s: float = 15.0,
) -> AsyncIterator[P]:
    """Start ``name`` with ``spawn(port, attempt)`` on a port ``pick_port(host)`` gives,
    wait until ``probe(peer)`` passes, yield the caller's handle; stop it by its pid.

    A peer that exits before it is ready is started again on another port; one
    that does not get ready in time, or never starts, raises ``error(message)``
    with the end of its log.
    """
    peer: P | None = None
    for attempt in range(ATTEMPTS):
        port = pick_port(host)
        process, peer = await spawn(port, attempt)
        try:
            try:
                ready = await wait_ready(
                    process,
                    functools.partial(probe, peer),
                    not_yet=not_yet,
                    timeout_s=ready_timeout_s,
                    poll_s=poll_s,
                )
            except TimeoutError as exc:
                raise error(f"{name} on {host}:{port} {exc}:\n{log_tail(peer.log_path)}") from None
            if not ready:
                continue  # exited: most likely the port was taken in between
            yield peer
            return
        finally:
            await stop_process(process, timeout_s=stop_timeout_s)
    tail = log_tail(peer.log_path) if peer is not None else ""
    raise error(f"{name} did not start on {host}; last log:\n{tail}")
