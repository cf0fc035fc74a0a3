"""The exporters ``sprmon run`` starts, built from the intent and the command line.

- MQTT events (:class:`~sprmon.exporters.mqtt.MqttEventPublisher`) when the
  intent has an ``mqtt:`` section: every state change is queued without
  blocking, and the queue's status goes into each view;
- Prometheus ``/metrics`` and ``/healthz``
  (:class:`~sprmon.exporters.web.MetricsServer` serving
  :class:`~sprmon.exporters.prometheus.SprmonMetrics`), on loopback by
  default, with the exporter toolkit's web config (TLS, basic auth); the
  collector reads the engine's newest view at scrape time.

A setting that cannot work (a secret that cannot be read, a missing CA file)
stops the start with :class:`~sprmon.daemon.runner.DaemonStartError`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sprmon.core.monitor import MonitorView, StateChange
from sprmon.daemon.runner import DaemonStartError, Exporter
from sprmon.daemon.shard import Shard
from sprmon.exporters.mqtt import MqttEventPublisher, MqttSettings, MqttSettingsError
from sprmon.exporters.mqtt_settings import default_client_id
from sprmon.exporters.prometheus import build_registry
from sprmon.exporters.web import DEFAULT_HOST, DEFAULT_PORT, MetricsServer, MetricsServerError
from sprmon.exporters.webconfig import WebConfig
from sprmon.intentfile.loaded import LoadedIntent
from sprmon.inventory import MqttTarget
from sprmon.secrets import SecretError, resolve_secret

__all__ = ["MetricsOptions", "build_exporters", "mqtt_settings"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MetricsOptions:
    """``--listen``, ``--web-config``, ``--per-prefix-metrics``."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    web_config: WebConfig = field(default_factory=WebConfig)
    per_prefix: bool = False


def build_exporters(
    shard: Shard, metrics: MetricsOptions | None
) -> Callable[[LoadedIntent, Callable[[], MonitorView | None]], Sequence[Exporter]]:
    """The runner's exporter factory for this process's ``shard``; ``metrics=None``: no HTTP."""

    def build(loaded: LoadedIntent, view: Callable[[], MonitorView | None]) -> Sequence[Exporter]:
        exporters: list[Exporter] = []
        if metrics is not None:
            exporters.append(_metrics_exporter(metrics, view))
        if loaded.mqtt is not None:
            exporters.append(_mqtt_exporter(loaded.mqtt, shard))
        return exporters

    return build


def _metrics_exporter(options: MetricsOptions, view: Callable[[], MonitorView | None]) -> Exporter:
    server = MetricsServer(
        build_registry(view, per_prefix=options.per_prefix),
        # Ready once every site of the first poll round can be in the view.
        ready=lambda: view() is not None,
        host=options.host,
        port=options.port,
        web_config=options.web_config,
    )
    return Exporter(
        name="metrics server",
        context=server,
        start_errors=(MetricsServerError, OSError),
    )


def mqtt_settings(target: MqttTarget, shard: Shard) -> MqttSettings:
    """The exporter's settings for the intent's ``mqtt:`` section, with its secret read."""
    client_id = target.client_id or default_client_id()
    if target.client_id is None and shard.count > 1:
        # Two processes with one client id take the connection from each other.
        client_id += f"-shard-{shard.index}"
    try:
        password = resolve_secret(target.password) if target.password is not None else None
        return MqttSettings(
            host=target.host,
            port=target.port,
            topic_prefix=target.topic_prefix,
            client_id=client_id,
            username=target.username,
            password=password,
            tls=target.tls,
            ca_file=Path(target.ca_file) if target.ca_file is not None else None,
            insecure_tls=target.insecure_tls,
            keepalive_s=target.keepalive_s,
            queue_limit=target.queue_limit,
            flush_timeout_s=target.flush_timeout_s,
        )
    except (SecretError, MqttSettingsError) as exc:
        raise DaemonStartError(f"mqtt: {exc}") from exc


def _mqtt_exporter(target: MqttTarget, shard: Shard) -> Exporter:
    publisher = MqttEventPublisher(mqtt_settings(target, shard))

    def on_changes(changes: Sequence[StateChange]) -> None:
        for change in changes:
            publisher.publish(change)

    def on_intent(loaded: LoadedIntent) -> None:
        if loaded.mqtt != target:
            log.warning(
                "the intent's mqtt: section changed; the MQTT settings in force stay until "
                "sprmon run restarts"
            )

    return Exporter(
        name=f"MQTT publisher for {target.host}:{target.port}",
        context=publisher,
        on_changes=on_changes,
        events_status=publisher.status,
        on_intent=on_intent,
    )
