"""A small valid intent file and helpers to break it one way at a time.

The line numbers of BASE are part of the tests' expectations: append to it
rather than inserting lines in the middle, or adjust the expected lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sprmon.core.intent import Intent
from sprmon.intentfile import IntentFileError, LoadedIntent, load_config, load_intent

BASE = """\
version: 1
links:
  mpls: {}
  inet: {}
applications:
  legacy:
    prefixes: [10.0.21.0/24]
    links: [mpls, inet]
    marking: {mpls: {med: 100}}
default_application:
  prefixes: [10.0.10.0/24]
  links: [inet, mpls]
credentials:
  lab:
    snmp: {version: 2c, community: {env: SPRMON_SNMP_COMMUNITY}}
  gnmi-ro:
    gnmi: {username: sprmon, password: {env: SPRMON_GNMI_PASSWORD}}
site_defaults:
  snmp: {credentials: lab}
  links:
    mpls: {capacity: 10Mbps, interface: eth1}
    inet: {capacity: 100Mbps, interface: eth2, neighbors: 203.0.113.1}
groups:
  big: {links: {inet: {capacity: 1Gbps}}}
sites:
"""
SITE1 = (
    "  - {name: branch-01, address: 127.0.0.1, snmp: {port: 16101},"
    " links: {mpls: {neighbors: 198.51.100.1}}}"
)
SITE2 = (
    "  - {name: branch-02, group: big, address: 127.0.0.1, snmp: {port: 16102},"
    " links: {mpls: {neighbors: 198.51.100.5}}}"
)
BASE += f"{SITE1}\n{SITE2}\n"


def edit(old: str, new: str, text: str = BASE) -> str:
    """``text`` with the one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def write(folder: Path, text: str, csv: str | None = None) -> Path:
    path = folder / "intent.yaml"
    path.write_text(text, encoding="utf-8")
    if csv is not None:
        (folder / "sites.csv").write_text(csv, encoding="utf-8")
    return path


def problems(folder: Path, text: str, csv: str | None = None) -> list[str]:
    """The problems load_intent reports, as printed, for files written into ``folder``.

    The caller has made ``folder`` the working directory, so that file names
    print as ``intent.yaml`` and ``sites.csv``.
    """
    write(folder, text, csv)
    with pytest.raises(IntentFileError) as info:
        load_intent(Path("intent.yaml"))
    return [str(problem) for problem in info.value.problems]


def load(folder: Path, text: str, csv: str | None = None) -> Intent:
    return load_all(folder, text, csv).intent


def load_all(folder: Path, text: str, csv: str | None = None) -> LoadedIntent:
    """The policy, the inventory and the MQTT broker of files written into ``folder``."""
    write(folder, text, csv)
    return load_config(Path("intent.yaml"))
