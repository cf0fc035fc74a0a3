"""One log line per state change, as text or one JSON object per line."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from sprmon.core.monitor import StateChange, Subject
from sprmon.core.prefixes import Prefix
from sprmon.daemon.logs import JsonFormatter, change_event, change_text, log_changes

AT = 1_764_590_403.5

DRIFT = StateChange(
    at=AT,
    site="site-002",
    subject=Subject.PATH,
    old_state="compliant",
    new_state="drift",
    explanation="via inet (MED 200) beat via mpls (MED 300)",
    app="legacy",
    prefix=Prefix("10.0.21.0/24"),
    expected_link="mpls",
    actual_links=("inet",),
)
LINK_APPEARS = StateChange(
    at=AT, site="site-001", subject=Subject.LINK, old_state=None, new_state="up", link="mpls"
)
LINK_LEAVES = StateChange(
    at=AT,
    site="site-001",
    subject=Subject.LINK,
    old_state="down",
    new_state=None,
    explanation="no longer in the intent",
    link="mpls",
)


def test_a_change_reads_as_one_line() -> None:
    assert change_text(DRIFT) == (
        "site-002 path legacy 10.0.21.0/24: compliant -> drift: "
        "via inet (MED 200) beat via mpls (MED 300)"
    )
    assert change_text(LINK_APPEARS) == "site-001 link mpls: (new) -> up"
    assert change_text(LINK_LEAVES) == (
        "site-001 link mpls: down -> (removed): no longer in the intent"
    )


def test_the_event_has_the_documented_fields() -> None:
    assert change_event(DRIFT) == {
        "time": "2025-12-01T12:00:03Z",
        "timestamp": AT,
        "site": "site-002",
        "subject": "path",
        "app": "legacy",
        "prefix": "10.0.21.0/24",
        "expected_link": "mpls",
        "actual_links": ["inet"],
        "old_state": "compliant",
        "new_state": "drift",
        "explanation": "via inet (MED 200) beat via mpls (MED 300)",
    }
    assert change_event(LINK_APPEARS)["link"] == "mpls"
    assert "prefix" not in change_event(LINK_APPEARS)


def test_healthy_appearances_are_debug_and_everything_else_info(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="sprmon.changes"):
        log_changes([DRIFT, LINK_APPEARS, LINK_LEAVES])
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, change_text(DRIFT)),
        (logging.DEBUG, change_text(LINK_APPEARS)),
        (logging.INFO, change_text(LINK_LEAVES)),
    ]


def test_json_format_is_one_object_per_line_with_the_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="sprmon.changes"):
        log_changes([DRIFT])
    (record,) = caplog.records
    line = JsonFormatter().format(record)
    assert "\n" not in line
    document = json.loads(line)
    assert document["level"] == "info"
    assert document["logger"] == "sprmon.changes"
    assert document["message"] == change_text(DRIFT)
    assert document["event"] == change_event(DRIFT)


def test_json_format_keeps_a_traceback_on_the_same_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("sprmon.x").makeRecord(
            "sprmon.x", logging.ERROR, __file__, 1, "failed", (), exc_info=sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: boom" in json.loads(line)["traceback"]
