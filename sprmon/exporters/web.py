"""The HTTP(S) server for ``/metrics`` and ``/healthz``, with the exporter-toolkit web config.

Why a small asyncio server of our own rather than prometheus-client's
``start_http_server`` (a ``ThreadingWSGIServer`` in a thread):

- It lives on the daemon's event loop as an async context manager, so it
  starts, fails (port in use, bad certificate) and stops with the daemon,
  and ``ready()`` is asked on the loop thread, where the daemon's state is.
- Each connection is its own task with deadlines on reading the request
  (slow-loris clients), on writing the answer (clients that stop reading)
  and on idle keep-alive; the number of connections is capped. A slow client
  therefore only ever waits for itself.
- The expensive work runs off the loop: the exposition is rendered (and
  gzipped) in a small thread pool, and bcrypt checks in a single thread (one
  at a time, as exporter-toolkit does, so that a password-guessing client
  cannot take every core), with successful checks cached. Scrapes of a
  10,000-site view therefore never hold the event loop for long.
- TLS comes from the ``ssl`` module through ``asyncio.start_server``, with a
  handshake deadline.

What is reused from prometheus-client is its content negotiation:
``choose_encoder`` picks the text format or OpenMetrics from the ``Accept``
header exactly as its own servers do, ``gzip_accepted`` reads
``Accept-Encoding``, and ``name[]`` query parameters restrict the output as
they do there. The bytes are written by :mod:`sprmon.exporters.exposition`,
identical to prometheus-client's and several times faster.

The default port, 10472, lies outside 9100-9999, the range the Prometheus
wiki's "Default port allocations" list has filled completely; no well-known
service uses it. Bind address 127.0.0.1 by default: exposing the metrics is
a decision (``host="0.0.0.0"`` or an address), ideally with TLS and auth.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import gzip
import logging
import ssl
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Self, cast
from urllib.parse import parse_qs

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import gzip_accepted
from prometheus_client.registry import Collector

from sprmon.exporters.basic_auth import BasicAuth, basic_credentials
from sprmon.exporters.exposition import choose
from sprmon.exporters.webconfig import WebConfig

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 10472

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_TEXT = "text/plain; charset=utf-8"
_LANDING = b"sprmon exporter\n/metrics  Prometheus metrics\n/healthz  200 once ready, else 503\n"


class MetricsServerError(Exception):
    """The server cannot start (address in use, unusable TLS files); the message says why."""


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Bounds that keep one misbehaving client from hurting the others or the daemon."""

    max_connections: int = 64
    #: Time to send a complete request head, from connecting (TLS handshake included).
    request_timeout_s: float = 10.0
    #: Time a kept-alive connection may wait for its next request.
    idle_timeout_s: float = 75.0
    #: Time a client has to take the whole answer.
    write_timeout_s: float = 60.0
    max_header_bytes: int = 16_384
    render_threads: int = 2
    #: bcrypt checks waiting at once; more are answered 503 instead of queued.
    max_pending_auth: int = 8


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    keep_alive: bool


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", _TEXT),)


def _text(status: int, message: str, *extra: tuple[str, str]) -> _Response:
    return _Response(status, f"{message}\n".encode(), (("Content-Type", _TEXT), *extra))


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _always_ready() -> bool:
    return True


