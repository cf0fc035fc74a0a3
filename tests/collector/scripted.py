"""In-memory SNMP sessions for unit tests of the walk and of a site's poll.

:class:`TableSession` answers GET, GETNEXT and GETBULK from a table of values the
way an agent does (endOfMibView past the end), and can misbehave as agents
do: truncate responses, refuse big ones with tooBig, repeat an OID. Every
request is recorded, so a test can state what was asked as well as what was
read. No sockets: these tests need no real peer, which the tests under
``tests/collector/test_snmpd.py`` and friends provide.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sprmon.collector.errors import TOO_BIG, SnmpAgentError
from sprmon.inventory import SnmpTarget
from sprmon.smi import Oid, SnmpValue, ValueKind, VarBind

END = SnmpValue(ValueKind.END_OF_MIB_VIEW)
NO_SUCH_INSTANCE = SnmpValue(ValueKind.NO_SUCH_INSTANCE)


@dataclass(frozen=True)
class Request:
    kind: str  # "get", "get_next" or "get_bulk"
    oids: tuple[Oid, ...]
    max_repetitions: int = 0
    non_repeaters: int = 0


@dataclass
class TableSession:
    """An agent serving ``table``; see the module docstring.

    ``truncate_to``: answer at most that many varbinds (as agents do when a
    response would not fit their buffer). ``too_big_above``: answer tooBig
    when a GETBULK would return more varbinds than that. ``loop_at``: answer
    every GETNEXT step at or after that OID with the OID itself.
    """

    table: Mapping[Oid, SnmpValue]
    target: SnmpTarget = field(default_factory=lambda: SnmpTarget("192.0.2.1"))
    truncate_to: int | None = None
    too_big_above: int | None = None
    loop_at: Oid | None = None
    requests: list[Request] = field(default_factory=list)
    #: Variable bindings answered so far.
    varbinds: int = 0

    def __post_init__(self) -> None:
        self._keys = sorted(self.table)

    @property
    def address(self) -> str:
        return f"{self.target.host}:{self.target.port}"

    async def get_next(self, oids: Sequence[Oid]) -> list[VarBind]:
        self.requests.append(Request("get_next", tuple(oids)))
        return self._answer([self._next(oid) for oid in oids])

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        self.requests.append(Request("get", tuple(oids)))
        return self._answer([(oid, self.table.get(oid, NO_SUCH_INSTANCE)) for oid in oids])

    async def get_bulk(
        self, oids: Sequence[Oid], *, max_repetitions: int, non_repeaters: int = 0
    ) -> list[VarBind]:
        self.requests.append(Request("get_bulk", tuple(oids), max_repetitions, non_repeaters))
        # Non-repeaters: one GETNEXT each, answered first (RFC 3416 4.2.3).
        leading, repeated = oids[:non_repeaters], oids[non_repeaters:]
        asked = len(leading) + len(repeated) * max_repetitions
        if self.too_big_above is not None and asked > self.too_big_above:
            raise SnmpAgentError(
                f"agent {self.address} answered tooBig", target=self.address, status=TOO_BIG
            )
        varbinds: list[VarBind] = [self._next(oid) for oid in leading]
        current = list(repeated)
        for _ in range(max_repetitions):
            row = [self._next(oid) for oid in current]
            varbinds += row
            current = [oid for oid, _ in row]
        return self._answer(varbinds)

    def _answer(self, varbinds: list[VarBind]) -> list[VarBind]:
        if self.truncate_to is not None:
            varbinds = varbinds[: self.truncate_to]
        self.varbinds += len(varbinds)
        return varbinds

    def _next(self, oid: Oid) -> VarBind:
        if self.loop_at is not None and oid >= self.loop_at:
            return self.loop_at, self.table.get(self.loop_at, SnmpValue(ValueKind.INTEGER, 1))
        position = bisect.bisect_right(self._keys, oid)
        if position == len(self._keys):
            return oid, END
        found = self._keys[position]
        return found, self.table[found]


@dataclass
class ScriptedSession:
    """Answers each GETBULK with the next of ``responses`` (a varbind list, or
    an exception to raise), whatever was asked."""

    responses: list[list[VarBind] | Exception]
    address: str = "192.0.2.1:161"
    requests: list[Request] = field(default_factory=list)

    async def get_bulk(
        self, oids: Sequence[Oid], *, max_repetitions: int, non_repeaters: int = 0
    ) -> list[VarBind]:
        self.requests.append(Request("get_bulk", tuple(oids), max_repetitions))
        response = self.responses.pop(0)
        if isinstance(response, Exception):
            raise response
        return response
