"""A whole running lab: model, SNMP agents, gNMI targets, intent file, control channel.

:func:`run_lab` is the programmatic entry point (tests, the demo, benchmarks);
``sprmon lab`` runs it from the command line. The gNMI side (grpc, pygnmi's
stubs) is imported only when some site answers gNMI.
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import math
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sprmon.lab.agents import AgentPool, V2cBackend
from sprmon.lab.control import (
    ControlServer,
    LabRecord,
    default_state_dir,
    prepare_state_dir,
    scan_state_dir,
    socket_path,
    state_file,
    validate_name,
    write_record,
)
from sprmon.lab.credentials import (
    GnmiCredentials,
    LabCredentials,
    SnmpVersion,
    V2cCredentials,
    generate_credentials,
    generate_gnmi_credentials,
)
from sprmon.lab.errors import LabError
from sprmon.lab.faults import ActiveFault, Fault
from sprmon.lab.intent_file import GnmiTargets, write_intent
from sprmon.lab.intent_folder import claim_intent_folder
from sprmon.lab.model import WanModel
from sprmon.lab.plan import MAX_SITES
from sprmon.lab.protocols import GNMI, SNMP, parse_protocols
from sprmon.lab.status import summarize

if TYPE_CHECKING:
    from sprmon.lab.gnmi.server import GnmiPool, GnmiTls

_unique = itertools.count(1)


class Lab:
    """A running lab, as :func:`run_lab` hands it out.

    ``inject``/``clear`` act on the model directly (no socket); the agents
    show the change from their next request on, and the gNMI targets push it
    to their ON_CHANGE subscribers at once.
    """

    def __init__(
        self,
        *,
        name: str,
        model: WanModel,
        agents: AgentPool,
        credentials: LabCredentials,
        intent_path: Path | None,
        state_dir: Path | None,
        clock: Callable[[], float],
        protocols: dict[str, frozenset[str]],
        gnmi: GnmiPool | None = None,
    ) -> None:
        self.name = name
        self.model = model
        self.credentials = credentials
        self.intent_path = intent_path
        self.state_dir = state_dir
        self.host = agents.host
        self._agents = agents
        self._gnmi = gnmi
        self._clock = clock
        sites = {s.name for s in model.sites}
        #: Site name -> the protocols it answers ("snmp", "gnmi").
        self.protocols = protocols
        #: Site name -> UDP port of its SNMP agent (sites that answer SNMP).
        self.site_ports: dict[str, int] = {r: p for r, p in agents.ports.items() if r in sites}
        #: Core router name -> UDP port of its agent.
        self.core_ports: dict[str, int] = {r: p for r, p in agents.ports.items() if r not in sites}
        #: Site name -> TCP port of its gNMI target (sites that answer gNMI).
        self.gnmi_ports: dict[str, int] = dict(gnmi.ports) if gnmi is not None else {}
        #: The username and password the gNMI targets require (None: none).
        self.gnmi_credentials: GnmiCredentials | None = (
            gnmi.credentials if gnmi is not None else None
        )
        #: The gNMI targets' certificate, if they speak TLS.
        self.gnmi_tls: GnmiTls | None = gnmi.tls if gnmi is not None else None

    @property
    def ports(self) -> dict[str, int]:
        """Every router (sites, then cores) -> UDP port."""
        return {**self.site_ports, **self.core_ports}

    @property
    def snmp_version(self) -> SnmpVersion:
        return self.credentials.version

    @property
    def community(self) -> str:
        """The v2c community (a :class:`LabError` in a v3 lab)."""
        if not isinstance(self.credentials, V2cCredentials):
            raise LabError(f"lab {self.name!r} speaks SNMPv3: it has no community")
        return self.credentials.community

    def now(self) -> float:
        return max(self.model.now, self._clock())

    def tick(self) -> None:
        """Advance the simulation to the clock's time now instead of at the next tick."""
        self.model.advance(self.now())
        self._changed()

    def _changed(self, router: str | None = None) -> None:
        """Wake the gNMI subscriptions that ``router``'s change concerns (None: all)."""
        if self._gnmi is None:
            return
        if router is None or self.model.is_core(router):
            # A core's fault (a reboot) reaches every site through its sessions.
            self._gnmi.changed()
        else:
            self._gnmi.changed([router])

    def inject(
        self,
        site: str,
        fault: Fault | str,
        link: str | None = None,
        *,
        prefix: str | None = None,
        med: int | None = None,
    ) -> ActiveFault:
        """Apply a fault to a router (see :meth:`WanModel.inject`)."""
        record = self.model.inject(site, fault, link=link, prefix=prefix, med=med, now=self.now())
        if record.fault is Fault.REBOOT and self._gnmi is not None:
            self._gnmi.restarted(site)
        self._changed(site)
        return record

    def clear(self, site: str) -> tuple[ActiveFault, ...]:
        """Remove every fault of a router; return what was removed."""
        removed = self.model.clear(site, now=self.now())
        self._changed(site)
        return removed

    def status(self) -> dict[str, Any]:
        """The lab and every router, JSON-ready (what ``sprmon lab status --json`` prints)."""
        routers = []
        for router in self.model.router_names:
            summary = asdict(summarize(self.model, router))
            summary["port"] = self.ports.get(router)
            summary["gnmi_port"] = self.gnmi_ports.get(router)
            summary["protocols"] = sorted(self.protocols.get(router, {SNMP}))
            routers.append(summary)
        return {
            "name": self.name,
            "pid": os.getpid(),
            "host": self.host,
            "snmp_version": self.snmp_version,
            "sites": len(self.model.sites),
            "seed": self.model.seed,
            "tick_s": self._agents.tick,
            "intent": None if self.intent_path is None else str(self.intent_path),
            "gnmi": {
                "sites": len(self.gnmi_ports),
                "tls": self.gnmi_tls is not None,
                "username": None
                if self.gnmi_credentials is None
                else self.gnmi_credentials.username,
            },
            "routers": routers,
        }

    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        """One control-channel request (see :mod:`sprmon.lab.control`)."""
        op = message.get("op")
        if op == "status":
            return self.status()
        router = message.get("router")
        if not isinstance(router, str):
            raise LabError(f"{op!r} needs a router name")
        if op == "inject":
            med = message.get("med")
            if med is not None and not isinstance(med, int):
                raise LabError(f"the MED must be an integer, not {med!r}")
            record = self.inject(
                router,
                str(message.get("fault")),
                _optional_str(message.get("link")),
                prefix=_optional_str(message.get("prefix")),
                med=med,
            )
            return {"router": router, "fault": record.describe(), "fault_kind": record.fault.value}
        if op == "clear":
            removed = self.clear(router)
            return {"router": router, "removed": [f.describe() for f in removed]}
        raise LabError(f"unknown operation {op!r}; operations are inject, clear, status")


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _plan_ports(model: WanModel, base_port: int | None) -> dict[str, int]:
    """Site N gets base+N, then core-mpls and core-inet follow the last site."""
    if base_port is None:
        return dict.fromkeys(model.router_names, 0)
    last = base_port + len(model.router_names)
    if base_port < 1 or last > 65535:
        raise LabError(
            f"--base-port {base_port} with {len(model.sites)} sites needs ports "
            f"{base_port + 1}..{last}, outside 1..65535"
        )
    return {router: base_port + i for i, router in enumerate(model.router_names, start=1)}


