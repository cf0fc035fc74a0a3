"""The intent file (and its secret files) matching a running lab.

Format: version 1 of sprmon's intent file, as read by
:func:`sprmon.intentfile.load_intent`. Each site gets an ``snmp`` section, a
``gnmi`` section or both: the protocols it answers (``sprmon lab
--protocols``). The IPv6 application prefixes are listed only when every site
answers gNMI: BGP4-MIB cannot show IPv6 paths, so at a site read over SNMP
they would only ever evaluate to ``unknown``.

Written as text rather than through a YAML library so that the layout (one
line per site, flow style) stays readable at 200 sites and byte-stable for
tests. Every value written is a plain token that needs no quoting, except the
CA file's path and the CSV file's name, written as JSON (hence YAML) strings.

A fleet of more than :data:`MAX_YAML_SITES` sites has its sites in a CSV file
next to the intent (``sites_csv``, named by :func:`sites_csv_path`), one row
each, with the same values a YAML site would have: an intent file holds at
most 50,000 YAML values, about 2,600 lab sites.

The secret files have fixed names next to the intent, so a folder holds one
lab's files: :func:`~sprmon.lab.intent_folder.claim_intent_folder` locks it
while the lab runs, and a second lab given the same folder is refused instead
of silently replacing the first one's intent, sites and community.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sprmon.core.prefixes import Prefix, prefix_version
from sprmon.lab.credentials import (
    V3_AUTH_PROTOCOL,
    V3_PRIV_PROTOCOL,
    GnmiCredentials,
    LabCredentials,
    V2cCredentials,
)
from sprmon.lab.errors import LabError
from sprmon.lab.files import write_atomically
from sprmon.lab.plan import APPLICATIONS, INET, LINK_ROLES, MPLS, SitePlan, core_med

COMMUNITY_FILE = "lab-community.secret"
AUTH_KEY_FILE = "lab-auth.secret"
PRIV_KEY_FILE = "lab-priv.secret"
GNMI_PASSWORD_FILE = "lab-gnmi-password.secret"
CREDENTIALS_NAME = "lab"
#: The most sites the intent lists in YAML; a larger fleet's go in a CSV file.
#: A lab site takes about 19 YAML values: 1,000 sites make 19,000 of the
#: 50,000 an intent may hold and load in 2 to 3 s of CPU (0.1 s from CSV);
#: 2,000 take 5 s, and past about 2,600 the intent is refused. Up to here the
#: intent stays one file with its sites in it, as people read it and as the
#: benchmarks edit it (bench_gnmi rewrites its site lines): the demo, the tests
#: and the benchmarks' labs (1,000 sites at most by default) write what they
#: always wrote.
MAX_YAML_SITES = 1_000

_LINK_DESCRIPTIONS = {
    MPLS: "MPLS/VPN: 10 Mbps, SLA",
    INET: "Internet: 100 Mbps, best effort",
}


#: A site section's settings, in the order written: a plain YAML token, or a
#: path (written as a JSON string in YAML, as it is in CSV).
Options = Sequence[tuple[str, str | Path]]


class LabPlan(Protocol):
    """What the intent is written from: the lab's sites on paper
    (:class:`~sprmon.lab.model.WanModel` is one)."""

    @property
    def seed(self) -> int: ...

    @property
    def sites(self) -> Sequence[SitePlan]: ...


def _flow_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _flow_mapping(options: Options) -> str:
    return "{" + ", ".join(f"{key}: {_yaml_value(value)}" for key, value in options) + "}"


def _yaml_value(value: str | Path) -> str:
    return json.dumps(str(value)) if isinstance(value, Path) else value


def _capacity(bps: int) -> str:
    if bps % 1_000_000_000 == 0:
        return f"{bps // 1_000_000_000}Gbps"
    if bps % 1_000_000 == 0:
        return f"{bps // 1_000_000}Mbps"
    if bps % 1000 == 0:
        return f"{bps // 1000}kbps"
    return f"{bps}bps"


@dataclass(frozen=True, slots=True)
class GnmiTargets:
    """The lab's gNMI side, as the intent describes it."""

    #: Site -> TCP port, for the sites that answer gNMI.
    ports: Mapping[str, int] = field(default_factory=dict)
    credentials: GnmiCredentials | None = None
    tls: bool = False
    #: The CA a collector verifies the targets' certificate with.
    ca_file: Path | None = None


