"""BER (X.690) as SNMPv2c uses it: the primitives both sides of the wire share.

Pure: bytes in, bytes out; standard library and :mod:`sprmon.smi` only. The
collector's codec (:mod:`sprmon.collector.ber`: requests out, responses in)
and the lab agents' (:mod:`sprmon.lab.v2c_codec`: requests in, responses out)
are built on these, so the collector never depends on the lab and neither
keeps a copy of the other's octets.

What each side decides stays with it: the collector reads responses within
RFC 2578's limits and refuses everything else; the lab reads requests as
leniently as pysnmp's agents did (an empty INTEGER is 0, any OID arc pyasn1
takes). The rules here are the ones both keep: definite lengths of at most 8
length octets (pyasn1's limit; RFC 3417 forbids the indefinite form),
single-octet tags (SNMP has no other), no OID sub-identifier padded with a
leading 0x80 octet, and :class:`BerError` for anything else, with what was
wrong and where.
"""

from __future__ import annotations

import re
from typing import Final

from sprmon.smi import Oid, ValueKind

# Universal tags.
SEQUENCE: Final = 0x30
INTEGER: Final = 0x02
OCTET_STRING: Final = 0x04
NULL: Final = 0x05
OBJECT_IDENTIFIER: Final = 0x06

# PDU tags (context-specific, constructed), RFC 3416.
GET: Final = 0xA0
GET_NEXT: Final = 0xA1
RESPONSE: Final = 0xA2
GET_BULK: Final = 0xA5
REPORT: Final = 0xA8

#: The version field of an SNMPv2c message.
VERSION_2C: Final = 1

#: The tag of each SMI type and exception (RFC 3416's application and context tags).
TAG_BY_KIND: Final[dict[ValueKind, int]] = {
    ValueKind.INTEGER: INTEGER,
    ValueKind.OCTET_STRING: OCTET_STRING,
    ValueKind.NULL: NULL,
    ValueKind.OBJECT_IDENTIFIER: OBJECT_IDENTIFIER,
    ValueKind.IP_ADDRESS: 0x40,
    ValueKind.COUNTER32: 0x41,
    ValueKind.GAUGE32: 0x42,
    ValueKind.TIMETICKS: 0x43,
    ValueKind.OPAQUE: 0x44,
    ValueKind.COUNTER64: 0x46,
    ValueKind.NO_SUCH_OBJECT: 0x80,
    ValueKind.NO_SUCH_INSTANCE: 0x81,
    ValueKind.END_OF_MIB_VIEW: 0x82,
}
KIND_BY_TAG: Final[dict[int, ValueKind]] = {tag: kind for kind, tag in TAG_BY_KIND.items()}
#: The types whose content is octets, as opposed to a number or an OID.
OCTET_KINDS: Final = frozenset({ValueKind.OCTET_STRING, ValueKind.IP_ADDRESS, ValueKind.OPAQUE})

#: Length octets of the long form: more than needed are allowed (RFC 3417 8), up to
#: pyasn1's limit (so pysnmp's); 0xff (127 of them) is reserved by X.690 anyway.
LENGTH_MAX_OCTETS: Final = 8
#: A sub-identifier that starts with 0x80 (padding): searched by the regex engine
#: only when a 0x80 octet is there at all, so the arc loop stays as cheap as it was.
_PADDED_ARC = re.compile(rb"(?<![\x80-\xff])\x80")
#: Past this many bits a number is not written into a message: Python refuses to
#: format integers of more than 4,300 digits, and such a number says nothing anyway.
_SHOWN_BITS = 64


class BerError(ValueError):
    """The bytes are not a well-formed SNMPv2c message, or a value has no BER form."""


# --- encoding -----------------------------------------------------------------------------


def length(n: int) -> bytes:
    """The length octets of ``n`` content octets (the short form below 128)."""
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, body: bytes) -> bytes:
    """Tag, length and ``body``."""
    n = len(body)
    if n < 0x80:
        return bytes((tag, n)) + body
    return bytes((tag,)) + length(n) + body


def int_body(value: int) -> bytes:
    """The content octets of an INTEGER: two's complement in as few octets as X.690 8.3
    allows (also for the unsigned SMI types: 2**31 is ``00 80 00 00 00``)."""
    return value.to_bytes((value + (value < 0)).bit_length() // 8 + 1, "big", signed=True)


def oid_body(oid: Oid) -> bytes:
    """The content octets of an OBJECT IDENTIFIER (no tag, no length).

    Raises :class:`BerError` for an OID with no BER form (fewer than 2 arcs,
    first arcs other than 0.0-39, 1.0-39 or 2.x, a negative arc); RFC 2578's
    limits are the caller's to check.
    """
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40) or min(oid) < 0:
        raise BerError(f"OID {oid} cannot be encoded")
    first = oid[0] * 40 + oid[1]
    if first < 0x80 and max(oid[2:], default=0) < 0x80:
        return bytes((first, *oid[2:]))
    out: list[int] = []
    # Arcs below 2**14 (IPv4 octets, table indexes) take two octets at most:
    # written inline, the long form only beyond.
    for arc in (first, *oid[2:]):
        if arc < 0x80:
            out.append(arc)
        elif arc < 0x4000:
            out += (0x80 | arc >> 7, arc & 0x7F)
        else:
            out += subidentifier(arc)
    return bytes(out)


