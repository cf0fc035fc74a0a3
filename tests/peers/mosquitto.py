"""Eclipse Mosquitto as a real MQTT broker, and an aiomqtt subscriber as the reference client.

::

    async with run_mosquitto(tmp_path, users={"sprmon": "pw"}) as broker:
        async with MqttRecorder(broker, "sprmon/#") as recorder:
            ...
            await broker.stop()        # by pid; persistence keeps retained messages and sessions
            await broker.start()       # same port, same config
            await recorder.wait_for(lambda messages: len(messages) >= 10)
        present = await retained_messages(broker, "sprmon/state/#")

The broker listens on 127.0.0.1 on a free port picked at start-up (retried if
another process takes it first), keeps its config, log, password file and
persistence database in the work folder, and is stopped by its pid. As root
it runs as root (``user root``), since the work folder is not readable by the
``mosquitto`` user it would otherwise switch to.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import ssl
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

import aiomqtt

from sprmon.realpeers.process import free_tcp_port, stop_process

MOSQUITTO = "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"


class MosquittoError(RuntimeError):
    pass


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for a TLS listener: the CA that signed ``cert``, and ``cert``'s key."""

    ca_cert: Path
    cert: Path
    key: Path


@dataclass
class Mosquitto:
    """A broker started by :func:`run_mosquitto`; ``pid`` is None while it is stopped."""

    host: str
    port: int
    workdir: Path
    config: Path
    tls: TlsFiles | None
    pid: int | None = None
    _process: asyncio.subprocess.Process | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.workdir / "mosquitto.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def client_tls_context(self) -> ssl.SSLContext | None:
        """A context trusting this broker's test CA (None without TLS)."""
        if self.tls is None:
            return None
        return ssl.create_default_context(cafile=str(self.tls.ca_cert))

    async def start(self, ready_timeout_s: float = 15.0) -> None:
        """Start (or start again) on this broker's port; raise if it does not come up."""
        if self._process is not None:
            raise MosquittoError("mosquitto is already running")
        process = await asyncio.create_subprocess_exec(
            MOSQUITTO,
            "-c",
            str(self.config),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        self._process, self.pid = process, process.pid
        if not await _wait_listening(self.host, self.port, process, ready_timeout_s):
            await self.stop()
            raise MosquittoError(
                f"mosquitto did not listen on {self.host}:{self.port}; log:\n{self.log()[-2000:]}"
            )

    async def stop(self) -> None:
        """Stop by pid (SIGTERM: a persistent broker saves its database first)."""
        process, self._process, self.pid = self._process, None, None
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGCONT)  # in case it was frozen
        await stop_process(process, timeout_s=10)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def crash(self) -> None:
        """SIGKILL: nothing since the last clean stop is saved, as after a power cut."""
        process, self._process, self.pid = self._process, None, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            await process.wait()

    def freeze(self) -> None:
        """SIGSTOP: connections stay open and the kernel still accepts new ones, but
        nothing is read or answered (a hung broker)."""
        if self.pid is not None:
            os.kill(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.pid is not None:
            os.kill(self.pid, signal.SIGCONT)


async def _wait_listening(
    host: str, port: int, process: asyncio.subprocess.Process, timeout_s: float
) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if process.returncode is not None:
            return False
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True
    return False


def _make_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)


def _config_lines(
    workdir: Path, host: str, port: int, *, passwords: Path | None, tls: TlsFiles | None
) -> list[str]:
    lines = [
        f"listener {port} {host}",
        f"log_dest file {workdir / 'mosquitto.log'}",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        "connection_messages true",
        "persistence true",
        f"persistence_location {workdir}/",
        # Keep the queue of an offline persistent subscriber for the tests' sequences.
        "max_queued_messages 10000",
    ]
    if os.getuid() == 0:
        lines.append("user root")
    if passwords is None:
        lines.append("allow_anonymous true")
    else:
        lines += ["allow_anonymous false", f"password_file {passwords}"]
    if tls is not None:
        lines += [f"cafile {tls.ca_cert}", f"certfile {tls.cert}", f"keyfile {tls.key}"]
    return lines