_GNMI_TIMEOUT = "2s"
_SNMP_OPTIONS: Options = (("credentials", CREDENTIALS_NAME), ("timeout", "1s"), ("retries", "1"))


def sites_csv_path(intent: Path) -> Path:
    """Where the intent written at ``intent`` keeps its sites when they are in CSV.

    Named after the intent rather than fixed like the secret files, so that it
    does not replace a ``sites.csv`` the user keeps there (examples/large has one).
    """
    return intent.with_name(f"{intent.stem}-sites.csv")


def sites_csv_for(intent: Path, sites: int, *, max_yaml_sites: int = MAX_YAML_SITES) -> Path | None:
    """The CSV file the intent of a lab of ``sites`` sites has, or None: its sites are in YAML."""
    return sites_csv_path(intent) if sites > max_yaml_sites else None


def _gnmi_options(gnmi: GnmiTargets) -> Options:
    options: list[tuple[str, str | Path]] = []
    if gnmi.credentials is not None:
        options.append(("credentials", CREDENTIALS_NAME))
    options.append(("tls", "true" if gnmi.tls else "false"))
    if gnmi.ca_file is not None:
        options.append(("ca_file", gnmi.ca_file))
    options.append(("timeout", _GNMI_TIMEOUT))
    return options


@dataclass(frozen=True, slots=True)
class _Targets:
    """How the intent reaches each site: what all sites share goes into site_defaults."""

    plan: LabPlan
    #: Site -> SNMP (UDP) port, for the sites that answer SNMP.
    site_ports: Mapping[str, int]
    gnmi: GnmiTargets

    @property
    def every_snmp(self) -> bool:
        return len(self.site_ports) == len(self.plan.sites)

    @property
    def every_gnmi(self) -> bool:
        return len(self.gnmi.ports) == len(self.plan.sites)

    def of(self, site: SitePlan) -> dict[str, Options]:
        """The ``snmp`` and ``gnmi`` sections of ``site`` (those it answers), less the defaults."""
        sections: dict[str, Options] = {}
        if site.name in self.site_ports:
            shared: Options = () if self.every_snmp else _SNMP_OPTIONS
            sections["snmp"] = [("port", str(self.site_ports[site.name])), *shared]
        if site.name in self.gnmi.ports:
            options = () if self.every_gnmi else _gnmi_options(self.gnmi)
            sections["gnmi"] = [("port", str(self.gnmi.ports[site.name])), *options]
        return sections


def _header(targets: _Targets) -> list[str]:
    if not targets.gnmi.ports:
        return [
            "# IPv4 prefixes only: the lab's routers are read over SNMP, and BGP4-MIB",
            "# (RFC 4273) cannot show IPv6 paths.",
        ]
    lines = ["# Each site's snmp and gnmi sections say which protocols it answers."]
    if targets.every_gnmi:
        lines.append("# IPv6 prefixes too: every site answers gNMI, which shows IPv6 paths.")
    else:
        lines += [
            "# IPv4 prefixes only: BGP4-MIB (RFC 4273) cannot show IPv6 paths, and not",
            "# every site answers gNMI.",
        ]
    return lines


