"""Write sites.csv for the large example: a generated WAN of many branch sites.

    python examples/large/generate_sites.py            # 10,000 sites
    python examples/large/generate_sites.py --count 500 --out /tmp/sites.csv

The output is deterministic, so the committed sites.csv can be regenerated
and compared. Every SNMP target is a loopback address (127.1.0.0/16) with its
own port: a lab can run one agent per site on this machine, and a mistake can
never send a packet to a real router.
"""

from __future__ import annotations

import argparse
import csv
import ipaddress
from pathlib import Path

COLUMNS = (
    "name",
    "group",
    "address",
    "snmp.port",
    "links.mpls.neighbors",
    "links.mpls.capacity",
    "links.inet.capacity",
    "labels.region",
)
REGIONS = ("north", "east", "south", "west")
FIRST_PORT = 20000
# Each branch's MPLS provider edge is .1 of its own /30 out of the shared
# address space (never routed on the Internet).
MPLS_PE_BASE = ipaddress.IPv4Address("100.64.0.1")


def site_row(number: int) -> list[str]:
    """The CSV cells of site ``number`` (1-based)."""
    index = number - 1
    group = "big-branch" if number % 10 == 0 else "small-branch" if number % 3 == 0 else ""
    address = f"127.1.{index // 250}.{index % 250 + 1}"
    neighbors = [str(MPLS_PE_BASE + 4 * index)]
    if number % 2 == 0:
        neighbors.append(f"fd00:64::{number:x}")
    # A per-site override of the defaults and the group: a few branches have
    # bought a faster MPLS circuit, one in a thousand a faster Internet line.
    mpls_capacity = "20Mbps" if number % 500 == 0 else ""
    inet_capacity = "500Mbps" if number % 1000 == 7 else ""
    return [
        f"site-{number:05d}",
        group,
        address,
        str(FIRST_PORT + number),
        ";".join(neighbors),
        mpls_capacity,
        inet_capacity,
        REGIONS[index % len(REGIONS)],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="number of sites")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).with_name("sites.csv"), help="CSV file to write"
    )
    args = parser.parse_args()
    if not 1 <= args.count <= 62_500:
        parser.error("--count must be between 1 and 62500 (the loopback addresses run out)")
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for number in range(1, args.count + 1):
            writer.writerow(site_row(number))


if __name__ == "__main__":
    main()
