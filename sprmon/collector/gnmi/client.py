"""One gNMI target's channel: ``grpc.aio`` over the gNMI stubs pygnmi ships.

::

    async with GnmiChannel(site_name, target) as channel:
        call = channel.subscribe(request)          # a grpc.aio stream-stream call
        response = await channel.read(call)       # SubscribeResponse, or None at the end

Why ``grpc.aio`` and not pygnmi's ``gNMIclient``: pygnmi is synchronous (a
blocking channel and a reader thread per subscription feeding an unbounded
queue, errors only in an attribute of that thread). ``grpc.aio`` runs every
stream on the event loop with no thread per subscription or update, and a
stream that is not read holds the sender back by HTTP/2 flow control instead
of filling memory (docs/gnmi-collector.md has the measurements).

TLS uses the target's CA file (``ca_file``) or the system's trust store; a
target with ``tls: false`` is plaintext, which the intent must say explicitly
(labs only: the password travels in clear). The username and password go in
the ``username``/``password`` metadata of every call, as gNMI targets expect;
the password is resolved from its secret reference when the channel opens and
never appears in a message.

gRPC's errors become :class:`GnmiError` subclasses with a message a user can
act on.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from sprmon.inventory import GnmiTarget
from sprmon.secrets import SecretError, resolve_secret

__all__ = [
    "GnmiAuthError",
    "GnmiChannel",
    "GnmiConfigError",
    "GnmiError",
    "GnmiProtocolError",
    "GnmiRefused",
    "GnmiTimeout",
    "GnmiUnreachable",
    "error_from_rpc",
    "host_port",
]

log = logging.getLogger("sprmon.collector.gnmi")

#: A received message may be this large (a router's RIB dump can send big notifications).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
#: HTTP/2 pings on an open stream: a dead peer (cable pulled, no RST) is noticed in about
#: a minute instead of at the next TCP retransmission timeout.
_CHANNEL_OPTIONS = (
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 20_000),
)


#: Whether the plaintext warning was logged (once per process).
_PLAINTEXT_WARNED: set[bool] = set()


class GnmiError(Exception):
    """A gNMI target could not be read; ``message`` says why (never a secret)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class GnmiConfigError(GnmiError):
    """The intent's settings for the target cannot be used (a secret or CA file unreadable)."""


class GnmiAuthError(GnmiError):
    """The target refused the credentials."""


class GnmiUnreachable(GnmiError):
    """No connection (refused, no route, TLS handshake failed)."""


class GnmiTimeout(GnmiError):
    """The target did not answer in time (or its stream fell silent)."""


class GnmiRefused(GnmiError):
    """The target refused the request (a path or encoding it does not serve)."""


class GnmiProtocolError(GnmiError):
    """The target answered, but not as gNMI says (no sync_response, an error message)."""


def host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def error_from_rpc(site: str, where: str, exc: grpc.RpcError) -> GnmiError:
    """A gRPC error of a call to ``site``'s target at ``where`` as sprmon's own exception."""
    code = exc.code() if hasattr(exc, "code") else None
    details = str(exc.details() if hasattr(exc, "details") else exc) or ""
    details = " ".join(details.split())[:200]
    name = code.name if code is not None else "UNKNOWN"
    text = f"gNMI target {where} of {site}: {name}" + (f" ({details})" if details else "")
    if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        return GnmiAuthError(f"{text}: check the gNMI username and password")
    if code is grpc.StatusCode.UNAVAILABLE:
        return GnmiUnreachable(text)
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        return GnmiTimeout(text)
    if code in (
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.NOT_FOUND,
    ):
        return GnmiRefused(f"{text}: the target does not serve what sprmon asks for")
    return GnmiError(text)


class GnmiChannel:
    """One target's channel; see the module docstring."""

    def __init__(self, site: str, target: GnmiTarget) -> None:
        self.site = site
        self.target = target
        self.where = host_port(target.host, target.port)
        self._channel: Any = None
        self._stub: Any = None
        self._metadata: tuple[tuple[str, str], ...] = ()

    async def __aenter__(self) -> Self:
        target = self.target
        if target.username is not None and target.password is not None:
            try:
                password = await asyncio.to_thread(resolve_secret, target.password)
            except SecretError as exc:
                raise GnmiConfigError(f"gNMI password of {self.site}: {exc}") from exc
            self._metadata = (("username", target.username), ("password", password.reveal()))
        if target.tls:
            root = None
            if target.ca_file is not None:
                try:
                    root = await asyncio.to_thread(Path(target.ca_file).read_bytes)
                except OSError as exc:
                    raise GnmiConfigError(
                        f"gNMI CA file of {self.site} cannot be read: "
                        f"{exc.strerror or exc} ({target.ca_file})"
                    ) from exc
            credentials = grpc.ssl_channel_credentials(root_certificates=root)
            self._channel = grpc.aio.secure_channel(self.where, credentials, _CHANNEL_OPTIONS)
        else:
            if self._metadata and not _PLAINTEXT_WARNED:
                _PLAINTEXT_WARNED.add(True)
                log.warning(
                    "gNMI target %s of %s has tls: false: its password travels in clear "
                    "(for labs only; further targets without TLS are not logged)",
                    self.where,
                    self.site,
                )
            self._channel = grpc.aio.insecure_channel(self.where, _CHANNEL_OPTIONS)
        self._stub = gnmi_pb2_grpc.gNMIStub(self._channel)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            await channel.close(None)

    async def subscribe(self, request: Any, *, done_writing: bool = False) -> Any:
        """A Subscribe RPC with ``request`` (a SubscribeRequest) sent: the call to :meth:`read`.

        ``done_writing`` half-closes the client's side (ONCE needs nothing more);
        a STREAM stays open until the call is cancelled. Sending waits for the
        connection, at most the target's timeout (a port that accepts and never
        speaks HTTP/2 would otherwise hold it for gRPC's 20 s connect timeout).
        """
        call = self._stub.Subscribe(metadata=self._metadata)
        try:
            async with asyncio.timeout(self.target.timeout_s):
                await call.write(request)
                if done_writing:
                    await call.done_writing()
        except TimeoutError:
            call.cancel()
            raise GnmiTimeout(
                f"gNMI target {self.where} of {self.site}: no answer within "
                f"{self.target.timeout_s:g} s"
            ) from None
        except grpc.RpcError as exc:
            raise error_from_rpc(self.site, self.where, exc) from exc
        except asyncio.InvalidStateError as exc:
            # The call ended before the request went out: its status says why.
            raise await self._ended(call) from exc
        return call

    async def read(self, call: Any) -> Any:
        """The next SubscribeResponse of ``call``; None when the target ended the stream."""
        try:
            response = await call.read()
        except grpc.RpcError as exc:
            raise error_from_rpc(self.site, self.where, exc) from exc
        if response is grpc.aio.EOF:
            return None
        return response

    async def _ended(self, call: Any) -> GnmiError:
        try:
            await call
        except grpc.RpcError as exc:
            return error_from_rpc(self.site, self.where, exc)
        return GnmiProtocolError(f"gNMI target {self.where} of {self.site} ended the call")

    async def capabilities(self, timeout_s: float) -> Any:
        try:
            return await self._stub.Capabilities(
                gnmi_pb2.CapabilityRequest(), metadata=self._metadata, timeout=timeout_s
            )
        except grpc.RpcError as exc:
            raise error_from_rpc(self.site, self.where, exc) from exc
