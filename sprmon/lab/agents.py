"""Real SNMP agents on loopback, one per simulated router, all in one process.

Each router gets its own pysnmp ``SnmpEngine`` (own engine ID, users, UDP
port); all engines share one ``AsyncioDispatcher``, which routes a datagram
to its engine by the transport domain it arrived on. A custom MIB
instrumentation controller answers GET and GETNEXT (and through GETNEXT,
GETBULK) from the router's :class:`~sprmon.lab.mib.MibView`, re-rendered at
most once per tick and only for routers somebody asks.

Why pysnmp's agent side rather than snmpsim or snmpd + pass_persist: see
docs/lab.md. pysnmp types stay in this module.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.carrier.asyncio.dispatch import AsyncioDispatcher
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import cmdrsp
from pysnmp.entity.rfc3413 import context as snmp_context
from pysnmp.error import PySnmpError
from pysnmp.proto import rfc1902, rfc1905, rfc3412
from pysnmp.proto.secmod.rfc3414 import localkey
from pysnmp.smi import builder, instrum, mibs
from pysnmp.smi.mibs import instances as mib_instances

from sprmon.lab.credentials import LabCredentials, V2cCredentials, V3Credentials
from sprmon.lab.errors import AgentStartError
from sprmon.lab.faults import Fault
from sprmon.lab.mib import MibView, is_known_object, render
from sprmon.lab.model import WanModel
from sprmon.smi import Oid, SnmpValue, ValueKind

#: What a ``garbage`` agent answers: it starts like an SNMPv2c message
#: (SEQUENCE, version, community) but its PDU claims 255 octets and holds 2,
#: so every BER decoder rejects it.
GARBAGE_REPLY = bytes.fromhex("300f0201010406") + b"sprmon" + bytes.fromhex("a2ff0201")

_MESSAGE_MODELS = {"1": 0, "2c": 1, "3": 3}
# The dispatcher's housekeeping timer (request cache expiry) runs every
# engine's callbacks at this interval; pysnmp's 0.1 s default costs CPU with
# hundreds of engines and buys nothing for an agent.
_TIMER_RESOLUTION_S = 1.0


#: Where pysnmp keeps its MIB modules, in the builder's search order.
_MIB_FOLDERS = (Path(mib_instances.__path__[0]), Path(mibs.__path__[0]))


_COMPILED_MIBS: dict[str, Any] = {}


def _compiled_mib(name: str) -> Any:
    """The compiled code of one of pysnmp's own MIB modules, or None if it has none."""
    if name not in _COMPILED_MIBS:
        code = None
        for folder in _MIB_FOLDERS:
            source = folder / f"{name}.py"
            if source.is_file():
                code = compile(source.read_bytes(), str(source), "exec")
                break
        _COMPILED_MIBS[name] = code
    return _COMPILED_MIBS[name]


class _CachingMibBuilder(builder.MibBuilder):  # type: ignore[misc]
    """A MibBuilder that compiles each of pysnmp's MIB modules once per process.

    pysnmp's builder recompiles every MIB module's source for every engine
    (it runs them with ``runpy.run_path`` and cannot read modern .pyc files):
    about 120 ms of an engine's 140 ms start-up. Running cached code objects
    with the same globals the builder would give them makes an engine start
    in about 15 ms, which is what lets one process start 200 agents quickly.
    """

    def __init__(self) -> None:
        super().__init__()
        self._sprmon_loaded: set[str] = set()

    def load_module(self, name: str, **user_context: Any) -> Any:
        code = _compiled_mib(name)
        if code is None:
            return super().load_module(name, **user_context)
        if name not in self._sprmon_loaded:
            self._sprmon_loaded.add(name)
            exec(code, {"mibBuilder": self, "userCtx": user_context})
        return self


#: pysnmp's class for each SMI type, and its object for each exception value.
_PYSNMP_TYPES: dict[ValueKind, Any] = {
    ValueKind.INTEGER: rfc1902.Integer32,
    ValueKind.OCTET_STRING: rfc1902.OctetString,
    ValueKind.OBJECT_IDENTIFIER: rfc1902.ObjectIdentifier,
    ValueKind.IP_ADDRESS: rfc1902.IpAddress,
    ValueKind.COUNTER32: rfc1902.Counter32,
    ValueKind.GAUGE32: rfc1902.Gauge32,
    ValueKind.TIMETICKS: rfc1902.TimeTicks,
    ValueKind.OPAQUE: rfc1902.Opaque,
    ValueKind.COUNTER64: rfc1902.Counter64,
}
_PYSNMP_EMPTY: dict[ValueKind, Any] = {
    ValueKind.NULL: rfc1902.Null(""),
    ValueKind.NO_SUCH_OBJECT: rfc1905.noSuchObject,
    ValueKind.NO_SUCH_INSTANCE: rfc1905.noSuchInstance,
    ValueKind.END_OF_MIB_VIEW: rfc1905.endOfMibView,
}


