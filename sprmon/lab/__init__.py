"""A simulated dual-uplink WAN whose routers are real SNMP agents and gNMI targets on loopback.

    async with run_lab(sites=5, seed=1, intent_path=tmp / "intent.yaml") as lab:
        lab.site_ports["site-001"]                # UDP port of the site's agent
        lab.inject("site-001", "link-down", "mpls")
        lab.model.best_link("site-001", "10.0.21.0/24")   # -> "inet"
        lab.clear("site-001")

    async with run_lab(sites=5, protocols="mixed") as lab:
        lab.gnmi_ports["site-001"]                # TCP port of the site's gNMI target
        lab.gnmi_credentials                      # username and password it requires

See docs/lab.md. :mod:`sprmon.lab.model` (the simulation, with the modules
it builds on: ``plan``, ``network``, ``bgp``, ``faults``, ``traffic``,
``counters``, ``state``) and :mod:`sprmon.lab.control` (talking to a running lab) need only
the standard library; so do a v2c lab's agents (:mod:`sprmon.lab.v2c_agents`).
pysnmp is imported only by an SNMPv3 lab (or ``v2c_backend="pysnmp"``), and
grpc (:mod:`sprmon.lab.gnmi`) only when some site answers gNMI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sprmon.lab.credentials import (
    GnmiCredentials,
    LabCredentials,
    V2cCredentials,
    V3Credentials,
)
from sprmon.lab.errors import (
    AgentStartError,
    ControlError,
    FaultError,
    LabError,
    NoLabRunningError,
    SeveralLabsRunningError,
)
from sprmon.lab.faults import ActiveFault, Fault
from sprmon.lab.model import WanModel

if TYPE_CHECKING:
    from sprmon.lab.gnmi.server import GnmiTls
    from sprmon.lab.runner import Lab, run_lab

__all__ = [
    "ActiveFault",
    "AgentStartError",
    "ControlError",
    "Fault",
    "FaultError",
    "GnmiCredentials",
    "GnmiTls",
    "Lab",
    "LabCredentials",
    "LabError",
    "NoLabRunningError",
    "SeveralLabsRunningError",
    "V2cCredentials",
    "V3Credentials",
    "WanModel",
    "run_lab",
]


def __getattr__(name: str) -> Any:
    # Load the agent side (and the control server) only when somebody runs a
    # lab: ``sprmon lab inject`` and friends need only the model's names.
    if name in ("Lab", "run_lab"):
        from sprmon.lab import runner  # noqa: PLC0415

        return getattr(runner, name)
    if name == "GnmiTls":
        from sprmon.lab.gnmi import server  # noqa: PLC0415 - grpc only when used

        return server.GnmiTls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
