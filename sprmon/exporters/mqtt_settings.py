"""How to reach the MQTT broker: :class:`MqttSettings`, checked when built.

Every problem is reported at once, each naming the field and what to change,
so a daemon refuses a bad configuration at start-up instead of retrying a
connection that can never work. Messages never contain the password.
"""

from __future__ import annotations

import math
import socket
from dataclasses import dataclass, field
from pathlib import Path

from sprmon.secrets import Secret

#: Characters MQTT forbids in a topic name (``+``/``#`` are wildcards, NUL is never allowed).
_TOPIC_FORBIDDEN = ("+", "#", "\x00")


class MqttSettingsError(ValueError):
    """The MQTT settings cannot work; ``problems`` lists each one as ``field: what to do``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid MQTT settings: " + "; ".join(problems))
        self.problems = tuple(problems)


def default_client_id() -> str:
    """``sprmon-<hostname>``: stable across restarts, so the broker sees one publisher.

    Two processes with the same client id take the broker connection from each
    other in turn: shards on one host must set their own.
    """
    return f"sprmon-{socket.gethostname()}"


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttSettings:
    """Where and how :class:`~sprmon.exporters.mqtt.MqttEventPublisher` publishes."""

    host: str
    port: int = 1883
    #: First topic level(s) of everything published; may hold ``/`` (``netops/sprmon``).
    topic_prefix: str = "sprmon"
    client_id: str = field(default_factory=default_client_id)
    username: str | None = None
    password: Secret | None = None
    tls: bool = False
    #: PEM file of the CA that signed the broker's certificate; None: the system's CAs.
    ca_file: Path | None = None
    #: Accept any certificate and host name. Labs only: anyone on the path can read and
    #: forge the traffic. Must be asked for explicitly, with ``tls``.
    insecure_tls: bool = False
    keepalive_s: int = 60
    #: Events kept while the broker is away; beyond it the oldest are dropped and counted.
    queue_limit: int = 10_000
    #: On exit, how long to keep trying to deliver what is queued before giving up.
    flush_timeout_s: float = 5.0
    #: Connect, PUBACK and disconnect wait at most this long before the connection is
    #: considered broken (and the unacknowledged event is sent again on the next one).
    timeout_s: float = 10.0
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 60.0

    def __post_init__(self) -> None:
        problems = [*self._address_problems(), *self._auth_problems(), *self._tls_problems()]
        problems.extend(self._timing_problems())
        if problems:
            raise MqttSettingsError(problems)

    @property
    def address(self) -> str:
        """``host:port`` (IPv6 hosts in brackets), for messages."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def _address_problems(self) -> list[str]:
        problems = []
        if not self.host.strip() or any(ch.isspace() for ch in self.host):
            problems.append(f"host: give the broker's host name or address, got {self.host!r}")
        if not 1 <= self.port <= 65535:
            problems.append(f"port: must be 1..65535, got {self.port}")
        problems.extend(f"topic_prefix: {p}" for p in topic_prefix_problems(self.topic_prefix))
        if not self.client_id or "\x00" in self.client_id:
            problems.append("client_id: must be a non-empty string without NUL characters")
        return problems

    def _auth_problems(self) -> list[str]:
        problems = []
        if self.username is not None and self.username == "":
            problems.append("username: empty; leave it unset for an anonymous connection")
        if self.password is not None and self.username is None:
            # MQTT 3.1.1 only sends a password together with a user name.
            problems.append("password: set without a username; set username too")
        if self.password is not None and self.password.reveal() == "":
            problems.append("password: empty; leave it unset or give the real one")
        return problems

    def _tls_problems(self) -> list[str]:
        problems = []
        if self.ca_file is not None:
            if not self.tls:
                problems.append("ca_file: set but tls is false; set tls: true to use it")
            if not self.ca_file.is_file():
                problems.append(f"ca_file: {self.ca_file} does not exist or is not a file")
            if self.insecure_tls:
                problems.append(
                    "insecure_tls: disables the certificate check that ca_file is for; "
                    "use one or the other"
                )
        if self.insecure_tls and not self.tls:
            problems.append("insecure_tls: only applies with tls: true")
        return problems

    def _timing_problems(self) -> list[str]:
        problems = []
        if not 1 <= self.keepalive_s <= 65535:
            problems.append(f"keepalive_s: must be 1..65535 seconds, got {self.keepalive_s}")
        if self.queue_limit < 1:
            problems.append(f"queue_limit: must be at least 1 event, got {self.queue_limit}")
        for name in ("flush_timeout_s", "timeout_s", "reconnect_min_s", "reconnect_max_s"):
            value = getattr(self, name)
            least_ok = name == "flush_timeout_s"  # 0: give up at once on exit
            if not math.isfinite(value) or value < 0 or (value == 0 and not least_ok):
                bound = "0 or more" if least_ok else "more than 0"
                problems.append(f"{name}: must be a finite number of seconds, {bound}; got {value}")
        if self.reconnect_max_s < self.reconnect_min_s:
            problems.append(
                f"reconnect_max_s: must be at least reconnect_min_s ({self.reconnect_min_s}), "
                f"got {self.reconnect_max_s}"
            )
        return problems


def topic_prefix_problems(prefix: str) -> list[str]:
    """Why ``prefix`` cannot start every topic (empty list: it can)."""
    problems = []
    if prefix == "" or prefix.startswith("/") or prefix.endswith("/") or "//" in prefix:
        problems.append(f"must be one or more non-empty levels such as sprmon, got {prefix!r}")
    if any(ch in prefix for ch in _TOPIC_FORBIDDEN):
        problems.append(f"must not contain +, # or NUL (MQTT wildcards), got {prefix!r}")
    if prefix.startswith("$"):
        problems.append(f"must not start with $ (reserved for the broker's topics), got {prefix!r}")
    if len(prefix.encode("utf-8", "surrogatepass")) > 1024:
        problems.append("is longer than 1024 bytes")
    return problems
