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
CA file's path, written as a JSON (hence YAML) string.

The secret files have fixed names next to the intent, so a folder holds one
lab's files: :func:`claim_intent_folder` locks it while the lab runs, and a
second lab given the same folder is refused instead of silently replacing the
first one's intent and community.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
from sprmon.lab.model import WanModel
from sprmon.lab.plan import APPLICATIONS, INET, LINK_ROLES, MPLS, core_med

COMMUNITY_FILE = "lab-community.secret"
AUTH_KEY_FILE = "lab-auth.secret"
PRIV_KEY_FILE = "lab-priv.secret"
GNMI_PASSWORD_FILE = "lab-gnmi-password.secret"
#: Held (flock) by the lab whose files the folder holds; it names that lab.
LOCK_FILE = ".sprmon-lab.lock"
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


def _header(model: WanModel, gnmi: GnmiTargets) -> list[str]:
    if not gnmi.ports:
        return [
            "# IPv4 prefixes only: the lab's routers are read over SNMP, and BGP4-MIB",
            "# (RFC 4273) cannot show IPv6 paths.",
        ]
    lines = ["# Each site's snmp and gnmi sections say which protocols it answers."]
    if len(gnmi.ports) == len(model.sites):
        lines.append("# IPv6 prefixes too: every site answers gNMI, which shows IPv6 paths.")
    else:
        lines += [
            "# IPv4 prefixes only: BGP4-MIB (RFC 4273) cannot show IPv6 paths, and not",
            "# every site answers gNMI.",
        ]
    return lines


def _gnmi_options(gnmi: GnmiTargets) -> list[str]:
    options = []
    if gnmi.credentials is not None:
        options.append(f"credentials: {CREDENTIALS_NAME}")
    options.append(f"tls: {'true' if gnmi.tls else 'false'}")
    if gnmi.ca_file is not None:
        options.append(f"ca_file: {json.dumps(str(gnmi.ca_file))}")
    options.append(f"timeout: {_GNMI_TIMEOUT}")
    return options


def render_intent(
    model: WanModel,
    *,
    host: str,
    site_ports: Mapping[str, int],
    credentials: LabCredentials,
    lab_name: str,
    gnmi: GnmiTargets | None = None,
) -> str:
    """The intent YAML for ``model``'s sites served at ``host``.

    ``site_ports``: SNMP (UDP) port of each site that answers SNMP;
    ``gnmi``: the sites that answer gNMI, and how.
    """
    gnmi = gnmi or GnmiTargets()
    lines = [
        f"# Written by `sprmon lab` for the lab {lab_name!r} (seed {model.seed},"
        f" {len(model.sites)} sites); valid while it runs.",
        *_header(model, gnmi),
        "version: 1",
        "links:",
    ]
    every_gnmi = len(gnmi.ports) == len(model.sites)
    every_snmp = len(site_ports) == len(model.sites)
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
        prefixes = [p for p in app.prefixes if every_gnmi or prefix_version(p) == 4]
        body = application_body(prefixes, app.links)
        if app.is_default:
            default_line = f"default_application: {body}"
        else:
            lines.append(f"  {app.name}: {body}")
    if default_line is not None:
        lines.append(default_line)

    sections = []
    if site_ports or not gnmi.ports:
        sections.append(f"snmp: {_snmp_credentials(credentials)}")
    if gnmi.ports and gnmi.credentials is not None:
        sections.append(
            f"gnmi: {{username: {gnmi.credentials.username},"
            f" password: {{file: {GNMI_PASSWORD_FILE}}}}}"
        )
    if sections:
        lines += ["credentials:", f"  {CREDENTIALS_NAME}: {{{', '.join(sections)}}}"]

    first = model.sites[0]
    snmp_options = f"credentials: {CREDENTIALS_NAME}, timeout: 1s, retries: 1"
    lines += ["site_defaults:", f"  address: {host}"]
    if every_snmp:
        lines.append(f"  snmp: {{{snmp_options}}}")
    if every_gnmi:
        lines.append(f"  gnmi: {{{', '.join(_gnmi_options(gnmi))}}}")
    lines.append("  links:")
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
        targets = []
        if site.name in site_ports:
            extra = "" if every_snmp else f", {snmp_options}"
            targets.append(f"snmp: {{port: {site_ports[site.name]}{extra}}}")
        if site.name in gnmi.ports:
            extra = "" if every_gnmi else ", " + ", ".join(_gnmi_options(gnmi))
            targets.append(f"gnmi: {{port: {gnmi.ports[site.name]}{extra}}}")
        lines.append(f"  - {{name: {site.name}, {', '.join(targets)}, links: {{{neighbours}}}}}")
    return "\n".join(lines) + "\n"


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
    model: WanModel,
    *,
    host: str,
    site_ports: Mapping[str, int],
    credentials: LabCredentials,
    lab_name: str,
    gnmi: GnmiTargets | None = None,
) -> list[Path]:
    """Write the intent file and its secret files (0600, next to it); return their paths.

    An existing file is replaced: the intent describes the lab that runs now.
    """
    text = render_intent(
        model,
        host=host,
        site_ports=site_ports,
        credentials=credentials,
        lab_name=lab_name,
        gnmi=gnmi,
    )
    gnmi_credentials = gnmi.credentials if gnmi is not None and gnmi.ports else None
    written = []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The secrets are written without a newline: the file holds exactly the secret.
        for name, secret in secret_files(credentials, gnmi_credentials).items():
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


@contextlib.contextmanager
def claim_intent_folder(intent: Path, *, lab_name: str) -> Iterator[None]:
    """Own the folder of ``intent`` (and of its secret files) while the block runs.

    Raises :class:`LabError` naming the lab that owns it already. The claim is
    an advisory lock held by this process, so it ends with the process too: a
    lab that was killed leaves no claim behind, only a file the next lab reuses.
    """
    folder = intent.parent
    path = folder / LOCK_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = _lock(path)
    except OSError as exc:
        raise LabError(
            f"cannot write the lab's intent to {intent}: {exc.strerror or exc}; "
            "choose another --write-intent path"
        ) from exc
    if fd is None:
        raise LabError(
            f"{folder} already holds the intent and secret files of {_owner(path)}, "
            f"which is running: this lab would overwrite them; choose another folder "
            "with --write-intent, or stop that lab"
        )
    try:
        owner = {"name": lab_name, "pid": os.getpid(), "intent": str(intent)}
        os.ftruncate(fd, 0)
        os.write(fd, (json.dumps(owner) + "\n").encode())
        yield
    finally:
        # Removed while still locked: a lab that opened it meanwhile sees it
        # gone once it holds the lock, and opens the new one (see _lock).
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)


def _lock(path: Path) -> int | None:
    """An open descriptor of ``path`` with its exclusive lock, or None if another holds it."""
    while True:
        # Never through a link: another user's link in a shared folder would
        # have this lab truncate the file it points at.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        try:
            opened, present = os.fstat(fd), path.stat()
        except FileNotFoundError:
            os.close(fd)
            continue
        if (opened.st_dev, opened.st_ino) == (present.st_dev, present.st_ino):
            return fd
        os.close(fd)


def _owner(path: Path) -> str:
    """``lab 'x' (pid N)`` as its lock file says, or ``another lab`` if it says nothing yet."""
    try:
        owner = json.loads(path.read_text(encoding="utf-8"))
        return f"lab {str(owner['name'])!r} (pid {int(owner['pid'])})"
    except (OSError, ValueError, TypeError, KeyError):
        return "another lab"