async def _write_passwords(path: Path, users: Mapping[str, str]) -> None:
    for index, (user, password) in enumerate(users.items()):
        create = ["-c"] if index == 0 else []  # -c: a new file, whatever was there
        process = await asyncio.create_subprocess_exec(
            MOSQUITTO_PASSWD,
            *create,
            "-b",
            str(path),
            user,
            password,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await process.communicate()
        if process.returncode != 0:
            raise MosquittoError(f"mosquitto_passwd failed: {err.decode(errors='replace')}")


@contextlib.asynccontextmanager
async def run_mosquitto(
    workdir: Path,
    *,
    users: Mapping[str, str] | None = None,
    tls: TlsFiles | None = None,
    host: str = "127.0.0.1",
) -> AsyncIterator[Mosquitto]:
    """Start a persistent broker; anonymous unless ``users`` (name -> password) is given."""
    _make_folder(workdir)
    passwords = None
    if users is not None:
        passwords = workdir / "passwords"
        await _write_passwords(passwords, users)
    config = workdir / "mosquitto.conf"
    last_error: MosquittoError | None = None
    for _ in range(3):
        port = free_tcp_port(host)
        config.write_text(
            "\n".join(_config_lines(workdir, host, port, passwords=passwords, tls=tls)) + "\n"
        )
        broker = Mosquitto(host=host, port=port, workdir=workdir, config=config, tls=tls)
        try:
            await broker.start()
        except MosquittoError as exc:
            last_error = exc  # most likely the port was taken in between
            continue
        try:
            yield broker
        finally:
            await broker.stop()
        return
    raise MosquittoError(f"mosquitto did not start: {last_error}")


def _client(
    broker: Mosquitto,
    *,
    identifier: str | None = None,
    clean_session: bool = True,
    username: str | None = None,
    password: str | None = None,
) -> aiomqtt.Client:
    return aiomqtt.Client(
        broker.host,
        broker.port,
        identifier=identifier,
        clean_session=clean_session,
        username=username,
        password=password,
        tls_context=broker.client_tls_context(),
        timeout=10,
    )


class MqttRecorder:
    """Records every message on ``topic_filter`` (QoS 1), in arrival order.

    Its session is persistent (``clean_session=False``) and it reconnects
    whenever the broker goes away, so messages published while it is
    disconnected are delivered when it comes back, as long as the broker keeps
    the session (persistence, which :func:`run_mosquitto` turns on).
    """

    def __init__(
        self,
        broker: Mosquitto,
        topic_filter: str,
        *,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self._broker = broker
        self._filter = topic_filter
        self._credentials = {"username": username, "password": password}
        self._identifier = f"recorder-{uuid.uuid4().hex[:12]}"
        self.messages: list[aiomqtt.Message] = []
        self._changed = asyncio.Condition()
        self._subscribed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run())
        async with asyncio.timeout(20):
            await self._subscribed.wait()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            client = _client(
                self._broker,
                identifier=self._identifier,
                clean_session=False,
                **self._credentials,
            )
            try:
                async with client:
                    await client.subscribe(self._filter, qos=1)
                    self._subscribed.set()
                    async for message in client.messages:
                        async with self._changed:
                            self.messages.append(message)
                            self._changed.notify_all()
            except aiomqtt.MqttError:
                await asyncio.sleep(0.05)

    def payloads(self) -> list[bytes]:
        return [bytes(message.payload) for message in self.messages]

    async def wait_for(
        self, predicate: Callable[[list[aiomqtt.Message]], bool], timeout_s: float = 30.0
    ) -> list[aiomqtt.Message]:
        """Wait until ``predicate(messages)`` holds; return the messages so far."""
        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(lambda: predicate(self.messages))
            return list(self.messages)


async def retained_messages(
    broker: Mosquitto,
    topic_filter: str,
    *,
    username: str | None = None,
    password: str | None = None,
) -> dict[str, bytes]:
    """What a new subscriber to ``topic_filter`` receives at once: topic -> retained payload.

    No waiting for silence: after subscribing to the filter the helper
    subscribes to a sentinel it published retained just before. The broker
    queues a subscription's retained messages while handling its SUBSCRIBE,
    and handles one client's packets in order, so once the sentinel arrives
    every retained message of the filter has arrived before it.
    """
    sentinel = f"sentinel/{uuid.uuid4().hex}"
    found: dict[str, bytes] = {}
    async with _client(broker, username=username, password=password) as client:
        await client.publish(sentinel, b"end", qos=1, retain=True)
        await client.subscribe(topic_filter, qos=1)
        await client.subscribe(sentinel, qos=1)
        async with asyncio.timeout(20):
            async for message in client.messages:
                topic = message.topic.value
                if topic == sentinel:
                    break
                if message.retain:
                    found[topic] = bytes(message.payload)
        await client.publish(sentinel, b"", qos=1, retain=True)
    return found
