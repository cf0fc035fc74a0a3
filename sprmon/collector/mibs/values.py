"""Typed reads of walked values, shared by the table decoders of this package.

Each read checks the value's SMI type against the MIB and raises
:class:`SnmpWrongType` naming the object instance (``ifHCInOctets.2 has type
OctetString, expected Counter64``): a wrong type means the agent or our OIDs are
wrong, and a number guessed from the wrong type would be silently wrong.
:func:`check_complete` refuses a table whose columns ended at different rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sprmon.collector.errors import SnmpProtocolError, SnmpWrongType
from sprmon.core.prefixes import Address, canonical_address
from sprmon.smi import RANGES, Oid, SnmpValue, ValueKind, in_range
from sprmon.snmp_oids import SYS_UP_TIME, instance_name, table_name

#: A walked table: column OID -> row index -> value.
Columns = Mapping[Oid, Mapping[Oid, SnmpValue]]

INTEGER = frozenset({ValueKind.INTEGER})
#: Vendors disagree on Integer32 vs Gauge32/Unsigned32 for some BGP objects (4-byte
#: ASNs, timers); both carry the same number, so accept either.
NUMBER = frozenset({ValueKind.INTEGER, ValueKind.GAUGE32})
GAUGE = frozenset({ValueKind.GAUGE32})
COUNTER32 = frozenset({ValueKind.COUNTER32})
COUNTER64 = frozenset({ValueKind.COUNTER64})
OCTETS = frozenset({ValueKind.OCTET_STRING})
IP = frozenset({ValueKind.IP_ADDRESS})
TICKS = frozenset({ValueKind.TIMETICKS})


def expect_int(column: Oid, index: Oid, value: SnmpValue, kinds: frozenset[ValueKind]) -> int:
    if value.kind not in kinds or not isinstance(value.value, int):
        raise SnmpWrongType(_type_message(column, index, value, kinds))
    return value.value


def expect_bytes(column: Oid, index: Oid, value: SnmpValue, kinds: frozenset[ValueKind]) -> bytes:
    if value.kind not in kinds or not isinstance(value.value, bytes):
        raise SnmpWrongType(_type_message(column, index, value, kinds))
    return value.value


def _type_message(column: Oid, index: Oid, value: SnmpValue, kinds: frozenset[ValueKind]) -> str:
    expected = " or ".join(sorted(kind.value for kind in kinds))
    return f"{instance_name(column, index)} has type {value.kind.value}, expected {expected}"


def optional_int(
    columns: Columns, column: Oid, index: Oid, kinds: frozenset[ValueKind]
) -> int | None:
    """The number in ``column`` at row ``index``; None when that row has no such column."""
    raw = columns.get(column, {}).get(index)
    if raw is None:
        return None
    return expect_int(column, index, raw, kinds)


def check_range(column: Oid, index: Oid, number: int, kind: ValueKind) -> None:
    """Raise when ``number`` does not fit ``kind``.

    The native decoder reads an unsigned value of any length, and a number
    past its type's range would be refused later, when a snapshot is read.
    """
    if not in_range(kind, number):
        low, high = RANGES[kind]
        raise SnmpProtocolError(
            f"{instance_name(column, index)} is {number}, outside the {kind.value} "
            f"range {low}..{high}"
        )


def ip_address(column: Oid, index: Oid, value: SnmpValue) -> Address:
    raw = expect_bytes(column, index, value, IP)
    if len(raw) != 4:
        raise SnmpWrongType(
            f"{instance_name(column, index)} is an IpAddress of {len(raw)} octets, expected 4"
        )
    return canonical_address(".".join(str(octet) for octet in raw))


def decode_uptime(value: SnmpValue) -> int:
    """sysUpTime.0 in hundredths of a second."""
    return expect_int(SYS_UP_TIME, (0,), value, TICKS)


def check_complete(
    columns: Columns, key: Oid, present: Iterable[Oid], expected: Iterable[Oid] | None = None
) -> None:
    """Raise when a row some column has is missing from ``key``'s column.

    Tables are walked column by column, so an agent that stops answering
    part-way (endOfMibView early, a sub-agent timing out) shows up as columns
    with different rows; decoding what is left would silently drop rows.
    """
    have = set(present)
    if expected is None:
        wanted: set[Oid] = set()
        for rows in columns.values():
            wanted.update(rows)
    else:
        wanted = set(expected)
    missing = sorted(wanted - have)
    if missing:
        raise SnmpProtocolError(
            f"{instance_name(key, missing[0])} is missing while other columns have that row"
            f"{f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''}: "
            f"the agent ended the walk of {table_name(key)} early"
        )
