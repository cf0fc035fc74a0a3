"""MqttSettings refuses what cannot work, naming the field and what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sprmon.exporters.mqtt import MqttSettings, MqttSettingsError
from sprmon.secrets import Secret


def test_defaults_connect_to_port_1883_under_sprmon() -> None:
    settings = MqttSettings(host="broker.example")
    assert (settings.port, settings.topic_prefix, settings.tls) == (1883, "sprmon", False)
    assert settings.client_id.startswith("sprmon-")
    assert MqttSettings(host="2001:db8::1", port=8883).address == "[2001:db8::1]:8883"


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"host": ""}, "host: give the broker's host name or address"),
        ({"port": 0}, "port: must be 1..65535, got 0"),
        ({"topic_prefix": "sprmon/+"}, "topic_prefix: must not contain +, # or NUL"),
        ({"topic_prefix": "a//b"}, "topic_prefix: must be one or more non-empty levels"),
        ({"topic_prefix": "/sprmon"}, "topic_prefix: must be one or more non-empty levels"),
        ({"topic_prefix": "$SYS"}, "topic_prefix: must not start with $"),
        ({"client_id": ""}, "client_id: must be a non-empty string"),
        ({"username": ""}, "username: empty; leave it unset"),
        ({"password": Secret("pw")}, "password: set without a username; set username too"),
        ({"tls": False, "insecure_tls": True}, "insecure_tls: only applies with tls: true"),
        ({"keepalive_s": 0}, "keepalive_s: must be 1..65535 seconds"),
        ({"queue_limit": 0}, "queue_limit: must be at least 1 event"),
        ({"flush_timeout_s": -1.0}, "flush_timeout_s: must be a finite number of seconds, 0 or"),
        ({"timeout_s": 0.0}, "timeout_s: must be a finite number of seconds, more than 0"),
        ({"reconnect_min_s": float("nan")}, "reconnect_min_s: must be a finite number"),
        ({"reconnect_max_s": 0.1}, "reconnect_max_s: must be at least reconnect_min_s (0.5)"),
    ],
)
def test_each_unusable_value_is_refused_with_what_to_do(
    overrides: dict[str, Any], problem: str
) -> None:
    with pytest.raises(MqttSettingsError) as caught:
        MqttSettings(**{"host": "broker.example", **overrides})
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(MqttSettingsError) as caught:
        MqttSettings(host="", port=70000, queue_limit=0)
    assert [p.split(":")[0] for p in caught.value.problems] == ["host", "port", "queue_limit"]
    assert str(caught.value).startswith("invalid MQTT settings: host: ")


def test_ca_file_needs_tls_an_existing_file_and_no_insecure_mode(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(MqttSettingsError) as caught:
        MqttSettings(host="b", ca_file=missing, insecure_tls=True)
    assert caught.value.problems == (
        "ca_file: set but tls is false; set tls: true to use it",
        f"ca_file: {missing} does not exist or is not a file",
        "insecure_tls: disables the certificate check that ca_file is for; use one or the other",
        "insecure_tls: only applies with tls: true",
    )


def test_the_password_never_shows_in_a_repr_or_a_refusal() -> None:
    settings = MqttSettings(host="b", username="sprmon", password=Secret("hunter2"))
    assert "hunter2" not in repr(settings)
    assert "<secret>" in repr(settings)
    with pytest.raises(MqttSettingsError) as caught:
        MqttSettings(host="b", password=Secret("hunter2"))
    assert "hunter2" not in str(caught.value)
