"""The SNMP object identifiers of the MIBs sprmon speaks, in one place, one name each.

The collector (:mod:`sprmon.collector.mibs`) reads these objects and the lab
(:mod:`sprmon.lab.mib`) serves them, so both take their OIDs from here and
nowhere else. Pure data and pure functions: only :mod:`sprmon.smi` is imported.

Scalars and table entries are full OIDs (a scalar's instance adds ``.0``).
Table columns are full OIDs too, grouped by table: ``(*IfEntry.OPER_STATUS,
ifindex)`` is one ifOperStatus instance.
"""

from __future__ import annotations

from typing import Final

from sprmon.smi import Oid, format_oid

# --- SNMPv2-MIB system group ---------------------------------------------------------

SYSTEM: Final[Oid] = (1, 3, 6, 1, 2, 1, 1)
SYS_DESCR: Final[Oid] = (*SYSTEM, 1)
SYS_OBJECT_ID: Final[Oid] = (*SYSTEM, 2)
SYS_UP_TIME: Final[Oid] = (*SYSTEM, 3)
SYS_NAME: Final[Oid] = (*SYSTEM, 5)

# --- IF-MIB --------------------------------------------------------------------------

#: ifNumber: the number of rows in ifTable.
IF_NUMBER: Final[Oid] = (1, 3, 6, 1, 2, 1, 2, 1)
IF_ENTRY: Final[Oid] = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IF_X_ENTRY: Final[Oid] = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)


class IfEntry:
    """ifTable columns (the row index is the ifIndex)."""

    INDEX: Final[Oid] = (*IF_ENTRY, 1)
    DESCR: Final[Oid] = (*IF_ENTRY, 2)
    TYPE: Final[Oid] = (*IF_ENTRY, 3)
    SPEED: Final[Oid] = (*IF_ENTRY, 5)
    ADMIN_STATUS: Final[Oid] = (*IF_ENTRY, 7)
    OPER_STATUS: Final[Oid] = (*IF_ENTRY, 8)
    IN_OCTETS: Final[Oid] = (*IF_ENTRY, 10)
    IN_DISCARDS: Final[Oid] = (*IF_ENTRY, 13)
    IN_ERRORS: Final[Oid] = (*IF_ENTRY, 14)
    OUT_OCTETS: Final[Oid] = (*IF_ENTRY, 16)
    OUT_DISCARDS: Final[Oid] = (*IF_ENTRY, 19)
    OUT_ERRORS: Final[Oid] = (*IF_ENTRY, 20)


class IfXEntry:
    """ifXTable columns (the row index is the ifIndex)."""

    NAME: Final[Oid] = (*IF_X_ENTRY, 1)
    HC_IN_OCTETS: Final[Oid] = (*IF_X_ENTRY, 6)
    HC_OUT_OCTETS: Final[Oid] = (*IF_X_ENTRY, 10)
    HIGH_SPEED: Final[Oid] = (*IF_X_ENTRY, 15)
    COUNTER_DISCONTINUITY_TIME: Final[Oid] = (*IF_X_ENTRY, 19)


# --- BGP4-MIB (RFC 4273; IPv4 only) --------------------------------------------------

BGP: Final[Oid] = (1, 3, 6, 1, 2, 1, 15)
BGP_VERSION: Final[Oid] = (*BGP, 1)
BGP_LOCAL_AS: Final[Oid] = (*BGP, 2)
BGP_PEER_ENTRY: Final[Oid] = (*BGP, 3, 1)
BGP_IDENTIFIER: Final[Oid] = (*BGP, 4)
#: bgp4PathAttrEntry.
BGP_PATH_ENTRY: Final[Oid] = (*BGP, 6, 1)


class BgpPeerEntry:
    """bgpPeerTable columns (the row index is the peer's IPv4 address)."""

    IDENTIFIER: Final[Oid] = (*BGP_PEER_ENTRY, 1)
    STATE: Final[Oid] = (*BGP_PEER_ENTRY, 2)
    ADMIN_STATUS: Final[Oid] = (*BGP_PEER_ENTRY, 3)
    NEGOTIATED_VERSION: Final[Oid] = (*BGP_PEER_ENTRY, 4)
    LOCAL_ADDR: Final[Oid] = (*BGP_PEER_ENTRY, 5)
    REMOTE_ADDR: Final[Oid] = (*BGP_PEER_ENTRY, 7)
    REMOTE_AS: Final[Oid] = (*BGP_PEER_ENTRY, 9)
    FSM_ESTABLISHED_TRANSITIONS: Final[Oid] = (*BGP_PEER_ENTRY, 15)
    FSM_ESTABLISHED_TIME: Final[Oid] = (*BGP_PEER_ENTRY, 16)


