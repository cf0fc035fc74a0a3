"""SMI value types (RFC 2578, RFC 3416) in plain Python: one home for every SNMP user.

The collector's BER codec decodes into these, its pysnmp backend converts
into them, the MIB decoders check them, and the lab renders its agents'
rows as them: a value means the same thing whichever side of the wire it is
on, and tests can compare what the lab serves with what the collector read.

Pure data: no imports from the rest of sprmon, no SNMP library types.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

#: An OBJECT IDENTIFIER as its arcs, e.g. ``(1, 3, 6, 1, 2, 1, 1, 3, 0)``.
Oid = tuple[int, ...]


class ValueKind(StrEnum):
    """SMI types and the SNMPv2 exceptions; the value is the name used in messages."""

    INTEGER = "Integer32"
    OCTET_STRING = "OctetString"
    NULL = "Null"
    OBJECT_IDENTIFIER = "ObjectIdentifier"
    IP_ADDRESS = "IpAddress"
    COUNTER32 = "Counter32"
    GAUGE32 = "Gauge32"
    TIMETICKS = "TimeTicks"
    OPAQUE = "Opaque"
    COUNTER64 = "Counter64"
    NO_SUCH_OBJECT = "noSuchObject"
    NO_SUCH_INSTANCE = "noSuchInstance"
    END_OF_MIB_VIEW = "endOfMibView"


#: Values that say "nothing here" instead of carrying data.
EXCEPTION_KINDS: Final = frozenset(
    {ValueKind.NO_SUCH_OBJECT, ValueKind.NO_SUCH_INSTANCE, ValueKind.END_OF_MIB_VIEW}
)

#: The numbers each numeric type can hold (RFC 2578 section 7.1).
RANGES: Final[dict[ValueKind, tuple[int, int]]] = {
    ValueKind.INTEGER: (-(2**31), 2**31 - 1),
    ValueKind.COUNTER32: (0, 2**32 - 1),
    ValueKind.GAUGE32: (0, 2**32 - 1),
    ValueKind.TIMETICKS: (0, 2**32 - 1),
    ValueKind.COUNTER64: (0, 2**64 - 1),
}


@dataclass(frozen=True, slots=True)
class SnmpValue:
    """One SMI value: ``int`` for numbers, ``bytes`` for octet strings, Opaque and
    IpAddress (4 octets), an OID tuple for ObjectIdentifier, ``None`` for Null and
    the exceptions."""

    kind: ValueKind
    value: int | bytes | Oid | None = None


#: One variable binding: an object instance and its value.
VarBind = tuple[Oid, SnmpValue]


def format_oid(oid: Iterable[int]) -> str:
    """``(1, 3, 6, 1)`` -> ``"1.3.6.1"``."""
    return ".".join(str(part) for part in oid)


def in_range(kind: ValueKind, number: int) -> bool:
    """True if ``number`` fits ``kind`` (a numeric type of :data:`RANGES`)."""
    low, high = RANGES[kind]
    return low <= number <= high
