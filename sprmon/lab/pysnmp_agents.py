"""The lab's agents on pysnmp: every SNMPv3 lab, and a v2c lab that asks for them.

Each router gets its own pysnmp ``SnmpEngine`` (own engine ID, users, UDP
socket); all engines share one ``AsyncioDispatcher``, which routes a datagram
to its engine by the transport domain it arrived on. A custom MIB
instrumentation controller answers GET and GETNEXT (and through GETNEXT,
GETBULK) from the router's :class:`~sprmon.lab.mib.MibView`.

SNMPv2c labs are served by :mod:`sprmon.lab.v2c_agents` by default, which
answers the same octets at a fraction of the CPU; pysnmp stays for SNMPv3,
whose USM is not worth re-implementing. pysnmp types stay in this module.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.carrier.asyncio.dispatch import AsyncioDispatcher
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import cmdrsp
from pysnmp.entity.rfc3413 import context as snmp_context
from pysnmp.error import PySnmpError
from pysnmp.proto import rfc1902, rfc1905, rfc3412
from pysnmp.proto.api import v2c
from pysnmp.proto.secmod.rfc3414 import localkey
from pysnmp.smi import builder, instrum, mibs
from pysnmp.smi.mibs import instances as mib_instances

from sprmon.lab.credentials import LabCredentials, V2cCredentials, V3Credentials
from sprmon.lab.faults import Fault
from sprmon.lab.mib import MibView, ViewCache, is_known_object
from sprmon.lab.model import WanModel
from sprmon.lab.v2c_codec import GARBAGE_REPLY
from sprmon.smi import Oid, SnmpValue, ValueKind

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

    def __init__(self, views: ViewCache[MibView], router: str) -> None:
        self._views = views
        self._router = router

    def read_variables(self, *var_binds: tuple[Any, Any], **context: Any) -> list[tuple[Any, Any]]:
        view = self._views.view(self._router)
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
        view = self._views.view(self._router)
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


class _BulkResponder(cmdrsp.BulkCommandResponder):  # type: ignore[misc]
    """pysnmp's GETBULK responder, with an empty Response where it has nothing to send.

    With N + M x R = 0 (max-repetitions 0 and no non-repeaters, or no names)
    RFC 3416 asks for an empty Response, as Net-SNMP sends; pysnmp 7.1 raises
    a bare ``SmiError`` there, trips over it in its own error handling and
    logs a traceback without answering. Otherwise the steps are pysnmp's.
    """

    def handle_management_operation(
        self, snmpEngine: Any, stateReference: Any, contextName: Any, PDU: Any
    ) -> None:
        non_repeaters = max(int(v2c.apiBulkPDU.get_non_repeaters(PDU)), 0)
        repetitions = max(int(v2c.apiBulkPDU.get_max_repetitions(PDU)), 0)
        requested = v2c.apiPDU.get_varbinds(PDU)
        n = min(non_repeaters, len(requested))
        r = max(len(requested) - n, 0)
        if r:
            repetitions = min(repetitions, self.max_varbinds // r)
        read_next = self.snmpContext.get_mib_instrum(contextName).read_next_variables
        context = {"snmpEngine": snmpEngine, "acFun": self.verify_access, "cbCtx": self.cbCtx}
        answer = read_next(*requested[:n], **context) if n else []
        names = requested[-r:]
        while repetitions and r:
            answer.extend(read_next(*names, **context))
            names = answer[-r:]
            repetitions -= 1
        self.send_varbinds(snmpEngine, stateReference, 0, 0, answer)
        self.release_state_information(stateReference)


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


def _engine_id(lab_id: bytes, index: int) -> bytes:
    # RFC 3411 format 5 (administratively assigned octets) under pysnmp's
    # enterprise number: unique per agent and per lab, and given without the
    # SnmpEngine argument, which would write a boots file under /tmp.
    return bytes((0x80, 0x00, 0x4F, 0xB8, 0x05)) + lab_id + index.to_bytes(2, "big")


def _factory(protocol: _AgentProtocol) -> Any:
    return lambda: protocol


class PysnmpAgents:
    """One pysnmp engine per router, all on one dispatcher; :meth:`close` stops them."""

    def __init__(
        self, model: WanModel, credentials: LabCredentials, views: ViewCache[MibView]
    ) -> None:
        self.model = model
        self.credentials = credentials
        self._views = views
        self._dispatcher: Any = None
        self._master_keys: tuple[Any, Any] | None = None
        #: (domain, engine or None, protocol or None) of every agent started so far.
        self._started: list[tuple[tuple[int, ...], Any, _AgentProtocol | None]] = []

    async def start(self, sockets: Sequence[tuple[str, socket.socket]], lab_id: bytes) -> None:
        """Serve ``router`` on its bound socket, for each pair, in order."""
        loop = asyncio.get_running_loop()
        self._dispatcher = AsyncioDispatcher(loop=loop)
        self._dispatcher.set_timer_resolution(_TIMER_RESOLUTION_S)
        # Every engine registers under its own transport domain; the domain
        # a datagram arrived on picks the engine.
        self._dispatcher.register_routing_callback(lambda domain, _address, _message: domain)
        for index, (router, sock) in enumerate(sockets, start=1):
            domain = (*udp.DOMAIN_NAME, index)
            engine = self._start_engine(router, domain, _engine_id(lab_id, index))
            self._started.append((domain, engine, None))
            protocol = _AgentProtocol(self.model, router, loop)
            await loop.create_datagram_endpoint(_factory(protocol), sock=sock)
            self._started[-1] = (domain, engine, protocol)
            config.add_transport(engine, domain, protocol)
            # Starting 200 engines takes seconds: let the agents that are up answer.
            await asyncio.sleep(0)

    def _start_engine(self, router: str, domain: tuple[int, ...], engine_id: bytes) -> Any:
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
        context.register_context_name(b"", _RouterController(self._views, router))
        cmdrsp.GetCommandResponder(engine, context)
        cmdrsp.NextCommandResponder(engine, context)
        _BulkResponder(engine, context)
        engine.register_transport_dispatcher(self._dispatcher, domain)
        return engine

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

    @property
    def taken(self) -> int:
        """How many of the sockets given to :meth:`start` a transport owns (and closes)."""
        return sum(1 for _domain, _engine, protocol in self._started if protocol is not None)

    def close(self) -> None:
        # An agent that failed half-way through starting is registered with
        # only some of these: pysnmp says so with a PySnmpError.
        for domain, engine, protocol in self._started:
            if protocol is not None:
                protocol.close_transport()
                with suppress(PySnmpError):
                    self._dispatcher.unregister_transport(domain)
            with suppress(PySnmpError):
                engine.unregister_transport_dispatcher(domain)
        self._started.clear()
        if self._dispatcher is not None:
            self._dispatcher.close_dispatcher()
            self._dispatcher = None
