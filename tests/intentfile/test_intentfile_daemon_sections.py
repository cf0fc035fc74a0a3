"""The ``monitor:`` and ``mqtt:`` sections that only ``sprmon run`` reads.

BASE (see intentfile_helpers) ends at line 27; each case appends its section
from line 28 on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sprmon.core.settings import MonitorSettings
from sprmon.inventory import MqttTarget, SecretRef
from tests.intentfile.intentfile_helpers import BASE, load, load_all, problems


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_without_the_sections_the_defaults_apply_and_mqtt_is_off(tmp_path: Path) -> None:
    loaded = load_all(tmp_path, BASE)
    assert loaded.intent.monitor == MonitorSettings()
    assert loaded.mqtt is None


def test_every_monitor_key_is_read_with_its_unit(tmp_path: Path) -> None:
    text = BASE + (
        "monitor:\n"
        "  bgp_interval: 2m\n"
        "  counter_interval: 30s\n"
        "  convergence_grace: 3m\n"
        "  jitter: 20%\n"
        "  max_in_flight: 200\n"
    )
    assert load(tmp_path, text).monitor == MonitorSettings(
        bgp_interval_s=120.0,
        counter_interval_s=30.0,
        convergence_grace_s=180.0,
        jitter=0.2,
        max_in_flight=200,
    )


def test_short_intervals_are_allowed_for_labs(tmp_path: Path) -> None:
    text = BASE + "monitor: {bgp_interval: 500ms, counter_interval: 500ms, jitter: 0}\n"
    monitor = load(tmp_path, text).monitor
    assert (monitor.bgp_interval_s, monitor.counter_interval_s, monitor.jitter) == (0.5, 0.5, 0)


def test_mqtt_section_with_secret_reference_and_tls(tmp_path: Path) -> None:
    text = BASE + (
        "mqtt:\n"
        "  host: broker.example.net\n"
        "  topic_prefix: acme/wan\n"
        "  username: sprmon\n"
        "  password: {file: secrets/mqtt.pass}\n"
        "  tls: true\n"
        "  ca_file: ca.pem\n"
        "  queue_limit: 500\n"
        "  keepalive: 30s\n"
        "  client_id: sprmon-eu\n"
        "  flush_timeout: 2s\n"
    )
    mqtt = load_all(tmp_path, text).mqtt
    folder = Path.cwd()
    assert mqtt == MqttTarget(
        host="broker.example.net",
        port=8883,
        topic_prefix="acme/wan",
        username="sprmon",
        password=SecretRef(file=str(folder / "secrets" / "mqtt.pass")),
        tls=True,
        ca_file=str(folder / "ca.pem"),
        queue_limit=500,
        keepalive_s=30,
        client_id="sprmon-eu",
        flush_timeout_s=2.0,
    )


def test_mqtt_defaults_to_port_1883_without_tls(tmp_path: Path) -> None:
    mqtt = load_all(
        tmp_path, BASE + "mqtt: {host: 127.0.0.1, password: {env: P}, username: u}\n"
    ).mqtt
    assert mqtt is not None
    assert (mqtt.port, mqtt.tls, mqtt.topic_prefix) == (1883, False, "sprmon")
    assert mqtt.password == SecretRef(env="P")


CASES = [
    pytest.param(
        "monitor: {bgp_interval: 0}\n",
        [
            "intent.yaml:28: monitor.bgp_interval: a duration must be greater than 0, "
            "got the number 0"
        ],
        id="zero-interval",
    ),
    pytest.param(
        "monitor: {counter_interval: 10ms}\n",
        ["intent.yaml:28: monitor.counter_interval: 0.01 s is outside 100ms..1d (a poll interval)"],
        id="interval-too-short",
    ),
    pytest.param(
        "monitor:\n  bgp_interval: 2d\n",
        ["intent.yaml:29: monitor.bgp_interval: 172800 s is outside 100ms..1d (a poll interval)"],
        id="interval-too-long",
    ),
    pytest.param(
        "monitor:\n  bgp_interval: 30s\n  counter_interval: 1m\n",
        [
            "intent.yaml:30: monitor.counter_interval: counter_interval (60 s) must not be above "
            "bgp_interval (30 s): every poll reads the counters, and the BGP table when "
            "bgp_interval has passed"
        ],
        id="counters-slower-than-bgp",
    ),
    pytest.param(
        "monitor:\n  bgp_interval: 30s\n",
        [
            "intent.yaml:29: monitor.bgp_interval: counter_interval (60 s, the default) must not "
            "be above bgp_interval (30 s): every poll reads the counters, and the BGP table "
            "when bgp_interval has passed"
        ],
        id="bgp-faster-than-the-default-counters-is-said-at-bgp-interval",
    ),
    pytest.param(
        "monitor:\n  bgp_interval: 5m\n",
        [
            "intent.yaml:29: monitor.bgp_interval: bgp_interval (300 s) must be below "
            "thresholds.stale_after (300 s), or every site turns unknown between two polls"
        ],
        id="bgp-interval-not-below-stale-after",
    ),
    pytest.param(
        "thresholds:\n  stale_after: 30s\n",
        [
            "intent.yaml:29: thresholds.stale_after: stale_after (30 s) must be above "
            "monitor.bgp_interval (60 s, the default), or every site turns unknown between "
            "two polls"
        ],
        id="stale-after-below-the-default-interval-is-said-at-stale-after",
    ),
    pytest.param(
        "monitor:\n  convergence_grace: 2h\n  jitter: 80%\n  max_in_flight: 0\n",
        [
            "intent.yaml:29: monitor.convergence_grace: 7200 s is more than 1h: BGP converges "
            "in seconds to minutes, and a longer grace hides a real drift for as long",
            "intent.yaml:30: monitor.jitter: 80% is more than 50%",
            "intent.yaml:31: monitor.max_in_flight: must be greater than or equal to 1, "
            "got the number 0",
        ],
        id="every-bad-key-at-its-line",
    ),
    pytest.param(
        "monitor: {poll_interval: 1m}\n",
        [
            "intent.yaml:28: monitor.poll_interval: unknown key 'poll_interval' "
            "(did you mean 'bgp_interval'?)"
        ],
        id="unknown-monitor-key",
    ),
    pytest.param(
        "monitor: 60\n",
        ["intent.yaml:28: monitor: expected a mapping, got the number 60"],
        id="monitor-not-a-mapping",
    ),
    pytest.param(
        "mqtt: {port: 1883}\n",
        ["intent.yaml:28: mqtt.host: required key 'host' is missing"],
        id="mqtt-without-host",
    ),
    pytest.param(
        "mqtt:\n  host: 127.0.0.1\n  password: hunter2\n  topic_prefix: sprmon/#\n",
        [
            "intent.yaml:30: mqtt.password: secrets are given by reference: "
            "{env: NAME} or {file: PATH}",
            "intent.yaml:31: mqtt.topic_prefix: a topic prefix must not contain +, # or NUL "
            "(MQTT wildcards), got 'sprmon/#'",
        ],
        id="inline-password-and-wildcard-prefix",
    ),
    pytest.param(
        "mqtt:\n  host: 127.0.0.1\n  password: {env: P}\n  ca_file: ca.pem\n",
        [
            "intent.yaml:30: mqtt.password: a password needs a username",
            "intent.yaml:31: mqtt.ca_file: ca_file is for TLS: add tls: true",
        ],
        id="password-without-user-and-ca-without-tls",
    ),
    pytest.param(
        "mqtt: {host: 127.0.0.1, topic_prefix: /sprmon}\n",
        [
            "intent.yaml:28: mqtt.topic_prefix: a topic prefix must be one or more non-empty "
            "levels such as sprmon, got '/sprmon'"
        ],
        id="empty-topic-level",
    ),
    pytest.param(
        "mqtt: {host: 127.0.0.1, flush_timeout: 1h}\n",
        [
            "intent.yaml:28: mqtt.flush_timeout: 3600 s is more than 5m: a stopping daemon "
            "would wait that long for an absent broker"
        ],
        id="flush-timeout-too-long",
    ),
    pytest.param(
        "mqtt:\n  host: 127.0.0.1\n  insecure_tls: true\n  keepalive: 0.5s\n",
        [
            "intent.yaml:30: mqtt.insecure_tls: insecure_tls is for TLS: add tls: true",
            "intent.yaml:31: mqtt.keepalive: 0.5 s is outside 1s..65535s (MQTT's keepalive range)",
        ],
        id="insecure-tls-without-tls-and-short-keepalive",
    ),
    pytest.param(
        "mqtt: {host: 127.0.0.1, tls: true, ca_file: ca.pem, insecure_tls: true}\n",
        [
            "intent.yaml:28: mqtt.insecure_tls: insecure_tls turns off the certificate check "
            "that ca_file is for: use one or the other"
        ],
        id="insecure-tls-with-a-ca-file",
    ),
]


@pytest.mark.parametrize(("appended", "expected"), CASES)
def test_bad_daemon_section_reports_exactly_these_problems(
    tmp_path: Path, appended: str, expected: list[str]
) -> None:
    assert problems(tmp_path, BASE + appended) == expected
