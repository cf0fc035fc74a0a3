"""Octet counters against real traffic: a veth pair with one end in a namespace.

snmpd runs in the root namespace and serves the root end's counters; we send
a known number of UDP datagrams each way and expect the octet deltas to be
the bytes on the wire (payload + UDP 8 + IPv4 20 + Ethernet 14). Static
neighbour entries and IPv6 turned off keep ARP and router solicitations out
of the count; nothing answers the datagrams.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import pytest

from sprmon.core.observed import Interface
from sprmon.realpeers.netns import ip, veth_namespace
from sprmon.realpeers.snmpd import run_snmpd
from tests.peers.sites import PollOne, snmp_site

pytestmark = [pytest.mark.root, pytest.mark.slow, pytest.mark.peer]

WIRE_OVERHEAD = 14 + 20 + 8
#: Different sizes each way, so swapped in/out columns cannot pass.
OUT_PACKETS, OUT_PAYLOAD = 1500, 1000
IN_PACKETS, IN_PAYLOAD = 700, 1200
#: An address in the namespace's subnet that nobody owns: the namespace drops it.
NOWHERE = "198.51.100.3"

SENDER = """
import socket, sys, time
target, port, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = b"x" * size
for n in range(count):
    sock.sendto(payload, (target, port))
    if n % 50 == 49:
        time.sleep(0.002)  # stay below the receiver's backlog, which would drop
"""


async def _interface(poll_one: PollOne, host: str, port: int, name: str) -> Interface:
    observation, _ = await poll_one(snmp_site("r1", host, port))
    assert observation.interfaces is not None, observation.error
    (interface,) = [i for i in observation.interfaces if i.name == name]
    return interface


async def test_octet_deltas_match_the_bytes_sent_each_way(
    tmp_path: Path, community: str, poll_one: PollOne
) -> None:
    async with veth_namespace() as veth:
        await ip(
            "neigh",
            "replace",
            NOWHERE,
            "lladdr",
            veth.ns_mac,
            "dev",
            veth.root_device,
            "nud",
            "permanent",
        )
        await veth.exec(
            "ip",
            "neigh",
            "replace",
            veth.root_address,
            "lladdr",
            veth.root_mac,
            "dev",
            veth.ns_device,
            "nud",
            "permanent",
        )
        await veth.exec("sysctl", "-qw", "net.ipv4.ip_forward=0")
        # A bound socket in the root namespace takes the inbound datagrams, so
        # the kernel sends no ICMP port-unreachable back out.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
            sink.bind((veth.root_address, 0))
            sink_port = sink.getsockname()[1]
            async with run_snmpd(tmp_path) as agent:
                before = await _interface(poll_one, agent.host, agent.port, veth.root_device)

                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                    payload = b"y" * OUT_PAYLOAD
                    for n in range(OUT_PACKETS):
                        sender.sendto(payload, (NOWHERE, 9))
                        if n % 50 == 49:
                            await asyncio.sleep(0.002)
                await veth.exec(
                    sys.executable,
                    "-c",
                    SENDER,
                    veth.root_address,
                    str(sink_port),
                    str(IN_PACKETS),
                    str(IN_PAYLOAD),
                )

                expected_out = OUT_PACKETS * (OUT_PAYLOAD + WIRE_OVERHEAD)
                expected_in = IN_PACKETS * (IN_PAYLOAD + WIRE_OVERHEAD)
                # snmpd caches IF-MIB for about 3 s: poll until the traffic shows.
                after = before
                for _ in range(30):
                    await asyncio.sleep(0.5)
                    after = await _interface(poll_one, agent.host, agent.port, veth.root_device)
                    assert after.in_octets is not None and before.in_octets is not None
                    if after.in_octets - before.in_octets >= IN_PACKETS * IN_PAYLOAD:
                        break

    assert before.out_octets is not None and after.out_octets is not None
    assert before.in_octets is not None and after.in_octets is not None
    assert after.counter_bits == 64
    assert after.out_octets - before.out_octets == pytest.approx(expected_out, rel=0.02)
    assert after.in_octets - before.in_octets == pytest.approx(expected_in, rel=0.02)
    assert after.speed_bps is not None
