"""The agents over real UDP on 127.0.0.1, with Net-SNMP's tools as the client."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from sprmon.lab import AgentStartError, Lab, LabError, run_lab
from sprmon.lab.mib import render
from sprmon.snmp_oids import BGP, IF_ENTRY, IF_X_ENTRY, SYSTEM
from tests.lab.gnmi_helpers import free_port_block
from tests.lab.helpers import FakeClock, as_tool_row, dotted, net_snmp, query

pytestmark = pytest.mark.peer

LEGACY_MPLS_MED = "1.3.6.1.2.1.15.6.1.7.10.0.21.0.24.198.51.100.1"
LEGACY_MPLS_BEST = "1.3.6.1.2.1.15.6.1.13.10.0.21.0.24.198.51.100.1"
LEGACY_INET_BEST = "1.3.6.1.2.1.15.6.1.13.10.0.21.0.24.203.0.113.1"
MPLS_PEER_STATE = "1.3.6.1.2.1.15.3.1.2.198.51.100.1"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


def expected_rows(lab: Lab, router: str, subtree: tuple[int, ...]) -> dict[str, tuple[str, str]]:
    view = render(lab.model, router)
    return {dotted(oid): as_tool_row(value) for oid, value in view.rows(subtree)}


@pytest.mark.parametrize("router", ["site-002", "core-inet"])
async def test_a_bulk_walk_of_bgp4_mib_returns_the_models_rows(
    lab: Lab, router: str, tmp_path: Path
) -> None:
    walked = await query(lab, "snmpbulkwalk", router, dotted(BGP), workdir=tmp_path)
    assert walked.returncode == 0, walked.stderr
    expected = expected_rows(lab, router, BGP)
    assert walked.rows() == expected
    assert len(expected) > 30


async def test_a_walk_of_if_mib_returns_the_models_counters(lab: Lab, tmp_path: Path) -> None:
    for subtree in (SYSTEM, IF_ENTRY, IF_X_ENTRY):
        walked = await query(lab, "snmpwalk", "site-001", dotted(subtree), workdir=tmp_path)
        assert walked.returncode == 0, walked.stderr
        assert walked.rows() == expected_rows(lab, "site-001", subtree)


async def test_get_inside_the_bgp_path_table_answers_like_a_well_behaved_agent(
    lab: Lab, tmp_path: Path
) -> None:
    missing = "1.3.6.1.2.1.15.6.1.7.10.9.9.0.24.198.51.100.1"
    unknown = "1.3.6.1.2.1.1.4.0"
    got = await query(
        lab, "snmpget", "site-001", LEGACY_MPLS_MED, LEGACY_MPLS_BEST, missing, unknown,
        workdir=tmp_path,
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    lines = got.stdout.splitlines()
    assert lines[0] == f".{LEGACY_MPLS_MED} = INTEGER: 100"
    assert lines[1] == f".{LEGACY_MPLS_BEST} = INTEGER: 2"
    assert lines[2] == f".{missing} = No Such Instance currently exists at this OID"
    assert lines[3] == f".{unknown} = No Such Object available on this agent at this OID"


async def test_an_injected_fault_shows_in_the_next_answer(lab: Lab, tmp_path: Path) -> None:
    lab.inject("site-001", "link-down", "mpls")
    got = await query(
        lab, "snmpget", "site-001", MPLS_PEER_STATE, LEGACY_MPLS_BEST, LEGACY_INET_BEST,
        workdir=tmp_path,
    )  # fmt: skip
    rows = got.rows()
    assert rows[MPLS_PEER_STATE] == ("INTEGER", "1"), "idle"
    assert rows[LEGACY_MPLS_BEST][0] == "No Such Instance currently exists at this OID"
    assert rows[LEGACY_INET_BEST] == ("INTEGER", "2"), "inet took over"
    lab.clear("site-001")
    rows = (await query(lab, "snmpget", "site-001", LEGACY_MPLS_BEST, workdir=tmp_path)).rows()
    assert rows[LEGACY_MPLS_BEST] == ("INTEGER", "2")


async def test_counters_and_uptime_move_with_the_lab_clock(
    lab: Lab, clock: FakeClock, tmp_path: Path
) -> None:
    hc_in = "1.3.6.1.2.1.31.1.1.1.6.3"
    first = (await query(lab, "snmpget", "site-001", SYS_UPTIME, hc_in, workdir=tmp_path)).rows()
    clock.advance(30)
    lab.tick()
    later = (await query(lab, "snmpget", "site-001", SYS_UPTIME, hc_in, workdir=tmp_path)).rows()
    assert int(later[SYS_UPTIME][1]) - int(first[SYS_UPTIME][1]) == 3000
    in_bps = lab.model.rates("site-001")[3].in_bps
    assert int(later[hc_in][1]) - int(first[hc_in][1]) == int(in_bps * 30 / 8)


async def test_snmpv3_authpriv_with_sha256_and_aes_works(
    clock: FakeClock, state_dir: Path, tmp_path: Path
) -> None:
    async with run_lab(sites=2, seed=3, snmp_version="3", clock=clock, state_dir=state_dir) as lab:
        got = await query(lab, "snmpget", "site-001", LEGACY_MPLS_MED, workdir=tmp_path)
        assert got.returncode == 0, got.stderr
        assert got.rows()[LEGACY_MPLS_MED] == ("INTEGER", "100")
        walked = await query(lab, "snmpbulkwalk", "core-mpls", dotted(BGP), workdir=tmp_path)
        assert walked.rows() == expected_rows(lab, "core-mpls", BGP)

        wrong = await net_snmp(
            "snmpget", "-v3", "-l", "authPriv", "-u", "sprmon-lab", "-a", "SHA-256",
            "-A", "not-the-key", "-x", "AES", "-X", "not-the-key", "-t", "1", "-r", "0",
            f"127.0.0.1:{lab.ports['site-002']}", SYS_UPTIME, workdir=tmp_path,
        )  # fmt: skip
        assert wrong.returncode != 0
        assert "Authentication failure" in wrong.stderr


async def test_a_v3_lab_ignores_v2c_requests(
    clock: FakeClock, state_dir: Path, tmp_path: Path
) -> None:
    async with run_lab(sites=1, snmp_version="3", clock=clock, state_dir=state_dir) as lab:
        got = await net_snmp(
            "snmpget", "-v2c", "-c", "public", "-t", "0.5", "-r", "0",
            f"127.0.0.1:{lab.ports['site-001']}", SYS_UPTIME, workdir=tmp_path,
        )  # fmt: skip
        assert got.returncode != 0
        assert "Timeout" in got.stderr


async def test_a_wrong_community_gets_no_answer(lab: Lab, tmp_path: Path) -> None:
    got = await net_snmp(
        "snmpget", "-v2c", "-c", "public", "-t", "0.5", "-r", "0",
        f"127.0.0.1:{lab.ports['site-001']}", SYS_UPTIME, workdir=tmp_path,
    )  # fmt: skip
    assert got.returncode != 0
    assert "Timeout" in got.stderr


async def test_a_muted_agent_makes_snmpget_time_out(lab: Lab, tmp_path: Path) -> None:
    lab.inject("site-003", "mute")
    got = await query(
        lab, "snmpget", "site-003", SYS_UPTIME, workdir=tmp_path,
        extra=("-t", "0.5", "-r", "0", "-d"),
    )  # fmt: skip
    assert got.returncode != 0
    assert "Timeout: No Response" in got.stderr
    assert "Received" not in got.stdout + got.stderr, "a muted agent sends nothing"
    other = await query(lab, "snmpget", "site-002", SYS_UPTIME, workdir=tmp_path)
    assert other.returncode == 0, "only the muted site is silent"
    lab.clear("site-003")
    assert (await query(lab, "snmpget", "site-003", SYS_UPTIME, workdir=tmp_path)).returncode == 0


async def test_a_garbage_agent_answers_bytes_snmpget_cannot_parse(lab: Lab, tmp_path: Path) -> None:
    lab.inject("site-002", "garbage")
    got = await query(
        lab, "snmpget", "site-002", SYS_UPTIME, workdir=tmp_path,
        extra=("-t", "0.5", "-r", "0", "-d"),
    )  # fmt: skip
    assert got.returncode != 0
    # Net-SNMP drops a message it cannot parse, reports the request as
    # unanswered, and with -d shows what arrived.
    assert "Received 17 byte packet" in got.stdout + got.stderr
    assert "Timeout: No Response" in got.stderr
    assert got.rows() == {}, "no value was printed"


async def test_base_port_puts_site_n_on_base_plus_n_and_the_cores_after(
    clock: FakeClock, tmp_path: Path
) -> None:
    base = free_port_block(5)
    async with run_lab(sites=3, base_port=base, clock=clock, control=False) as lab:
        assert lab.site_ports == {"site-001": base + 1, "site-002": base + 2, "site-003": base + 3}
        assert lab.core_ports == {"core-mpls": base + 4, "core-inet": base + 5}
        got = await query(lab, "snmpget", "core-inet", "1.3.6.1.2.1.1.5.0", workdir=tmp_path)
        assert got.rows()["1.3.6.1.2.1.1.5.0"] == ("Hex-STRING", "63 6F 72 65 2D 69 6E 65 74")


async def test_a_taken_port_is_a_clear_error_and_nothing_stays_bound(clock: FakeClock) -> None:
    base = free_port_block(4)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", base + 2))
        with pytest.raises(AgentStartError, match=rf"UDP 127.0.0.1:{base + 2} for site-002"):
            async with run_lab(sites=2, base_port=base, clock=clock, control=False):
                pass
    for port in (base + 1, base + 3, base + 4):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", port))  # fails if the lab left a socket open


@pytest.mark.parametrize("host", ["192.0.2.1", "0.0.0.0", "::1", "localhost"])
async def test_the_lab_refuses_to_listen_beyond_ipv4_loopback(host: str) -> None:
    with pytest.raises(LabError, match="loopback"):
        async with run_lab(sites=1, host=host, control=False):
            pass


@pytest.mark.slow
async def test_two_hundred_sites_start_in_one_process_and_answer(tmp_path: Path) -> None:
    async with run_lab(sites=200, seed=1, control=False) as lab:
        assert len(set(lab.ports.values())) == 202
        results = await asyncio.gather(
            query(lab, "snmpget", "site-200", SYS_UPTIME, workdir=tmp_path),
            query(lab, "snmpbulkwalk", "core-mpls", "1.3.6.1.2.1.15.3.1.2", workdir=tmp_path),
        )
        assert results[0].returncode == 0, results[0].stderr
        assert len(results[1].rows()) == 201, "200 sites and the iBGP peer"
