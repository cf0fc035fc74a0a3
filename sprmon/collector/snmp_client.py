"""Asynchronous SNMP access: sessions to agents, and column walks over them.

This is the only sprmon module that imports pysnmp. Everything leaving it is
sprmon's own: values are :class:`~sprmon.collector.mibs.SnmpValue`, failures
are :mod:`sprmon.collector.errors` exceptions.

Two backends sit behind one :class:`SnmpSession` interface:

- SNMPv2c goes through a small native client (:mod:`sprmon.collector.ber` on
  a connected UDP socket per target). pyasn1's decoder made a 200-site poll
  CPU-bound at about 140 µs per received variable binding; the native one
  costs a few µs. A connected socket also turns an ICMP port-unreachable into
  an immediate, honest "nothing listens there" instead of a timeout.
- SNMPv3 (and SNMPv2c when asked for with ``v2c_backend="pysnmp"``) goes
  through pysnmp's command generators. One ``SnmpEngine`` is kept per distinct
  credential set: pysnmp keys its user table by user name, so two targets with
  the same user name but different keys must not share an engine.

Usage::

    async with SnmpClient() as client:
        async with client.session(site.snmp) as session:
            rows = await walk(session, [IF_OPER_STATUS], max_rows=100_000, max_repetitions=25)
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

from pyasn1.type import univ
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
    SnmpAgentError,
    SnmpAuthError,
    SnmpConfigError,
    SnmpError,
    SnmpMalformedResponse,
    SnmpNonIncreasingOid,
    SnmpProtocolError,
    SnmpTableTooLarge,
    SnmpTimeout,
    SnmpUnreachable,
)
from sprmon.collector.mibs import (
    EXCEPTION_KINDS,
    Oid,
    SnmpValue,
    ValueKind,
    VarBind,
    format_oid,
    table_name,
)
from sprmon.core.intent import AuthProtocol, PrivProtocol, SecretRef, SnmpTarget, SnmpVersion
from sprmon.secrets import Secret, SecretError, resolve_secret

V2cBackend = Literal["native", "pysnmp"]

#: RFC 3416 error-status names, for messages.
_ERROR_STATUS = {
    1: "tooBig",
    2: "noSuchName",
    3: "badValue",
    4: "readOnly",
    5: "genErr",
    6: "noAccess",
    7: "wrongType",
    8: "wrongLength",
    9: "wrongEncoding",
    10: "wrongValue",
    11: "noCreation",
    12: "inconsistentValue",
    13: "resourceUnavailable",
    14: "commitFailed",
    15: "undoFailed",
    16: "authorizationError",
    17: "notWritable",
    18: "inconsistentName",
}
TOO_BIG = 1
#: RFC 3414 2.6: shorter passphrases are refused (Net-SNMP and pysnmp enforce it).
_MIN_PASSPHRASE = 8


@dataclass(slots=True)  # not frozen: a session's running counters
class RequestStats:
    """What one session cost: requests (first tries), retransmissions, varbinds received.

    Retransmissions are counted by the native client only; pysnmp retransmits
    inside its engine without telling.
    """

    requests: int = 0
    retries: int = 0
    varbinds: int = 0


class SnmpSession(ABC):
    """One agent, one set of credentials. Each method is one request (plus
    the target's retries) and returns the response's variable bindings."""

    def __init__(self, target: SnmpTarget, semaphore: asyncio.Semaphore) -> None:
        self.target = target
        self.address = _address(target)
        self.stats = RequestStats()
        self._semaphore = semaphore

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        return await self._bounded(ber.GET, oids, 0, 0)

    async def get_next(self, oids: Sequence[Oid]) -> list[VarBind]:
        return await self._bounded(ber.GET_NEXT, oids, 0, 0)

    async def get_bulk(
        self, oids: Sequence[Oid], *, max_repetitions: int, non_repeaters: int = 0
    ) -> list[VarBind]:
        return await self._bounded(ber.GET_BULK, oids, non_repeaters, max_repetitions)

    async def _bounded(
        self, pdu_type: int, oids: Sequence[Oid], non_repeaters: int, max_repetitions: int
    ) -> list[VarBind]:
        async with self._semaphore:
            self.stats.requests += 1
            varbinds = await self._request(pdu_type, oids, non_repeaters, max_repetitions)
        self.stats.varbinds += len(varbinds)
        return varbinds

    @abstractmethod
    async def _request(
        self, pdu_type: int, oids: Sequence[Oid], non_repeaters: int, max_repetitions: int
    ) -> list[VarBind]: ...

    def _timeout_error(self, *, v3: bool) -> SnmpTimeout:
        tries = self.target.retries + 1
        why = (
            "agent down, wrong address, or wrong SNMPv3 privacy key "
            "(agents drop what they cannot decrypt)"
            if v3
            else "agent down, or wrong community (agents drop requests with an unknown "
            "community without answering)"
        )
        return SnmpTimeout(
            f"no answer from {self.address} after {tries} {'try' if tries == 1 else 'tries'} "
            f"(timeout {self.target.timeout_s:.1f} s): {why}",
            target=self.address,
        )

    def _agent_error(self, status: int, index: int, oids: Sequence[Oid]) -> SnmpAgentError:
        name = _ERROR_STATUS.get(status, f"error-status {status}")
        where = f" at {format_oid(oids[index - 1])}" if 0 < index <= len(oids) else ""
        return SnmpAgentError(
            f"agent {self.address} answered {name}{where}", target=self.address, status=status
        )


def _address(target: SnmpTarget) -> str:
    return (
        f"[{target.host}]:{target.port}" if ":" in target.host else f"{target.host}:{target.port}"
    )


# --- native SNMPv2c ---------------------------------------------------------------------------


class _V2cProtocol(asyncio.DatagramProtocol):
    """Hands each response to the request waiting for its request-id."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.pending: dict[int, asyncio.Future[ber.Message]] = {}
        self.failure: SnmpError | None = None

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            message = ber.decode_message(data)
        except ber.BerError as exc:
            self._fail_all(
                SnmpMalformedResponse(
                    f"agent {self.address} sent a malformed SNMP message ({exc})",
                    target=self.address,
                )
            )
            return
        future = self.pending.get(message.request_id)
        # No waiter: a late answer to a retransmitted or abandoned request.
        if future is not None and not future.done():
            future.set_result(message)

    def error_received(self, exc: Exception) -> None:
        if isinstance(exc, ConnectionRefusedError):
            self._fail_all(
                SnmpUnreachable(
                    f"{self.address} answered ICMP port unreachable: no SNMP agent listens "
                    "on that port",
                    target=self.address,
                )
            )
        else:
            self._fail_all(SnmpError(f"cannot talk to {self.address}: {exc}", target=self.address))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail_all(SnmpError(f"socket to {self.address} closed", target=self.address))

    def _fail_all(self, error: SnmpError) -> None:
        for future in self.pending.values():
            if not future.done():
                future.set_exception(error)


class _V2cSession(SnmpSession):
    def __init__(
        self,
        target: SnmpTarget,
        semaphore: asyncio.Semaphore,
        community: Secret,
        transport: asyncio.DatagramTransport,
        protocol: _V2cProtocol,
    ) -> None:
        super().__init__(target, semaphore)
        self._community = community.reveal().encode("utf-8")
        self._transport = transport
        self._protocol = protocol
        self._next_id = random.randrange(1, 1 << 30)

    def close(self) -> None:
        self._transport.close()

    async def _request(
        self, pdu_type: int, oids: Sequence[Oid], non_repeaters: int, max_repetitions: int
    ) -> list[VarBind]:
        request_id = self._next_id
        self._next_id = self._next_id + 1 if self._next_id < (1 << 31) - 1 else 1
        payload = ber.encode_request(
            community=self._community,
            pdu_type=pdu_type,
            request_id=request_id,
            oids=oids,
            non_repeaters=non_repeaters,
            max_repetitions=max_repetitions,
        )
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ber.Message] = loop.create_future()
        self._protocol.pending[request_id] = future
        try:
            for attempt in range(self.target.retries + 1):
                if attempt:
                    self.stats.retries += 1
                self._transport.sendto(payload)
                # Retransmit the same request-id, so a slow answer to an earlier try counts.
                done, _ = await asyncio.wait((future,), timeout=self.target.timeout_s)
                if done:
                    break
            else:
                raise self._timeout_error(v3=False)
        finally:
            del self._protocol.pending[request_id]
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                # Left by a cancelled wait: mark its error seen, or asyncio logs it.
                future.exception()
        message = future.result()
        if message.pdu_type != ber.RESPONSE:
            raise SnmpProtocolError(
                f"agent {self.address} answered with PDU type 0x{message.pdu_type:02x}, "
                "expected a Response",
                target=self.address,
            )
        if message.error_status:
            raise self._agent_error(message.error_status, message.error_index, oids)
        return list(message.varbinds)