class MetricsServer:
    """Serves ``registry`` on ``/metrics`` and ``ready()`` on ``/healthz``; ``port=0`` picks one.

    ::

        registry = build_registry(lambda: daemon.view)
        async with MetricsServer(registry, ready=lambda: daemon.view is not None) as server:
            print(server.url)
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        ready: Callable[[], bool] = _always_ready,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        web_config: WebConfig | None = None,
        limits: ServerLimits | None = None,
    ) -> None:
        self._registry = registry
        self._ready = ready
        self._host = host
        self._requested_port = port
        self._web_config = web_config or WebConfig()
        self._limits = limits or ServerLimits()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._render_pool: ThreadPoolExecutor | None = None
        self._auth: BasicAuth | None = None

    @property
    def port(self) -> int:
        """The bound port (the one the system picked when ``port=0``)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the metrics server is not running")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        """``http(s)://HOST:PORT``, the base that ``/metrics`` and ``/healthz`` hang off."""
        scheme = "http" if self._web_config.tls is None else "https"
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{scheme}://{host}:{self.port}"

    async def __aenter__(self) -> Self:
        try:
            context = self._web_config.ssl_context()
        except (OSError, ValueError, ssl.SSLError) as exc:
            source = self._web_config.source or "the web config"
            raise MetricsServerError(f"{source}: cannot use the TLS files: {exc}") from exc
        self._render_pool = ThreadPoolExecutor(
            self._limits.render_threads, thread_name_prefix="sprmon-metrics"
        )
        try:
            if self._web_config.basic_auth_users:
                self._auth = await BasicAuth.create(
                    self._web_config.basic_auth_users, max_pending=self._limits.max_pending_auth
                )
            self._server = await asyncio.start_server(
                self._serve_connection,
                self._host,
                self._requested_port,
                ssl=context,
                ssl_handshake_timeout=self._limits.request_timeout_s if context else None,
                limit=self._limits.max_header_bytes,
            )
        except OSError as exc:
            await self._close()
            where = f"{self._host}:{self._requested_port}"
            raise MetricsServerError(
                f"cannot listen on {where}: {exc.strerror or exc} (another exporter on that "
                "port? choose another with the port option)"
            ) from exc
        except BaseException:
            await self._close()
            raise
        log.info("serving metrics on %s/metrics", self.url)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if server is not None:
            await server.wait_closed()
        # A render in progress cannot be interrupted: let it finish unobserved.
        if self._render_pool is not None:
            self._render_pool.shutdown(wait=False, cancel_futures=True)
            self._render_pool = None
        if self._auth is not None:
            self._auth.close()
            self._auth = None

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            if len(self._connections) > self._limits.max_connections:
                # Read the head briefly first: closing on an unread request makes the
                # kernel reset the connection, and the client would see no answer.
                with contextlib.suppress(TimeoutError, _BadRequest):
                    async with asyncio.timeout(min(1.0, self._limits.request_timeout_s)):
                        await self._read_request(reader)
                await self._send(writer, _text(503, "too many connections"), False, close=True)
                return
            timeout = self._limits.request_timeout_s
            while True:
                try:
                    async with asyncio.timeout(timeout):
                        request = await self._read_request(reader)
                except _BadRequest as exc:
                    await self._send(writer, _text(exc.status, str(exc)), False, close=True)
                    return
                if request is None:
                    return
                response = await self._respond(request)
                head_only = request.method == "HEAD"
                await self._send(writer, response, head_only, close=not request.keep_alive)
                if not request.keep_alive:
                    return
                timeout = self._limits.idle_timeout_s
        except (ConnectionError, TimeoutError, ssl.SSLError, asyncio.IncompleteReadError):
            pass  # the client went away or was too slow: only its connection ends
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, TimeoutError, ssl.SSLError):
                async with asyncio.timeout(1):
                    await writer.wait_closed()

    async def _read_request(self, reader: asyncio.StreamReader) -> _Request | None:
        """The next request head; None when the client closed the connection between requests."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        except asyncio.LimitOverrunError as exc:
            raise _BadRequest(431, "request head too large") from exc
        return _parse_head(head)

    async def _respond(self, request: _Request) -> _Response:
        if request.method not in ("GET", "HEAD"):
            return _text(405, "use GET", ("Allow", "GET, HEAD"))
        if self._auth is not None:
            denied = await self._authenticate(request)
            if denied is not None:
                return denied
        if request.path == "/metrics":
            return await self._metrics(request)
        if request.path == "/healthz":
            return self._health()
        if request.path == "/":
            return _Response(200, _LANDING)
        return _text(404, "not found: try /metrics or /healthz")

    async def _authenticate(self, request: _Request) -> _Response | None:
        assert self._auth is not None
        credentials = basic_credentials(request.headers.get("authorization", ""))
        if credentials is not None:
            verdict = await self._auth.check(*credentials)
            if verdict is None:
                return _text(503, "too many authentication attempts", ("Retry-After", "1"))
            if verdict:
                return None
        challenge = ("WWW-Authenticate", 'Basic realm="sprmon", charset="UTF-8"')
        return _text(401, "unauthorized", challenge)

    def _health(self) -> _Response:
        try:
            ready = self._ready()
        except Exception:
            log.exception("the readiness check failed")
            ready = False
        return _text(200, "ok") if ready else _text(503, "not ready")

    async def _metrics(self, request: _Request) -> _Response:
        assert self._render_pool is not None
        loop = asyncio.get_running_loop()
        try:
            body, headers = await loop.run_in_executor(
                self._render_pool,
                _render,
                self._registry,
                request.headers.get("accept", ""),
                request.headers.get("accept-encoding", ""),
                request.query,
            )
        except Exception:
            log.exception("rendering /metrics failed")
            return _text(500, "rendering the metrics failed; see the sprmon log")
        return _Response(200, body, headers)

    async def _send(
        self, writer: asyncio.StreamWriter, response: _Response, head_only: bool, *, close: bool
    ) -> None:
        lines = [f"HTTP/1.1 {response.status} {_REASONS[response.status]}"]
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        lines.append(f"Content-Length: {len(response.body)}")
        lines.append(f"Date: {email.utils.formatdate(usegmt=True)}")
        lines.append(f"Connection: {'close' if close else 'keep-alive'}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if not head_only:
            writer.write(response.body)
        async with asyncio.timeout(self._limits.write_timeout_s):
            await writer.drain()


def _parse_head(head: bytes) -> _Request:
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].decode("latin-1").split(" ")
    if len(parts) != 3 or not parts[1].startswith("/"):
        raise _BadRequest(400, "malformed request line")
    method, target, version = parts
    if version not in ("HTTP/1.0", "HTTP/1.1"):
        raise _BadRequest(400, "HTTP/1.0 or HTTP/1.1 only")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon or not name or name != name.strip():
            raise _BadRequest(400, "malformed header line")
        key = name.lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    if "transfer-encoding" in headers or headers.get("content-length", "0") != "0":
        # Only GET and HEAD are served: a body would be left unread on the connection.
        raise _BadRequest(400, "a request body is not accepted")
    tokens = {token.strip().lower() for token in headers.get("connection", "").split(",")}
    keep_alive = "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens
    path, _, query = target.partition("?")
    return _Request(method, path, query, headers, keep_alive)


def _render(
    registry: CollectorRegistry, accept: str, accept_encoding: str, query: str
) -> tuple[bytes, tuple[tuple[str, str], ...]]:
    """The exposition as prometheus-client's own servers produce it; runs in a worker thread."""
    encoder, content_type = choose(accept)
    names = parse_qs(query).get("name[]")
    # RestrictedRegistry is not a Collector subclass but offers the collect() encoders use.
    source = cast(Collector, registry.restricted_registry(names) if names else registry)
    body = encoder(source)
    headers: tuple[tuple[str, str], ...] = (("Content-Type", content_type),)
    if gzip_accepted(accept_encoding):
        # Level 1: scrape bodies are repetitive text, so it compresses well at a fraction
        # of the CPU of the default level 9.
        body = gzip.compress(body, compresslevel=1)
        headers = (*headers, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding"))
    return body, headers
