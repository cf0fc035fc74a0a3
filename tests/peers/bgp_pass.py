"""A BGP4-MIB table served by Net-SNMP's snmpd through ``pass_persist``.

snmpd's ``override`` directive cannot make IpAddress or Counter64 objects
(only integer, uinteger, octet_str, object_id, counter, timeticks, null), and
BGP4-MIB's peer and next-hop columns are IpAddress. ``pass_persist`` can:
snmpd runs this file as a child process and asks it for GET/GETNEXT answers
on stdin/stdout, while snmpd itself does the BER encoding, GETBULK and
SNMPv3. So the table's bytes on the wire come from Net-SNMP, independent of
sprmon's own encoder and of pysnmp.

Used from tests::

    table = bgp_objects(paths=[PassPath(...)], peers=[PassPeer(...)])
    async with run_snmpd(tmp_path, extra_config=[pass_persist_line(write_table(tmp_path, table))]):
        ...

Run by snmpd as ``python bgp_pass.py TABLE.json``.
"""

from __future__ import annotations

import bisect
import ipaddress
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BGP = "1.3.6.1.2.1.15"
PATH_ENTRY = f"{BGP}.6.1"
PEER_ENTRY = f"{BGP}.3.1"

#: (numeric OID, pass_persist type, value as pass_persist prints it)
PassObject = tuple[str, str, str]


@dataclass(frozen=True)
class PassPath:
    prefix: str
    peer: str
    next_hop: str
    med: int | None = None
    local_pref: int | None = None
    as_path: tuple[int, ...] = ()
    #: RFC 4273 codes: 1 igp, 2 egp, 3 incomplete (FRR uses 0 for igp).
    origin: int = 1
    best: bool = False


@dataclass(frozen=True)
class PassPeer:
    address: str
    #: 1 idle .. 6 established
    state: int
    remote_as: int
    established_s: int = 0
    identifier: str = "0.0.0.0"
    #: bgpPeerFsmEstablishedTransitions (a Counter32); None: the column is not served.
    established_transitions: int | None = None


def _octets(data: bytes) -> str:
    return " ".join(f"{byte:02x}" for byte in data)


def as_path_octets(asns: Sequence[int]) -> bytes:
    """One AS_SEQUENCE segment of 2-octet ASNs, as RFC 4273 encodes it."""
    if not asns:
        return b""
    return bytes((2, len(asns))) + b"".join(asn.to_bytes(2, "big") for asn in asns)


def bgp_objects(
    paths: Sequence[PassPath], peers: Sequence[PassPeer], *, local_as: int = 65101
) -> list[PassObject]:
    objects: list[PassObject] = [
        (f"{BGP}.1.0", "octet", _octets(b"\x10")),
        (f"{BGP}.2.0", "integer", str(local_as)),
    ]
    for peer in peers:
        index = peer.address
        objects += [
            (f"{PEER_ENTRY}.1.{index}", "ipaddress", peer.identifier),
            (f"{PEER_ENTRY}.2.{index}", "integer", str(peer.state)),
            (f"{PEER_ENTRY}.3.{index}", "integer", "2"),
            (f"{PEER_ENTRY}.7.{index}", "ipaddress", peer.address),
            (f"{PEER_ENTRY}.9.{index}", "integer", str(peer.remote_as)),
            (f"{PEER_ENTRY}.16.{index}", "gauge", str(peer.established_s)),
        ]
        if peer.established_transitions is not None:
            objects.append(
                (f"{PEER_ENTRY}.15.{index}", "counter", str(peer.established_transitions))
            )
    for path in paths:
        network = ipaddress.ip_network(path.prefix)
        index = f"{network.network_address}.{network.prefixlen}.{path.peer}"
        objects += [
            (f"{PATH_ENTRY}.1.{index}", "ipaddress", path.peer),
            (f"{PATH_ENTRY}.2.{index}", "integer", str(network.prefixlen)),
            (f"{PATH_ENTRY}.3.{index}", "ipaddress", str(network.network_address)),
            (f"{PATH_ENTRY}.4.{index}", "integer", str(path.origin)),
            (f"{PATH_ENTRY}.5.{index}", "octet", _octets(as_path_octets(path.as_path))),
            (f"{PATH_ENTRY}.6.{index}", "ipaddress", path.next_hop),
            (f"{PATH_ENTRY}.7.{index}", "integer", str(-1 if path.med is None else path.med)),
            (
                f"{PATH_ENTRY}.8.{index}",
                "integer",
                str(-1 if path.local_pref is None else path.local_pref),
            ),
            (f"{PATH_ENTRY}.9.{index}", "integer", "1"),
            (f"{PATH_ENTRY}.10.{index}", "integer", "0"),
            (f"{PATH_ENTRY}.11.{index}", "ipaddress", "0.0.0.0"),
            (f"{PATH_ENTRY}.12.{index}", "integer", "-1"),
            (f"{PATH_ENTRY}.13.{index}", "integer", "2" if path.best else "1"),
        ]
    return objects


def write_table(folder: Path, objects: Sequence[PassObject]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bgp-table.json"
    path.write_text(json.dumps([list(obj) for obj in objects]))
    return path


def pass_persist_line(table: Path) -> str:
    return f"pass_persist .{BGP} {sys.executable} {Path(__file__).resolve()} {table}"


def _key(oid: str) -> tuple[int, ...]:
    return tuple(int(part) for part in oid.strip().strip(".").split(".") if part)


def serve(table: Path) -> None:
    """The pass_persist protocol: PING/PONG, then get|getnext + OID -> OID, type, value."""
    objects = sorted(
        ((_key(oid), kind, value) for oid, kind, value in json.loads(table.read_text())),
        key=lambda obj: obj[0],
    )
    keys = [obj[0] for obj in objects]
    by_key = {obj[0]: obj for obj in objects}
    out = sys.stdout
    for raw in sys.stdin:
        command = raw.strip()
        if command == "PING":
            out.write("PONG\n")
        elif command in ("get", "getnext"):
            oid = _key(sys.stdin.readline())
            if command == "get":
                found = by_key.get(oid)
            else:
                position = bisect.bisect_right(keys, oid)
                found = objects[position] if position < len(objects) else None
            if found is None:
                out.write("NONE\n")
            else:
                out.write(f".{'.'.join(map(str, found[0]))}\n{found[1]}\n{found[2]}\n")
        elif command == "set":
            sys.stdin.readline()
            sys.stdin.readline()
            out.write("not-writable\n")
        elif command == "":
            break
        out.flush()


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
