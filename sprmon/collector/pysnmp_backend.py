"""SNMPv3 (and SNMPv2c on request) through pysnmp's command generators.

The only collector module that imports pysnmp (``tests/collector/test_boundaries.py``
checks it): everything leaving it is sprmon's own, values as
:class:`~sprmon.smi.SnmpValue`, failures as :mod:`sprmon.collector.errors`
exceptions. pysnmp reports failures as error-indication objects; they are
translated here, and every text pysnmp wrote is scrubbed of the session's
secrets before it reaches a message.

:class:`PysnmpBackend` keeps one ``SnmpEngine`` per distinct credential set:
pysnmp keys its user table by user name, so two targets with the same user
name but different keys must not share an engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

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
    SnmpAuthError,
    SnmpConfigError,
    SnmpError,
    SnmpProtocolError,
)
from sprmon.collector.session import SnmpSession, UsmCredentials, target_address
from sprmon.inventory import AuthProtocol, PrivProtocol, SnmpTarget, SnmpVersion
from sprmon.secrets import Secret
from sprmon.smi import Oid, SnmpValue, ValueKind, VarBind, format_oid

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


class PysnmpBackend:
    """pysnmp's engines and target configuration, shared by the sessions it opens.

    :meth:`close` closes every engine's dispatcher; the backend can be used again
    afterwards (new engines are made as needed).
    """

    def __init__(self) -> None:
        self._engines: dict[object, SnmpEngine] = {}
        self._lcd = CommandGeneratorLcdConfigurator()
        self._communities: dict[Secret, str] = {}

    def close(self) -> None:
        engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
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
            engine = self._engines.get(engine_key)
            if engine is None:
                engine = self._engines[engine_key] = SnmpEngine()
            addr_name, _ = self._lcd.configure(engine, auth, transport_target, b"")
        except PySnmpError as exc:
            raise SnmpConfigError(
                f"cannot set up SNMP to {address}: {_scrub(_first_line(exc), secrets)}",
                target=address,
            ) from exc
        return PysnmpSession(target, semaphore, engine, addr_name, user=user, secrets=secrets)


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
