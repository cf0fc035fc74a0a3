"""``gnmi.use``: what a site reads over gNMI (the rest over SNMP), checked where it is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from sprmon.collector.gnmi.plan import site_plan
from sprmon.inventory import ALL_PARTS, DataPart
from tests.intentfile.intentfile_helpers import BASE, SITE1, SITE2, edit, load_all, problems

GNMI_ONLY = "  - {name: branch-03, address: 127.0.0.3, gnmi: {credentials: gnmi-ro%s}, links: {mpls: {neighbors: 198.51.100.9}}}\n"  # noqa: E501


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_a_site_with_both_targets_reads_everything_over_gnmi_unless_use_says_otherwise(
    tmp_path: Path,
) -> None:
    text = edit(
        SITE1,
        SITE1.replace(
            "snmp: {port: 16101}", "snmp: {port: 16101}, gnmi: {port: 57401, credentials: gnmi-ro}"
        ),
    )
    text = edit(
        SITE2,
        SITE2.replace(
            "snmp: {port: 16102}",
            "snmp: {port: 16102}, gnmi: {port: 57402, credentials: gnmi-ro, use: bgp}",
        ),
        text,
    )
    one, two = load_all(tmp_path, text).inventory.values()
    assert one.gnmi is not None and one.gnmi.use == ALL_PARTS
    assert two.gnmi is not None and two.gnmi.use == (DataPart.BGP,)
    assert (site_plan(one).gnmi, site_plan(one).snmp) == (ALL_PARTS, ())
    assert (site_plan(two).gnmi, site_plan(two).snmp) == ((DataPart.BGP,), (DataPart.INTERFACES,))
    assert site_plan(two).merged
    assert site_plan(two, gnmi=False).snmp == ALL_PARTS, "no gNMI collector: SNMP reads it all"


def test_use_can_be_set_once_for_every_site_in_site_defaults(tmp_path: Path) -> None:
    text = edit(
        "  snmp: {credentials: lab}\n",
        "  snmp: {credentials: lab}\n  gnmi: {credentials: gnmi-ro, use: [interfaces]}\n",
    )
    text = text.replace("snmp: {port: 16101}", "snmp: {port: 16101}, gnmi: {port: 57401}")
    text = text.replace("snmp: {port: 16102}", "snmp: {port: 16102}, gnmi: {port: 57402}")
    for access in load_all(tmp_path, text).inventory.values():
        assert access.gnmi is not None and access.gnmi.use == (DataPart.INTERFACES,)


@pytest.mark.parametrize(
    ("use", "message"),
    [
        (", use: []", "sites[branch-03].gnmi.use: name at least one of bgp, interfaces"),
        (", use: [bgp, bgp]", "sites[branch-03].gnmi.use: bgp is listed twice"),
        (", use: [rib]", "sites[branch-03].gnmi.use[0]: unsupported value 'rib'"),
        (
            ", use: [bgp]",
            "sites[branch-03].gnmi.use: site 'branch-03' has no snmp target to read interfaces "
            "with: add interfaces to gnmi.use, or give the site an snmp target",
        ),
    ],
)
def test_a_use_that_cannot_work_is_reported_at_its_line(
    tmp_path: Path, use: str, message: str
) -> None:
    # site_defaults gives every site an snmp target: branch-03 must not get one.
    text = edit("  snmp: {credentials: lab}\n", "") + (GNMI_ONLY % use)
    text = text.replace("snmp: {port: 16101}", "snmp: {port: 16101, credentials: lab}")
    text = text.replace("snmp: {port: 16102}", "snmp: {port: 16102, credentials: lab}")
    line = text.splitlines().index((GNMI_ONLY % use).rstrip("\n")) + 1
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    assert found[0].startswith(f"intent.yaml:{line}: {message}"), found


def test_use_in_a_csv_column_separates_its_items_with_semicolons(tmp_path: Path) -> None:
    text = BASE + "sites_csv: sites.csv\n"
    csv = "name,address,snmp.port,gnmi.credentials,gnmi.use,links.mpls.neighbors\n"
    csv += "branch-09,127.0.0.9,16109,gnmi-ro,bgp;interfaces,198.51.100.33\n"
    *_, nine = load_all(tmp_path, text, csv).inventory.values()
    assert nine.gnmi is not None and nine.gnmi.use == ALL_PARTS
