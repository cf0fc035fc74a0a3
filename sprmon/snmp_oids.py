"""The SNMP object identifiers of the MIBs sprmon speaks, in one place.

The collector (:mod:`sprmon.collector.mibs`) reads these objects and the lab
(:mod:`sprmon.lab.mib`) serves them, so both take their numbers from here.
Pure data: no imports from the rest of sprmon.

Scalars and table entries are full OIDs. Table columns are the sub-identifier
after the entry (``(*IF_ENTRY, IfEntry.OPER_STATUS, ifindex)`` is one
ifOperStatus instance), grouped by table.
"""

from __future__ import annotations

from typing import Final

Oid = tuple[int, ...]

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
    """ifTable columns."""

    INDEX: Final = 1
    DESCR: Final = 2
    TYPE: Final = 3
    SPEED: Final = 5
    ADMIN_STATUS: Final = 7
    OPER_STATUS: Final = 8
    IN_OCTETS: Final = 10
    IN_DISCARDS: Final = 13
    IN_ERRORS: Final = 14
    OUT_OCTETS: Final = 16
    OUT_DISCARDS: Final = 19
    OUT_ERRORS: Final = 20


class IfXEntry:
    """ifXTable columns."""

    NAME: Final = 1
    HC_IN_OCTETS: Final = 6
    HC_OUT_OCTETS: Final = 10
    HIGH_SPEED: Final = 15
    COUNTER_DISCONTINUITY_TIME: Final = 19


# --- BGP4-MIB (RFC 4273; IPv4 only) --------------------------------------------------

BGP: Final[Oid] = (1, 3, 6, 1, 2, 1, 15)
BGP_VERSION: Final[Oid] = (*BGP, 1)
BGP_LOCAL_AS: Final[Oid] = (*BGP, 2)
BGP_PEER_ENTRY: Final[Oid] = (*BGP, 3, 1)
BGP_IDENTIFIER: Final[Oid] = (*BGP, 4)
#: bgp4PathAttrEntry.
BGP_PATH_ENTRY: Final[Oid] = (*BGP, 6, 1)


class BgpPeerEntry:
    """bgpPeerTable columns."""

    IDENTIFIER: Final = 1
    STATE: Final = 2
    ADMIN_STATUS: Final = 3
    NEGOTIATED_VERSION: Final = 4
    LOCAL_ADDR: Final = 5
    REMOTE_ADDR: Final = 7
    REMOTE_AS: Final = 9
    FSM_ESTABLISHED_TRANSITIONS: Final = 15
    FSM_ESTABLISHED_TIME: Final = 16


class BgpPathEntry:
    """bgp4PathAttrTable columns."""

    PEER: Final = 1
    PREFIX_LEN: Final = 2
    PREFIX: Final = 3
    ORIGIN: Final = 4
    AS_PATH: Final = 5
    NEXT_HOP: Final = 6
    MED: Final = 7
    LOCAL_PREF: Final = 8
    BEST: Final = 13
