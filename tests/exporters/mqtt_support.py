"""State changes and publisher settings shared by the MQTT exporter tests."""

from __future__ import annotations

import json
from typing import Any

from sprmon.core.monitor import StateChange, Subject
from sprmon.core.prefixes import Prefix, canonical_prefix
from sprmon.exporters.mqtt import MqttSettings
from tests.peers.mosquitto import Mosquitto

AT = 1_796_000_000.25
#: The states each scripted path walks through, over and over.
CYCLE = ("compliant", "drift", "failover")


def path_change(
    site: str = "branch-01",
    app: str = "legacy",
    prefix: str = "10.0.21.0/24",
    old: str | None = "compliant",
    new: str | None = "drift",
    *,
    at: float = AT,
    explanation: str = "via inet (MED 200) beat via mpls (MED 300)",
    expected_link: str | None = "mpls",
    actual_links: tuple[str, ...] = ("inet",),
) -> StateChange:
    return StateChange(
        at=at,
        site=site,
        subject=Subject.PATH,
        old_state=old,
        new_state=new,
        explanation=explanation,
        app=app,
        prefix=Prefix(canonical_prefix(prefix)),
        expected_link=expected_link,
        actual_links=actual_links,
    )


def link_change(
    site: str = "branch-01",
    link: str = "mpls",
    old: str | None = "up",
    new: str | None = "down",
    *,
    at: float = AT,
    explanation: str = "interface down; BGP session not established",
) -> StateChange:
    return StateChange(
        at=at,
        site=site,
        subject=Subject.LINK,
        old_state=old,
        new_state=new,
        explanation=explanation,
        link=link,
    )


def scripted_sequence(count: int, *, start: int = 0) -> list[StateChange]:
    """``count`` changes over three subjects of two sites, one second apart.

    Each subject walks :data:`CYCLE`; changes ``start`` .. ``start + count - 1`` of
    the endless script, so a test can continue a sequence where it left off.
    """
    subjects = [
        ("branch-01", "legacy", "10.0.21.0/24"),
        ("branch-01", "default", "10.0.10.0/24"),
        ("branch-02", "legacy", "2001:db8:21::/48"),
    ]
    changes = []
    for index in range(start, start + count):
        site, app, prefix = subjects[index % len(subjects)]
        step = index // len(subjects)
        old = None if step == 0 else CYCLE[(step - 1) % len(CYCLE)]
        new = CYCLE[step % len(CYCLE)]
        changes.append(path_change(site, app, prefix, old, new, at=AT + index))
    return changes


def settings_for(broker: Mosquitto | int, **overrides: Any) -> MqttSettings:
    """Settings for a publisher of ``broker`` (or of a port of 127.0.0.1 where nothing
    may listen), with quick reconnects for tests."""
    host, port = ("127.0.0.1", broker) if isinstance(broker, int) else (broker.host, broker.port)
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "client_id": "sprmon-test",
        "reconnect_min_s": 0.05,
        "reconnect_max_s": 0.5,
        "flush_timeout_s": 10.0,
        "timeout_s": 5.0,
    }
    options.update(overrides)
    return MqttSettings(**options)


def decode(payload: bytes) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(payload)
    return body