async def _open_v2c(
    target: SnmpTarget, semaphore: asyncio.Semaphore, community: Secret
) -> _V2cSession:
    address = _address(target)
    loop = asyncio.get_running_loop()
    try:
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: _V2cProtocol(address), remote_addr=(target.host, target.port)
        )
    except socket.gaierror as exc:
        raise SnmpConfigError(
            f"cannot resolve SNMP host {target.host!r}: {exc.strerror}", target=address
        ) from exc
    except OSError as exc:
        raise SnmpError(
            f"cannot open a UDP socket to {address}: {exc.strerror or exc}", target=address
        ) from exc
    return _V2cSession(target, semaphore, community, transport, protocol)


# --- pysnmp (SNMPv3, and SNMPv2c on request) -------------------------------------------------

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


def _from_pysnmp(name: Any, value: Any) -> VarBind:
    oid: Oid = tuple(name)
    kind = _KINDS_BY_TAGSET.get(value.tagSet)
    if kind is None:
        raise SnmpProtocolError(f"value of {format_oid(oid)} has an unknown SMI type")
    if kind in _INT_KINDS:
        return oid, SnmpValue(kind, int(value))
    if kind in _BYTES_KINDS:
        return oid, SnmpValue(kind, value.asOctets())
    if kind is ValueKind.OBJECT_IDENTIFIER:
        return oid, SnmpValue(kind, tuple(value))
    return oid, SnmpValue(kind)


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


