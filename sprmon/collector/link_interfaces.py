"""Reading only the link interfaces' rows of ifTable and ifXTable.

A link's verdict needs the row of its own interface (state, speed, counters,
errors), which the intent names (``SiteLink.interface_name``) or numbers
(``interface_index``); every other row of a router's interface table, and a
router has dozens to thousands, was read for nothing. When a site's links
name their interfaces, a poll reads:

1. for a name whose ifIndex is not known yet, the name column alone (ifName,
   or ifDescr when the agent has no ifXTable): one column walked instead of
   eleven. The ifIndex found goes into the poll's ``hints``, which the poller
   keeps for the site's next poll;
2. every column of just those rows, with GET (a few interfaces per request).
   The name is one of the columns: a remembered ifIndex whose row no longer
   carries the link's name (the router renumbered its interfaces) is looked
   up again as in 1, in the same poll.

An interface the router does not have is left out, as it would be missing
from a walked table, and the link says ``interface ... not found``. A name is
the lowest ifIndex that carries it, the row ``find_interface`` would pick in
the whole table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from sprmon.collector.errors import SnmpNotSupported
from sprmon.collector.mibs import IF_COLUMNS_32, IF_COLUMNS_HC, decode_interfaces
from sprmon.collector.mibs.interfaces import decode_names, name_column
from sprmon.collector.walk import BulkSession, walk
from sprmon.core.intent import SiteLink
from sprmon.core.observed import Interface
from sprmon.smi import EXCEPTION_KINDS, Oid, SnmpValue, VarBind

__all__ = ["IF_INDEX_HINT", "InterfaceSession", "link_interfaces", "read_link_interfaces"]

#: A ``hints`` key, followed by an interface name: the ifIndex it was found at.
IF_INDEX_HINT = "ifIndex:"
#: The ``hints`` key of the interface table's row count (as in snmp_collector).
_ROWS_HINT = "interfaces"


class InterfaceSession(BulkSession, Protocol):
    """What reading link interfaces needs of a session: GET besides GETBULK."""

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]: ...


def link_interfaces(links: Sequence[SiteLink]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The interface names and ifIndexes ``links`` take their counters from, each once."""
    names = dict.fromkeys(link.interface_name for link in links if link.interface_name is not None)
    indexes = dict.fromkeys(
        link.interface_index for link in links if link.interface_index is not None
    )
    return tuple(names), tuple(indexes)


async def read_link_interfaces(
    session: InterfaceSession,
    links: Sequence[SiteLink],
    *,
    hc: bool,
    hints: Mapping[str, int],
    max_rows: int,
    max_repetitions: int,
    max_varbinds: int,
) -> tuple[tuple[Interface, ...], dict[str, int]]:
    """The rows of the interfaces ``links`` name that the router has, by ifIndex, and
    the hints for the next poll: each name's ifIndex, and the table's row count."""
    reader = _Reader(
        session,
        hc=hc,
        expected_rows=hints.get(_ROWS_HINT),
        max_rows=max_rows,
        max_repetitions=max_repetitions,
        max_varbinds=max_varbinds,
    )
    names, indexes = link_interfaces(links)
    remembered = {
        name: hints[IF_INDEX_HINT + name] for name in names if IF_INDEX_HINT + name in hints
    }
    from_hints = len(remembered) == len(names)
    found = remembered if from_hints else await reader.look_up(names)
    rows = await reader.rows({*found.values(), *indexes})
    if from_hints:
        stale = [name for name, index in found.items() if _name_at(rows, index) != name]
        if stale:
            found = await reader.look_up(names)
            rows.update(await reader.rows(set(found.values()) - rows.keys()))
    learnt = {IF_INDEX_HINT + name: index for name, index in found.items()}
    table_rows = reader.table_rows if reader.table_rows is not None else hints.get(_ROWS_HINT)
    if table_rows is not None:
        learnt[_ROWS_HINT] = table_rows
    return tuple(rows[index] for index in sorted(rows)), learnt


def _name_at(rows: Mapping[int, Interface], index: int) -> str | None:
    row = rows.get(index)
    return None if row is None else row.name


class _Reader:
    def __init__(
        self,
        session: InterfaceSession,
        *,
        hc: bool,
        expected_rows: int | None,
        max_rows: int,
        max_repetitions: int,
        max_varbinds: int,
    ) -> None:
        self._session = session
        self._hc = hc
        self._columns = IF_COLUMNS_HC if hc else IF_COLUMNS_32
        self._expected_rows = expected_rows
        self._max_rows = max_rows
        self._max_repetitions = max_repetitions
        self._max_varbinds = max_varbinds
        #: Rows of the name column, once it was walked.
        self.table_rows: int | None = None

    async def look_up(self, names: Sequence[str]) -> dict[str, int]:
        """Each name's lowest ifIndex, from a walk of the name column (names not there left out)."""
        column = name_column(hc=self._hc)
        walked = await walk(
            self._session,
            [column],
            max_rows=self._max_rows,
            max_repetitions=self._max_repetitions,
            max_varbinds=self._max_varbinds,
            expected_rows=self._expected_rows,
        )
        by_index = decode_names(walked[column], hc=self._hc)
        if not by_index:
            raise SnmpNotSupported(
                f"agent {self._session.address} serves no ifTable rows",
                target=self._session.address,
            )
        self.table_rows = len(by_index)
        first: dict[str, int] = {}
        for index in sorted(by_index):
            first.setdefault(by_index[index], index)
        return {name: first[name] for name in names if name in first}

    async def rows(self, indexes: set[int]) -> dict[int, Interface]:
        """Every column of the rows ``indexes``, by GET; rows the agent has not, left out."""
        wanted = sorted(indexes)
        per_request = max(1, self._max_varbinds // len(self._columns))
        columns: dict[Oid, dict[Oid, SnmpValue]] = {column: {} for column in self._columns}
        for start in range(0, len(wanted), per_request):
            asked = [
                (column, (index,))
                for index in wanted[start : start + per_request]
                for column in self._columns
            ]
            answer = await self._session.get([(*column, *row) for column, row in asked])
            # By OID: an agent that answers another object for one it lacks adds nothing.
            values = dict(answer)
            for column, row in asked:
                value = values.get((*column, *row))
                if value is not None and value.kind not in EXCEPTION_KINDS:
                    columns[column][row] = value
        return {interface.index: interface for interface in decode_interfaces(columns, hc=self._hc)}
