"""sprmon's own SNMP errors.

pysnmp reports failures as error-indication objects inside return tuples; its
backend (:mod:`sprmon.collector.pysnmp_backend`) turns each into one of these
exceptions, as the native SNMPv2c transport does with what it sees, so callers
never see a library type. Every message says what went
wrong and what to check, and never contains a community or key: messages are
built from the target's address and the protocol facts only.
"""

from __future__ import annotations


class SnmpError(Exception):
    """Any failure to collect from an SNMP agent.

    ``target`` is ``host:port`` (safe to print) or empty when not known.
    """

    def __init__(self, message: str, *, target: str = "") -> None:
        super().__init__(message)
        self.target = target

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class SnmpConfigError(SnmpError):
    """The target cannot be used as configured (missing secret, protocol not named)."""


class SnmpTimeout(SnmpError):
    """The agent did not answer within the timeout, after every retry."""


class SnmpUnreachable(SnmpError):
    """The agent's host said nothing listens there (ICMP port unreachable)."""


class SnmpAuthError(SnmpError):
    """The agent refused our SNMPv3 credentials (it said so in a Report PDU)."""


class SnmpProtocolError(SnmpError):
    """The agent answered, but the answer breaks the protocol or the MIB."""


class SnmpMalformedResponse(SnmpProtocolError):
    """The bytes received are not a valid SNMP message."""


class SnmpNonIncreasingOid(SnmpProtocolError):
    """A walk got an OID that is not after the previous one (it would loop forever)."""


class SnmpWrongType(SnmpProtocolError):
    """An object has a different SMI type than its MIB defines."""


#: RFC 3416 error-status names, for messages.
ERROR_STATUS = {
    1: "tooBig",
    2: "noSuchName",
    3: "badValue",
    4: "readOnly",
    5: "genErr",
    6: "noAccess",
    7: "wrongType",
    8: "wrongLength",
    9: "wrongEncoding",
    10: "wrongValue",
    11: "noCreation",
    12: "inconsistentValue",
    13: "resourceUnavailable",
    14: "commitFailed",
    15: "undoFailed",
    16: "authorizationError",
    17: "notWritable",
    18: "inconsistentName",
}
#: The error-status of a response that would not fit the agent's buffer.
TOO_BIG = 1


class SnmpAgentError(SnmpProtocolError):
    """The agent answered with a non-zero error-status (genErr, tooBig, ...)."""

    def __init__(self, message: str, *, target: str = "", status: int = 0) -> None:
        super().__init__(message, target=target)
        self.status = status


class SnmpTableTooLarge(SnmpError):
    """A walk went past the configured row limit (a runaway or endless table)."""


class SnmpBudgetExceeded(SnmpError):
    """The agent sent more than the site's byte budget allows (endless rows, huge values)."""


class SnmpNotSupported(SnmpError):
    """The agent does not serve a table or object we need."""