class _PysnmpSession(SnmpSession):
    def __init__(
        self,
        target: SnmpTarget,
        semaphore: asyncio.Semaphore,
        engine: SnmpEngine,
        addr_name: str,
        *,
        user: str | None,
        secrets: Sequence[str] = (),
    ) -> None:
        super().__init__(target, semaphore)
        self._engine = engine
        self._addr_name = addr_name
        self._user = user
        self._secrets = tuple(secrets)

    async def _request(
        self, pdu_type: int, oids: Sequence[Oid], non_repeaters: int, max_repetitions: int
    ) -> list[VarBind]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[int, int, list[VarBind]]] = loop.create_future()

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
                future.set_exception(self._translate(indication))
                return
            try:
                converted = [_from_pysnmp(name, value) for name, value in varbinds]
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
        status, index, varbinds = await future
        if status:
            raise self._agent_error(status, index, oids)
        return varbinds

    def _translate(self, indication: Any) -> SnmpError:
        if isinstance(indication, errind.RequestTimedOut):
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


# --- client -------------------------------------------------------------------------------------

SecretResolver = Callable[[SecretRef], Secret]


class SnmpClient:
    """Owns what outlives one site's poll: pysnmp engines and per-target bounds.

    ``per_target_concurrency`` bounds requests in flight to one ``host:port``,
    whichever sessions they come from (small router agents serve one request
    at a time; more only queue up there and time out).
    """

    def __init__(
        self,
        *,
        per_target_concurrency: int = 1,
        v2c_backend: V2cBackend = "native",
        environ: Mapping[str, str] | None = None,
        resolve: SecretResolver | None = None,
    ) -> None:
        if per_target_concurrency < 1:
            raise ValueError("per_target_concurrency must be at least 1")
        self._per_target = per_target_concurrency
        self._v2c_backend = v2c_backend
        self._resolve: SecretResolver = resolve or (
            lambda ref: resolve_secret(ref, environ=environ)
        )
        self._semaphores: dict[tuple[str, int], asyncio.Semaphore] = {}
        self._engines: dict[tuple[object, ...], SnmpEngine] = {}
        self._lcd = CommandGeneratorLcdConfigurator()
        self._communities: dict[Secret, str] = {}
        self._open = False

    async def __aenter__(self) -> Self:
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.close_dispatcher()

    @contextlib.asynccontextmanager
    async def session(self, target: SnmpTarget) -> AsyncIterator[SnmpSession]:
        """A session to ``target``; raises :class:`SnmpConfigError` when its
        secrets cannot be read or its v3 settings are incomplete."""
        if not self._open:
            raise RuntimeError("SnmpClient used outside 'async with'")
        semaphore = self._semaphores.setdefault(
            (target.host, target.port), asyncio.Semaphore(self._per_target)
        )
        if target.version is SnmpVersion.V2C:
            community = self._secret(target, target.community, "community")
            if community is None:
                raise SnmpConfigError(
                    f"SNMPv2c target {_address(target)} has no community", target=_address(target)
                )
            if self._v2c_backend == "native":
                v2c = await _open_v2c(target, semaphore, community)
                try:
                    yield v2c
                finally:
                    v2c.close()
                return
            yield await self._pysnmp_session(target, semaphore, self._community_data(community))
            return
        yield await self._pysnmp_session(target, semaphore, self._usm_data(target))

    def _secret(self, target: SnmpTarget, ref: SecretRef | None, what: str) -> Secret | None:
        if ref is None:
            return None
        try:
            return self._resolve(ref)
        except SecretError as exc:
            raise SnmpConfigError(
                f"{what} for {_address(target)}: {exc}", target=_address(target)
            ) from exc

    def _community_data(self, community: Secret) -> CommunityData:
        # Our own index per distinct community: pysnmp's default index is a hash of it.
        index = self._communities.setdefault(community, f"c{len(self._communities) + 1}")
        return CommunityData(index, community.reveal(), mpModel=1)

    def _usm_data(self, target: SnmpTarget) -> UsmUserData:
        address = _address(target)
        if not target.user:
            raise SnmpConfigError(f"SNMPv3 target {address} has no user", target=address)
        auth_key = self._secret(target, target.auth_key, "auth_key")
        priv_key = self._secret(target, target.priv_key, "priv_key")
        if priv_key is not None and auth_key is None:
            raise SnmpConfigError(
                f"SNMPv3 target {address}: a priv_key needs an auth_key (authPriv)",
                target=address,
            )
        for what, secret in (("auth_key", auth_key), ("priv_key", priv_key)):
            # pysnmp fails on these with an unreadable WrongValueError deep in its MIB.
            if secret is not None and len(secret.reveal().encode("utf-8")) < _MIN_PASSPHRASE:
                raise SnmpConfigError(
                    f"{what} for {address}: an SNMPv3 passphrase needs at least "
                    f"{_MIN_PASSPHRASE} characters (RFC 3414)",
                    target=address,
                )
        if auth_key is None:
            return UsmUserData(target.user, authProtocol=USM_AUTH_NONE, privProtocol=USM_PRIV_NONE)
        if target.auth_protocol is None:
            raise SnmpConfigError(
                f"SNMPv3 target {address}: auth_protocol must be named "
                "(pysnmp would silently use MD5)",
                target=address,
            )
        if priv_key is None:
            return UsmUserData(
                target.user,
                authKey=auth_key.reveal(),
                authProtocol=_AUTH_PROTOCOLS[target.auth_protocol],
                privProtocol=USM_PRIV_NONE,
            )
        if target.priv_protocol is None:
            raise SnmpConfigError(
                f"SNMPv3 target {address}: priv_protocol must be named "
                "(pysnmp would silently use DES)",
                target=address,
            )
        return UsmUserData(
            target.user,
            authKey=auth_key.reveal(),
            privKey=priv_key.reveal(),
            authProtocol=_AUTH_PROTOCOLS[target.auth_protocol],
            privProtocol=_PRIV_PROTOCOLS[target.priv_protocol],
        )

    async def _pysnmp_session(
        self,
        target: SnmpTarget,
        semaphore: asyncio.Semaphore,
        auth: CommunityData | UsmUserData,
    ) -> _PysnmpSession:
        address = _address(target)
        if isinstance(auth, UsmUserData):
            key: tuple[object, ...] = (
                "v3",
                auth.userName,
                tuple(auth.authentication_protocol),
                auth.authentication_key,
                tuple(auth.privacy_protocol),
                auth.privacy_key,
            )
            user: str | None = str(auth.userName)
            secrets: tuple[str, ...] = (
                str(auth.authentication_key or ""),
                str(auth.privacy_key or ""),
            )
        else:
            key = ("v2c",)
            user = None
            secrets = (str(auth.communityName),)
        target_class = Udp6TransportTarget if ":" in target.host else UdpTransportTarget
        try:
            transport_target = await target_class.create(
                (target.host, target.port), timeout=target.timeout_s, retries=target.retries
            )
            engine = self._engines.get(key)
            if engine is None:
                engine = self._engines[key] = SnmpEngine()
            addr_name, _ = self._lcd.configure(engine, auth, transport_target, b"")
        except PySnmpError as exc:
            raise SnmpConfigError(
                f"cannot set up SNMP to {address}: {_scrub(_first_line(exc), secrets)}",
                target=address,
            ) from exc
        return _PysnmpSession(target, semaphore, engine, addr_name, user=user, secrets=secrets)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret replaced: pysnmp's own messages are not ours to trust."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<secret>")
    return text


