"""A simulated dual-uplink WAN whose routers are real SNMP agents on loopback.

    async with run_lab(sites=5, seed=1, intent_path=tmp / "intent.yaml") as lab:
        lab.site_ports["site-001"]                # UDP port of the site's agent
        lab.inject("site-001", "link-down", "mpls")
        lab.model.best_link("site-001", "10.0.21.0/24")   # -> "inet"
        lab.clear("site-001")

See docs/lab.md. :mod:`sprmon.lab.model` (the simulation, with the modules
it builds on: ``plan``, ``bgp``, ``faults``, ``traffic``, ``counters``,
``state``) and :mod:`sprmon.lab.control` (talking to a running lab) need only
the standard library; :func:`run_lab` needs pysnmp (the ``snmp`` extra) and
imports it on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sprmon.lab.credentials import LabCredentials, V2cCredentials, V3Credentials
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
    from sprmon.lab.runner import Lab, run_lab

__all__ = [
    "ActiveFault",
    "AgentStartError",
    "ControlError",
    "Fault",
    "FaultError",
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
    # pysnmp takes 0.2 s to import: load the
    # agent side only when somebody runs a lab.
    if name in ("Lab", "run_lab"):
        from sprmon.lab import runner  # noqa: PLC0415

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
