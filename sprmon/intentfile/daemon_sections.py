"""The intent file's ``monitor:`` and ``mqtt:`` sections: what only ``sprmon run`` reads.

Both are optional; ``monitor`` has defaults for every key
(:class:`~sprmon.core.settings.MonitorSettings`), ``mqtt`` switches MQTT
events on. Each key is validated on its own (so that one bad value hides no
other), then the values are checked against each other and against
``thresholds.stale_after``, each problem at the line of the key to change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from pydantic import AfterValidator, Field

from sprmon.core.intent import Thresholds
from sprmon.core.settings import MonitorSettings
from sprmon.exporters.mqtt_settings import topic_prefix_problems
from sprmon.intentfile.problems import Problems, Scope
from sprmon.intentfile.schema import (
    Duration,
    OptionalSecret,
    Port,
    Ratio,
    SecretSpec,
    Spec,
    Text,
    validate,
)
from sprmon.intentfile.values import describe
from sprmon.inventory import MqttTarget, SecretRef

__all__ = ["MonitorSpec", "MqttSpec", "compile_monitor", "compile_mqtt"]

_T = TypeVar("_T")

#: Shortest and longest poll interval: below 100 ms a router is flooded, above a day
#: nobody is monitoring.
MIN_INTERVAL_S = 0.1
MAX_INTERVAL_S = 86_400.0
MAX_GRACE_S = 3_600.0
MAX_JITTER = 0.5
MAX_FLUSH_S = 300.0
MAX_KEEPALIVE_S = 65_535
MQTT_PORT, MQTTS_PORT = 1883, 8883


def _topic_prefix(value: str) -> str:
    # The exporter's own rule, so that a prefix the file accepts always works.
    problems = topic_prefix_problems(value)
    if problems:
        raise ValueError(f"a topic prefix {problems[0]}")
    return value


def _host(value: str) -> str:
    text = value.strip()
    if any(c.isspace() for c in text):
        raise ValueError(f"'{text}' is not a host name or address")
    return text


class MonitorSpec(Spec):
    bgp_interval: Duration | None = None
    counter_interval: Duration | None = None
    convergence_grace: Duration | None = None
    jitter: Ratio | None = None
    max_in_flight: Annotated[int, Field(ge=1, le=100_000)] | None = None


class MqttSpec(Spec):
    host: Annotated[Text, AfterValidator(_host)]
    port: Port | None = None
    topic_prefix: Annotated[Text, AfterValidator(_topic_prefix)] | None = None
    username: Text | None = None
    password: OptionalSecret = None
    tls: bool | None = None
    ca_file: Text | None = None
    insecure_tls: bool | None = None
    client_id: Text | None = None
    keepalive: Duration | None = None
    queue_limit: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    flush_timeout: Duration | None = None


def _per_key(
    model: type[MonitorSpec], raw: dict[str, object], scope: Scope, problems: Problems
) -> tuple[MonitorSpec, bool]:
    """The section validated one key at a time; the flag says whether every key was valid."""
    values: dict[str, object] = {}
    valid = True
    for key, value in raw.items():
        spec = validate(model, {key: value}, scope, problems)
        if spec is None:
            valid = False
        else:
            values[key] = getattr(spec, key)
    return model.model_validate(values), valid


def _seconds(value: float) -> str:
    return f"{value:g} s"


def compile_monitor(
    raw: object, root: Scope, problems: Problems, thresholds: Thresholds | None
) -> MonitorSettings | None:
    """The ``monitor:`` section; ``None`` (with problems added) when it is unusable."""
    defaults = MonitorSettings()
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        problems.add(root, ("monitor",), f"expected a mapping, got {describe(raw)}")
        return None
    scope = root.child(("monitor",))
    spec, valid = _per_key(MonitorSpec, raw, scope, problems)
    settings = MonitorSettings(
        bgp_interval_s=_given(spec.bgp_interval, defaults.bgp_interval_s),
        counter_interval_s=_given(spec.counter_interval, defaults.counter_interval_s),
        convergence_grace_s=_given(spec.convergence_grace, defaults.convergence_grace_s),
        jitter=_given(spec.jitter, defaults.jitter),
        max_in_flight=_given(spec.max_in_flight, defaults.max_in_flight),
    )
    for key, value in (
        ("bgp_interval", spec.bgp_interval),
        ("counter_interval", spec.counter_interval),
    ):
        if value is not None and not MIN_INTERVAL_S <= value <= MAX_INTERVAL_S:
            valid = False
            problems.add(scope, (key,), f"{_seconds(value)} is outside 100ms..1d (a poll interval)")
    if spec.convergence_grace is not None and spec.convergence_grace > MAX_GRACE_S:
        valid = False
        problems.add(
            scope,
            ("convergence_grace",),
            f"{_seconds(spec.convergence_grace)} is more than 1h: BGP converges in seconds "
            "to minutes, and a longer grace hides a real drift for as long",
        )
    if spec.jitter is not None and spec.jitter > MAX_JITTER:
        valid = False
        problems.add(scope, ("jitter",), f"{spec.jitter * 100:g}% is more than 50%")
    if valid and settings.counter_interval_s > settings.bgp_interval_s:
        valid = False
        at = "counter_interval" if spec.counter_interval is not None else "bgp_interval"
        problems.add(
            scope,
            (at,),
            f"counter_interval ({_given_text(spec.counter_interval, settings.counter_interval_s)})"
            f" must not be above bgp_interval "
            f"({_given_text(spec.bgp_interval, settings.bgp_interval_s)}): every poll reads "
            "the counters, and the BGP table when bgp_interval has passed",
        )
    if valid and thresholds is not None and settings.bgp_interval_s >= thresholds.stale_after_s:
        valid = False
        bgp = _given_text(spec.bgp_interval, settings.bgp_interval_s)
        stale = _seconds(thresholds.stale_after_s)
        why = "or every site turns unknown between two polls"
        if spec.bgp_interval is not None:
            problems.add(
                scope,
                ("bgp_interval",),
                f"bgp_interval ({bgp}) must be below thresholds.stale_after ({stale}), {why}",
            )
        else:
            problems.add(
                root.child(("thresholds",)),
                ("stale_after",),
                f"stale_after ({stale}) must be above monitor.bgp_interval ({bgp}), {why}",
            )
    return settings if valid else None


def compile_mqtt(
    raw: object,
    root: Scope,
    problems: Problems,
    *,
    secret: Callable[[SecretSpec | None], SecretRef | None],
    path: Callable[[str], str],
) -> tuple[MqttTarget | None, bool]:
    """The ``mqtt:`` section: (settings or None when absent, whether it is valid).

    ``secret`` and ``path`` resolve secret references and file names against
    the intent file's folder, as everywhere else in the file.
    """
    if raw is None:
        return None, True
    scope = root.child(("mqtt",))
    before = len(problems)
    spec = validate(MqttSpec, raw, scope, problems)
    if spec is None:
        return None, False
    if spec.password is not None and spec.username is None:
        problems.add(scope, ("password",), "a password needs a username")
    if spec.ca_file is not None and spec.tls is not True:
        problems.add(scope, ("ca_file",), "ca_file is for TLS: add tls: true")
    if spec.insecure_tls and spec.tls is not True:
        problems.add(scope, ("insecure_tls",), "insecure_tls is for TLS: add tls: true")
    elif spec.insecure_tls and spec.ca_file is not None:
        problems.add(
            scope,
            ("insecure_tls",),
            "insecure_tls turns off the certificate check that ca_file is for: use one or "
            "the other",
        )
    if spec.keepalive is not None and not 1 <= spec.keepalive <= MAX_KEEPALIVE_S:
        problems.add(
            scope,
            ("keepalive",),
            f"{_seconds(spec.keepalive)} is outside 1s..65535s (MQTT's keepalive range)",
        )
    if spec.flush_timeout is not None and spec.flush_timeout > MAX_FLUSH_S:
        problems.add(
            scope,
            ("flush_timeout",),
            f"{_seconds(spec.flush_timeout)} is more than 5m: a stopping daemon would wait "
            "that long for an absent broker",
        )
    if len(problems) != before:
        return None, False
    defaults = MqttTarget(host="")
    tls = bool(spec.tls)
    return (
        MqttTarget(
            host=spec.host,
            port=_given(spec.port, MQTTS_PORT if tls else MQTT_PORT),
            topic_prefix=_given(spec.topic_prefix, defaults.topic_prefix),
            client_id=spec.client_id,
            username=spec.username,
            password=secret(spec.password),
            tls=tls,
            ca_file=path(spec.ca_file) if spec.ca_file is not None else None,
            insecure_tls=bool(spec.insecure_tls),
            keepalive_s=round(_given(spec.keepalive, float(defaults.keepalive_s))),
            queue_limit=_given(spec.queue_limit, defaults.queue_limit),
            flush_timeout_s=_given(spec.flush_timeout, defaults.flush_timeout_s),
        ),
        True,
    )


def _given(value: _T | None, default: _T) -> _T:
    return default if value is None else value


def _given_text(value: float | None, effective: float) -> str:
    return _seconds(effective) + ("" if value is not None else ", the default")