def subidentifier(arc: int) -> bytes:
    """One sub-identifier in base 128, of any size (limits are the caller's)."""
    octets = [arc & 0x7F]
    arc >>= 7
    while arc:
        octets.append(0x80 | (arc & 0x7F))
        arc >>= 7
    octets.reverse()
    return bytes(octets)


# --- decoding -----------------------------------------------------------------------------


def header(buf: bytes, pos: int, end: int, what: str) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``pos``, which must end by ``end``."""
    if pos + 2 > end:
        raise _malformed(buf, pos, what, f"message ends inside a tag/length at octet {pos}")
    tag = buf[pos]
    first = buf[pos + 1]
    start = pos + 2
    if first < 0x80:
        size = first
    else:
        count = first & 0x7F
        if count == 0:
            raise _malformed(
                buf, pos, what, f"indefinite length at octet {pos + 1} (RFC 3417 forbids it)"
            )
        if count > LENGTH_MAX_OCTETS:
            raise _malformed(buf, pos, what, f"{count} length octets at octet {pos + 1}")
        if start + count > end:
            raise _malformed(buf, pos, what, f"message ends inside a length at octet {start}")
        # A length past the datagram is refused below whatever its size.
        size = int.from_bytes(buf[start : start + count], "big")
        start += count
    stop = start + size
    if stop > end:
        raise _malformed(
            buf, pos, what, f"length at octet {start} runs past the end of its container"
        )
    return tag, start, stop


def expect(buf: bytes, pos: int, end: int, tag: int, what: str) -> tuple[int, int]:
    """(content start, content end) of the TLV at ``pos``, which must have ``tag``."""
    found, start, stop = header(buf, pos, end, what)
    if found != tag:
        raise _malformed(
            buf, pos, what, f"expected tag 0x{tag:02x}, found 0x{found:02x} at octet {pos}"
        )
    return start, stop


def _malformed(buf: bytes, pos: int, what: str, problem: str) -> BerError:
    # A multi-octet tag is what is wrong, whatever follows it: named here, on the
    # way out, rather than checked on every TLV (no tag of SNMP's is one, so one
    # never matches what a decoder expects).
    if pos < len(buf) and buf[pos] & 0x1F == 0x1F:
        problem = f"multi-octet tag at octet {pos} (SNMP has none)"
    return BerError(f"{what}: {problem}")


def number_in(
    buf: bytes, start: int, stop: int, *, low: int | None, high: int | None, what: str, at: int
) -> int:
    """The two's complement number in ``buf[start:stop]`` (its TLV at octet ``at``),
    refused outside ``low..high`` (None: unbounded); no content octets read as 0."""
    number = int.from_bytes(buf[start:stop], "big", signed=True)
    if (low is not None and number < low) or (high is not None and number > high):
        raise _outside(number, stop - start, low=low, high=high, what=what, at=at)
    return number


def decode_integer(
    buf: bytes,
    pos: int,
    end: int,
    what: str,
    *,
    low: int | None = None,
    high: int | None = None,
    empty_is_zero: bool = False,
) -> tuple[int, int]:
    """(number, end) of the INTEGER at ``pos``, refused outside ``low..high``. An INTEGER
    without content octets is refused, unless ``empty_is_zero`` (pyasn1 reads it as 0)."""
    start, stop = expect(buf, pos, end, INTEGER, what)
    if start == stop and not empty_is_zero:
        raise BerError(f"{what}: empty INTEGER at octet {pos}")
    # number_in's two lines, inline: every message has four of these.
    number = int.from_bytes(buf[start:stop], "big", signed=True)
    if (low is not None and number < low) or (high is not None and number > high):
        raise _outside(number, stop - start, low=low, high=high, what=what, at=pos)
    return number, stop


def _outside(
    number: int, octets: int, *, low: int | None, high: int | None, what: str, at: int
) -> BerError:
    shown = number if number.bit_length() <= _SHOWN_BITS else f"of {octets} octets"
    return BerError(f"{what} {shown} at octet {at} is outside {low}..{high}")


def decode_oid(content: bytes) -> Oid:
    """The arcs of OBJECT IDENTIFIER content octets, of any number and size.

    Checks only what BER itself requires (content, no unfinished or padded
    sub-identifier): a caller that reads untrusted OIDs bounds their size
    before (the loop costs the square of an arc's length) and checks its own
    limits after.
    """
    if not content:
        raise BerError("empty OBJECT IDENTIFIER")
    if content[-1] & 0x80:
        raise BerError("OBJECT IDENTIFIER ends inside an arc")
    subidentifiers: bytes | list[int]
    if max(content) < 0x80:
        # Every arc in one octet (most MIB OIDs): no base-128 loop needed.
        subidentifiers = content
    else:
        if b"\x80" in content and _PADDED_ARC.search(content):
            raise BerError("OBJECT IDENTIFIER arc padded with a leading 0x80 octet")
        subidentifiers = []
        arc = 0
        for octet in content:
            if octet & 0x80:
                arc = (arc << 7) | (octet & 0x7F)
            else:
                subidentifiers.append((arc << 7) | octet)
                arc = 0
    # The first sub-identifier holds two arcs: 40 x first + second (2.x: 80 + x).
    first = subidentifiers[0]
    if first < 40:
        return (0, first, *subidentifiers[1:])
    if first < 80:
        return (1, first - 40, *subidentifiers[1:])
    return (2, first - 80, *subidentifiers[1:])