def _to_pysnmp(value: SnmpValue) -> Any:
    make = _PYSNMP_TYPES.get(value.kind)
    if make is None:
        return _PYSNMP_EMPTY[value.kind]
    return make(value.value)


class _RouterController(instrum.AbstractMibInstrumController):  # type: ignore[misc]
    """Answers reads from the router's current view; VACM is not consulted."""

    def __init__(self, view: Callable[[], MibView]) -> None:
        self._view = view

    def read_variables(self, *var_binds: tuple[Any, Any], **context: Any) -> list[tuple[Any, Any]]:
        view = self._view()
        result = []
        for name, _ in var_binds:
            oid: Oid = tuple(name)
            value = view.get(oid)
            if value is not None:
                result.append((name, _to_pysnmp(value)))
            elif is_known_object(oid):
                result.append((name, rfc1905.noSuchInstance))
            else:
                result.append((name, rfc1905.noSuchObject))
        return result

    def read_next_variables(
        self, *var_binds: tuple[Any, Any], **context: Any
    ) -> list[tuple[Any, Any]]:
        view = self._view()
        result = []
        for name, _ in var_binds:
            found = view.next_after(tuple(name))
            if found is None:
                result.append((name, rfc1905.endOfMibView))
            else:
                result.append((rfc1902.ObjectName(found[0]), _to_pysnmp(found[1])))
        return result

    def write_variables(self, *var_binds: tuple[Any, Any], **context: Any) -> list[Any]:
        raise NotImplementedError("the lab's agents are read-only")


class _AgentProtocol(udp.UdpAsyncioTransport):  # type: ignore[misc]
    """The agent's UDP endpoint; it applies the agent faults (mute, garbage)."""

    def __init__(self, model: WanModel, router: str, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop=loop)
        self._model = model
        self._router = router

    def datagram_received(self, datagram: bytes, address: Any) -> None:
        if self._model.has_fault(self._router, Fault.MUTE):
            return
        if self._model.has_fault(self._router, Fault.GARBAGE):
            if self.transport is not None:
                self.transport.sendto(GARBAGE_REPLY, address)
            return
        super().datagram_received(datagram, address)


class _Agent:
    """One router's engine, socket and rendered view."""

    def __init__(self, model: WanModel, router: str, domain: tuple[int, ...]) -> None:
        self.model = model
        self.router = router
        self.domain = domain
        self.port = 0
        self.engine: Any = None
        self.protocol: _AgentProtocol | None = None
        self.sock: socket.socket | None = None
        self._view: MibView | None = None
        self._generation = -1

    def view(self) -> MibView:
        if self._view is None or self._generation != self.model.generation:
            self._view = render(self.model, self.router)
            self._generation = self.model.generation
        return self._view


def _factory(protocol: _AgentProtocol) -> Callable[[], _AgentProtocol]:
    return lambda: protocol


def _engine_id(lab_id: bytes, index: int) -> bytes:
    # RFC 3411 format 5 (administratively assigned octets) under pysnmp's
    # enterprise number: unique per agent and per lab, and given without the
    # SnmpEngine argument, which would write a boots file under /tmp.
    return bytes((0x80, 0x00, 0x4F, 0xB8, 0x05)) + lab_id + index.to_bytes(2, "big")


