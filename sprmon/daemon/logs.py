"""The daemon's log: one line per state change (never one per poll), as text or JSON.

Text lines read like ``site-002 path legacy 10.0.21.0/24: compliant -> drift: via inet
(MED 200) beat via mpls (MED 300) ...``. With ``--log-format json`` every
record is one JSON object on one line (``time``, ``level``, ``logger``,
``message``, and for a state change an ``event`` object with the fields of
the MQTT event), for a log shipper to index without parsing prose.

A subject that appears in a healthy state (``compliant``, ``up``: the
daemon's first poll of a site, a site added by a reload) is logged at DEBUG
only: a daemon starting on ten thousand sites must not write a line per
healthy path. Everything else is INFO.

Names and explanations come from the network: the text line is printable
(:func:`sprmon.printable.printable`: an ESC in an agent's error prints as
``\\x1b``), and the JSON line escapes the same characters as ``\\uXXXX``. The
``event`` keeps the exact strings; only its rendering escapes them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from sprmon.core.monitor import StateChange, Subject
from sprmon.core.timetext import utc_text
from sprmon.printable import json_printable, printable

__all__ = ["JsonFormatter", "change_event", "change_text", "log_changes"]

log = logging.getLogger("sprmon.changes")

_HEALTHY = frozenset({"compliant", "up"})


def change_event(change: StateChange) -> dict[str, Any]:
    """A change as JSON-ready data (the MQTT event schema of docs/daemon.md)."""
    event: dict[str, Any] = {
        "time": utc_text(change.at),
        "timestamp": change.at,
        "site": change.site,
        "subject": change.subject.value,
    }
    if change.subject is Subject.PATH:
        event["app"] = change.app
        event["prefix"] = change.prefix
        event["expected_link"] = change.expected_link
        event["actual_links"] = list(change.actual_links)
    else:
        event["link"] = change.link
    event["old_state"] = change.old_state
    event["new_state"] = change.new_state
    event["explanation"] = change.explanation
    return event


def change_text(change: StateChange) -> str:
    subject = (
        f"path {change.app} {change.prefix}"
        if change.subject is Subject.PATH
        else f"link {change.link}"
    )
    old = change.old_state or "(new)"
    new = change.new_state or "(removed)"
    text = f"{change.site} {subject}: {old} -> {new}"
    return printable(f"{text}: {change.explanation}" if change.explanation else text)


def log_changes(changes: Sequence[StateChange]) -> None:
    """Log each change on one line (the daemon's ``on_changes`` hook)."""
    for change in changes:
        quiet = change.old_state is None and change.new_state in _HEALTHY
        level = logging.DEBUG if quiet else logging.INFO
        if log.isEnabledFor(level):
            log.log(level, "%s", change_text(change), extra={"event": change_event(change)})


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": utc_text(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        event = getattr(record, "event", None)
        if isinstance(event, dict):
            document["event"] = event
        if record.exc_info:
            document["traceback"] = self.formatException(record.exc_info)
        # One record, one line: json.dumps escapes a newline in a string, and
        # json_printable whatever else is not printable.
        return json_printable(json.dumps(document, ensure_ascii=False, separators=(",", ":")))
