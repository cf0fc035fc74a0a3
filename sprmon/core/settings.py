"""How ``sprmon run`` watches the sites, and where it sends its events.

Both come from optional sections of the intent file (``monitor:`` and
``mqtt:``, docs/intent-file.md) and are checked there, with ranges; the
defaults live here. ``sprmon check`` reads neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # intent.py imports this module for its defaults
    from sprmon.core.intent import SecretRef


@dataclass(frozen=True, slots=True)
class MonitorSettings:
    """The daemon's schedule and its convergence grace.

    Every poll reads the interfaces and BGP peers (small tables) every
    ``counter_interval_s``; the BGP table (large on some routers) is read
    again when ``bgp_interval_s`` has passed since it was last read, within
    the same poll. Hence ``counter_interval_s <= bgp_interval_s``.
    """

    bgp_interval_s: float = 60.0
    counter_interval_s: float = 60.0
    #: How long after a preferred link (or its BGP session) became usable again
    #: a path still on a fallback is ``failover`` (BGP converging), not ``drift``.
    #: Near the BGP hold time (90 s, RFC 4271's suggestion) by default.
    convergence_grace_s: float = 90.0
    #: Each interval varies by up to this fraction either way, so that sites
    #: started together drift apart and never poll in lock-step.
    jitter: float = 0.1
    #: Polls in flight at once, over every site.
    max_in_flight: int = 64


@dataclass(frozen=True, slots=True)
class MqttTarget:
    """The MQTT broker that receives state-change events and retained current states.

    As written in the intent: the password is a reference, resolved when the
    daemon starts (the exporter's own settings hold the resolved
    :class:`~sprmon.secrets.Secret`; docs/mqtt-events.md).
    """

    host: str
    port: int = 1883
    #: Topics start with it: ``<topic_prefix>/events/<site>/path/<app>/<prefix>``, ...
    topic_prefix: str = "sprmon"
    #: None: ``sprmon-<hostname>``, with ``-shard-<index>`` when the fleet is sharded.
    client_id: str | None = None
    username: str | None = None
    password: SecretRef | None = None
    tls: bool = False
    #: CA bundle to verify the broker with (TLS); None: the system's trust store.
    ca_file: str | None = None
    #: Accept any certificate (labs only).
    insecure_tls: bool = False
    keepalive_s: int = 60
    #: Events kept while the broker is away; beyond it the oldest are dropped (and counted).
    queue_limit: int = 10_000
    #: On shutdown, how long queued events may take to reach the broker.
    flush_timeout_s: float = 5.0
