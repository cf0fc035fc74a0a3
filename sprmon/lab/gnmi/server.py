"""gNMI targets on loopback: one ``grpc.aio`` server per lab site, on its own TCP port.

One server per site rather than one server telling sites apart by the request's
``target``: the intent file names a gNMI target by host and port (no two sites
may share one), as a network of real routers does, so a collector reaches each
site exactly as it would reach a router. ``grpc.aio`` servers are cheap: 100
start in about 0.15 s in one process and share its event loop.

Each server implements Capabilities, Get and Subscribe (Set is UNIMPLEMENTED)
over the router's OpenConfig leaves (:mod:`sprmon.lab.gnmi.tree`), with
username/password metadata checked when the lab has credentials
(UNAUTHENTICATED otherwise) and TLS when a certificate and key are given.
The router's faults apply: ``mute`` holds every answer (a client sees its
deadline pass), ``garbage`` replaces every value with bytes that are not
JSON, ``reboot`` ends the router's streams with UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from sprmon.lab.credentials import GnmiCredentials
from sprmon.lab.errors import AgentStartError
from sprmon.lab.faults import Fault
from sprmon.lab.gnmi.codec import (
    GARBAGE_VALUE,
    JSON_IETF,
    SUPPORTED_ENCODINGS,
    check_encoding,
    notifications,
    pb_path,
    request_pattern,
)
from sprmon.lab.gnmi.paths import (
    PathError,
    Snapshot,
    anchors,
    json_bytes,
    render_path,
    subtree_json,
)
from sprmon.lab.gnmi.session import RequestError, Session, TargetRestarted, parse_subscription_list
from sprmon.lab.gnmi.tree import RouterTree, nanoseconds
from sprmon.lab.model import WanModel

GNMI_VERSION = "0.8.0"
#: The OpenConfig modules served, with the versions their names and types were taken from.
MODELS = (
    ("openconfig-interfaces", "3.8.1"),
    ("openconfig-if-ethernet", "2.18.0"),
    ("openconfig-network-instance", "4.7.0"),
    ("openconfig-bgp", "9.9.1"),
    ("openconfig-rib-bgp", "0.10.0"),
    ("openconfig-rib-bgp-ext", "0.6.0"),
    ("openconfig-system", "3.1.0"),
)
#: gRPC allows several servers on one port (SO_REUSEPORT) unless told not to:
#: a port that is taken must be an error, not a server that never gets a call.
_SERVER_OPTIONS = (("grpc.so_reuseport", 0),)


@dataclass(frozen=True, slots=True)
class GnmiTls:
    """A certificate and key for the lab's gNMI targets (PEM files).

    ``ca_file``: the CA that signed the certificate, written into the intent
    for collectors (the lab itself only serves the certificate).
    """

    cert_file: Path
    key_file: Path
    ca_file: Path | None = None


#: Seconds the lab's gNMI servers give open calls to end when the lab stops.
_STOP_GRACE_S = 1.0


class RouterTarget:
    """One site as a gNMI target: its leaves, faults and open subscriptions."""

    def __init__(self, model: WanModel, router: str) -> None:
        self.model = model
        self.router = router
        self.tree = RouterTree(model, router)
        self.sessions: set[Session] = set()
        self._changed = asyncio.Event()

    def current(self) -> Snapshot:
        return self.tree.current()

    def muted(self) -> bool:
        return self.model.has_fault(self.router, Fault.MUTE)

    def garbage(self) -> bool:
        return self.model.has_fault(self.router, Fault.GARBAGE)

    def changed(self) -> None:
        for session in self.sessions:
            session.wake()
        self._changed.set()
        self._changed = asyncio.Event()

    def restarted(self) -> None:
        for session in self.sessions:
            session.restart()

    async def answering(self) -> None:
        """Return once the router answers (at once unless it is muted)."""
        while self.muted():
            await self._changed.wait()


class _Servicer(gnmi_pb2_grpc.gNMIServicer):  # type: ignore[misc]
    def __init__(self, target: RouterTarget, credentials: GnmiCredentials | None) -> None:
        self._target = target
        self._credentials = credentials

    async def _authorize(self, context: Any) -> None:
        if self._credentials is None:
            return
        metadata = {key: value for key, value in context.invocation_metadata() or ()}
        username = str(metadata.get("username", ""))
        password = str(metadata.get("password", ""))
        # Both compared in full, so the time taken tells nothing about either.
        ok = hmac.compare_digest(username.encode(), self._credentials.username.encode())
        ok &= hmac.compare_digest(password.encode(), self._credentials.password.encode())
        if not ok:
            await context.abort(
                grpc.StatusCode.UNAUTHENTICATED,
                f"{self._target.router}: wrong or missing username/password metadata",
            )

    async def Capabilities(self, request: Any, context: Any) -> Any:
        await self._authorize(context)
        await self._target.answering()
        return gnmi_pb2.CapabilityResponse(
            supported_models=[
                gnmi_pb2.ModelData(name=name, organization="OpenConfig working group", version=v)
                for name, v in MODELS
            ],
            supported_encodings=list(SUPPORTED_ENCODINGS),
            gNMI_version=GNMI_VERSION,
        )

    async def Get(self, request: Any, context: Any) -> Any:
        await self._authorize(context)
        await self._target.answering()
        try:
            return self._get(request)
        except RequestError as exc:
            await context.abort(exc.code, str(exc))
        except PathError as exc:
            code = (
                grpc.StatusCode.UNIMPLEMENTED
                if str(exc).startswith("encoding")
                else grpc.StatusCode.INVALID_ARGUMENT
            )
            await context.abort(code, str(exc))

    def _get(self, request: Any) -> Any:
        if request.type == gnmi_pb2.GetRequest.CONFIG:
            raise RequestError(
                grpc.StatusCode.NOT_FOUND,
                "the lab's routers serve operational state only (type STATE, OPERATIONAL or ALL)",
            )
        check_encoding(request.encoding)
        paths = list(request.path) or [None]
        patterns = [request_pattern(request.prefix, path) for path in paths]
        snapshot = self._target.current()
        state = snapshot.leaves()
        timestamp = nanoseconds(snapshot.at)
        target = request.prefix.target
        garbage = self._target.garbage()
        found = []
        for want in patterns:
            nodes = anchors(state, want)
            if not nodes:
                raise RequestError(
                    grpc.StatusCode.NOT_FOUND,
                    f"{self._target.router} has no data at {render_path(want)}",
                )
            found.append(nodes)
        if request.encoding != JSON_IETF:
            leaves = {
                p: v for nodes in found for leaves in nodes.values() for p, v in leaves.items()
            }
            return gnmi_pb2.GetResponse(
                notification=notifications(
                    leaves,
                    timestamp=timestamp,
                    encoding=request.encoding,
                    target=target,
                    garbage=garbage,
                )
            )
        updates = [
            gnmi_pb2.Update(
                path=pb_path(anchor),
                val=gnmi_pb2.TypedValue(
                    json_ietf_val=GARBAGE_VALUE
                    if garbage
                    else json_bytes(subtree_json(anchor, leaves))
                ),
            )
            for nodes in found
            for anchor, leaves in nodes.items()
        ]
        return gnmi_pb2.GetResponse(
            notification=[
                gnmi_pb2.Notification(
                    timestamp=timestamp,
                    prefix=gnmi_pb2.Path(target=target) if target else None,
                    update=updates,
                )
            ]
        )

    async def Subscribe(self, request_iterator: Any, context: Any) -> AsyncIterator[Any]:
        await self._authorize(context)
        try:
            first = await request_iterator.__anext__()
        except StopAsyncIteration:
            return
        session = None
        try:
            if not first.HasField("subscribe"):
                raise RequestError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "the first request of a Subscribe RPC must be a SubscriptionList",
                )
            loop = asyncio.get_running_loop()
            session = Session(parse_subscription_list(first.subscribe), self._target, loop.time)
            self._target.sessions.add(session)
            reader = asyncio.create_task(_read_requests(request_iterator, session))
            try:
                async for response in session.responses():
                    yield response
            finally:
                reader.cancel()
        except RequestError as exc:
            await context.abort(exc.code, str(exc))
        except TargetRestarted:
            await context.abort(
                grpc.StatusCode.UNAVAILABLE, f"{self._target.router} rebooted: subscribe again"
            )
        finally:
            if session is not None:
                self._target.sessions.discard(session)


async def _read_requests(requests: Any, session: Session) -> None:
    """Polls and the client's half-close, for the session (which sends everything).

    A client that has nothing more to say is done reading here; the session
    decides what its half-close means.
    """
    try:
        async for request in requests:
            if request.HasField("poll"):
                session.poll()
            else:
                session.fail(
                    RequestError(
                        grpc.StatusCode.INVALID_ARGUMENT,
                        "a Subscribe RPC takes one SubscriptionList, then only Poll requests",
                    )
                )
                return
    except grpc.RpcError:
        return  # the RPC is over: the session ends with it
    session.client_done()


class GnmiPool:
    """A gNMI target for each of ``sites``, on ``host``, as an async context manager.

    ``ports`` maps a site to the TCP port it asks for (0 or missing: any free
    port); after entering, :attr:`ports` holds the ports bound. Leaving (or a
    failure half-way through entering) stops every server started.
    ``credentials``: required username/password metadata (None: none checked).
    """

    def __init__(
        self,
        model: WanModel,
        *,
        sites: Sequence[str],
        host: str = "127.0.0.1",
        ports: Mapping[str, int] | None = None,
        credentials: GnmiCredentials | None = None,
        tls: GnmiTls | None = None,
    ) -> None:
        self.model = model
        self.host = host
        self.credentials = credentials
        self.tls = tls
        self._sites = list(sites)
        self._requested = dict(ports or {})
        self._servers: list[Any] = []
        self.targets: dict[str, RouterTarget] = {}
        self.ports: dict[str, int] = {}

    async def __aenter__(self) -> GnmiPool:
        try:
            await self._start()
        except BaseException:
            await self._stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stop()

    def _server_credentials(self) -> Any:
        assert self.tls is not None
        try:
            key = self.tls.key_file.read_bytes()
            cert = self.tls.cert_file.read_bytes()
        except OSError as exc:
            raise AgentStartError(
                f"cannot read the gNMI TLS certificate or key: {exc.strerror or exc} "
                f"({exc.filename})"
            ) from exc
        return grpc.ssl_server_credentials([(key, cert)])

    async def _start(self) -> None:
        server_credentials = self._server_credentials() if self.tls is not None else None
        for router in self._sites:
            target = RouterTarget(self.model, router)
            server = grpc.aio.server(options=_SERVER_OPTIONS)
            gnmi_pb2_grpc.add_gNMIServicer_to_server(_Servicer(target, self.credentials), server)
            port = self._requested.get(router, 0)
            address = f"{self.host}:{port}"
            try:
                if server_credentials is None:
                    bound = server.add_insecure_port(address)
                else:
                    bound = server.add_secure_port(address, server_credentials)
            except RuntimeError as exc:
                bound = 0
                reason = str(exc)
            else:
                reason = "the address is in use or not local"
            if not bound:
                hint = (
                    "choose another --base-port, or omit it to let the lab pick free ports"
                    if port
                    else "check that the address is a local loopback address"
                )
                raise AgentStartError(
                    f"cannot listen for gNMI on TCP {address} for {router}: {reason}; {hint}"
                )
            await server.start()
            self._servers.append(server)
            self.targets[router] = target
            self.ports[router] = bound

    async def _stop(self) -> None:
        servers, self._servers = self._servers, []
        # A grace period, as a router shutting down gracefully gives: clients get
        # a GOAWAY without error first, and gRPC does not log a stream it had to
        # cancel on stderr of a client (the demo's daemon) still closing its side.
        await asyncio.gather(*(server.stop(_STOP_GRACE_S) for server in servers))

    def changed(self, routers: Iterable[str] | None = None) -> None:
        """The model changed (for ``routers``, or everywhere): wake their subscriptions."""
        names = self.targets if routers is None else routers
        for router in names:
            target = self.targets.get(router)
            if target is not None:
                target.changed()

    def restarted(self, router: str) -> None:
        """``router`` rebooted: its open streams end with UNAVAILABLE."""
        target = self.targets.get(router)
        if target is not None:
            target.restarted()
