"""``sprmon check`` over gNMI gives the verdicts it gives over SNMP, for the same lab state.

One lab whose sites answer both protocols, with faults of every kind; three
intents for it: SNMP only, gNMI only, and gNMI for the BGP table with SNMP for
the interfaces (``gnmi.use``). ``sprmon check --format json`` runs on each; the
JSON reports must agree on every path's state (and on the IPv6 prefixes, which
only gNMI shows, with their IPv4 twins) and on every link's severity, status and
session.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.collector.gnmi_support import gnmi_lab

ROOT = Path(__file__).resolve().parents[2]
IPV6_TWINS = {"2001:db8:21::/48": "10.0.21.0/24", "2001:db8:10::/48": "10.0.10.0/24"}


def snmp_only(text: str) -> str:
    text = re.sub(r"\n  gnmi: \{[^\n]*\}", "", text)
    text = re.sub(r", gnmi: \{port: \d+\}", "", text)
    return text.replace(", 2001:db8:21::/48", "").replace(", 2001:db8:10::/48", "")


def bgp_over_gnmi(text: str) -> str:
    return text.replace("  gnmi: {credentials: lab,", "  gnmi: {use: [bgp], credentials: lab,")


async def check(intent: Path) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sprmon",
        "check",
        "--intent",
        str(intent),
        "--format",
        "json",
        "--interval",
        "2",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    out, err = await process.communicate()
    assert process.returncode in (0, 1, 2), err.decode()
    report: dict[str, Any] = json.loads(out)
    return report


def path_states(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(p["site"], p["prefix"]): p["state"] for p in report["paths"]}


def link_states(report: dict[str, Any]) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {
        (link["site"], link["link"]): (link["severity"], link["oper_up"], link["bgp_established"])
        for link in report["links"]
    }


@pytest.mark.slow
async def test_check_over_gnmi_gives_the_verdicts_it_gives_over_snmp(tmp_path: Path) -> None:
    # Fine ticks: the counters move smoothly between the two polls of each check. The
    # faults keep every link's utilisation well away from the thresholds (a 10 Mbps
    # mpls link carrying everything sits near 95 %, where two measurements a second
    # apart may honestly disagree).
    async with gnmi_lab(tmp_path, sites=5, protocols="snmp,gnmi", tick=0.1) as (lab, _intent):
        lab.inject("site-002", "med-drift")
        lab.inject("site-003", "link-down", "mpls")
        lab.inject("site-004", "session-down", "mpls")
        lab.inject("site-005", "withdraw", "mpls", prefix="10.0.21.0/24")
        assert lab.intent_path is not None
        text = lab.intent_path.read_text(encoding="utf-8")
        over_gnmi = lab.intent_path
        over_snmp = tmp_path / "snmp.yaml"
        over_snmp.write_text(snmp_only(text), encoding="utf-8")
        mixed = tmp_path / "mixed.yaml"
        mixed.write_text(bgp_over_gnmi(text), encoding="utf-8")
        gnmi, snmp, both = [await check(path) for path in (over_gnmi, over_snmp, mixed)]

    snmp_paths = path_states(snmp)
    assert set(snmp_paths.values()) >= {"compliant", "drift", "failover"}
    for report in (gnmi, both):
        paths = path_states(report)
        v4 = {key: state for key, state in paths.items() if ":" not in key[1]}
        assert v4 == snmp_paths
        for (site, prefix), state in paths.items():
            # site-005's withdrawal concerns the IPv4 legacy prefix only.
            if prefix in IPV6_TWINS and site != "site-005":
                assert state == snmp_paths[(site, IPV6_TWINS[prefix])], (site, prefix)
        assert link_states(report) == link_states(snmp)
    assert gnmi["exit_code"] == snmp["exit_code"] == both["exit_code"] == 2
    assert all(link["in_bps"] is not None for link in gnmi["links"] if link["oper_up"])
