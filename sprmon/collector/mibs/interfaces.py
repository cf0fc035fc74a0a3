"""IF-MIB: the interface columns a poll walks, and their rows decoded to :class:`Interface`."""

from __future__ import annotations

from collections.abc import Mapping

from sprmon.collector.errors import SnmpProtocolError
from sprmon.collector.mibs.values import (
    COUNTER32,
    COUNTER64,
    GAUGE,
    INTEGER,
    OCTETS,
    TICKS,
    Columns,
    check_complete,
    expect_bytes,
    expect_int,
    optional_int,
)
from sprmon.core.observed import Interface, OperStatus
from sprmon.smi import Oid, SnmpValue, format_oid
from sprmon.snmp_oids import IfEntry, IfXEntry

#: Columns walked for interfaces when the agent has ifXTable (64-bit counters).
IF_COLUMNS_HC: tuple[Oid, ...] = (
    IfEntry.SPEED,
    IfEntry.OPER_STATUS,
    IfEntry.IN_DISCARDS,
    IfEntry.IN_ERRORS,
    IfEntry.OUT_DISCARDS,
    IfEntry.OUT_ERRORS,
    IfXEntry.NAME,
    IfXEntry.HC_IN_OCTETS,
    IfXEntry.HC_OUT_OCTETS,
    IfXEntry.HIGH_SPEED,
    IfXEntry.COUNTER_DISCONTINUITY_TIME,
)
#: Columns walked when ifXTable is missing: 32-bit counters, ifDescr as the name.
IF_COLUMNS_32: tuple[Oid, ...] = (
    IfEntry.DESCR,
    IfEntry.SPEED,
    IfEntry.OPER_STATUS,
    IfEntry.IN_OCTETS,
    IfEntry.IN_DISCARDS,
    IfEntry.IN_ERRORS,
    IfEntry.OUT_OCTETS,
    IfEntry.OUT_DISCARDS,
    IfEntry.OUT_ERRORS,
)

_OPER_STATUS = {
    1: OperStatus.UP,
    2: OperStatus.DOWN,
    3: OperStatus.TESTING,
    4: OperStatus.UNKNOWN,
    5: OperStatus.DORMANT,
    6: OperStatus.NOT_PRESENT,
    7: OperStatus.LOWER_LAYER_DOWN,
}
#: ifSpeed saturates here; ifHighSpeed then has the real speed.
_IF_SPEED_MAX = 4_294_967_295


def name_column(*, hc: bool) -> Oid:
    """Where an interface's name is read: ifName, or ifDescr when the agent has no ifXTable."""
    return IfXEntry.NAME if hc else IfEntry.DESCR


def decode_names(rows: Mapping[Oid, SnmpValue], *, hc: bool) -> dict[int, str]:
    """``{ifIndex: name}`` from the rows of :func:`name_column` (``{row index: value}``)."""
    column = name_column(hc=hc)
    names = {}
    for index, value in rows.items():
        if len(index) != 1:
            raise SnmpProtocolError(
                f"ifTable row index {format_oid(index)} is not a single ifIndex"
            )
        names[index[0]] = expect_bytes(column, index, value, OCTETS).decode(
            "utf-8", errors="replace"
        )
    return names


def decode_interfaces(columns: Columns, *, hc: bool) -> tuple[Interface, ...]:
    """Interfaces from ifTable (+ ifXTable when ``hc``), one per ifOperStatus row.

    With ``hc`` the octet counters are ifXTable's 64-bit ones and the name is
    ifName; without, 32-bit ifTable counters (``counter_bits=32``) and ifDescr.
    """
    statuses = columns.get(IfEntry.OPER_STATUS, {})
    check_complete(columns, IfEntry.OPER_STATUS, statuses.keys())
    interfaces = []
    for index in sorted(statuses):
        if len(index) != 1:
            raise SnmpProtocolError(
                f"ifTable row index {format_oid(index)} is not a single ifIndex"
            )
        if_index = index[0]
        code = expect_int(IfEntry.OPER_STATUS, index, statuses[index], INTEGER)
        name = _text(columns, name_column(hc=hc), index)
        speed = _speed(columns, index, hc=hc)
        if hc:
            in_octets = optional_int(columns, IfXEntry.HC_IN_OCTETS, index, COUNTER64)
            out_octets = optional_int(columns, IfXEntry.HC_OUT_OCTETS, index, COUNTER64)
        else:
            in_octets = optional_int(columns, IfEntry.IN_OCTETS, index, COUNTER32)
            out_octets = optional_int(columns, IfEntry.OUT_OCTETS, index, COUNTER32)
        discontinuity = None
        if hc:
            raw = columns.get(IfXEntry.COUNTER_DISCONTINUITY_TIME, {}).get(index)
            if raw is not None:
                discontinuity = expect_int(IfXEntry.COUNTER_DISCONTINUITY_TIME, index, raw, TICKS)
        interfaces.append(
            Interface(
                index=if_index,
                # A missing name must not match a link's interface_name by accident.
                name=name if name is not None else f"ifIndex.{if_index}",
                oper_status=_OPER_STATUS.get(code, OperStatus.UNKNOWN),
                speed_bps=speed,
                in_octets=in_octets,
                out_octets=out_octets,
                counter_bits=64 if hc else 32,
                in_errors=optional_int(columns, IfEntry.IN_ERRORS, index, COUNTER32),
                out_errors=optional_int(columns, IfEntry.OUT_ERRORS, index, COUNTER32),
                in_discards=optional_int(columns, IfEntry.IN_DISCARDS, index, COUNTER32),
                out_discards=optional_int(columns, IfEntry.OUT_DISCARDS, index, COUNTER32),
                discontinuity_ticks=discontinuity,
            )
        )
    return tuple(interfaces)


def _text(columns: Columns, column: Oid, index: Oid) -> str | None:
    raw = columns.get(column, {}).get(index)
    if raw is None:
        return None
    return expect_bytes(column, index, raw, OCTETS).decode("utf-8", errors="replace")


def _speed(columns: Columns, index: Oid, *, hc: bool) -> int | None:
    speed: int | None = None
    raw = columns.get(IfEntry.SPEED, {}).get(index)
    if raw is not None:
        speed = expect_int(IfEntry.SPEED, index, raw, GAUGE)
    if hc:
        raw_high = columns.get(IfXEntry.HIGH_SPEED, {}).get(index)
        if raw_high is not None:
            high = expect_int(IfXEntry.HIGH_SPEED, index, raw_high, GAUGE)
            # ifSpeed is exact below 4.29 Gbps (ifHighSpeed rounds to whole Mbps);
            # above, only ifHighSpeed is right.
            if speed is None or speed >= _IF_SPEED_MAX or (speed == 0 and high > 0):
                speed = high * 1_000_000
    # 0 means the agent does not know (RFC 2863), not "no capacity".
    return speed or None