def _check_host(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError as exc:
        raise LabError(f"the lab listens on an IPv4 loopback address, not {host!r}") from exc
    if address.version != 4 or not address.is_loopback:
        raise LabError(
            f"the lab listens on an IPv4 loopback address (127.0.0.0/8), not {host}: "
            "its agents are for this machine only"
        )
    return str(address)


@contextlib.asynccontextmanager
async def run_lab(
    *,
    sites: int = 5,
    seed: int = 1,
    state_dir: Path | str | None = None,
    intent_path: Path | str | None = None,
    base_port: int | None = None,
    tick: float = 1.0,
    name: str | None = None,
    snmp_version: SnmpVersion = "2c",
    host: str = "127.0.0.1",
    control: bool = True,
    clock: Callable[[], float] = time.time,
    protocols: str = SNMP,
    gnmi_auth: bool = True,
    gnmi_tls: GnmiTls | None = None,
    counter_refresh_s: float = 0.0,
    v2c_backend: V2cBackend = "native",
) -> AsyncIterator[Lab]:
    """Run a lab until the ``async with`` block ends.

    ``sites`` remote sites plus ``core-mpls`` and ``core-inet`` answer SNMP
    (``snmp_version`` "2c" or "3" authPriv SHA-256/AES-128, fresh random
    credentials in ``lab.credentials``) on ``host``, on free ports unless
    ``base_port`` is given (site N on base+N, the cores after the last site).
    The model advances every ``tick`` seconds of ``clock``; ``counter_refresh_s``
    makes each router's interface counters change only that often (see
    :class:`~sprmon.lab.model.WanModel`; keep ``tick`` well below it).

    ``protocols`` ("snmp", "gnmi", "snmp,gnmi" or "mixed": see
    :mod:`sprmon.lab.protocols`) says which sites answer SNMP and which gNMI;
    a site's gNMI target listens on TCP, on the same port number as its SNMP
    agent would on UDP when ``base_port`` is given. ``gnmi_auth``: the targets
    require a username and a fresh random password (``lab.gnmi_credentials``);
    ``gnmi_tls``: they speak TLS with that certificate and key.

    ``intent_path``: write the matching intent file there, with its secret
    files next to it. ``control``: serve ``sprmon lab inject/clear/status`` on
    a socket in ``state_dir`` (default: see :func:`default_state_dir`) under
    ``name`` (default: a name unique to this process and call).
    ``v2c_backend="pysnmp"`` serves a v2c lab with pysnmp's agents instead of
    the native ones (same answers, several times the CPU; for comparisons).
    """
    if not 1 <= sites <= MAX_SITES:
        raise LabError(f"the lab runs 1 to {MAX_SITES} sites, not {sites}")
    if snmp_version not in ("2c", "3"):
        raise LabError(f"the lab speaks SNMP 2c or 3, not {snmp_version!r}")
    if not (math.isfinite(tick) and tick > 0):
        raise LabError(f"the tick must be a positive number of seconds, not {tick}")
    if counter_refresh_s < 0:
        raise LabError(
            f"the counter refresh period must be 0 (off) or positive, not {counter_refresh_s}"
        )
    host = _check_host(host)
    lab_name = validate_name(name or f"lab-{os.getpid()}-{next(_unique)}")
    model = WanModel(sites=sites, seed=seed, start=clock(), counter_refresh_s=counter_refresh_s)
    ports = _plan_ports(model, base_port)
    directory, control_socket = _control_location(state_dir, lab_name) if control else (None, None)
    credentials = generate_credentials(snmp_version)
    intent = _absolute(intent_path)
    plan = parse_protocols(protocols)
    site_protocols = {site.name: plan.of(site.index) for site in model.sites}
    gnmi_sites = [name for name, served in site_protocols.items() if GNMI in served]
    snmp_routers = [
        r for r in model.router_names if SNMP in site_protocols.get(r, frozenset({SNMP}))
    ]

    async with contextlib.AsyncExitStack() as stack:
        if intent is not None:
            # Before any port is taken: a second lab on the same folder fails at once.
            stack.enter_context(claim_intent_folder(intent, lab_name=lab_name))
        gnmi = None
        if gnmi_sites:
            from sprmon.lab.gnmi.server import GnmiPool  # noqa: PLC0415 - grpc only if used

            gnmi = await stack.enter_async_context(
                GnmiPool(
                    model,
                    sites=gnmi_sites,
                    host=host,
                    ports={site: ports[site] for site in gnmi_sites},
                    credentials=generate_gnmi_credentials() if gnmi_auth else None,
                    tls=gnmi_tls,
                )
            )
        agents = await stack.enter_async_context(
            AgentPool(
                model,
                credentials=credentials,
                host=host,
                ports=ports,
                tick=tick,
                clock=clock,
                routers=snmp_routers,
                on_tick=None if gnmi is None else gnmi.changed,
                v2c_backend=v2c_backend,
            )
        )
        lab = Lab(
            name=lab_name,
            model=model,
            agents=agents,
            credentials=credentials,
            intent_path=intent,
            state_dir=directory,
            clock=clock,
            protocols=site_protocols,
            gnmi=gnmi,
        )
        if intent is not None:
            write_intent(
                intent,
                model,
                host=host,
                site_ports=lab.site_ports,
                credentials=credentials,
                lab_name=lab_name,
                gnmi=GnmiTargets(
                    ports=lab.gnmi_ports,
                    credentials=lab.gnmi_credentials,
                    tls=gnmi_tls is not None,
                    ca_file=None if gnmi_tls is None else gnmi_tls.ca_file,
                ),
            )
        if directory is not None and control_socket is not None:
            await stack.enter_async_context(ControlServer(control_socket, lab.handle))
            record = LabRecord(
                name=lab_name,
                pid=os.getpid(),
                socket=str(control_socket),
                host=host,
                snmp_version=snmp_version,
                sites=sites,
                seed=seed,
                ports=lab.ports,
                intent=None if intent is None else str(intent),
                gnmi_ports=lab.gnmi_ports,
            )
            stack.callback(_remove_quietly, state_file(directory, lab_name))
            write_record(directory, record)
        yield lab


def _control_location(state_dir: Path | str | None, lab_name: str) -> tuple[Path, Path]:
    """The state directory and control socket of a new lab called ``lab_name``."""
    directory = prepare_state_dir(Path(state_dir) if state_dir is not None else default_state_dir())
    control_socket = socket_path(directory, lab_name)
    scan = scan_state_dir(directory)
    for record in scan.labs:
        if record.name == lab_name:
            raise LabError(
                f"a lab named {lab_name!r} already runs (pid {record.pid}); "
                "stop it or choose another --name"
            )
    foreign = scan.foreign(lab_name)
    if foreign is not None:
        # Starting would overwrite that file and take over its socket.
        raise LabError(
            f"a state file for a lab named {lab_name!r} is in {directory} but not understood: "
            f"{foreign.describe()}; it may belong to a lab of another sprmon version: "
            "choose another --name, or remove the file if no such lab runs"
        )
    return directory, control_socket


def _absolute(path: Path | str | None) -> Path | None:
    return None if path is None else Path(path).absolute()


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
