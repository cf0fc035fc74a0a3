"""Sites from sites_csv: dotted columns, lists, empty cells, and problems at row lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.intentfile.intentfile_helpers import BASE, load_all, problems

WITH_CSV = BASE + "sites_csv: sites.csv\n"
HEADER = "name,group,address,snmp.port,links.mpls.neighbors,links.mpls.interface,labels.region\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_csv_rows_become_sites_merged_like_yaml_sites(tmp_path: Path) -> None:
    csv = HEADER + (
        "branch-03,big,127.0.0.2,16103, 198.51.100.9 ; 2001:DB8:100:0::1 ,7,south\n"
        "\n"  # blank lines are skipped
        "branch-04,,127.0.0.2,16104,198.51.100.13,,\n"
    )
    loaded = load_all(tmp_path, WITH_CSV, csv)
    intent = loaded.intent
    assert [site.name for site in intent.sites] == [
        "branch-01",
        "branch-02",
        "branch-03",
        "branch-04",
    ]
    three = intent.site("branch-03")
    three_snmp = loaded.inventory.snmp("branch-03")
    assert three is not None and three_snmp is not None
    assert (three_snmp.host, three_snmp.port) == ("127.0.0.2", 16103)
    mpls, inet = three.links
    assert mpls.neighbors == ("198.51.100.9", "2001:db8:100::1")
    assert (mpls.interface_index, mpls.interface_name) == (7, None)
    assert inet.capacity_bps == 1_000_000_000  # from group big
    assert three.group == "big"
    assert three.labels == {"region": "south"}
    four = intent.site("branch-04")
    assert four is not None
    # Empty cells fall back to site_defaults.
    assert four.links[0].interface_name == "eth1"
    assert four.labels == {}


def test_misspelt_and_unknown_columns_are_reported_once_on_the_header_line(
    tmp_path: Path,
) -> None:
    csv = (
        "name,address,snmp.port,links.mpls.neighbors,links.mpls.capacty,links.mlps.capacity,"
        "snmp,labels\n"
        "branch-03,127.0.0.2,16103,198.51.100.9,1,2,3,4\n"
        "branch-04,127.0.0.2,16104,198.51.100.13,1,2,3,4\n"
    )
    assert problems(tmp_path, WITH_CSV, csv) == [
        "sites.csv:1: links.mpls.capacty: unknown key 'capacty' (did you mean 'capacity'?)",
        "sites.csv:1: links.mlps.capacity: unknown link 'mlps' (defined links: inet, mpls)",
        "sites.csv:1: snmp: 'snmp' is a section, not a value: give its fields as columns, e.g. "
        "snmp.credentials",
        "sites.csv:1: labels: a label column is labels.NAME",
    ]


def test_row_problems_name_the_site_and_column_at_the_row_line(tmp_path: Path) -> None:
    csv = HEADER + (
        "branch-03,big,127.0.0.2,99999,198.51.100.9,eth1,north\n"
        '"branch-04",bigg,127.0.0.2,"16104",198.51.100.300,,\n'
        ",,127.0.0.2,16105,198.51.100.21,,\n"
        "branch-06,,127.0.0.2\n"
    )
    assert problems(tmp_path, WITH_CSV, csv) == [
        "sites.csv:2: sites[branch-03].snmp.port: must be less than or equal to 65535, got '99999'",
        "sites.csv:3: sites[branch-04].group: unknown group 'bigg' (defined groups: big)",
        "sites.csv:3: sites[branch-04].links.mpls.neighbors[0]: '198.51.100.300' is not an IPv4 "
        "or IPv6 address",
        "sites.csv:4: sites[line 4].name: required key 'name' is missing",
        "sites.csv:5: row has 3 cells but the header has 7",
    ]


def test_site_names_must_be_unique_across_yaml_and_csv(tmp_path: Path) -> None:
    csv = HEADER + "branch-02,,127.0.0.2,16102,198.51.100.9,,\n"
    assert problems(tmp_path, WITH_CSV, csv) == [
        "sites.csv:2: sites[branch-02].name: site name 'branch-02' is already used (intent.yaml:27)"
    ]


def test_snmp_target_must_be_unique_across_yaml_and_csv(tmp_path: Path) -> None:
    csv = HEADER + "branch-03,,127.0.0.1,16101,198.51.100.9,,\n"
    assert problems(tmp_path, WITH_CSV, csv) == [
        "sites.csv:2: sites[branch-03].snmp: SNMP target 127.0.0.1:16101 is already used by "
        "site 'branch-01' (intent.yaml:26)"
    ]


def test_csv_site_missing_a_capacity_says_where_to_set_it(tmp_path: Path) -> None:
    text = WITH_CSV.replace("links: {inet: {capacity: 1Gbps}}", "links: {inet: {}}").replace(
        "inet: {capacity: 100Mbps, ", "inet: {"
    )
    csv = HEADER + "branch-03,big,127.0.0.2,16103,198.51.100.9,,\n"
    found = problems(tmp_path, text, csv)
    assert found[-1] == (
        "sites.csv:2: sites[branch-03].links.inet.capacity: not set for site 'branch-03' "
        "(set it in the site, its group 'big' or site_defaults)"
    )


def test_csv_without_name_column_is_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, WITH_CSV, "address,snmp.port\n127.0.0.2,16103\n") == [
        "sites.csv:1: no 'name' column: every site needs a name"
    ]


def test_missing_csv_file_is_reported_at_the_sites_csv_line(tmp_path: Path) -> None:
    assert problems(tmp_path, WITH_CSV) == [
        "intent.yaml:28: sites_csv: cannot read sites from sites.csv: file not found"
    ]


def test_csv_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    (tmp_path / "sites.csv").write_bytes(b"name\nbranch-\xe9\n")
    assert problems(tmp_path, WITH_CSV) == ["sites.csv: not UTF-8 text (invalid continuation byte)"]


def test_csv_with_broken_quoting_is_reported_at_its_line(tmp_path: Path) -> None:
    csv = HEADER + 'branch-03,,127.0.0.2,16103,"198.51.100.9"x,,\n'
    found = problems(tmp_path, WITH_CSV, csv)
    assert len(found) == 1
    assert found[0].startswith("sites.csv:2: CSV syntax error")
