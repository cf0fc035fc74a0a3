"""Valid intent files load into the expected core objects."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sprmon.core.intent import Application, Marking, Site, SiteLink, Thresholds
from sprmon.core.prefixes import Prefix
from sprmon.intentfile import load_config
from sprmon.inventory import AuthProtocol, GnmiTarget, PrivProtocol, SecretRef, SnmpVersion
from tests.intentfile.intentfile_helpers import BASE, edit, load, load_all

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "examples" / "scenario" / "intent.yaml"
LARGE = ROOT / "examples" / "large"


def _link(site: Site, role: str) -> SiteLink:
    link = site.link(role)
    assert link is not None, f"site {site.name} has no link {role}"
    return link


def test_scenario_example_holds_exactly_the_scenario_facts() -> None:
    loaded = load_config(SCENARIO)
    intent = loaded.intent
    assert [(link.name) for link in intent.links] == ["mpls", "inet"]
    assert intent.applications == (
        Application(
            name="legacy",
            prefixes=(Prefix("10.0.21.0/24"), Prefix("2001:db8:21::/48")),
            links=("mpls", "inet"),
            marking={"mpls": Marking(med=100)},
        ),
        Application(
            name="default",
            prefixes=(Prefix("10.0.10.0/24"), Prefix("10.0.30.0/24"), Prefix("2001:db8:10::/48")),
            links=("inet", "mpls"),
            marking={"inet": Marking(med=200)},
            is_default=True,
        ),
    )
    assert intent.thresholds == Thresholds()
    mpls_neighbors = ["198.51.100.1", "198.51.100.5", "198.51.100.9", "198.51.100.13"]
    mpls_neighbors.append("198.51.100.17")
    assert [site.name for site in intent.sites] == [f"branch-0{n}" for n in range(1, 6)]
    for number, (site, neighbor) in enumerate(zip(intent.sites, mpls_neighbors, strict=True)):
        snmp = loaded.inventory.snmp(site.name)
        assert snmp is not None and loaded.inventory.gnmi(site.name) is None
        assert (snmp.host, snmp.port) == ("127.0.0.1", 16101 + number)
        assert snmp.version is SnmpVersion.V2C
        assert snmp.community == SecretRef(env="SPRMON_SNMP_COMMUNITY")
        mpls, inet = site.links
        assert (mpls.role, mpls.capacity_bps, mpls.interface_name) == ("mpls", 10_000_000, "eth1")
        assert mpls.neighbors == (neighbor, "2001:db8:100::1")
        assert (inet.role, inet.capacity_bps, inet.interface_name) == ("inet", 100_000_000, "eth2")
        assert inet.neighbors == ("203.0.113.1", "2001:db8:200::1")


def test_docs_example_loads_with_every_layer_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = (ROOT / "docs" / "intent-file.md").read_text(encoding="utf-8")
    example = re.search(r"```yaml\n(version: 1\n.*?)```", docs, re.DOTALL)
    assert example is not None
    monkeypatch.chdir(tmp_path)
    csv = "name,group,snmp.port,snmp.credentials,links.mpls.neighbors,address\n"
    csv += "branch-03,big-branch,16103,branch-v3,198.51.100.9,127.0.0.1\n"
    loaded = load_all(tmp_path, example.group(1), csv)
    intent, inventory = loaded.intent, loaded.inventory
    one, two, three = intent.sites
    assert intent.thresholds == Thresholds(stale_after_s=300.0)
    # site_defaults only.
    assert _link(one, "inet").capacity_bps == 100_000_000
    # Group over defaults, site over group; the site's single string is a list.
    assert _link(two, "inet").capacity_bps == 1_000_000_000
    assert _link(two, "mpls").neighbors == ("198.51.100.5",)
    assert _link(two, "mpls").interface_name == "eth1"
    assert inventory.gnmi(two.name) == GnmiTarget(
        host="127.0.0.1",
        port=57401,
        username="sprmon",
        password=SecretRef(env="SPRMON_GNMI_PASSWORD"),
    )
    assert two.labels == {"region": "north"}
    # SNMPv3 from the CSV row, with the key file resolved against the intent's folder.
    three_snmp = inventory.snmp(three.name)
    assert three_snmp is not None
    assert three_snmp.version is SnmpVersion.V3
    assert (three_snmp.user, three_snmp.auth_protocol) == ("sprmon", AuthProtocol.SHA256)
    assert three_snmp.priv_protocol is PrivProtocol.AES128
    assert three_snmp.priv_key == SecretRef(file=str(tmp_path / "secrets" / "priv.key"))
    assert three_snmp.community is None


def test_lists_are_replaced_and_mappings_merged_across_layers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = edit(
        "  big: {links: {inet: {capacity: 1Gbps}}}",
        "  big: {links: {inet: {capacity: 1Gbps, neighbors: [192.0.2.1, 192.0.2.2]}},"
        " labels: {tier: big, region: none}, snmp: {timeout: 5s, retries: 3}}",
    ).replace(
        "snmp: {port: 16102}",
        "snmp: {port: 16102, retries: 0}, labels: {region: north}",
    )
    loaded = load_all(tmp_path, text)
    two = loaded.intent.sites[1]
    two_snmp = loaded.inventory.snmp(two.name)
    assert _link(two, "inet").neighbors == ("192.0.2.1", "192.0.2.2")
    assert _link(two, "inet").interface_name == "eth2"
    assert two.labels == {"tier": "big", "region": "north"}
    assert two_snmp is not None
    assert (two_snmp.timeout_s, two_snmp.retries, two_snmp.port) == (5.0, 0, 16102)
    assert two_snmp.community == SecretRef(env="SPRMON_SNMP_COMMUNITY")


def test_addresses_and_prefixes_are_stored_canonical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = edit("[10.0.21.0/24]", '["2001:DB8:21:0::/48"]').replace(
        "neighbors: 198.51.100.1", 'neighbors: ["2001:0db8:100:0:0:0:0:1"]'
    )
    intent = load(tmp_path, text)
    assert intent.applications[0].prefixes == ("2001:db8:21::/48",)
    assert intent.sites[0].links[0].neighbors == ("2001:db8:100::1",)


def test_more_specific_prefix_in_another_application_is_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    intent = load(tmp_path, edit("[10.0.10.0/24]", "[10.0.0.0/16]"))
    assert intent.applications[1].prefixes == ("10.0.0.0/16",)


def test_thresholds_durations_and_interface_indexes_are_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = BASE.replace("interface: eth1", "interface: 3") + (
        "thresholds: {utilization_warning: 0.5, utilization_critical: 75%, "
        "error_rate_warning: 0, error_rate_critical: 2.5, stale_after: 1h}\n"
    )
    intent = load(tmp_path, text)
    assert intent.thresholds == Thresholds(0.5, 0.75, 0.0, 2.5, 3600.0)
    assert intent.sites[0].links[0].interface_index == 3


def test_large_example_loads_10000_sites_with_unique_loopback_targets() -> None:
    loaded = load_config(LARGE / "intent.yaml")
    intent = loaded.intent
    targets = [loaded.inventory.snmp(s.name) for s in intent.sites]
    assert len(intent.sites) == 10_000
    assert len({(t.host, t.port) for t in targets if t}) == 10_000
    assert all(t is not None and t.host.startswith("127.") for t in targets)


def test_large_example_csv_is_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "sites.csv"
    subprocess.run(
        [sys.executable, str(LARGE / "generate_sites.py"), "--out", str(out)],
        check=True,
        timeout=60,
    )
    assert out.read_bytes() == (LARGE / "sites.csv").read_bytes()
