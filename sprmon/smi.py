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

# The limits of RFC 2578 (sections 3.5, 7.1), in one place for every check of
# observed numbers: the BER codec and the pysnmp backend refuse values past them
# at the wire, and the snapshot loader should refuse the same values in a file
# (so that what a live check saves, it can read back).

INTEGER32_MIN: Final = -(2**31)
INTEGER32_MAX: Final = 2**31 - 1
#: Counter32, Gauge32 (= Unsigned32) and TimeTicks.
UNSIGNED32_MAX: Final = 2**32 - 1
COUNTER64_MAX: Final = 2**64 - 1
#: OCTET STRING (and DisplayString) size.
OCTET_STRING_MAX: Final = 65_535
IP_ADDRESS_OCTETS: Final = 4
#: An OBJECT IDENTIFIER has at most 128 sub-identifiers, each at most 2**32 - 1.
OID_MAX_ARCS: Final = 128
OID_ARC_MAX: Final = UNSIGNED32_MAX
#: The fastest interface SNMP can describe: ifHighSpeed (a Gauge32, in Mbit/s).
SPEED_BPS_MAX: Final = UNSIGNED32_MAX * 1_000_000

#: The numbers each numeric type can hold (RFC 2578 section 7.1).
RANGES: Final[dict[ValueKind, tuple[int, int]]] = {
    ValueKind.INTEGER: (INTEGER32_MIN, INTEGER32_MAX),
    ValueKind.COUNTER32: (0, UNSIGNED32_MAX),
    ValueKind.GAUGE32: (0, UNSIGNED32_MAX),
    ValueKind.TIMETICKS: (0, UNSIGNED32_MAX),
    ValueKind.COUNTER64: (0, COUNTER64_MAX),
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


def oid_problem(oid: Oid) -> str | None:
    """Why ``oid`` is not a valid OBJECT IDENTIFIER (RFC 2578 3.5), or ``None``.

    Checked before an OID is formatted or kept: an arc of 2**16000 would not
    even print (Python refuses to format integers of more than 4,300 digits).
    """
    if len(oid) < 2:
        return f"an OBJECT IDENTIFIER of {len(oid)} arc(s): at least 2 are needed"
    if len(oid) > OID_MAX_ARCS:
        return f"an OBJECT IDENTIFIER of {len(oid)} arcs: at most {OID_MAX_ARCS} are allowed"
    if max(oid) > OID_ARC_MAX or min(oid) < 0:
        return f"an OBJECT IDENTIFIER arc outside 0..{OID_ARC_MAX}"
    if oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40):
        return "an OBJECT IDENTIFIER whose first arcs are not 0.0-39, 1.0-39 or 2.x"
    return None


def value_problem(value: SnmpValue) -> str | None:
    """Why ``value`` cannot be a value of its SMI type, or ``None`` if it can.

    The one check every backend applies to what it received (the BER codec
    inlines the same limits in its hot loop).
    """
    kind, raw = value.kind, value.value
    if kind in RANGES:
        if not isinstance(raw, int) or isinstance(raw, bool):
            return f"a {kind.value} that is not a number"
        if not in_range(kind, raw):
            low, high = RANGES[kind]
            # Never the number itself: it may have more digits than Python prints.
            return f"a {kind.value} outside {low}..{high} ({raw.bit_length()} bits)"
        return None
    if kind in (ValueKind.OCTET_STRING, ValueKind.OPAQUE, ValueKind.IP_ADDRESS):
        if not isinstance(raw, bytes):
            return f"a {kind.value} that is not octets"
        if kind is ValueKind.IP_ADDRESS and len(raw) != IP_ADDRESS_OCTETS:
            return f"an IpAddress of {len(raw)} octets, not {IP_ADDRESS_OCTETS}"
        if kind is ValueKind.OCTET_STRING and len(raw) > OCTET_STRING_MAX:
            return f"an OCTET STRING of {len(raw)} octets, more than {OCTET_STRING_MAX}"
        return None
    if kind is ValueKind.OBJECT_IDENTIFIER:
        if not isinstance(raw, tuple):
            return "an ObjectIdentifier that is not a tuple of arcs"
        return oid_problem(raw)
    if raw is not None:
        return f"a {kind.value} with a value"
    return None
