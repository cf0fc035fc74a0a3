"""The lab's exceptions: one base class, so a caller can catch everything the lab raises."""

from __future__ import annotations


class LabError(Exception):
    """Something the lab cannot do; the message says what to change."""


class FaultError(LabError):
    """A fault that does not apply: unknown router, fault, link or prefix."""


class AgentStartError(LabError):
    """An SNMP agent or gNMI target could not start (typically: its port is taken)."""


class ControlError(LabError):
    """The control channel of a running lab could not be used."""


class NoLabRunningError(ControlError):
    """No running lab was found in the state directory."""


class SeveralLabsRunningError(ControlError):
    """Several labs run and the command did not say which one (``--name``)."""