# --- walks ----------------------------------------------------------------------------------


async def walk(
    session: SnmpSession,
    subtrees: Sequence[Oid],
    *,
    max_rows: int,
    max_repetitions: int,
    max_varbinds: int = 64,
    expected_rows: int | None = None,
) -> dict[Oid, dict[Oid, SnmpValue]]:
    """Walk several subtrees (usually table columns) side by side with GETBULK.

    Returns ``{subtree: {suffix after the subtree: value}}``. Each request asks
    for the next rows of every subtree still open, at most ``max_repetitions``
    rows and about ``max_varbinds`` values per response (agents truncate or
    refuse bigger ones). A subtree ends at the first OID outside it or at an
    exception value; an OID that does not increase raises
    :class:`SnmpNonIncreasingOid`, more than ``max_rows`` rows
    :class:`SnmpTableTooLarge`.

    ``expected_rows`` (from ifNumber, or the previous poll) sizes the first
    request to those rows plus one that shows the end: every repetition past
    a column's end returns the next column's rows again, which the agent
    encodes and we decode for nothing.
    """
    result: dict[Oid, dict[Oid, SnmpValue]] = {subtree: {} for subtree in subtrees}
    # (subtree, last OID seen in it)
    open_: list[tuple[Oid, Oid]] = [(subtree, subtree) for subtree in dict.fromkeys(subtrees)]
    repetitions = max(1, max_repetitions)
    first = expected_rows + 1 if expected_rows is not None and expected_rows >= 0 else None
    while open_:
        count = len(open_)
        asked = max(1, min(repetitions, max_varbinds // count))
        if first is not None:
            asked, first = min(asked, first), None
        try:
            varbinds = await session.get_bulk([last for _, last in open_], max_repetitions=asked)
        except SnmpAgentError as exc:
            if exc.status == TOO_BIG and asked > 1:
                repetitions = asked // 2
                continue
            raise
        if not varbinds:
            raise SnmpProtocolError(
                f"agent {session.address} answered a GETBULK with no variable bindings",
                target=session.address,
            )
        last = [previous for _, previous in open_]
        ended = [False] * count
        for position, (oid, value) in enumerate(varbinds):
            slot = position % count
            if ended[slot]:
                continue
            subtree = open_[slot][0]
            if value.kind in EXCEPTION_KINDS:
                ended[slot] = True
                continue
            if oid <= last[slot]:
                raise SnmpNonIncreasingOid(
                    f"agent {session.address} returned an OID that does not increase at "
                    f"{format_oid(oid)} after {format_oid(last[slot])} (walk loop)",
                    target=session.address,
                )
            depth = len(subtree)
            if len(oid) <= depth or oid[:depth] != subtree:
                ended[slot] = True
                continue
            rows = result[subtree]
            rows[oid[depth:]] = value
            if len(rows) > max_rows:
                raise SnmpTableTooLarge(
                    f"{table_name(subtree)} larger than the limit of {max_rows} rows",
                    target=session.address,
                )
            last[slot] = oid
        open_ = [(open_[slot][0], last[slot]) for slot in range(count) if not ended[slot]]
    return result