class BgpPathEntry:
    """bgp4PathAttrTable columns (the row index is prefix(4).length.peer(4))."""

    PEER: Final[Oid] = (*BGP_PATH_ENTRY, 1)
    PREFIX_LEN: Final[Oid] = (*BGP_PATH_ENTRY, 2)
    PREFIX: Final[Oid] = (*BGP_PATH_ENTRY, 3)
    ORIGIN: Final[Oid] = (*BGP_PATH_ENTRY, 4)
    AS_PATH: Final[Oid] = (*BGP_PATH_ENTRY, 5)
    NEXT_HOP: Final[Oid] = (*BGP_PATH_ENTRY, 6)
    MED: Final[Oid] = (*BGP_PATH_ENTRY, 7)
    LOCAL_PREF: Final[Oid] = (*BGP_PATH_ENTRY, 8)
    BEST: Final[Oid] = (*BGP_PATH_ENTRY, 13)


# --- names, for messages ---------------------------------------------------------------

#: The MIB's name of each object sprmon reads or serves.
NAMES: Final[dict[Oid, str]] = {
    SYS_DESCR: "sysDescr",
    SYS_OBJECT_ID: "sysObjectID",
    SYS_UP_TIME: "sysUpTime",
    SYS_NAME: "sysName",
    IF_NUMBER: "ifNumber",
    IfEntry.INDEX: "ifIndex",
    IfEntry.DESCR: "ifDescr",
    IfEntry.TYPE: "ifType",
    IfEntry.SPEED: "ifSpeed",
    IfEntry.ADMIN_STATUS: "ifAdminStatus",
    IfEntry.OPER_STATUS: "ifOperStatus",
    IfEntry.IN_OCTETS: "ifInOctets",
    IfEntry.IN_DISCARDS: "ifInDiscards",
    IfEntry.IN_ERRORS: "ifInErrors",
    IfEntry.OUT_OCTETS: "ifOutOctets",
    IfEntry.OUT_DISCARDS: "ifOutDiscards",
    IfEntry.OUT_ERRORS: "ifOutErrors",
    IfXEntry.NAME: "ifName",
    IfXEntry.HC_IN_OCTETS: "ifHCInOctets",
    IfXEntry.HC_OUT_OCTETS: "ifHCOutOctets",
    IfXEntry.HIGH_SPEED: "ifHighSpeed",
    IfXEntry.COUNTER_DISCONTINUITY_TIME: "ifCounterDiscontinuityTime",
    BGP_VERSION: "bgpVersion",
    BGP_LOCAL_AS: "bgpLocalAs",
    BGP_IDENTIFIER: "bgpIdentifier",
    BgpPeerEntry.IDENTIFIER: "bgpPeerIdentifier",
    BgpPeerEntry.STATE: "bgpPeerState",
    BgpPeerEntry.ADMIN_STATUS: "bgpPeerAdminStatus",
    BgpPeerEntry.NEGOTIATED_VERSION: "bgpPeerNegotiatedVersion",
    BgpPeerEntry.LOCAL_ADDR: "bgpPeerLocalAddr",
    BgpPeerEntry.REMOTE_ADDR: "bgpPeerRemoteAddr",
    BgpPeerEntry.REMOTE_AS: "bgpPeerRemoteAs",
    BgpPeerEntry.FSM_ESTABLISHED_TRANSITIONS: "bgpPeerFsmEstablishedTransitions",
    BgpPeerEntry.FSM_ESTABLISHED_TIME: "bgpPeerFsmEstablishedTime",
    BgpPathEntry.PEER: "bgp4PathAttrPeer",
    BgpPathEntry.PREFIX_LEN: "bgp4PathAttrIpAddrPrefixLen",
    BgpPathEntry.PREFIX: "bgp4PathAttrIpAddrPrefix",
    BgpPathEntry.ORIGIN: "bgp4PathAttrOrigin",
    BgpPathEntry.AS_PATH: "bgp4PathAttrASPathSegment",
    BgpPathEntry.NEXT_HOP: "bgp4PathAttrNextHop",
    BgpPathEntry.MED: "bgp4PathAttrMultiExitDisc",
    BgpPathEntry.LOCAL_PREF: "bgp4PathAttrLocalPref",
    BgpPathEntry.BEST: "bgp4PathAttrBest",
}

_TABLES: Final[dict[Oid, str]] = {
    BGP_PATH_ENTRY: "bgp4PathAttrTable",
    BGP_PEER_ENTRY: "bgpPeerTable",
    IF_ENTRY: "ifTable",
    IF_X_ENTRY: "ifXTable",
}


def table_name(subtree: Oid) -> str:
    """``ifXTable`` for any OID inside it; the numeric OID otherwise."""
    for entry, name in _TABLES.items():
        if subtree[: len(entry)] == entry:
            return name
    return format_oid(subtree)


def instance_name(column: Oid, index: Oid) -> str:
    """``ifHCInOctets.2``; the numeric OID when the column is not one of ours."""
    name = NAMES.get(column)
    if name is None:
        return format_oid(column + index)
    return f"{name}.{format_oid(index)}" if index else name
