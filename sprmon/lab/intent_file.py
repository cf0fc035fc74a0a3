"""The intent file (and its secret files) matching a running lab.

Format: version 1 of sprmon's intent file, as read by
:func:`sprmon.intentfile.load_intent`. It lists only the IPv4 application
prefixes: the lab's routers are read over SNMP, and BGP4-MIB cannot show IPv6
paths, so IPv6 prefixes would only ever evaluate to ``unknown``.

Written as text rather than through a YAML library so that the layout (one
line per site, flow style) stays readable at 200 sites and byte-stable for
tests. Every value written is a plain token that needs no quoting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from sprmon.core.prefixes import Prefix, prefix_version
from sprmon.lab.credentials import (
    V3_AUTH_PROTOCOL,
    V3_PRIV_PROTOCOL,
    LabCredentials,
    V2cCredentials,
)
from sprmon.lab.errors import LabError
from sprmon.lab.files import write_atomically
from sprmon.lab.model import WanModel
from sprmon.lab.plan import APPLICATIONS, INET, LINK_ROLES, MPLS, core_med

COMMUNITY_FILE = "lab-community.secret"
AUTH_KEY_FILE = "lab-auth.secret"
PRIV_KEY_FILE = "lab-priv.secret"
CREDENTIALS_NAME = "lab"

_LINK_DESCRIPTIONS = {
    MPLS: "MPLS/VPN: 10 Mbps, SLA",
    INET: "Internet: 100 Mbps, best effort",
}


def _flow_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(items) + "]"


def _capacity(bps: int) -> str:
    if bps % 1_000_000_000 == 0:
        return f"{bps // 1_000_000_000}Gbps"
    if bps % 1_000_000 == 0:
        return f"{bps // 1_000_000}Mbps"
    if bps % 1000 == 0:
        return f"{bps // 1000}kbps"
    return f"{bps}bps"


def render_intent(
    model: WanModel,
    *,
    host: str,
    site_ports: Mapping[str, int],
    credentials: LabCredentials,
    lab_name: str,
) -> str:
    """The intent YAML for ``model``'s sites served at ``host``:``site_ports``."""
    lines = [
        f"# Written by `sprmon lab` for the lab {lab_name!r} (seed {model.seed},"
        f" {len(model.sites)} sites); valid while it runs.",
        "# IPv4 prefixes only: the lab's routers are read over SNMP, and BGP4-MIB",
        "# (RFC 4273) cannot show IPv6 paths.",
        "version: 1",
        "links:",
    ]
    for role in LINK_ROLES:
        lines.append(f'  {role}: {{description: "{_LINK_DESCRIPTIONS[role]}"}}')

    def application_body(prefixes: list[Prefix], links: tuple[str, ...]) -> str:
        preferred = links[0]
        med = core_med(preferred, prefixes[0])
        return (
            f"{{prefixes: {_flow_list(prefixes)}, links: {_flow_list(links)},"
            f" marking: {{{preferred}: {{med: {med}}}}}}}"
        )

    lines.append("applications:")
    default_line = None
    for app in APPLICATIONS:
        prefixes = [p for p in app.prefixes if prefix_version(p) == 4]
        body = application_body(prefixes, app.links)
        if app.is_default:
            default_line = f"default_application: {body}"
        else:
            lines.append(f"  {app.name}: {body}")
    if default_line is not None:
        lines.append(default_line)

    lines.append("credentials:")
    if isinstance(credentials, V2cCredentials):
        lines.append(
            f"  {CREDENTIALS_NAME}: {{snmp: {{version: 2c,"
            f" community: {{file: {COMMUNITY_FILE}}}}}}}"
        )
    else:
        lines.append(
            f"  {CREDENTIALS_NAME}: {{snmp: {{version: 3, user: {credentials.user},"
            f" auth: {{protocol: {V3_AUTH_PROTOCOL}, key: {{file: {AUTH_KEY_FILE}}}}},"
            f" priv: {{protocol: {V3_PRIV_PROTOCOL}, key: {{file: {PRIV_KEY_FILE}}}}}}}}}"
        )

    first = model.sites[0]
    lines += [
        "site_defaults:",
        f"  address: {host}",
        f"  snmp: {{credentials: {CREDENTIALS_NAME}, timeout: 1s, retries: 1}}",
        "  links:",
    ]
    for link in first.links:
        lines.append(
            f"    {link.role}: {{capacity: {_capacity(link.capacity_bps)},"
            f" interface: {link.if_name}}}"
        )
    lines.append("sites:")
    for site in model.sites:
        neighbours = ", ".join(
            f"{link.role}: {{neighbors: [{link.core_address}]}}" for link in site.links
        )
        lines.append(
            f"  - {{name: {site.name}, snmp: {{port: {site_ports[site.name]}}},"
            f" links: {{{neighbours}}}}}"
        )
    return "\n".join(lines) + "\n"


def secret_files(credentials: LabCredentials) -> dict[str, str]:
    """File name -> content of the secret files the intent refers to."""
    if isinstance(credentials, V2cCredentials):
        return {COMMUNITY_FILE: credentials.community}
    return {AUTH_KEY_FILE: credentials.auth_key, PRIV_KEY_FILE: credentials.priv_key}


def write_intent(
    path: Path,
    model: WanModel,
    *,
    host: str,
    site_ports: Mapping[str, int],
    credentials: LabCredentials,
    lab_name: str,
) -> list[Path]:
    """Write the intent file and its secret files (0600, next to it); return their paths.

    An existing file is replaced: the intent describes the lab that runs now.
    """
    text = render_intent(
        model, host=host, site_ports=site_ports, credentials=credentials, lab_name=lab_name
    )
    written = []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The secrets are written without a newline: the file holds exactly the secret.
        for name, secret in secret_files(credentials).items():
            secret_path = path.parent / name
            write_atomically(secret_path, secret, 0o600)
            written.append(secret_path)
        write_atomically(path, text, 0o644)
        written.append(path)
    except OSError as exc:
        raise LabError(
            f"cannot write the lab's intent to {path}: {exc.strerror or exc}; "
            "choose another --write-intent path"
        ) from exc
    return written
