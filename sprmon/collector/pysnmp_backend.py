"""SNMPv3 (and SNMPv2c on request) through pysnmp's command generators.

The only collector module that imports pysnmp (``tests/collector/test_boundaries.py``
checks it; hence its length: everything that touches pysnmp is here). Everything
leaving it is sprmon's own, values as :class:`~sprmon.smi.SnmpValue`, failures
as :mod:`sprmon.collector.errors` exceptions. pysnmp reports failures as
error-indication objects; they are translated here, and every text pysnmp wrote
is scrubbed of the session's secrets before it reaches a message.

:class:`PysnmpBackend` keeps one ``SnmpEngine`` per distinct credential set:
pysnmp keys its user table by user name, so two targets with the same user
name but different keys must not share an engine.

The boundary also holds for what arrives: pysnmp decodes each datagram in an
asyncio callback, and some garbage (the three octets ``f8 6c b9``) makes
pyasn1 raise a ``TypeError`` that pysnmp does not catch, which asyncio
printed as a 28-line traceback per datagram. Each engine's dispatcher is a
:class:`_GuardedDispatcher`: a datagram pysnmp fails on or drops as
unparsable is counted against its sender, and a request to that sender which
then times out says "malformed" (not "no answer", nor "wrong privacy key"),
as the native transport does. Each session also opens a
:class:`~sprmon.collector.port_probe.PortProbe`, so that a closed port is
reported as the native transport reports it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from pyasn1.type import univ
from pysnmp.carrier.asyncio.dispatch import AsyncioDispatcher
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.error import PySnmpError
from pysnmp.hlapi.v3arch.asyncio.auth import (
    USM_AUTH_HMAC96_SHA,
    USM_AUTH_HMAC128_SHA224,
    USM_AUTH_HMAC192_SHA256,
    USM_AUTH_HMAC256_SHA384,
    USM_AUTH_HMAC384_SHA512,
    USM_AUTH_NONE,
    USM_PRIV_CFB128_AES,
    USM_PRIV_CFB192_AES,
    USM_PRIV_CFB256_AES,
    USM_PRIV_NONE,
    CommunityData,
    UsmUserData,
)
from pysnmp.hlapi.v3arch.asyncio.lcd import CommandGeneratorLcdConfigurator
from pysnmp.hlapi.v3arch.asyncio.transport import Udp6TransportTarget, UdpTransportTarget
from pysnmp.proto import errind, rfc1902, rfc1905

from sprmon.collector import ber
from sprmon.collector.errors import (
    SnmpAuthError,
    SnmpConfigError,
    SnmpError,
    SnmpMalformedResponse,
    SnmpProtocolError,
)
from sprmon.collector.port_probe import PortProbe, open_probe
from sprmon.collector.session import (
    SnmpSession,
    UsmCredentials,
    target_address,
    unreachable_error,
)
from sprmon.inventory import AuthProtocol, PrivProtocol, SnmpTarget, SnmpVersion
from sprmon.secrets import Secret
from sprmon.smi import Oid, SnmpValue, ValueKind, VarBind, format_oid, oid_problem, value_problem

log = logging.getLogger(__name__)

_AUTH_PROTOCOLS = {
    AuthProtocol.SHA: USM_AUTH_HMAC96_SHA,
    AuthProtocol.SHA224: USM_AUTH_HMAC128_SHA224,
    AuthProtocol.SHA256: USM_AUTH_HMAC192_SHA256,
    AuthProtocol.SHA384: USM_AUTH_HMAC256_SHA384,
    AuthProtocol.SHA512: USM_AUTH_HMAC384_SHA512,
}
#: AES-192/256 with Reeder key extension, as Cisco and most routers do it
#: (Net-SNMP calls these AES-192-C / AES-256-C).
_PRIV_PROTOCOLS = {
    PrivProtocol.AES128: USM_PRIV_CFB128_AES,
    PrivProtocol.AES192: USM_PRIV_CFB192_AES,
    PrivProtocol.AES256: USM_PRIV_CFB256_AES,
}

_KINDS_BY_TAGSET: dict[Any, ValueKind] = {
    rfc1902.Integer32.tagSet: ValueKind.INTEGER,
    rfc1902.OctetString.tagSet: ValueKind.OCTET_STRING,
    rfc1902.Null.tagSet: ValueKind.NULL,
    rfc1902.ObjectIdentifier.tagSet: ValueKind.OBJECT_IDENTIFIER,
    rfc1902.IpAddress.tagSet: ValueKind.IP_ADDRESS,
    rfc1902.Counter32.tagSet: ValueKind.COUNTER32,
    rfc1902.Gauge32.tagSet: ValueKind.GAUGE32,
    rfc1902.TimeTicks.tagSet: ValueKind.TIMETICKS,
    rfc1902.Opaque.tagSet: ValueKind.OPAQUE,
    rfc1902.Counter64.tagSet: ValueKind.COUNTER64,
    rfc1905.NoSuchObject.tagSet: ValueKind.NO_SUCH_OBJECT,
    rfc1905.NoSuchInstance.tagSet: ValueKind.NO_SUCH_INSTANCE,
    rfc1905.EndOfMibView.tagSet: ValueKind.END_OF_MIB_VIEW,
}
_INT_KINDS = frozenset(
    {
        ValueKind.INTEGER,
        ValueKind.COUNTER32,
        ValueKind.GAUGE32,
        ValueKind.TIMETICKS,
        ValueKind.COUNTER64,
    }
)
_BYTES_KINDS = frozenset({ValueKind.OCTET_STRING, ValueKind.IP_ADDRESS, ValueKind.OPAQUE})


def from_pysnmp(name: Any, value: Any) -> VarBind:
    """One of pysnmp's variable bindings as sprmon's, held to the codec's limits.

    pyasn1 already refuses numbers past their type's range and IpAddresses of
    other than 4 octets; it does not limit OBJECT IDENTIFIERs (an arc of
    2**16000 decodes, and then cannot even be printed), so both OIDs are checked
    here with :mod:`sprmon.smi`'s limits, as the native codec checks them.
    Raises :class:`SnmpMalformedResponse`.
    """
    oid: Oid = tuple(name)
    problem = oid_problem(oid)
    if problem is not None:
        raise SnmpMalformedResponse(f"a variable-binding name is {problem}")
    kind = _KINDS_BY_TAGSET.get(value.tagSet)
    if kind is None:
        raise SnmpProtocolError(f"value of {format_oid(oid)} has an unknown SMI type")
    converted: SnmpValue
    if kind in _INT_KINDS:
        converted = SnmpValue(kind, int(value))
    elif kind in _BYTES_KINDS:
        converted = SnmpValue(kind, value.asOctets())
    elif kind is ValueKind.OBJECT_IDENTIFIER:
        converted = SnmpValue(kind, tuple(value))
    else:
        converted = SnmpValue(kind)
    problem = value_problem(converted)
    if problem is not None:
        raise SnmpMalformedResponse(f"the value of {format_oid(oid)} is {problem}")
    return oid, converted


def _auth_failure(address: str, indication: Any, user: str) -> SnmpError | None:
    """Our exception for a pysnmp error indication about credentials, if it is one."""
    if isinstance(indication, errind.WrongDigest | errind.AuthenticationFailure):
        return SnmpAuthError(
            f"authentication failed at {address}: wrong SNMPv3 credentials for user "
            f"{user!r} (usmStatsWrongDigests): check the auth key and protocol",
            target=address,
        )
    if isinstance(indication, errind.UnknownUserName):
        return SnmpAuthError(
            f"agent {address} does not know SNMPv3 user {user!r} (usmStatsUnknownUserNames)",
            target=address,
        )
    if isinstance(indication, errind.UnsupportedSecurityLevel):
        return SnmpAuthError(
            f"agent {address} refuses this security level for user {user!r} "
            "(usmStatsUnsupportedSecLevels): check whether it expects auth/priv",
            target=address,
        )
    if isinstance(indication, errind.DecryptionError):
        return SnmpAuthError(
            f"agent {address} could not decrypt our request (usmStatsDecryptionErrors): "
            "check the privacy key and protocol",
            target=address,
        )
    if isinstance(indication, errind.NotInTimeWindow):
        return SnmpAuthError(
            f"agent {address} says our request is outside its time window "
            "(usmStatsNotInTimeWindows): check the auth key",
            target=address,
        )
    if isinstance(indication, errind.AuthenticationError):
        return SnmpAuthError(
            f"SNMPv3 authentication with {address} failed: check the user's keys and protocols",
            target=address,
        )
    return None


def _address_key(address: Any) -> tuple[str, int]:
    """A transport address (IPv4 pair or IPv6 quadruple) as (host, port)."""
    return str(address[0]), int(address[1])


class _GuardedDispatcher(AsyncioDispatcher):  # type: ignore[misc]  # pysnmp is untyped
    """pysnmp's asyncio dispatcher, with the boundary around its decoding.

    A datagram that pysnmp fails on (any exception) or drops as unparsable (its
    ``snmpInASNParseErrs`` grows) is counted against its sender in
    :attr:`malformed`, and nothing reaches asyncio's exception handler.
    """

    def __init__(self) -> None:
        super().__init__()
        #: (host, port) -> (datagrams dropped as malformed, why the last one was).
        self.malformed: dict[tuple[str, int], tuple[int, str]] = {}
        self.parse_errors: Any = None

    def dropped(self, key: tuple[str, int]) -> int:
        return self.malformed.get(key, (0, ""))[0]

    def _callback_function(self, transport: Any, address: Any, message: Any) -> None:
        counter = self.parse_errors
        before = int(counter.syntax) if counter is not None else 0
        try:
            super()._callback_function(transport, address, message)
        except Exception as exc:  # any failure inside pysnmp's decoding is a bad datagram
            self._count(address, f"pysnmp could not decode it: {type(exc).__name__}")
            log.debug("dropped a datagram from %s that pysnmp failed on", address, exc_info=True)
            return
        if counter is not None and int(counter.syntax) > before:
            self._count(address, "not BER")

    def _count(self, address: Any, reason: str) -> None:
        key = _address_key(address)
        self.malformed[key] = (self.dropped(key) + 1, reason)


def _new_engine() -> tuple[SnmpEngine, _GuardedDispatcher]:
    engine = SnmpEngine()
    dispatcher = _GuardedDispatcher()
    engine.register_transport_dispatcher(dispatcher)
    (dispatcher.parse_errors,) = engine.get_mib_builder().import_symbols(
        "__SNMPv2-MIB", "snmpInASNParseErrs"
    )
    return engine, dispatcher


class PysnmpSession(SnmpSession):
    def __init__(
        self,
        target: SnmpTarget,
        semaphore: asyncio.Semaphore,
        engine: SnmpEngine,
        addr_name: str,
        *,
        user: str | None,
        secrets: Sequence[str] = (),
        dispatcher: _GuardedDispatcher,
        peer: tuple[str, int],
        probe: PortProbe | None = None,
    ) -> None:
        super().__init__(target, semaphore)
        self._engine = engine
        self._addr_name = addr_name
        self._user = user
        self._secrets = tuple(secrets)
        self._dispatcher = dispatcher
        self._peer = peer
        self._probe = probe

    def close(self) -> None:
        if self._probe is not None:
            self._probe.close()

    async def _request(
        self, pdu_type: int, oids: Sequence[Oid], non_repeaters: int, max_repetitions: int
    ) -> list[VarBind]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[int, int, list[VarBind]]] = loop.create_future()
        dropped_before = self._dispatcher.dropped(self._peer)

        def on_response(  # noqa: PLR0917 - pysnmp calls it with seven positional arguments
            engine: Any,
            handle: Any,
            indication: Any,
            status: Any,
            index: Any,
            varbinds: Any,
            context: Any,
        ) -> None:
            if future.done():
                return
            if indication:
                future.set_exception(self._translate(indication, dropped_before))
                return
            try:
                converted = [from_pysnmp(name, value) for name, value in varbinds]
            except SnmpMalformedResponse as exc:
                future.set_exception(
                    SnmpMalformedResponse(
                        f"agent {self.address} sent a malformed SNMP message ({exc.message})",
                        target=self.address,
                    )
                )
                return
            except SnmpError as exc:
                future.set_exception(exc)
                return
            future.set_result((int(status or 0), int(index or 0), converted))

        request = [(rfc1902.ObjectName(oid), univ.Null("")) for oid in oids]
        try:
            if pdu_type == ber.GET:
                cmdgen.GetCommandGenerator().send_varbinds(
                    self._engine, self._addr_name, None, b"", request, on_response
                )
            elif pdu_type == ber.GET_NEXT:
                cmdgen.NextCommandGeneratorSingleRun().send_varbinds(
                    self._engine, self._addr_name, None, b"", request, on_response
                )
            else:
                cmdgen.BulkCommandGeneratorSingleRun().send_varbinds(
                    self._engine,
                    self._addr_name,
                    None,
                    b"",
                    non_repeaters,
                    max_repetitions,
                    request,
                    on_response,
                )
        except PySnmpError as exc:
            raise SnmpError(
                f"cannot send a request to {self.address}: {_scrub(str(exc), self._secrets)}",
                target=self.address,
            ) from exc
        try:
            status, index, varbinds = await self._answer(future)
        finally:
            self.stats.malformed += self._dispatcher.dropped(self._peer) - dropped_before
        if status:
            raise self._agent_error(status, index, oids)
        return varbinds

    async def _answer(
        self, future: asyncio.Future[tuple[int, int, list[VarBind]]]
    ) -> tuple[int, int, list[VarBind]]:
        """The request's answer, or :class:`SnmpUnreachable` as soon as the probe
        hears that nothing listens at the target."""
        probe = self._probe
        if probe is None:
            return await future
        refused = probe.send()
        try:
            await asyncio.wait((future, refused), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not future.done():
                # pysnmp's own timeout still calls back later: it finds the future done.
                future.cancel()
        if not future.cancelled():
            return future.result()
        raise unreachable_error(self.address)

    def _translate(self, indication: Any, dropped_before: int) -> SnmpError:
        if isinstance(indication, errind.RequestTimedOut):
            dropped = self._dispatcher.dropped(self._peer) - dropped_before
            if dropped:
                reason = self._dispatcher.malformed[self._peer][1]
                return self._malformed_error(dropped, reason)
            return self._timeout_error(v3=self.target.version is SnmpVersion.V3)
        auth = _auth_failure(self.address, indication, self._user or "")
        if auth is not None:
            return auth
        if isinstance(indication, errind.UnknownEngineID):
            return SnmpProtocolError(
                f"SNMPv3 engine ID discovery with {self.address} failed", target=self.address
            )
        return SnmpProtocolError(
            f"SNMP exchange with {self.address} failed: {_scrub(str(indication), self._secrets)}",
            target=self.address,
        )


class PysnmpBackend:
    """pysnmp's engines and target configuration, shared by the sessions it opens.

    :meth:`close` closes every engine's dispatcher; the backend can be used again
    afterwards (new engines are made as needed).
    """

    def __init__(self) -> None:
        self._engines: dict[object, tuple[SnmpEngine, _GuardedDispatcher]] = {}
        self._lcd = CommandGeneratorLcdConfigurator()
        self._communities: dict[Secret, str] = {}

    def close(self) -> None:
        engines, self._engines = list(self._engines.values()), {}
        for engine, _ in engines:
            engine.close_dispatcher()

    async def open_v2c(
        self, target: SnmpTarget, semaphore: asyncio.Semaphore, community: Secret
    ) -> PysnmpSession:
        # Our own index per distinct community: pysnmp's default index is a hash of it.
        index = self._communities.setdefault(community, f"c{len(self._communities) + 1}")
        auth = CommunityData(index, community.reveal(), mpModel=1)
        # pysnmp keeps communities apart by index: one engine serves them all.
        return await self._open(
            target, semaphore, auth, "v2c", user=None, secrets=(community.reveal(),)
        )

    async def open_v3(
        self, target: SnmpTarget, semaphore: asyncio.Semaphore, credentials: UsmCredentials
    ) -> PysnmpSession:
        secrets = tuple(
            pair[1].reveal() for pair in (credentials.auth, credentials.priv) if pair is not None
        )
        return await self._open(
            target,
            semaphore,
            _usm_user_data(credentials),
            credentials,
            user=credentials.user,
            secrets=secrets,
        )

    async def _open(
        self,
        target: SnmpTarget,
        semaphore: asyncio.Semaphore,
        auth: CommunityData | UsmUserData,
        engine_key: object,
        *,
        user: str | None,
        secrets: Sequence[str],
    ) -> PysnmpSession:
        address = target_address(target)
        target_class = Udp6TransportTarget if ":" in target.host else UdpTransportTarget
        try:
            transport_target = await target_class.create(
                (target.host, target.port), timeout=target.timeout_s, retries=target.retries
            )
            known = self._engines.get(engine_key)
            if known is None:
                known = self._engines[engine_key] = _new_engine()
            engine, dispatcher = known
            addr_name, _ = self._lcd.configure(engine, auth, transport_target, b"")
        except PySnmpError as exc:
            raise SnmpConfigError(
                f"cannot set up SNMP to {address}: {_scrub(_first_line(exc), secrets)}",
                target=address,
            ) from exc
        peer = _address_key(transport_target.transport_address)
        return PysnmpSession(
            target,
            semaphore,
            engine,
            addr_name,
            user=user,
            secrets=secrets,
            dispatcher=dispatcher,
            peer=peer,
            probe=await open_probe(*peer),
        )


def _usm_user_data(credentials: UsmCredentials) -> UsmUserData:
    # Both protocols always named: pysnmp silently means MD5/DES otherwise.
    if credentials.auth is None:
        return UsmUserData(credentials.user, authProtocol=USM_AUTH_NONE, privProtocol=USM_PRIV_NONE)
    auth_protocol, auth_key = credentials.auth
    if credentials.priv is None:
        return UsmUserData(
            credentials.user,
            authKey=auth_key.reveal(),
            authProtocol=_AUTH_PROTOCOLS[auth_protocol],
            privProtocol=USM_PRIV_NONE,
        )
    priv_protocol, priv_key = credentials.priv
    return UsmUserData(
        credentials.user,
        authKey=auth_key.reveal(),
        privKey=priv_key.reveal(),
        authProtocol=_AUTH_PROTOCOLS[auth_protocol],
        privProtocol=_PRIV_PROTOCOLS[priv_protocol],
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret replaced: pysnmp's own messages are not ours to trust."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<secret>")
    return text
