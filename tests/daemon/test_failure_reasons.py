"""The collector's exceptions as the short reasons of ``sprmon_poll_errors_total``."""

from __future__ import annotations

import pytest

from sprmon.collector.errors import (
    SnmpAgentError,
    SnmpAuthError,
    SnmpConfigError,
    SnmpMalformedResponse,
    SnmpNonIncreasingOid,
    SnmpNotSupported,
    SnmpTableTooLarge,
    SnmpTimeout,
    SnmpUnreachable,
    SnmpWrongType,
)
from sprmon.daemon.collector import FailureReason
from sprmon.daemon.snmp import failure_reason


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (SnmpTimeout("x"), FailureReason.TIMEOUT),
        (TimeoutError(), FailureReason.TIMEOUT),
        (SnmpUnreachable("x"), FailureReason.UNREACHABLE),
        (SnmpAuthError("x"), FailureReason.AUTH),
        (SnmpMalformedResponse("x"), FailureReason.MALFORMED),
        (SnmpNonIncreasingOid("x"), FailureReason.MALFORMED),
        (SnmpWrongType("x"), FailureReason.MALFORMED),
        (SnmpAgentError("x", status=5), FailureReason.MALFORMED),
        (SnmpTableTooLarge("x"), FailureReason.MALFORMED),
        (SnmpConfigError("x"), FailureReason.OTHER),
        (SnmpNotSupported("x"), FailureReason.OTHER),
        (RuntimeError("x"), FailureReason.OTHER),
    ],
)
def test_each_error_class_has_its_reason(error: BaseException, reason: FailureReason) -> None:
    assert failure_reason([error]) is reason


def test_the_agent_going_silent_wins_over_an_earlier_table_problem() -> None:
    assert failure_reason([SnmpWrongType("x"), SnmpTimeout("y")]) is FailureReason.TIMEOUT


def test_otherwise_the_first_problem_is_the_reason() -> None:
    assert failure_reason([SnmpWrongType("x"), SnmpNotSupported("y")]) is FailureReason.MALFORMED


def test_errors_without_an_exception_are_other() -> None:
    assert failure_reason([]) is FailureReason.OTHER
