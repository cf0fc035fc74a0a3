"""Sessions to SNMP agents, each on the backend its target needs.

::

    async with SnmpClient() as client:
        async with client.session(target) as session:
            rows = await walk(session, PEER_COLUMNS, max_rows=100_000, max_repetitions=25)

SNMPv2c goes through sprmon's own codec (:mod:`sprmon.collector.native_v2c`),
SNMPv3 (and SNMPv2c when asked for with ``v2c_backend="pysnmp"``) through
pysnmp (:mod:`sprmon.collector.pysnmp_backend`). The client resolves a target's
secrets when its session opens, and checks its SNMPv3 settings before anything
is sent: pysnmp would silently use MD5/DES for an unnamed protocol, and fails
on a short passphrase with an unreadable error deep in its MIB.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Self

from sprmon.collector.errors import SnmpConfigError
from sprmon.collector.native_v2c import open_v2c
from sprmon.collector.session import SnmpSession, UsmCredentials, target_address
from sprmon.inventory import SecretRef, SnmpTarget, SnmpVersion
from sprmon.secrets import Secret, SecretError, resolve_secret

if TYPE_CHECKING:
    from sprmon.collector.pysnmp_backend import PysnmpBackend

V2cBackend = Literal["native", "pysnmp"]
SecretResolver = Callable[[SecretRef], Secret]

#: RFC 3414 2.6: shorter passphrases are refused (Net-SNMP and pysnmp enforce it).
_MIN_PASSPHRASE = 8


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
        self._pysnmp_backend: PysnmpBackend | None = None
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
        if self._pysnmp_backend is not None:
            self._pysnmp_backend.close()

    @property
    def _pysnmp(self) -> PysnmpBackend:
        # pysnmp (and the cryptography it loads) costs a v2c-only check's start-up
        # more than the rest of its collector: made on the first session that needs it.
        if self._pysnmp_backend is None:
            from sprmon.collector.pysnmp_backend import PysnmpBackend  # noqa: PLC0415

            self._pysnmp_backend = PysnmpBackend()
        return self._pysnmp_backend

    @contextlib.asynccontextmanager
    async def session(
        self, target: SnmpTarget, *, budget_octets: int | None = None
    ) -> AsyncIterator[SnmpSession]:
        """A session to ``target``, held to ``budget_octets`` (None: no limit);
        raises :class:`SnmpConfigError` when its secrets cannot be read or its v3
        settings are incomplete."""
        session = await self.open(target, budget_octets=budget_octets)
        try:
            yield session
        finally:
            session.close()

    async def open(self, target: SnmpTarget, *, budget_octets: int | None = None) -> SnmpSession:
        """What :meth:`session` yields, for a caller that keeps it across polls and
        closes it itself (the daemon: one socket and one secret read per target)."""
        if not self._open:
            raise RuntimeError("SnmpClient used outside 'async with'")
        semaphore = self._semaphores.setdefault(
            (target.host, target.port), asyncio.Semaphore(self._per_target)
        )
        session: SnmpSession
        if target.version is SnmpVersion.V2C:
            # Secret files are read off the event loop: a slow file system
            # must not hold every other site's poll.
            community = await asyncio.to_thread(self._secret, target, target.community, "community")
            if community is None:
                raise SnmpConfigError(
                    f"SNMPv2c target {target_address(target)} has no community",
                    target=target_address(target),
                )
            if self._v2c_backend == "native":
                session = await open_v2c(target, semaphore, community)
            else:
                session = await self._pysnmp.open_v2c(target, semaphore, community)
        else:
            credentials = await asyncio.to_thread(self._usm_credentials, target)
            session = await self._pysnmp.open_v3(target, semaphore, credentials)
        session.budget_octets = budget_octets
        return session

    def _secret(self, target: SnmpTarget, ref: SecretRef | None, what: str) -> Secret | None:
        if ref is None:
            return None
        try:
            return self._resolve(ref)
        except SecretError as exc:
            raise SnmpConfigError(
                f"{what} for {target_address(target)}: {exc}", target=target_address(target)
            ) from exc

    def _usm_credentials(self, target: SnmpTarget) -> UsmCredentials:
        """The target's SNMPv3 user, checked: every rule is enforced here, before
        pysnmp sees the user."""
        address = target_address(target)
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
            if secret is not None and len(secret.reveal().encode("utf-8")) < _MIN_PASSPHRASE:
                raise SnmpConfigError(
                    f"{what} for {address}: an SNMPv3 passphrase needs at least "
                    f"{_MIN_PASSPHRASE} characters (RFC 3414)",
                    target=address,
                )
        if auth_key is None:
            return UsmCredentials(target.user)
        if target.auth_protocol is None:
            raise SnmpConfigError(
                f"SNMPv3 target {address}: auth_protocol must be named "
                "(pysnmp would silently use MD5)",
                target=address,
            )
        if priv_key is None:
            return UsmCredentials(target.user, auth=(target.auth_protocol, auth_key))
        if target.priv_protocol is None:
            raise SnmpConfigError(
                f"SNMPv3 target {address}: priv_protocol must be named "
                "(pysnmp would silently use DES)",
                target=address,
            )
        return UsmCredentials(
            target.user,
            auth=(target.auth_protocol, auth_key),
            priv=(target.priv_protocol, priv_key),
        )
