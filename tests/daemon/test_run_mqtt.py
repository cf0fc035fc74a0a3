"""``sprmon run`` with the intent's ``mqtt:`` section, against a real Mosquitto broker."""

from __future__ import annotations

import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from sprmon.lab import Lab, run_lab
from tests.daemon.daemon_support import SLACK_S, WITHIN_TWO_INTERVALS_S, daemon_intent
from tests.daemon.process_support import START_S, change, message, start
from tests.peers.mosquitto import MqttRecorder, retained_messages, run_mosquitto

pytestmark = pytest.mark.peer

LEGACY_TOPIC = "10.0.21.0_24"


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    async with run_lab(
        sites=2, seed=8, intent_path=tmp_path / "lab" / "intent.yaml", control=False, tick=0.1
    ) as running:
        yield running


def with_mqtt(intent: Path, port: int, *, drop: str | None = None) -> None:
    lines = [
        line
        for line in intent.read_text(encoding="utf-8").splitlines()
        if not line.startswith("mqtt:")
    ]
    if drop is not None:
        lines = [line for line in lines if f"name: {drop}," not in line]
    lines.append(
        f"mqtt: {{host: 127.0.0.1, port: {port}, topic_prefix: lab/wan, "
        "username: sprmon, password: {file: mqtt.secret}, client_id: sprmon-test}"
    )
    intent.write_text("\n".join(lines) + "\n", encoding="utf-8")


def payloads(messages: list[Any]) -> list[dict[str, Any]]:
    return [json.loads(bytes(m.payload)) for m in messages if m.payload]


async def test_state_changes_reach_the_broker_as_events_and_retained_states(
    lab: Lab, tmp_path: Path
) -> None:
    intent = daemon_intent(lab)
    intent.with_name("mqtt.secret").write_text("broker-pw\n", encoding="utf-8")
    async with run_mosquitto(tmp_path / "broker", users={"sprmon": "broker-pw"}) as broker:
        with_mqtt(intent, broker.port)
        async with MqttRecorder(
            broker, "lab/wan/events/#", username="sprmon", password="broker-pw"
        ) as events:
            daemon = await start(tmp_path, "run", "-i", intent, "--log-format", "json")
            try:
                await daemon.until("started", message("watching 2 site(s)"), START_S)
                await events.wait_for(
                    lambda m: {p["site"] for p in payloads(m)} == {"site-001", "site-002"},
                    START_S,
                )
                lab.inject("site-002", "med-drift")
                await daemon.until("drift logged", change("site-002", "drift"), START_S)
                topic = f"lab/wan/events/site-002/path/legacy/{LEGACY_TOPIC}"
                drift = await events.wait_for(
                    lambda m: any(
                        x.topic.value == topic
                        and json.loads(bytes(x.payload))["new_state"] == "drift"
                        for x in m
                    ),
                    WITHIN_TWO_INTERVALS_S + SLACK_S,
                )
                (event,) = [
                    p
                    for x, p in zip(drift, payloads(drift), strict=True)
                    if x.topic.value == topic and p["new_state"] == "drift"
                ]
                assert event["old_state"] == "compliant"
                assert "MED 300" in event["explanation"]
                present = await retained_messages(
                    broker, "lab/wan/state/#", username="sprmon", password="broker-pw"
                )
                state = json.loads(present[f"lab/wan/state/site-002/path/legacy/{LEGACY_TOPIC}"])
                assert state["state"] == "drift"

                # site-002 leaves the intent: its retained states are cleared.
                with_mqtt(intent, broker.port, drop="site-002")
                daemon.process.send_signal(signal.SIGHUP)
                await daemon.until("reloaded", message("1 removed"), 10.0)
                await events.wait_for(
                    lambda m: any(
                        p["site"] == "site-002" and p["new_state"] is None for p in payloads(m)
                    ),
                    10.0,
                )
                code = await daemon.stop()
            finally:
                if daemon.process.returncode is None:
                    daemon.process.kill()
                    await daemon.wait()
        present = await retained_messages(
            broker, "lab/wan/#", username="sprmon", password="broker-pw"
        )
    assert code == 0
    assert not [t for t in present if "/site-002/" in t]
    assert any(t.startswith("lab/wan/state/site-001/") for t in present)
    assert json.loads(present["lab/wan/publisher/sprmon-test"])["status"] == "offline"
    # The password never reaches the log.
    assert "broker-pw" not in json.dumps(daemon.records)
