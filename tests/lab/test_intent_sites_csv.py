"""A large lab's intent keeps its sites in a CSV file next to it, and loads as the YAML would.

Every site written in YAML took about 19 of the 50,000 values an intent file
may hold, so a lab of more than about 2,600 sites wrote an intent that sprmon
refused to load. Past ``MAX_YAML_SITES`` the sites go in ``<intent>-sites.csv``
(``sites_csv``); the YAML keeps the links, applications, credentials and defaults.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from sprmon.intentfile import load_config
from sprmon.intentfile.loaded import LoadedIntent
from sprmon.lab.credentials import (
    GnmiCredentials,
    LabCredentials,
    V2cCredentials,
    V3Credentials,
)
from sprmon.lab.errors import LabError
from sprmon.lab.intent_file import (
    MAX_YAML_SITES,
    GnmiTargets,
    sites_csv_path,
    write_intent,
)
from sprmon.lab.plan import SitePlan, plan_site
from sprmon.lab.protocols import CHOICES, GNMI, MIXED, SNMP, parse_protocols
from tests.lab.helpers import wait_for_lab

_CREDENTIALS: dict[str, LabCredentials] = {
    "v2c": V2cCredentials(community="lab-community"),
    "v3": V3Credentials(auth_key="lab-auth-key", priv_key="lab-priv-key"),
}


@dataclass(frozen=True, slots=True)
class Plan:
    """The lab's sites on paper, as the intent is written from them (no simulation)."""

    seed: int
    sites: tuple[SitePlan, ...]


@dataclass(frozen=True, slots=True)
class Fleet:
    plan: Plan
    site_ports: dict[str, int]
    gnmi: GnmiTargets


def fleet(
    sites: int, protocols: str = MIXED, *, tls: bool = False, ca_file: Path | None = None
) -> Fleet:
    """A lab of ``sites`` sites answering ``protocols`` (``sprmon lab --protocols``)."""
    plan = Plan(seed=1, sites=tuple(plan_site(i) for i in range(1, sites + 1)))
    served = parse_protocols(protocols)
    snmp = {s.name: 20_000 + s.index for s in plan.sites if SNMP in served.of(s.index)}
    gnmi = {s.name: 40_000 + s.index for s in plan.sites if GNMI in served.of(s.index)}
    credentials = GnmiCredentials(password="lab-gnmi-password")
    return Fleet(plan, snmp, GnmiTargets(gnmi, credentials, tls=tls, ca_file=ca_file))


def write(
    path: Path,
    lab: Fleet,
    credentials: LabCredentials = _CREDENTIALS["v2c"],
    max_yaml_sites: int = MAX_YAML_SITES,
) -> list[Path]:
    return write_intent(
        path,
        lab.plan,
        host="127.0.0.1",
        site_ports=lab.site_ports,
        credentials=credentials,
        lab_name="csv",
        gnmi=lab.gnmi,
        max_yaml_sites=max_yaml_sites,
    )


def both_forms(
    path: Path, lab: Fleet, credentials: LabCredentials = _CREDENTIALS["v2c"]
) -> tuple[LoadedIntent, LoadedIntent]:
    """The intent loaded with its sites in YAML, then (same path) with them in CSV."""
    write(path, lab, credentials, max_yaml_sites=len(lab.plan.sites))
    assert not sites_csv_path(path).exists()
    in_yaml = load_config(path)
    write(path, lab, credentials, max_yaml_sites=0)
    assert sites_csv_path(path).exists()
    return in_yaml, load_config(path)


@pytest.mark.parametrize("version", sorted(_CREDENTIALS))
@pytest.mark.parametrize("protocols", CHOICES)
def test_sites_in_csv_load_as_the_same_intent_and_inventory_as_in_yaml(
    tmp_path: Path, protocols: str, version: str
) -> None:
    lab = fleet(7, protocols)
    in_yaml, in_csv = both_forms(tmp_path / "intent.yaml", lab, _CREDENTIALS[version])
    assert in_csv.intent == in_yaml.intent
    assert in_csv.inventory == in_yaml.inventory
    assert len(in_csv.inventory) == 7
    for site in lab.plan.sites:
        access = in_csv.inventory.access(site.name)
        assert (access.snmp is not None) == (site.name in lab.site_ports)
        assert (access.gnmi is not None) == (site.name in lab.gnmi.ports)


def test_gnmi_tls_and_a_ca_file_whose_path_needs_quoting_survive_the_csv(
    tmp_path: Path,
) -> None:
    ca_file = tmp_path / 'certs, "lab"; 1' / "ca.pem"
    lab = fleet(4, MIXED, tls=True, ca_file=ca_file)
    in_yaml, in_csv = both_forms(tmp_path / "intent.yaml", lab)
    assert in_csv.inventory == in_yaml.inventory
    target = in_csv.inventory.gnmi("site-001")
    assert target is not None
    assert (target.tls, target.ca_file, target.port) == (True, str(ca_file), 40_001)
    assert in_csv.inventory.gnmi("site-002") is None


