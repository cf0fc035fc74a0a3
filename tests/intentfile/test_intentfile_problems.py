"""Each kind of mistake in an intent file is reported exactly, at its line, without follow-ons.

Every case is BASE (see intentfile_helpers) broken in one way; the test asserts
the complete list of problems, so a case also fails when a mistake drags
unrelated complaints behind it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.intentfile.intentfile_helpers import BASE, SITE2, edit, problems

CASES = [
    pytest.param(
        edit("    marking: {mpls: {med: 100}}", "    marking: {mpls: {medd: 100}}"),
        [
            "intent.yaml:9: applications.legacy.marking.mpls.medd: "
            "unknown key 'medd' (did you mean 'med'?)"
        ],
        id="unknown-key-suggests-the-closest-valid-key",
    ),
    pytest.param(
        edit("  snmp: {credentials: lab}", "  snmp: {credentials: lab, xyz: 1}"),
        [
            "intent.yaml:19: site_defaults.snmp.xyz: unknown key 'xyz' (valid keys: "
            "credentials, host, max_repetitions, port, retries, targeted_bgp, timeout)"
        ],
        id="unknown-key-without-a-close-match-lists-the-valid-keys",
    ),
    pytest.param(
        BASE + "site_default: {}\n",
        [
            "intent.yaml:28: site_default: unknown key 'site_default' "
            "(did you mean 'site_defaults'?)"
        ],
        id="unknown-top-level-key",
    ),
    pytest.param(
        edit("    links: [mpls, inet]\n", "    links: [mpls, inet]\n    links: [inet]\n")
        + "links: {}\n",
        [
            "intent.yaml:9: applications.legacy.links: duplicate key 'links' "
            "(first given on line 8)",
            "intent.yaml:29: links: duplicate key 'links' (first given on line 2)",
        ],
        id="every-duplicate-key-is-reported-with-the-first-line",
    ),
    pytest.param(
        edit("[mpls, inet]\n    marking", "[mpls, inet\n    marking"),
        [
            "intent.yaml:9: YAML syntax error: expected ',' or ']', but got ':' "
            "(while parsing a flow sequence)"
        ],
        id="yaml-syntax-error-at-the-parser-line",
    ),
    pytest.param(
        edit("snmp: {port: 16101}", "snmp: {port: abc}"),
        ["intent.yaml:26: sites[branch-01].snmp.port: expected a whole number, got 'abc'"],
        id="wrong-type-says-what-was-expected",
    ),
    pytest.param(
        edit("    links: [mpls, inet]", "    links: 5"),
        [
            "intent.yaml:8: applications.legacy.links[0]: expected text, got the number 5",
        ],
        id="wrong-type-in-a-list",
    ),
    pytest.param(
        edit("version: 1", "version: 2"),
        ["intent.yaml:1: version: unsupported version 2 (this sprmon reads version 1)"],
        id="unsupported-version-stops-before-anything-else",
    ),
    pytest.param(
        edit("version: 1\n", "", edit("links:\n  mpls: {}", "links:\n  mpls: {}\n  x y: {}")),
        [
            "intent.yaml:1: version: required key 'version' is missing (add 'version: 1')",
            "intent.yaml:3: links.x y: name 'x y' must start with a letter or digit and use only "
            "letters, digits, '-' and '_'",
        ],
        id="missing-version-and-bad-link-name",
    ),
    pytest.param(
        edit("[10.0.21.0/24]", "[10.0.21.1/24, 10.0.300.0/24, 10.0.22.0]"),
        [
            "intent.yaml:7: applications.legacy.prefixes[0]: '10.0.21.1/24' has host bits set "
            "(did you mean 10.0.21.0/24?)",
            "intent.yaml:7: applications.legacy.prefixes[1]: '10.0.300.0/24' is not an IPv4 or "
            "IPv6 prefix",
            "intent.yaml:7: applications.legacy.prefixes[2]: '10.0.22.0' has no prefix length: "
            "write e.g. 10.0.22.0/24",
        ],
        id="bad-prefixes",
    ),
    pytest.param(
        edit(
            "address: 127.0.0.1, snmp: {port: 16101}", "address: 10.0.0.300, snmp: {port: 16101}"
        ).replace("neighbors: 198.51.100.5", "neighbors: [198.51.100.5, 'fe80::zz']"),
        [
            "intent.yaml:26: sites[branch-01].address: '10.0.0.300' is not an IPv4 or IPv6 address",
            "intent.yaml:27: sites[branch-02].links.mpls.neighbors[1]: 'fe80::zz' is not an IPv4 "
            "or IPv6 address",
        ],
        id="bad-addresses",
    ),
    pytest.param(
        edit("    links: [mpls, inet]", "    links: [mpls, mlps, mpls]"),
        [
            "intent.yaml:8: applications.legacy.links[1]: unknown link 'mlps' (defined links: "
            "inet, mpls)",
            "intent.yaml:8: applications.legacy.links[2]: link 'mpls' is listed twice",
        ],
        id="application-link-undefined-or-listed-twice",
    ),
    pytest.param(
        edit(
            "    marking: {mpls: {med: 100}}", "    marking: {mlps: {med: 100}, inet: {}}"
        ).replace("  links: [inet, mpls]", "  links: [inet]\n  marking: {mpls: {med: 200}}"),
        [
            "intent.yaml:9: applications.legacy.marking.mlps: unknown link 'mlps' (defined links: "
            "inet, mpls)",
            "intent.yaml:13: default_application.marking.mpls: marking for link 'mpls', which "
            "this application does not use (its links: inet)",
        ],
        id="marking-for-an-undefined-or-unused-link",
    ),
    pytest.param(
        edit("  big: {links: {inet: {capacity: 1Gbps}}}", "  big: {links: {lte: {}}}")
        .replace("links: {mpls: {neighbors: 198.51.100.1}}", "links: {mlps: {}}")
        .replace("    mpls: {capacity: 10Mbps", "    mpls: {capacity: 10Mbps}\n    5g: {}\n#"),
        [
            "intent.yaml:22: site_defaults.links.5g: unknown link '5g' (defined links: inet, mpls)",
            "intent.yaml:26: groups.big.links.lte: unknown link 'lte' (defined links: inet, mpls)",
            "intent.yaml:28: sites[branch-01].links.mlps: unknown link 'mlps' (defined links: "
            "inet, mpls)",
        ],
        id="undefined-link-in-defaults-group-and-site",
    ),
    pytest.param(
        edit("    links: [mpls, inet]", "    links: []"),
        ["intent.yaml:8: applications.legacy.links: an application needs at least one link"],
        id="application-without-links",
    ),
    pytest.param(
        edit("  prefixes: [10.0.10.0/24]", "  prefixes: [10.0.10.0/24, 10.0.21.0/24]"),
        [
            "intent.yaml:11: default_application.prefixes[1]: prefix 10.0.21.0/24 is also in "
            "application 'legacy' (line 7): a prefix belongs to one application (a more "
            "specific one may belong to another)"
        ],
        id="same-prefix-in-two-applications",
    ),
    pytest.param(
        edit("[10.0.21.0/24]", '["2001:db8:21::/48", 10.0.21.0/24, "2001:DB8:21:0::/48"]'),
        [
            "intent.yaml:7: applications.legacy.prefixes[2]: prefix 2001:db8:21::/48 is listed "
            "twice (also on line 7)"
        ],
        id="same-prefix-twice-in-one-application-even-written-differently",
    ),
    pytest.param(
        edit(SITE2, SITE2.replace("branch-02", "branch-01")),
        [
            "intent.yaml:27: sites[branch-01].name: site name 'branch-01' is already used "
            "(intent.yaml:26)"
        ],
        id="duplicate-site-name",
    ),
    pytest.param(
        edit("{port: 16102}", "{port: 16101}"),
        [
            "intent.yaml:27: sites[branch-02].snmp: SNMP target 127.0.0.1:16101 is already used "
            "by site 'branch-01' (intent.yaml:26)"
        ],
        id="two-sites-with-the-same-snmp-target",
    ),
    pytest.param(
        edit("{port: 16101}", "{port: 16101}, gnmi: {credentials: gnmi-ro}").replace(
            "{port: 16102}", "{port: 16102}, gnmi: {host: 127.0.0.1, credentials: gnmi-ro}"
        ),
        [
            "intent.yaml:27: sites[branch-02].gnmi: gNMI target 127.0.0.1:57400 is already used "
            "by site 'branch-01' (intent.yaml:26)"
        ],
        id="two-sites-with-the-same-gnmi-target",
    ),
    pytest.param(
        edit("    mpls: {capacity: 10Mbps, interface: eth1}", "    mpls: {interface: eth1}"),
        [
            "intent.yaml:26: sites[branch-01].links.mpls.capacity: not set for site 'branch-01' "
            "(set it in the site or site_defaults)",
            "intent.yaml:27: sites[branch-02].links.mpls.capacity: not set for site 'branch-02' "
            "(set it in the site, its group 'big' or site_defaults)",
        ],
        id="capacity-missing-after-merge-says-where-to-set-it",
    ),
    pytest.param(
        edit("capacity: 10Mbps", "capacity: 10").replace("capacity: 100Mbps", "capacity: 100MB"),
        [
            "intent.yaml:21: site_defaults.links.mpls.capacity: capacity needs a unit, e.g. 10Mbps",
            "intent.yaml:22: site_defaults.links.inet.capacity: unknown capacity unit 'MB' "
            "(use bps, kbps, Kbps, Mbps, Gbps or Tbps)",
        ],
        id="capacity-without-unit-or-with-unknown-unit-and-no-follow-ons",
    ),
    pytest.param(
        edit("{capacity: 1Gbps}", "{capacity: 1gbps}"),
        [
            "intent.yaml:24: groups.big.links.inet.capacity: unknown capacity unit 'gbps' "
            "(did you mean 'Gbps'?)"
        ],
        id="capacity-unit-in-the-wrong-case",
    ),
    pytest.param(
        BASE + "thresholds: {utilization_warning: 90%, utilization_critical: 0.85}\n",
        [
            "intent.yaml:28: thresholds.utilization_warning: utilization_warning (90%) must be "
            "below utilization_critical (85%)"
        ],
        id="warning-threshold-not-below-critical",
    ),
    pytest.param(
        BASE + "thresholds:\n  error_rate_critical: 1\n  utilization_warning: 97%\n"
        "  stale_after: 0\n",
        [
            "intent.yaml:29: thresholds.error_rate_critical: error_rate_warning (1/s, the default) "
            "must be below error_rate_critical (1/s)",
            "intent.yaml:30: thresholds.utilization_warning: utilization_warning (97%) must be "
            "below utilization_critical (95%, the default)",
            "intent.yaml:31: thresholds.stale_after: a duration must be greater than 0, "
            "got the number 0",
        ],
        id="thresholds-checked-against-defaults-and-each-key-on-its-own",
    ),
    pytest.param(
        BASE + "thresholds: {utilization_warning: 120%, utilization_critical: 80}\n",
        [
            "intent.yaml:28: thresholds.utilization_warning: '120%' is outside 0..1 (0% to 100%)",
            "intent.yaml:28: thresholds.utilization_critical: 80 is not a ratio between 0 and 1: "
            "write 80% or 0.8",
        ],
        id="ratio-outside-0-to-1",
    ),
    pytest.param(
        edit("community: {env: SPRMON_SNMP_COMMUNITY}", "community: public"),
        [
            "intent.yaml:15: credentials.lab.snmp.community: secrets are given by reference: "
            "{env: NAME} or {file: PATH}"
        ],
        id="inline-secret",
    ),
    pytest.param(
        edit("password: {env: SPRMON_GNMI_PASSWORD}", "password: {env: 1X, file: p}"),
        [
            "intent.yaml:17: credentials.gnmi-ro.gnmi.password.env: '1X' is not an environment "
            "variable name"
        ],
        id="secret-reference-with-a-bad-environment-variable-name",
    ),
    pytest.param(
        edit(
            "{version: 2c, community: {env: SPRMON_SNMP_COMMUNITY}}",
            "{version: 3, user: u, priv: {protocol: aes128, key: {env: K}}}",
        ),
        [
            "intent.yaml:15: credentials.lab.snmp: SNMP v3 privacy (priv) needs authentication "
            "(auth) as well"
        ],
        id="snmp-v3-privacy-without-authentication",
    ),
    pytest.param(
        edit("{version: 2c, community:", "{version: 1, community:"),
        ["intent.yaml:15: credentials.lab.snmp.version: unsupported SNMP version 1 (use 2c or 3)"],
        id="unsupported-snmp-version",
    ),
    pytest.param(
        edit("group: big,", "group: bigg,"),
        ["intent.yaml:27: sites[branch-02].group: unknown group 'bigg' (defined groups: big)"],
        id="unknown-group",
    ),
    pytest.param(
        edit("snmp: {port: 16101}", "snmp: {port: 16101, credentials: labb}"),
        [
            "intent.yaml:26: sites[branch-01].snmp.credentials: unknown credentials 'labb' "
            "(defined credentials: gnmi-ro, lab)"
        ],
        id="unknown-credentials",
    ),
    pytest.param(
        edit("  snmp: {credentials: lab}", "  snmp: {credentials: gnmi-ro}"),
        [
            "intent.yaml:19: site_defaults.snmp.credentials: credentials 'gnmi-ro' have no snmp "
            "section (credentials with snmp: lab)"
        ],
        id="credentials-of-the-wrong-kind-without-follow-ons",
    ),
    pytest.param(
        edit("  snmp: {credentials: lab}\n", ""),
        [
            "intent.yaml:25: sites[branch-01].snmp.credentials: not set for site 'branch-01' "
            "(set it in the site or site_defaults)",
            "intent.yaml:26: sites[branch-02].snmp.credentials: not set for site 'branch-02' "
            "(set it in the site, its group 'big' or site_defaults)",
        ],
        id="snmp-target-without-credentials",
    ),
    pytest.param(
        edit("  snmp: {credentials: lab}\n", "")
        .replace(" snmp: {port: 16101},", "")
        .replace("snmp: {port: 16102}", "snmp: {port: 16102, credentials: lab}"),
        [
            "intent.yaml:25: sites[branch-01]: site 'branch-01' has no snmp or gnmi target: set "
            "snmp or gnmi in the site or site_defaults"
        ],
        id="site-without-any-target",
    ),
    pytest.param(
        edit(" address: 127.0.0.1, snmp: {port: 16101}", " snmp: {port: 16101}"),
        [
            "intent.yaml:26: sites[branch-01].snmp.host: not set for site 'branch-01' (set "
            "address or snmp.host in the site or site_defaults)"
        ],
        id="snmp-target-without-host",
    ),
    pytest.param(
        edit("links: {mpls: {neighbors: 198.51.100.1}}", "links: {mpls: {neighbors: 203.0.113.1}}"),
        [
            "intent.yaml:26: sites[branch-01].links.inet.neighbors: 203.0.113.1 is also one of "
            "the neighbors of link 'mpls': sprmon could not tell which link a path uses"
        ],
        id="neighbor-claimed-by-two-links",
    ),
    pytest.param(
        edit("links: {mpls: {neighbors: 198.51.100.1}}", "links: {mpls: {}}"),
        [
            "intent.yaml:26: sites[branch-01].links.mpls.neighbors: not set for site 'branch-01': "
            "give the BGP neighbors (or next_hops) of link 'mpls' in the site or site_defaults, "
            "so that sprmon can tell which paths use it"
        ],
        id="link-without-neighbors-or-next-hops",
    ),
    pytest.param(
        edit(
            "address: 127.0.0.1, snmp: {port: 16101}",
            "address: 127.0.0.1, snmp: {port: 16101}, labels: {region-x: n}",
        ),
        [
            "intent.yaml:26: sites[branch-01].labels.region-x: label name 'region-x' must be "
            "letters, digits and '_', not starting with a digit (it becomes a Prometheus label)"
        ],
        id="label-name-that-cannot-be-a-prometheus-label",
    ),
    pytest.param(
        edit("  legacy:\n", "  default:\n"),
        [
            "intent.yaml:6: applications.default: the name 'default' is reserved for "
            "default_application"
        ],
        id="application-named-default",
    ),
    pytest.param(
        edit("interface: eth1", "interface: 0").replace(
            "{med: 100}", "{med: 100, communities: ['65000:70000']}"
        ),
        [
            "intent.yaml:9: applications.legacy.marking.mpls.communities[0]: '65000:70000' is not "
            'a BGP community: write ASN:VALUE ("65000:100", each part 0..65535) or a large '
            "community ASN:DATA1:DATA2",
            "intent.yaml:21: site_defaults.links.mpls.interface: an ifIndex is 1 or more, got 0",
        ],
        id="bad-community-and-interface-index",
    ),
    pytest.param(
        edit("sites:\n", "sites: []\nold_sites:\n"),
        [
            "intent.yaml:1: no sites: add a sites list or a sites_csv file",
            "intent.yaml:26: old_sites: unknown key 'old_sites' (did you mean 'sites'?)",
        ],
        id="no-sites",
    ),
    pytest.param(
        edit(
            "  big: {links: {inet: {capacity: 1Gbps}}}",
            "  big: &big {links: {}}\n  bigger: {<<: *big, labels: !local {a: b}}",
        ),
        [
            "intent.yaml:25: groups.bigger: YAML merge keys ('<<') are not supported: share "
            "settings with site_defaults or groups",
            "intent.yaml:25: groups.bigger.labels: YAML tag '!local' is not supported here",
        ],
        id="yaml-merge-keys-and-tags-are-refused",
    ),
    pytest.param(
        edit("  links: [inet, mpls]\n", "  links: [inet, mpls]\napplications: {}\n", BASE)
        .replace("default_application:\n  prefixes: [10.0.10.0/24]\n  links: [inet, mpls]\n", "")
        .replace("applications:\n  legacy:", "old:\n  legacy:"),
        [
            "intent.yaml:5: old: unknown key 'old' (valid keys: version, links, applications, "
            "default_application, thresholds, credentials, site_defaults, groups, sites, "
            "sites_csv, monitor, mqtt)",
            "intent.yaml:10: applications: no applications: add applications and/or "
            "default_application (which prefixes must use which links)",
        ],
        id="no-applications",
    ),
    pytest.param(
        "",
        ["intent.yaml:1: the file is empty: an intent file starts with version: 1"],
        id="empty-file",
    ),
    pytest.param(
        "- version: 1\n",
        [
            "intent.yaml:1: expected a mapping of sections (version, links, applications, sites, "
            "...), got a list"
        ],
        id="top-level-list",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_bad_intent_file_reports_exactly_these_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert problems(tmp_path, text) == expected


def test_problems_come_back_sorted_by_line_whatever_order_they_were_found_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    text = edit("version: 1", "version: 1\nextra: 1").replace("interface: eth1", "interface: []")
    found = problems(tmp_path, text)
    lines = [int(p.split(":")[1]) for p in found]
    assert lines == sorted(lines)
    assert len(found) == 2
