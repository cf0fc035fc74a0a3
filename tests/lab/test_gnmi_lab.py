"""Which sites answer gNMI: ``--protocols``, the written intent, status and ports."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from sprmon.cli.lab_commands import lab as lab_group
from sprmon.intentfile import load_config
from sprmon.lab import AgentStartError, run_lab
from sprmon.lab.control import LabRecord
from sprmon.lab.intent_file import GNMI_PASSWORD_FILE
from tests.lab.gnmi_helpers import free_port_block
from tests.lab.helpers import FakeClock

EXIT_UNKNOWN = 3
IPV4_PREFIXES = {"10.0.21.0/24", "10.0.10.0/24", "10.0.30.0/24"}
IPV6_PREFIXES = {"2001:db8:21::/48", "2001:db8:10::/48"}


async def test_a_mixed_lab_serves_gnmi_at_every_other_site_and_the_intent_says_so(
    clock: FakeClock, tmp_path: Path
) -> None:
    intent_path = tmp_path / "lab" / "intent.yaml"
    async with run_lab(
        sites=3, clock=clock, control=False, protocols="mixed", intent_path=intent_path
    ) as lab:
        loaded = await asyncio.to_thread(load_config, intent_path)
    intent, inventory = loaded.intent, loaded.inventory
    assert lab.protocols == {
        "site-001": {"snmp", "gnmi"},
        "site-002": {"snmp"},
        "site-003": {"snmp", "gnmi"},
    }
    assert set(lab.site_ports) == {"site-001", "site-002", "site-003"}
    assert set(lab.gnmi_ports) == {"site-001", "site-003"}
    assert lab.gnmi_credentials is not None
    for site in intent.sites:
        snmp, gnmi = inventory.snmp(site.name), inventory.gnmi(site.name)
        assert snmp is not None
        assert snmp.port == lab.site_ports[site.name]
        if site.name in lab.gnmi_ports:
            assert gnmi is not None
            assert (gnmi.host, gnmi.port) == (lab.host, lab.gnmi_ports[site.name])
            assert gnmi.tls is False
            assert gnmi.username == lab.gnmi_credentials.username
        else:
            assert gnmi is None
    password = intent_path.parent / GNMI_PASSWORD_FILE
    assert password.read_text(encoding="utf-8") == lab.gnmi_credentials.password
    assert password.stat().st_mode & 0o777 == 0o600
    prefixes = {p for app in intent.applications for p in app.prefixes}
    assert prefixes == IPV4_PREFIXES, "some sites are read over SNMP only: IPv4 prefixes only"


async def test_a_gnmi_only_lab_has_no_snmp_sites_and_its_intent_lists_ipv6(
    clock: FakeClock, tmp_path: Path
) -> None:
    intent_path = tmp_path / "intent.yaml"
    async with run_lab(
        sites=2, clock=clock, control=False, protocols="gnmi", intent_path=intent_path
    ) as lab:
        loaded = await asyncio.to_thread(load_config, intent_path)
    intent, inventory = loaded.intent, loaded.inventory
    assert lab.site_ports == {}
    assert set(lab.core_ports) == {"core-mpls", "core-inet"}, "the cores answer SNMP"
    assert set(lab.gnmi_ports) == {"site-001", "site-002"}
    assert all(
        inventory.snmp(site.name) is None and inventory.gnmi(site.name) is not None
        for site in intent.sites
    )
    prefixes = {p for app in intent.applications for p in app.prefixes}
    assert prefixes == IPV4_PREFIXES | IPV6_PREFIXES


async def test_with_a_base_port_a_sites_gnmi_target_has_its_snmp_port_number_over_tcp(
    clock: FakeClock,
) -> None:
    base = free_port_block(4)
    async with run_lab(
        sites=2, base_port=base, clock=clock, control=False, protocols="snmp,gnmi"
    ) as lab:
        assert lab.gnmi_ports == {"site-001": base + 1, "site-002": base + 2}
        assert lab.site_ports == lab.gnmi_ports


async def test_a_taken_gnmi_port_is_a_clear_error(clock: FakeClock) -> None:
    base = free_port_block(3)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", base + 1))
        squatter.listen()
        with pytest.raises(
            AgentStartError, match=rf"gNMI on TCP 127.0.0.1:{base + 1} for site-001"
        ):
            async with run_lab(
                sites=1, base_port=base, clock=clock, control=False, protocols="gnmi"
            ):
                pass
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", base + 1))  # the lab left nothing bound


async def test_status_shows_what_each_site_answers_and_its_gnmi_port(
    clock: FakeClock, state_dir: Path
) -> None:
    async with run_lab(
        sites=2, clock=clock, state_dir=state_dir, name="both", protocols="mixed"
    ) as lab:
        where = ["--state-dir", str(state_dir), "--name", "both"]
        text = await asyncio.to_thread(CliRunner().invoke, lab_group, ["status", *where])
        raw = await asyncio.to_thread(CliRunner().invoke, lab_group, ["status", "--json", *where])
        record = LabRecord.from_json((state_dir / "both.json").read_text(encoding="utf-8"))
    assert text.exit_code == 0, text.output
    header, first, second, *_ = text.output.splitlines()[1:]
    assert header.split()[:3] == ["ROUTER", "SNMP", "GNMI"]
    assert first.split()[:3] == [
        "site-001",
        str(lab.site_ports["site-001"]),
        str(lab.gnmi_ports["site-001"]),
    ]
    assert second.split()[:3] == ["site-002", str(lab.site_ports["site-002"]), "-"]
    routers = {r["name"]: r for r in json.loads(raw.output)["routers"]}
    assert routers["site-001"]["protocols"] == ["gnmi", "snmp"]
    assert routers["site-001"]["gnmi_port"] == lab.gnmi_ports["site-001"]
    assert routers["core-mpls"]["gnmi_port"] is None
    assert record.gnmi_ports == lab.gnmi_ports


def test_a_state_file_without_gnmi_ports_reads_as_a_lab_without_gnmi() -> None:
    older = {
        "format": 1, "name": "old", "pid": 1, "socket": "s", "host": "127.0.0.1",
        "snmp_version": "2c", "sites": 1, "seed": 1, "ports": {"site-001": 161},
    }  # fmt: skip
    assert LabRecord.from_json(json.dumps(older)).gnmi_ports == {}


@pytest.mark.parametrize("value", ["snmp,snmp", "netconf", "", "gnmi,mixed"])
def test_unknown_protocols_are_a_usage_error(value: str, state_dir: Path) -> None:
    result = CliRunner().invoke(lab_group, ["--protocols", value, "--state-dir", str(state_dir)])
    assert result.exit_code == EXIT_UNKNOWN
    assert "choose mixed, snmp, gnmi, snmp,gnmi" in result.output
