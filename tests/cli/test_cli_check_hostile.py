"""``sprmon check`` against hostile agents, in its own process as a monitoring
system runs it: one bad site is unknown with its reason, every other site is
reported, nothing overflows, no traceback reaches stderr, and the whole check
ends within its deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pysnmp.proto import rfc1902

from sprmon.lab import Lab
from sprmon.snmp_oids import BgpPeerEntry, IfEntry, IfXEntry
from tests.cli.check_process import (
    HEALTHY,
    INET_PEER,
    MPLS_PEER,
    Completed,
    healthy_lab,
    sprmon,
    with_site,
)
from tests.cli.cli_support import INTENT, Run
from tests.peers.bad_agent import (
    Fault,
    router_objects,
    run_bad_agent,
    run_junk_responder,
    unchecked,
)

pytestmark = pytest.mark.peer

#: The intent's prefixes, each over both of the hostile agent's peers.
PREFIXES = ("10.0.21.0/24", "10.0.10.0/24", "10.0.30.0/24")


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    async with healthy_lab(tmp_path) as running:
        yield running


def _community(lab: Lab) -> str:
    assert lab.intent_path is not None
    return (lab.intent_path.parent / "lab-community.secret").read_text().strip()


#: Where _hostile_objects puts the values a test names (interface 2, the mpls peer).
_HOSTILE_OIDS = {
    "speed": (*IfEntry.SPEED, 2),
    "high_speed": (*IfXEntry.HIGH_SPEED, 2),
    "hc_in_octets": (*IfXEntry.HC_IN_OCTETS, 1),
    "established_time": (*BgpPeerEntry.FSM_ESTABLISHED_TIME, 198, 51, 100, 1),
}


def _hostile_objects(**values: object) -> list[tuple[tuple[int, ...], Any]]:
    """A router with the intent's prefixes over both peers, and ``values`` in place."""
    paths = [(prefix, peer, 100) for prefix in PREFIXES for peer in (MPLS_PEER, INET_PEER)]
    return router_objects(
        peers=[MPLS_PEER, INET_PEER],
        paths=paths,
        replace={_HOSTILE_OIDS[name]: value for name, value in values.items()},
    )


def _site_paths(document: dict[str, Any], site: str) -> set[str]:
    return {p["state"] for p in document["paths"] if p["site"] == site}


def _no_traceback(result: Completed) -> None:
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr + result.stdout


async def test_one_site_with_out_of_range_values_is_unknown_and_the_others_are_reported(
    lab: Lab, tmp_path: Path
) -> None:
    # ifSpeed saturated with a 130-octet ifHighSpeed, ifHCInOctets growing to 200
    # octets between the polls, an established time of 10^12 s: the evaluation
    # overflowed and no site was reported; --format json crashed on the time.
    first_request: list[float] = []

    def hc_in_octets() -> object:
        # Past the first poll (its requests all come within the first second).
        loop_time = asyncio.get_running_loop().time()
        first_request[:] = first_request or [loop_time]
        if loop_time - first_request[0] > 1.0:
            return unchecked(rfc1902.Counter64, 2**1592)
        return rfc1902.Counter64(5)

    objects = _hostile_objects(
        **{
            "speed": rfc1902.Gauge32(4294967295),
            "high_speed": unchecked(rfc1902.Gauge32, 2**1032),
            "hc_in_octets": hc_in_octets,
            "established_time": unchecked(rfc1902.Gauge32, 10**12),
        }
    )
    async with run_bad_agent(objects, community=_community(lab)) as agent:
        intent = with_site(lab, "hostile", agent.port, snmp="timeout: 0.3s")
        saved = tmp_path / "saved.json"
        result = await sprmon(
            tmp_path,
            *("check", "--intent", intent, "--interval", "3", "--format", "json"),
            *("--save-snapshot", saved),
        )

    _no_traceback(result)
    document = result.json()
    for site in HEALTHY:
        assert _site_paths(document, site) == {"compliant"}, result.stderr
    hostile_links = [link for link in document["links"] if link["site"] == "hostile"]
    assert {link["severity"] for link in hostile_links} == {"unknown"}
    notes = " ".join(note for link in hostile_links for note in link["notes"])
    assert "malformed SNMP message" in notes
    assert result.returncode == 3
    # What the live check saved, the snapshot loader reads, and judges alike.
    again = await sprmon(
        tmp_path, "check", "--intent", intent, "--snapshot", saved, "--format", "json"
    )
    _no_traceback(again)
    assert again.returncode == result.returncode
    assert _site_paths(again.json(), HEALTHY[0]) == {"compliant"}