def render_intent(
    model: LabPlan,
    *,
    host: str,
    site_ports: Mapping[str, int],
    credentials: LabCredentials,
    lab_name: str,
    gnmi: GnmiTargets | None = None,
    sites_csv: str | None = None,
) -> str:
    """The intent YAML for ``model``'s sites served at ``host``.

    ``site_ports``: SNMP (UDP) port of each site that answers SNMP;
    ``gnmi``: the sites that answer gNMI, and how; ``sites_csv``: the name of
    the file (next to the intent) that holds the sites, as
    :func:`render_sites_csv` writes them, instead of a ``sites`` list.
    """
    targets = _Targets(model, site_ports, gnmi or GnmiTargets())
    lines = [
        f"# Written by `sprmon lab` for the lab {lab_name!r} (seed {model.seed},"
        f" {len(model.sites)} sites); valid while it runs.",
        *_header(targets),
    ]
    if sites_csv is not None:
        lines += [
            "# The sites are in the sites_csv file, one row each: a fleet this large",
            "# loads faster from CSV than from YAML, which holds at most 50,000 values.",
        ]
    lines += ["version: 1", "links:"]
    for role in LINK_ROLES:
        lines.append(f'  {role}: {{description: "{_LINK_DESCRIPTIONS[role]}"}}')
    lines += _applications(every_gnmi=targets.every_gnmi)
    lines += _credentials(targets, credentials)
    lines += _site_defaults(targets, host)
    if sites_csv is not None:
        lines.append(f"sites_csv: {json.dumps(sites_csv)}")
        return "\n".join(lines) + "\n"
    lines.append("sites:")
    for site in model.sites:
        neighbours = ", ".join(
            f"{link.role}: {{neighbors: [{link.core_address}]}}" for link in site.links
        )
        parts = [
            f"name: {site.name}",
            *(
                f"{section}: {_flow_mapping(options)}"
                for section, options in targets.of(site).items()
            ),
            f"links: {{{neighbours}}}",
        ]
        lines.append(f"  - {{{', '.join(parts)}}}")
    return "\n".join(lines) + "\n"


def _applications(*, every_gnmi: bool) -> list[str]:
    def body(prefixes: list[Prefix], links: tuple[str, ...]) -> str:
        preferred = links[0]
        med = core_med(preferred, prefixes[0])
        return (
            f"{{prefixes: {_flow_list(prefixes)}, links: {_flow_list(links)},"
            f" marking: {{{preferred}: {{med: {med}}}}}}}"
        )

    lines = ["applications:"]
    default_line = None
    for app in APPLICATIONS:
        prefixes = [p for p in app.prefixes if every_gnmi or prefix_version(p) == 4]
        if app.is_default:
            default_line = f"default_application: {body(prefixes, app.links)}"
        else:
            lines.append(f"  {app.name}: {body(prefixes, app.links)}")
    if default_line is not None:
        lines.append(default_line)
    return lines


def _credentials(targets: _Targets, credentials: LabCredentials) -> list[str]:
    gnmi = targets.gnmi
    sections = []
    if targets.site_ports or not gnmi.ports:
        sections.append(f"snmp: {_snmp_credentials(credentials)}")
    if gnmi.ports and gnmi.credentials is not None:
        sections.append(
            f"gnmi: {{username: {gnmi.credentials.username},"
            f" password: {{file: {GNMI_PASSWORD_FILE}}}}}"
        )
    if not sections:
        return []
    return ["credentials:", f"  {CREDENTIALS_NAME}: {{{', '.join(sections)}}}"]


def _site_defaults(targets: _Targets, host: str) -> list[str]:
    lines = ["site_defaults:", f"  address: {host}"]
    if targets.every_snmp:
        lines.append(f"  snmp: {_flow_mapping(_SNMP_OPTIONS)}")
    if targets.every_gnmi:
        lines.append(f"  gnmi: {_flow_mapping(_gnmi_options(targets.gnmi))}")
    lines.append("  links:")
    for link in targets.plan.sites[0].links:
        lines.append(
            f"    {link.role}: {{capacity: {_capacity(link.capacity_bps)},"
            f" interface: {link.if_name}}}"
        )
    return lines