def _bind(host: str, port: int, router: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        hint = (
            "choose another --base-port, or omit it to let the lab pick free ports"
            if port
            else "check that the address is a local loopback address"
        )
        raise AgentStartError(
            f"cannot listen for SNMP on UDP {host}:{port} for {router}: {exc.strerror}; {hint}"
        ) from exc
    return sock


class AgentPool:
    """Every router of ``model`` as a live SNMP agent, and the clock that drives them.

    An async context manager: entering binds every port and starts the tick;
    leaving (or a failure half-way through entering) closes everything that
    was opened. ``ports`` maps a router to its requested port (0: any free
    port); after entering, :attr:`ports` holds the ports actually bound.
    ``routers``: the routers that answer SNMP (default: all of them);
    ``on_tick`` is called after every tick of the model (the gNMI targets
    push what changed).
    """

    def __init__(
        self,
        model: WanModel,
        *,
        credentials: LabCredentials,
        host: str = "127.0.0.1",
        ports: Mapping[str, int] | None = None,
        tick: float = 1.0,
        clock: Callable[[], float] = time.time,
        routers: Sequence[str] | None = None,
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        if tick <= 0:
            raise ValueError(f"the tick must be positive, not {tick}")
        self.model = model
        self._routers = tuple(model.router_names if routers is None else routers)
        self._on_tick = on_tick
        self.credentials = credentials
        self.host = host
        self.tick = tick
        self._clock = clock
        self._requested = dict(ports or {})
        self._agents: list[_Agent] = []
        self._dispatcher: Any = None
        self._ticker: asyncio.Task[None] | None = None
        self._master_keys: tuple[Any, Any] | None = None
        self.ports: dict[str, int] = {}

    async def __aenter__(self) -> AgentPool:
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

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._dispatcher = AsyncioDispatcher(loop=loop)
        self._dispatcher.set_timer_resolution(_TIMER_RESOLUTION_S)
        # Every engine registers under its own transport domain; the domain
        # a datagram arrived on picks the engine.
        self._dispatcher.register_routing_callback(lambda domain, _address, _message: domain)
        lab_id = secrets.token_bytes(4)
        # Bind every port first: a taken port fails the start before any
        # engine is built.
        for index, router in enumerate(self._routers):
            agent = _Agent(self.model, router, (*udp.DOMAIN_NAME, index + 1))
            self._agents.append(agent)
            agent.sock = _bind(self.host, self._requested.get(router, 0), router)
            agent.port = agent.sock.getsockname()[1]
        for index, agent in enumerate(self._agents):
            self._start_engine(agent, _engine_id(lab_id, index + 1))
            protocol = _AgentProtocol(self.model, agent.router, loop)
            assert agent.sock is not None
            await loop.create_datagram_endpoint(_factory(protocol), sock=agent.sock)
            agent.protocol = protocol
            config.add_transport(agent.engine, agent.domain, protocol)
            self.ports[agent.router] = agent.port
            # Starting 200 engines takes seconds: let the agents that are up answer.
            await asyncio.sleep(0)
        self._ticker = asyncio.create_task(self._tick_forever(), name="sprmon-lab-tick")

    def _start_engine(self, agent: _Agent, engine_id: bytes) -> None:
        engine = SnmpEngine(
            msgAndPduDsp=rfc3412.MsgAndPduDispatcher(
                instrum.MibInstrumController(_CachingMibBuilder())
            )
        )
        (snmp_engine_id,) = engine.get_mib_builder().import_symbols(
            "__SNMP-FRAMEWORK-MIB", "snmpEngineID"
        )
        snmp_engine_id.syntax = snmp_engine_id.syntax.clone(engine_id)
        engine.snmpEngineID = snmp_engine_id.syntax
        # Speak only the lab's SNMP version: other versions are dropped as
        # bad versions, as a router configured for one version would.
        wanted = _MESSAGE_MODELS[self.credentials.version]
        for model_id in list(engine.message_processing_subsystems):
            if int(model_id) != wanted:
                del engine.message_processing_subsystems[model_id]
        if isinstance(self.credentials, V2cCredentials):
            config.add_v1_system(engine, "sprmon-lab", self.credentials.community)
        else:
            auth_master, priv_master = self._v3_master_keys()
            config.add_v3_user(
                engine,
                self.credentials.user,
                config.USM_AUTH_HMAC192_SHA256,
                auth_master,
                config.USM_PRIV_CFB128_AES,
                priv_master,
                authKeyType=config.USM_KEY_TYPE_MASTER,
                privKeyType=config.USM_KEY_TYPE_MASTER,
            )
        context = snmp_context.SnmpContext(engine)
        context.unregister_context_name(b"")
        context.register_context_name(b"", _RouterController(agent.view))
        cmdrsp.GetCommandResponder(engine, context)
        cmdrsp.NextCommandResponder(engine, context)
        cmdrsp.BulkCommandResponder(engine, context)
        engine.register_transport_dispatcher(self._dispatcher, agent.domain)
        agent.engine = engine

    def _v3_master_keys(self) -> tuple[Any, Any]:
        # Turning a passphrase into a key hashes 1 MB in a Python loop (tens of
        # milliseconds); do it once per lab, not once per engine. With
        # HMAC-SHA-256 both keys are hashed with SHA-256 (RFC 7860, RFC 3826).
        assert isinstance(self.credentials, V3Credentials)
        if self._master_keys is None:
            self._master_keys = (
                localkey.hash_passphrase(self.credentials.auth_key, hashlib.sha256),
                localkey.hash_passphrase(self.credentials.priv_key, hashlib.sha256),
            )
        return self._master_keys

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.tick)
            self.model.advance(max(self.model.now, self._clock()))
            if self._on_tick is not None:
                self._on_tick()

    async def _stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        # An agent that failed half-way through starting is registered with
        # only some of these: pysnmp says so with a PySnmpError.
        for agent in self._agents:
            if agent.protocol is not None:
                agent.protocol.close_transport()
                with suppress(PySnmpError):
                    self._dispatcher.unregister_transport(agent.domain)
            elif agent.sock is not None:
                agent.sock.close()
            if agent.engine is not None:
                with suppress(PySnmpError):
                    agent.engine.unregister_transport_dispatcher(agent.domain)
        self._agents.clear()
        if self._dispatcher is not None:
            self._dispatcher.close_dispatcher()
            self._dispatcher = None
        # Let the transports' close callbacks run before the caller moves on.
        await asyncio.sleep(0)