@pytest.mark.slow
def test_a_mixed_lab_past_the_yaml_limit_writes_a_csv_that_loads_as_its_yaml_would(
    tmp_path: Path,
) -> None:
    intent = tmp_path / "lab.yaml"
    lab = fleet(MAX_YAML_SITES + 1, MIXED)
    write(intent, lab, max_yaml_sites=MAX_YAML_SITES + 1)
    in_yaml = load_config(intent)

    written = write(intent, lab)
    csv_file = tmp_path / "lab-sites.csv"
    assert written == [tmp_path / "lab-community.secret", tmp_path / "lab-gnmi-password.secret",
                       csv_file, intent]  # fmt: skip
    assert csv_file.stat().st_mode & 0o777 == 0o644
    text = intent.read_text(encoding="utf-8")
    assert 'sites_csv: "lab-sites.csv"' in text.splitlines()
    assert "\nsites:" not in text
    in_csv = load_config(intent)
    assert in_csv.intent == in_yaml.intent
    assert in_csv.inventory == in_yaml.inventory
    assert len(in_csv.inventory) == MAX_YAML_SITES + 1


def test_up_to_the_limit_the_sites_stay_in_yaml_and_no_csv_is_written(tmp_path: Path) -> None:
    intent = tmp_path / "intent.yaml"
    written = write(intent, fleet(MAX_YAML_SITES, SNMP))
    assert written == [tmp_path / "lab-community.secret", intent]
    text = intent.read_text(encoding="utf-8")
    assert "sites_csv" not in text
    assert text.count("\n  - {name: site-") == MAX_YAML_SITES


def test_a_3000_site_lab_writes_an_intent_that_loads_with_every_site_as_planned(
    tmp_path: Path,
) -> None:
    intent = tmp_path / "intent.yaml"
    lab = fleet(3000, MIXED)
    write(intent, lab, _CREDENTIALS["v3"])
    loaded = load_config(intent)
    assert [s.name for s in loaded.intent.sites] == [s.name for s in lab.plan.sites]
    for site, planned in zip(loaded.intent.sites, lab.plan.sites, strict=True):
        for link in site.links:
            assert link.neighbors == (planned.link(link.role).core_address,)
            assert link.interface_name == planned.link(link.role).if_name
            assert link.capacity_bps == planned.link(link.role).capacity_bps
        snmp, gnmi = loaded.inventory.snmp(site.name), loaded.inventory.gnmi(site.name)
        assert snmp is not None
        assert (snmp.port, snmp.user, snmp.timeout_s) == (
            lab.site_ports[site.name],
            "sprmon-lab",
            1,
        )
        if planned.index % 2:
            assert gnmi is not None
            assert (gnmi.port, gnmi.tls, gnmi.username) == (
                40_000 + planned.index,
                False,
                "sprmon-lab",
            )
        else:
            assert gnmi is None
    text = intent.read_text(encoding="utf-8")
    assert 'sites_csv: "intent-sites.csv"' in text.splitlines()
    assert "\nsites:" not in text


def test_a_csv_that_cannot_be_written_is_reported_by_name_and_no_intent_is_written(
    tmp_path: Path,
) -> None:
    intent = tmp_path / "intent.yaml"
    (tmp_path / "intent-sites.csv").mkdir()
    with pytest.raises(
        LabError,
        match=rf"cannot write the lab's intent to {intent}: intent-sites.csv: Is a directory; "
        "choose another --write-intent path",
    ):
        write(intent, fleet(3, SNMP), max_yaml_sites=0)
    assert not intent.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "intent-sites.csv",
        "lab-community.secret",
    ]


def test_a_csv_that_is_a_link_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "precious.csv"
    victim.write_text("keep me", encoding="utf-8")
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "intent-sites.csv").symlink_to(victim)
    write(folder / "intent.yaml", fleet(3, SNMP), max_yaml_sites=0)
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not (folder / "intent-sites.csv").is_symlink()
    assert len(load_config(folder / "intent.yaml").intent.sites) == 3


@pytest.mark.slow
def test_sprmon_lab_of_3000_sites_names_its_csv_and_its_intent_matches_the_running_lab(
    tmp_path: Path,
) -> None:
    state_dir, intent = tmp_path / "s", tmp_path / "lab" / "intent.yaml"
    process = subprocess.Popen(
        [sys.executable, "-m", "sprmon.lab", "--sites", "3000", "--write-intent", str(intent)],
        env={**os.environ, "SPRMON_LAB_STATE_DIR": str(state_dir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        record = wait_for_lab(state_dir, process)
        loaded = load_config(intent)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert f"  intent:  {intent} (its sites in intent-sites.csv)" in out.splitlines()
    assert len(record.ports) == 3002, "3,000 sites and 2 cores"
    assert len(record.gnmi_ports) == 1500
    assert len(loaded.intent.sites) == 3000
    for site in loaded.intent.sites:
        snmp, gnmi = loaded.inventory.snmp(site.name), loaded.inventory.gnmi(site.name)
        assert snmp is not None
        assert snmp.port == record.ports[site.name]
        assert (gnmi and gnmi.port) == record.gnmi_ports.get(site.name)