async def test_a_slow_agent_with_an_endless_table_is_cut_at_the_checks_deadline(
    lab: Lab, tmp_path: Path
) -> None:
    # Answers just inside its timeout, and its table never ends: on its own
    # deadline (timeout x tries x 12 requests = 24 s a poll) it held the
    # whole check for twice that.
    async with run_bad_agent(
        _hostile_objects(),
        community=_community(lab),
        fault=Fault.ENDLESS,
        at=IfXEntry.NAME,
        delay_s=0.9,
    ) as agent:
        intent = with_site(lab, "slow", agent.port, snmp="timeout: 1s, retries: 1")
        result = await sprmon(
            tmp_path,
            *("check", "--intent", intent, "--interval", "1", "--format", "json"),
            *("--deadline", "5"),
        )

    _no_traceback(result)
    document = result.json()
    for site in HEALTHY:
        assert _site_paths(document, site) == {"compliant"}, result.stderr
    slow = [p for p in document["paths"] if p["site"] == "slow"]
    assert {p["state"] for p in slow} == {"unknown"}
    assert "cut off by the whole check's deadline of 5 s" in slow[0]["explanation"]
    assert result.returncode == 3
    assert result.elapsed_s < 24.0


async def test_an_snmpv3_agent_answering_three_bytes_of_garbage_is_a_malformed_answer(
    lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pysnmp raised a TypeError in an asyncio callback for each such datagram
    # (28 lines of traceback on stderr) and the site read "wrong privacy key".
    async with run_junk_responder(bytes.fromhex("f86cb9")) as junk:
        assert lab.intent_path is not None
        intent = lab.intent_path.parent / "v3-junk.yaml"
        intent.write_text(
            "version: 1\n"
            "links:\n  mpls: {}\n  inet: {}\n"
            "applications:\n  legacy: {prefixes: [10.0.21.0/24], links: [mpls, inet]}\n"
            "default_application: {prefixes: [10.0.10.0/24], links: [inet, mpls]}\n"
            "credentials:\n"
            "  v3:\n    snmp:\n      version: 3\n      user: sprmon\n"
            "      auth: {protocol: sha256, key: {env: JUNK_AUTH}}\n"
            "      priv: {protocol: aes128, key: {env: JUNK_PRIV}}\n"
            "site_defaults:\n"
            "  links: {mpls: {capacity: 10Mbps}, inet: {capacity: 100Mbps}}\n"
            "sites:\n"
            f"  - {{name: junk, address: 127.0.0.1, snmp: {{port: {junk.port}, credentials: v3, "
            "timeout: 0.3s, retries: 1}, links: {mpls: {neighbors: [198.51.100.1]}, "
            "inet: {neighbors: [203.0.113.1]}}}\n"
        )
        monkeypatch.setenv("JUNK_AUTH", "auth-passphrase")
        monkeypatch.setenv("JUNK_PRIV", "priv-passphrase")
        result = await sprmon(
            tmp_path, "check", "--intent", intent, "--interval", "0", "--format", "json"
        )

    _no_traceback(result)
    assert result.stderr.count("\n") <= 2, result.stderr
    assert result.stdout, result.stderr
    (path,) = [p for p in result.json()["paths"] if p["prefix"] == "10.0.21.0/24"]
    assert path["state"] == "unknown"
    assert f"agent 127.0.0.1:{junk.port} sent a malformed SNMP message (" in path["explanation"]
    assert "privacy key" not in path["explanation"]
    assert junk.stats.requests >= 2
    assert result.returncode == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--deadline", "nan"], "nan is not a number of seconds"),
        (["--deadline", "inf"], "--deadline"),
        (["--deadline", "0"], "--deadline"),
        (["--deadline", "3601"], "--deadline"),
        (["--site-budget", "0"], "--site-budget"),
        (["--site-budget", "5000"], "--site-budget"),
    ],
)
def test_deadline_and_site_budget_out_of_bounds_are_usage_errors(
    run: Run, options: list[str], message: str
) -> None:
    result = run("check", "-i", INTENT, *options)

    assert result.exit_code == 3
    assert message in result.stderr
    assert result.stdout == ""


def test_deadline_and_site_budget_with_a_snapshot_are_a_usage_error(run: Run) -> None:
    from tests.cli.cli_support import SNAPSHOTS  # noqa: PLC0415

    result = run(
        "check", "-i", INTENT, "-s", SNAPSHOTS / "mixed.json", "--deadline", "9",
        "--site-budget", "10",
    )  # fmt: skip

    assert result.exit_code == 3
    assert "--deadline and --site-budget are for live collection" in result.stderr