def render_sites_csv(
    model: LabPlan, *, site_ports: Mapping[str, int], gnmi: GnmiTargets | None = None
) -> str:
    """The sites of :func:`render_intent` as a ``sites_csv`` file: one row each.

    A row holds what the site's YAML line would (its name, its ``snmp`` and
    ``gnmi`` sections, its links' neighbours), cell by cell, so the intent
    loads the same either way; a site without a section leaves its cells empty.
    """
    targets = _Targets(model, site_ports, gnmi or GnmiTargets())
    rows: list[dict[str, str]] = []
    for site in model.sites:
        row = {"name": site.name}
        for section, options in targets.of(site).items():
            row.update((f"{section}.{key}", str(value)) for key, value in options)
        for link in site.links:
            row[f"links.{link.role}.neighbors"] = link.core_address
        rows.append(row)
    # Every column any site uses, in the order the first sites use them.
    columns = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([row.get(column, "") for column in columns] for row in rows)
    return out.getvalue()


def _snmp_credentials(credentials: LabCredentials) -> str:
    if isinstance(credentials, V2cCredentials):
        return f"{{version: 2c, community: {{file: {COMMUNITY_FILE}}}}}"
    return (
        f"{{version: 3, user: {credentials.user},"
        f" auth: {{protocol: {V3_AUTH_PROTOCOL}, key: {{file: {AUTH_KEY_FILE}}}}},"
        f" priv: {{protocol: {V3_PRIV_PROTOCOL}, key: {{file: {PRIV_KEY_FILE}}}}}}}"
    )


def secret_files(
    credentials: LabCredentials, gnmi_credentials: GnmiCredentials | None = None
) -> dict[str, str]:
    """File name -> content of the secret files the intent refers to (SNMP ones first)."""
    if isinstance(credentials, V2cCredentials):
        files = {COMMUNITY_FILE: credentials.community}
    else:
        files = {AUTH_KEY_FILE: credentials.auth_key, PRIV_KEY_FILE: credentials.priv_key}
    if gnmi_credentials is not None:
        files[GNMI_PASSWORD_FILE] = gnmi_credentials.password
    return files


def write_intent(
    path: Path,
    model: LabPlan,
    *,
    host: str,
    site_ports: Mapping[str, int],
    credentials: LabCredentials,
    lab_name: str,
    gnmi: GnmiTargets | None = None,
    max_yaml_sites: int = MAX_YAML_SITES,
) -> list[Path]:
    """Write the intent file, its secret files (0600) and its sites' CSV file, if it
    has one (more than ``max_yaml_sites`` sites, see :func:`sites_csv_for`), next
    to it; return their paths.

    Existing files are replaced: the intent describes the lab that runs now.
    The intent is written last, so it never names a CSV file not written yet.
    """
    csv_path = sites_csv_for(path, len(model.sites), max_yaml_sites=max_yaml_sites)
    text = render_intent(
        model,
        host=host,
        site_ports=site_ports,
        credentials=credentials,
        lab_name=lab_name,
        gnmi=gnmi,
        sites_csv=None if csv_path is None else csv_path.name,
    )
    gnmi_credentials = gnmi.credentials if gnmi is not None and gnmi.ports else None
    # The secrets are written without a newline: the file holds exactly the secret.
    files = [
        (path.parent / name, secret, 0o600)
        for name, secret in secret_files(credentials, gnmi_credentials).items()
    ]
    if csv_path is not None:
        files.append((csv_path, render_sites_csv(model, site_ports=site_ports, gnmi=gnmi), 0o644))
    files.append((path, text, 0o644))
    written: list[Path] = []
    target = path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for target, content, mode in files:
            write_atomically(target, content, mode)
            written.append(target)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise LabError(
            f"cannot write the lab's intent to {path}: "
            f"{reason if target == path else f'{target.name}: {reason}'}; "
            "choose another --write-intent path"
        ) from exc
    return written
