"""MQTT topics and JSON payloads for :class:`~sprmon.core.monitor.StateChange` events.

Pure functions, no I/O; the layout is documented in ``docs/mqtt-events.md``::

    <prefix>/events/<site>/path/<app>/<ip-prefix>     one message per change, QoS 1
    <prefix>/events/<site>/link/<link>
    <prefix>/state/<site>/path/<app>/<ip-prefix>      the present, retained
    <prefix>/state/<site>/link/<link>
    <prefix>/publisher/<client-id>                    online/offline, retained (will)

Names from the intent become one topic level each. A level may not hold
``/`` (the separator), ``+`` or ``#`` (wildcards) or NUL, and should not hold
control characters, so :func:`name_to_level` percent-encodes those and ``%``
itself (UTF-8 bytes, ``%2F``): reversible with :func:`level_to_name`, and a
``+`` in a subscription still matches exactly one name. An IP prefix keeps
its canonical text with its ``/`` written ``_`` (``10.0.21.0_24``,
``2001:db8::_32``): canonical prefixes never contain ``_``, and ``:`` is an
ordinary character in MQTT, so IPv6 prefixes stay readable.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sprmon.core.monitor import StateChange, Subject
from sprmon.core.prefixes import Prefix

SCHEMA_VERSION = 1
#: MQTT's limit for a topic name, in UTF-8 bytes.
MAX_TOPIC_BYTES = 65535

#: Characters that may not appear verbatim in one level: the separator, the
#: wildcards, the escape character itself, and C0/DEL/C1 controls (NUL is forbidden,
#: the others are "should not" in MQTT 3.1.1 section 1.5.3).
_ESCAPED = re.compile("[/+#%\x00-\x1f\x7f-\x9f]")


class TopicError(ValueError):
    """A change cannot be turned into a topic (a missing field, or a name far too long)."""


@lru_cache(maxsize=65536)
def name_to_level(name: str) -> str:
    """A site, application, link or client name as one topic level (see the module doc)."""
    return _ESCAPED.sub(_percent, name)


def _percent(match: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


def level_to_name(level: str) -> str:
    """The inverse of :func:`name_to_level`."""
    if "%" not in level:
        return level
    raw = bytearray()
    index = 0
    while index < len(level):
        if level[index] == "%":
            raw.append(int(level[index + 1 : index + 3], 16))
            index += 3
        else:
            raw.extend(level[index].encode("utf-8"))
            index += 1
    return raw.decode("utf-8")


@lru_cache(maxsize=65536)
def prefix_to_level(prefix: Prefix) -> str:
    """``10.0.21.0/24`` -> ``10.0.21.0_24``; ``2001:db8::/32`` -> ``2001:db8::_32``."""
    return name_to_level(prefix.replace("/", "_"))


def level_to_prefix(level: str) -> Prefix:
    """The inverse of :func:`prefix_to_level`."""
    return Prefix(level_to_name(level).replace("_", "/"))


@dataclass(frozen=True, slots=True)
class Topics:
    """The topics of one publisher: ``prefix`` is the settings' ``topic_prefix``."""

    prefix: str

    def event(self, change: StateChange) -> str:
        return self._topic("events", change)

    def state(self, change: StateChange) -> str:
        return self._topic("state", change)

    def publisher(self, client_id: str) -> str:
        return self._checked(f"{self.prefix}/publisher/{name_to_level(client_id)}")

    def _topic(self, tree: str, change: StateChange) -> str:
        site = name_to_level(change.site)
        if change.subject is Subject.PATH:
            if change.app is None or change.prefix is None:
                raise TopicError(f"a path change at site {change.site!r} needs app and prefix")
            subject = f"path/{name_to_level(change.app)}/{prefix_to_level(change.prefix)}"
        else:
            if change.link is None:
                raise TopicError(f"a link change at site {change.site!r} needs link")
            subject = f"link/{name_to_level(change.link)}"
        return self._checked(f"{self.prefix}/{tree}/{site}/{subject}")

    @staticmethod
    def _checked(topic: str) -> str:
        if len(topic.encode("utf-8", "surrogatepass")) > MAX_TOPIC_BYTES:
            raise TopicError(f"topic longer than MQTT's {MAX_TOPIC_BYTES} bytes: {topic[:80]}...")
        return topic


def rfc3339(at: float) -> str:
    """POSIX seconds as UTC RFC 3339 with milliseconds: ``2026-12-01T10:00:00.250Z``."""
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def _subject_fields(change: StateChange) -> dict[str, Any]:
    return {
        "site": change.site,
        "subject": change.subject.value,
        "app": change.app,
        "prefix": change.prefix,
        "link": change.link,
    }


def event_payload(change: StateChange, *, seq: int, instance: str) -> bytes:
    """The JSON event for one change (every key always present; absent values are null)."""
    body: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "instance": instance,
        "seq": seq,
        "time": rfc3339(change.at),
        "time_unix": change.at,
        **_subject_fields(change),
        "old_state": change.old_state,
        "new_state": change.new_state,
        "explanation": change.explanation,
        "expected_link": change.expected_link,
        "actual_links": list(change.actual_links),
    }
    return _dump(body)


def state_payload(change: StateChange, *, seq: int, instance: str) -> bytes:
    """The retained present state after ``change``; empty (clears the retained message)
    when the subject left the intent."""
    if change.new_state is None:
        return b""
    body: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        **_subject_fields(change),
        "state": change.new_state,
        "explanation": change.explanation,
        "expected_link": change.expected_link,
        "actual_links": list(change.actual_links),
        "since": rfc3339(change.at),
        "since_unix": change.at,
        "instance": instance,
        "seq": seq,
    }
    return _dump(body)


def publisher_payload(*, online: bool, instance: str) -> bytes:
    return _dump(
        {
            "schema_version": SCHEMA_VERSION,
            "status": "online" if online else "offline",
            "instance": instance,
        }
    )


def _dump(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
