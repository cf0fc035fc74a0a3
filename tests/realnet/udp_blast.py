"""Send a known number of UDP bytes at a steady rate, then print what was sent as JSON.

Run inside a router's namespace by the utilisation test::

    ip netns exec NS python udp_blast.py HOST PORT --bytes 3000000 --rate 8e6

Paced rather than sent flat out: a veth drops what its peer's backlog cannot
take, and a dropped datagram is not counted as sent by the interface, so the
bytes on the wire would no longer be the bytes this script reports.
Nothing listens at the far end; the kernel there answers with a few
rate-limited ICMP port-unreachable messages, which the comparison allows for.
"""

from __future__ import annotations

import argparse
import json
import socket
import time

#: Ethernet (14) + IPv4 (20) + UDP (8): what an interface counts on top of the payload.
HEADER_BYTES = 42


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--bytes", type=int, required=True, help="payload bytes to send")
    parser.add_argument("--size", type=int, default=1400, help="payload bytes per datagram")
    parser.add_argument("--rate", type=float, required=True, help="payload bits per second")
    args = parser.parse_args()

    payload = bytes(args.size)
    count = args.bytes // args.size
    gap_s = args.size * 8 / args.rate
    started = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for number in range(count):
            delay = started + number * gap_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sock.sendto(payload, (args.host, args.port))
    print(
        json.dumps(
            {
                "datagrams": count,
                "payload_bytes": count * args.size,
                "wire_bytes": count * (args.size + HEADER_BYTES),
                "seconds": time.monotonic() - started,
            }
        )
    )


if __name__ == "__main__":
    main()
