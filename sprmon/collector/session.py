"""One agent, one set of credentials: the session every SNMP backend implements.

A session sends GET, GETNEXT and GETBULK requests and returns each response's
variable bindings as :mod:`sprmon.smi` values; failures are
:mod:`sprmon.collector.errors` exceptions. Two backends implement it:
:mod:`sprmon.collector.native_v2c` (SNMPv2c on sprmon's own codec) and
:mod:`sprmon.collector.pysnmp_backend` (SNMPv3, and SNMPv2c on request).
:class:`~sprmon.collector.client.SnmpClient` opens them.

The base class bounds the requests in flight to one agent (a semaphore shared
by every session to that ``host:port``), counts what a session cost, holds
it to its byte budget (:attr:`SnmpSession.budget_octets`: a hostile agent
must not fill memory with endless rows of huge strings), and words the
errors both backends share, so a timeout, a malformed answer or a closed
port reads the same whichever backend saw it.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from sprmon.collector import ber
from sprmon.collector.errors import (
    ERROR_STATUS,
    SnmpAgentError,
    SnmpBudgetExceeded,
    SnmpMalformedResponse,
    SnmpTimeout,
    SnmpUnreachable,
)
from sprmon.inventory import AuthProtocol, PrivProtocol, SnmpTarget
from sprmon.secrets import Secret
from sprmon.smi import Oid, VarBind, format_oid


@dataclass(slots=True)  # not frozen: a session's running counters
class RequestStats:
    """What one session cost: requests (first tries), retransmissions, varbinds
    received, their size (:func:`varbind_octets`), and the datagrams dropped
    as malformed while a request waited.

    Retransmissions are counted by the native client only; pysnmp retransmits
    inside its engine without telling.
    """

    requests: int = 0
    retries: int = 0
    varbinds: int = 0
    octets: int = 0
    malformed: int = 0


#: What a variable binding is counted at besides its OID arcs and value octets:
#: its SEQUENCE, tags and lengths on the wire, and a number's octets.
_VARBIND_OVERHEAD = 8


def varbind_octets(varbinds: Sequence[VarBind]) -> int:
    """About the octets ``varbinds`` took on the wire, whichever backend decoded them:
    one per OID arc and per value octet (or arc), 8 for a number, 8 of framing each.

    Counted on the decoded values, not the datagrams, so both backends hold a
    site to the same budget; what matters is what the poll keeps, and that
    grows with these octets.
    """
    total = 0
    for oid, value in varbinds:
        raw = value.value
        total += len(oid) + _VARBIND_OVERHEAD
        total += len(raw) if isinstance(raw, bytes | tuple) else _VARBIND_OVERHEAD
    return total


@dataclass(frozen=True, slots=True)
class UsmCredentials:
    """An SNMPv3 user as the client checked it: privacy only with authentication,
    every protocol named. Hashable and compared by value (the secrets too), so
    it can key what is kept per credential set; it prints no secret."""

    user: str
    auth: tuple[AuthProtocol, Secret] | None = None
    priv: tuple[PrivProtocol, Secret] | None = None


def unreachable_error(address: str) -> SnmpUnreachable:
    """What both backends say when the target's host answers ICMP port unreachable."""
    return SnmpUnreachable(
        f"{address} answered ICMP port unreachable: no SNMP agent listens on that port",
        target=address,
    )


def target_address(target: SnmpTarget) -> str:
    """``host:port``, with an IPv6 host in brackets: what messages call the agent."""
    return (
        f"[{target.host}]:{target.port}" if ":" in target.host else f"{target.host}:{target.port}"
    )


class SnmpSession(ABC):
    """One agent, one set of credentials. Each method is one request (plus
    the target's retries) and returns the response's variable bindings."""

    def __init__(self, target: SnmpTarget, semaphore: asyncio.Semaphore) -> None:
        self.target = target
        self.address = target_address(target)
        self.stats = RequestStats()
        #: The most octets (:func:`varbind_octets`) the agent may send this
        #: session; past it, a request raises :class:`SnmpBudgetExceeded`. None: no limit.
        self.budget_octets: int | None = None
        self._semaphore = semaphore

    @abstractmethod
    def close(self) -> None:
        """Release what the session holds (its sockets); the client calls it."""

    @property
    def closed(self) -> bool:
        """Whether the session can no longer send (its socket closed under it)."""
        return False

    def restart(self, *, budget_octets: int | None) -> None:
        """Count from zero again, held to ``budget_octets``: a session kept open
        from one poll to the next (the daemon's) is costed and budgeted per poll."""
        self.stats = RequestStats()
        self.budget_octets = budget_octets

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
        self.stats.octets += varbind_octets(varbinds)
        budget = self.budget_octets
        if budget is not None and self.stats.octets > budget:
            raise SnmpBudgetExceeded(
                f"agent {self.address} sent more than this poll's budget of "
                f"{_mib(budget)} ({self.stats.varbinds} variable bindings, "
                f"{_mib(self.stats.octets)}): a runaway table or oversized values "
                "(the budget is sized from the intent: docs/hostile-input.md says how "
                "to raise it)",
                target=self.address,
            )
        return varbinds

    @abstractmethod
    async def _request(
        self, pdu_type: int, oids: Sequence[Oid], non_repeaters: int, max_repetitions: int
    ) -> list[VarBind]:
        """One request of ``pdu_type`` (a :mod:`~sprmon.collector.ber` PDU tag),
        with the target's retries."""

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

    def _malformed_error(self, dropped: int, reason: str) -> SnmpMalformedResponse:
        """A request that timed out while malformed datagrams arrived: say so, not "no answer".

        The datagrams were dropped, as pysnmp and Net-SNMP drop them: a stray or
        spoofed packet must not fail a request that a true answer may still end.
        """
        tries = self.target.retries + 1
        return SnmpMalformedResponse(
            f"agent {self.address} sent a malformed SNMP message ({reason}) and no valid "
            f"answer after {tries} {'try' if tries == 1 else 'tries'} "
            f"(timeout {self.target.timeout_s:.1f} s); {dropped} malformed "
            f"{'datagram' if dropped == 1 else 'datagrams'} dropped",
            target=self.address,
        )

    def _agent_error(self, status: int, index: int, oids: Sequence[Oid]) -> SnmpAgentError:
        name = ERROR_STATUS.get(status, f"error-status {status}")
        where = f" at {format_oid(oids[index - 1])}" if 0 < index <= len(oids) else ""
        return SnmpAgentError(
            f"agent {self.address} answered {name}{where}", target=self.address, status=status
        )


def _mib(octets: int) -> str:
    return f"{octets / 2**20:.1f} MiB"
