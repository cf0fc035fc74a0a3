"""MqttEventPublisher's credentials and TLS, against a real Mosquitto broker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from sprmon.exporters.mqtt import MqttEventPublisher, MqttSettings, MqttSettingsError
from sprmon.secrets import Secret
from tests.exporters.mqtt_support import decode, path_change, settings_for
from tests.peers.mosquitto import MqttRecorder, run_mosquitto
from tests.peers.pki import make_test_pki

pytestmark = pytest.mark.peer

PASSWORD = "s3cret-Pa55word"
WRONG = "wr0ng-Pa55word"


async def eventually(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Poll ``condition``: the publisher's status is read the way a metrics scrape reads it."""
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_username_and_password_let_events_through(tmp_path: Path) -> None:
    async with (
        run_mosquitto(tmp_path / "broker", users={"sprmon": PASSWORD, "reader": "r"}) as broker,
        MqttRecorder(broker, "sprmon/#", username="reader", password="r") as recorder,
    ):
        settings = settings_for(broker, username="sprmon", password=Secret(PASSWORD))
        async with MqttEventPublisher(settings) as publisher:
            publisher.publish(path_change())
            await publisher.drain()
            assert publisher.status().connected
        messages = await recorder.wait_for(
            lambda messages: any(m.topic.matches("sprmon/events/#") for m in messages)
        )
    events = [m for m in messages if m.topic.matches("sprmon/events/#")]
    assert [decode(bytes(m.payload))["new_state"] for m in events] == ["drift"]


async def test_a_wrong_password_is_a_clear_error_and_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # paho's packet log included
    async with run_mosquitto(tmp_path / "broker", users={"sprmon": PASSWORD}) as broker:
        settings = settings_for(
            broker, username="sprmon", password=Secret(WRONG), flush_timeout_s=0.1
        )
        async with MqttEventPublisher(settings) as publisher:
            publisher.publish(path_change())
            await eventually(lambda: publisher.last_error is not None)
            status = publisher.status()
            error = publisher.last_error or ""
    assert not status.connected
    assert status.queued == 1
    assert "refused the connection for 'sprmon'" in error
    assert "check the MQTT username and password" in error
    errors = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.name == "sprmon.exporters.mqtt"
    ]
    assert [r.getMessage() for r in errors] == [f"MQTT: {error}"]
    assert caplog.text  # the check below reads real log lines
    for record in caplog.records:
        logged = record.getMessage() + (record.exc_text or "")
        assert WRONG not in logged
        assert PASSWORD not in logged
    assert WRONG not in error
    assert WRONG not in repr(settings)


async def test_tls_with_the_test_ca_delivers_events(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path / "pki")
    async with (
        run_mosquitto(tmp_path / "broker", tls=pki) as broker,
        MqttRecorder(broker, "sprmon/events/#") as recorder,
    ):
        settings = settings_for(broker, tls=True, ca_file=pki.ca_cert)
        async with MqttEventPublisher(settings) as publisher:
            publisher.publish(path_change())
            await publisher.drain()
        (message,) = await recorder.wait_for(lambda messages: len(messages) >= 1)
    assert decode(bytes(message.payload))["seq"] == 1


async def test_tls_refuses_a_broker_certificate_from_an_unknown_ca(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path / "pki")
    other = make_test_pki(tmp_path / "other", ca_name="some other CA")
    async with run_mosquitto(tmp_path / "broker", tls=pki) as broker:
        settings = settings_for(broker, tls=True, ca_file=other.ca_cert, flush_timeout_s=0.1)
        async with MqttEventPublisher(settings) as publisher:
            publisher.publish(path_change())
            await eventually(lambda: publisher.last_error is not None)
            error = publisher.last_error or ""
            assert not publisher.status().connected
    assert "certificate of the broker at" in error
    assert "set ca_file to the CA that signed it" in error


async def test_insecure_tls_connects_without_checking_the_certificate(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path / "pki")
    async with run_mosquitto(tmp_path / "broker", tls=pki) as broker:
        settings = settings_for(broker, tls=True, insecure_tls=True)
        async with MqttEventPublisher(settings) as publisher:
            publisher.publish(path_change())
            await publisher.drain()
            assert publisher.status().published_total == 1


async def test_plain_mqtt_to_a_tls_listener_fails_with_a_hint(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path / "pki")
    async with (
        run_mosquitto(tmp_path / "broker", tls=pki) as broker,
        MqttEventPublisher(settings_for(broker, timeout_s=0.5, flush_timeout_s=0.1)) as publisher,
    ):
        publisher.publish(path_change())
        await eventually(lambda: publisher.last_error is not None)
        error = publisher.last_error or ""
    assert error == (
        f"the broker at 127.0.0.1:{broker.port} did not answer within 0.5 s; "
        "is it a TLS listener (set tls: true)?"
    )


async def test_a_ca_file_that_is_not_pem_stops_the_publisher_at_start(tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    settings = MqttSettings(host="127.0.0.1", tls=True, ca_file=bogus)
    with pytest.raises(MqttSettingsError, match=r"ca_file: .*ca\.pem is not a readable PEM"):
        async with MqttEventPublisher(settings):
            pass
