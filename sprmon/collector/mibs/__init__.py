"""Decoders from walked MIB rows to core objects, and the columns they need.

Pure: no sockets, no pysnmp. Every SNMP client backend hands over values as
:class:`~sprmon.smi.SnmpValue` (a kind and a plain Python value), so these
decoders can be tested with plain data and every backend is held to the same
checks. The OIDs come from :mod:`sprmon.snmp_oids`.

A walked table arrives as ``{column OID: {row index: value}}``. Decoders check
each value's SMI type against the MIB and raise :class:`SnmpWrongType` naming
the object instance: a wrong type means the agent or our OIDs are wrong, and a
number guessed from the wrong type would be silently wrong.

One module per MIB: :mod:`.interfaces` (IF-MIB), :mod:`.bgp` (BGP4-MIB), and
:mod:`.values`, the typed reads both use (and sysUpTime).
"""

from sprmon.collector.mibs.bgp import (
    PATH_COLUMNS,
    PEER_COLUMNS,
    decode_as_path,
    decode_paths,
    decode_peers,
    parse_path_index,
    path_index_prefix,
)
from sprmon.collector.mibs.interfaces import IF_COLUMNS_32, IF_COLUMNS_HC, decode_interfaces
from sprmon.collector.mibs.values import Columns, decode_uptime

__all__ = [
    "IF_COLUMNS_32",
    "IF_COLUMNS_HC",
    "PATH_COLUMNS",
    "PEER_COLUMNS",
    "Columns",
    "decode_as_path",
    "decode_interfaces",
    "decode_paths",
    "decode_peers",
    "decode_uptime",
    "parse_path_index",
    "path_index_prefix",
]
