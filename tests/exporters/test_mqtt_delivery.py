"""MqttEventPublisher against a real Mosquitto broker: order, retained state, outages, exit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiomqtt
import pytest

from sprmon.core.monitor import EventQueueStatus
from sprmon.exporters.mqtt import MqttEventPublisher
from sprmon.exporters.mqtt_topics import level_to_name, level_to_prefix
from sprmon.realpeers.process import free_tcp_port
from tests.exporters.mqtt_support import (
    AT,
    decode,
    link_change,
    path_change,
    scripted_sequence,
    settings_for,
)
from tests.peers.mosquitto import (
    Mosquitto,
    MqttRecorder,
    retained_messages,
    run_mosquitto,
)
from tests.peers.relay import TcpRelay

pytestmark = pytest.mark.peer


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[Mosquitto]:
    async with run_mosquitto(tmp_path / "broker") as running:
        yield running


def seqs(messages: list[aiomqtt.Message]) -> list[int]:
    return [decode(bytes(m.payload))["seq"] for m in messages]


def first_occurrences(values: list[int]) -> list[int]:
    """At-least-once delivery may repeat a message; order is judged on first arrivals."""
    seen: set[int] = set()
    return [v for v in values if not (v in seen or seen.add(v))]  # type: ignore[func-returns-value]


def at_least(count: int) -> Callable[[list[aiomqtt.Message]], bool]:
    return lambda messages: len(set(seqs(messages))) >= count


async def eventually(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Poll ``condition``: the publisher's status is read the way a metrics scrape reads it."""
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def test_a_subscriber_receives_every_event_in_order_with_the_documented_json(
    broker: Mosquitto,
) -> None:
    changes = [*scripted_sequence(11), link_change(at=AT + 11)]
    async with (
        MqttRecorder(broker, "sprmon/events/#") as recorder,
        MqttEventPublisher(settings_for(broker)) as publisher,
    ):
        for change in changes:
            publisher.publish(change)
        messages = await recorder.wait_for(at_least(len(changes)))
        await publisher.drain()
        status = publisher.status()
    assert seqs(messages) == list(range(1, 13))
    assert status == EventQueueStatus(connected=True, queued=0, published_total=12, dropped_total=0)
    first = messages[0]
    assert first.topic.value == "sprmon/events/branch-01/path/legacy/10.0.21.0_24"
    assert first.qos == 1
    assert not first.retain
    assert decode(bytes(first.payload)) == {
        "schema_version": 1,
        "instance": publisher.instance,
        "seq": 1,
        "time": "2026-11-30T00:53:20.250Z",
        "time_unix": AT,
        "site": "branch-01",
        "subject": "path",
        "app": "legacy",
        "prefix": "10.0.21.0/24",
        "link": None,
        "old_state": None,
        "new_state": "compliant",
        "explanation": "via inet (MED 200) beat via mpls (MED 300)",
        "expected_link": "mpls",
        "actual_links": ["inet"],
    }
    third = decode(bytes(messages[2].payload))
    assert messages[2].topic.value == "sprmon/events/branch-02/path/legacy/2001:db8:21::_48"
    assert third["prefix"] == "2001:db8:21::/48"
    fourth = decode(bytes(messages[3].payload))
    assert (fourth["old_state"], fourth["new_state"]) == ("compliant", "drift")
    link = decode(bytes(messages[-1].payload))
    assert messages[-1].topic.value == "sprmon/events/branch-01/link/mpls"
    assert (link["subject"], link["link"], link["app"], link["prefix"]) == (
        "link",
        "mpls",
        None,
        None,
    )
    assert (link["old_state"], link["new_state"]) == ("up", "down")


async def test_a_late_subscriber_sees_the_present_state_at_once(broker: Mosquitto) -> None:
    async with MqttEventPublisher(settings_for(broker)) as publisher:
        for change in [*scripted_sequence(8), link_change()]:
            publisher.publish(change)
        await publisher.drain()
        present = await retained_messages(broker, "sprmon/#")
    states = {topic: decode(payload) for topic, payload in present.items() if "/state/" in topic}
    assert {topic: body["state"] for topic, body in states.items()} == {
        # Changes 0, 3, 6 walked branch-01 legacy to its third state; 1, 4, 7 the default
        # prefix; 2, 5 branch-02's legacy prefix.
        "sprmon/state/branch-01/path/legacy/10.0.21.0_24": "failover",
        "sprmon/state/branch-01/path/default/10.0.10.0_24": "failover",
        "sprmon/state/branch-02/path/legacy/2001:db8:21::_48": "drift",
        "sprmon/state/branch-01/link/mpls": "down",
    }
    legacy = states["sprmon/state/branch-01/path/legacy/10.0.21.0_24"]
    assert legacy == {
        "schema_version": 1,
        "site": "branch-01",
        "subject": "path",
        "app": "legacy",
        "prefix": "10.0.21.0/24",
        "link": None,
        "state": "failover",
        "explanation": "via inet (MED 200) beat via mpls (MED 300)",
        "expected_link": "mpls",
        "actual_links": ["inet"],
        "since": "2026-11-30T00:53:26.250Z",
        "since_unix": AT + 6,
        "instance": publisher.instance,
        "seq": 7,
    }
    assert decode(present["sprmon/publisher/sprmon-test"])["status"] == "online"


async def test_a_subject_that_leaves_has_its_retained_state_cleared(broker: Mosquitto) -> None:
    async with (
        MqttRecorder(broker, "sprmon/events/#") as recorder,
        MqttEventPublisher(settings_for(broker)) as publisher,
    ):
        publisher.publish(path_change(old=None, new="compliant"))
        publisher.publish(link_change(old=None, new="up"))
        await publisher.drain()
        before = await retained_messages(broker, "sprmon/state/#")
        publisher.publish(path_change(old="compliant", new=None, explanation="left"))
        await publisher.drain()
        after = await retained_messages(broker, "sprmon/state/#")
        messages = await recorder.wait_for(at_least(3))
    path_topic = "sprmon/state/branch-01/path/legacy/10.0.21.0_24"
    assert set(before) == {path_topic, "sprmon/state/branch-01/link/mpls"}
    assert set(after) == {"sprmon/state/branch-01/link/mpls"}
    leave = decode(bytes(messages[2].payload))
    assert (leave["old_state"], leave["new_state"], leave["explanation"]) == (
        "compliant",
        None,
        "left",
    )


async def test_a_broker_restart_mid_sequence_loses_nothing_and_keeps_order(
    broker: Mosquitto,
) -> None:
    script = scripted_sequence(30)
    async with (
        MqttRecorder(broker, "sprmon/events/#") as recorder,
        MqttEventPublisher(settings_for(broker)) as publisher,
    ):
        for change in script[:10]:
            publisher.publish(change)
        await recorder.wait_for(at_least(10))

        await broker.stop()
        await eventually(lambda: not publisher.status().connected)
        for change in script[10:20]:
            publisher.publish(change)
        assert publisher.status().queued == 10
        assert publisher.last_error is not None
        assert "connect" in publisher.last_error

        await broker.start()
        for change in script[20:]:
            publisher.publish(change)
        messages = await recorder.wait_for(at_least(30))
        await publisher.drain()
        status = publisher.status()
        present = await retained_messages(broker, "sprmon/state/#")
    assert first_occurrences(seqs(messages)) == list(range(1, 31))
    assert status == EventQueueStatus(connected=True, queued=0, published_total=30, dropped_total=0)
    assert {topic: decode(payload)["seq"] for topic, payload in present.items()} == {
        "sprmon/state/branch-01/path/legacy/10.0.21.0_24": 28,
        "sprmon/state/branch-01/path/default/10.0.10.0_24": 29,
        "sprmon/state/branch-02/path/legacy/2001:db8:21::_48": 30,
    }


async def test_an_event_whose_puback_never_came_is_sent_again_first(broker: Mosquitto) -> None:
    script = scripted_sequence(300)
    async with (
        TcpRelay(broker.host, broker.port) as relay,
        MqttRecorder(broker, "sprmon/events/#") as recorder,
        MqttEventPublisher(settings_for(relay.port, timeout_s=0.5)) as publisher,
    ):
        for change in script:
            publisher.publish(change)
        await recorder.wait_for(at_least(50))
        # From here the event after the one on the wire never reaches the broker; its
        # PUBACK never comes, the publisher gives up on the connection and must send it
        # again, before any later one.
        relay.drop_upstream()
        assert publisher.status().queued >= 2, "the backlog drained before the fault"
        await eventually(lambda: publisher.last_error is not None)
        assert "did not answer within 0.5 s" in (publisher.last_error or "")
        messages = await recorder.wait_for(at_least(300))
        await publisher.drain()
        status = publisher.status()
    assert first_occurrences(seqs(messages)) == list(range(1, 301))
    assert status.published_total == 300


async def test_retained_state_converges_after_a_broker_that_forgot_everything(
    tmp_path: Path,
) -> None:
    async with (
        run_mosquitto(tmp_path / "broker") as broker,
        MqttEventPublisher(settings_for(broker)) as publisher,
    ):
        for change in scripted_sequence(3):
            publisher.publish(change)
        await publisher.drain()
        await broker.stop()
        # A broker that lost its database: no retained messages, no sessions.
        (broker.workdir / "mosquitto.db").unlink()
        await eventually(lambda: not publisher.status().connected)
        await broker.start()
        await eventually(lambda: publisher.status().connected)
        await publisher.drain()
        present = await retained_messages(broker, "sprmon/state/#")
    assert len(present) == 3


async def test_a_full_queue_drops_the_oldest_events_and_counts_them(broker: Mosquitto) -> None:
    async with MqttRecorder(broker, "sprmon/events/#") as recorder:
        await broker.stop()
        async with MqttEventPublisher(settings_for(broker, queue_limit=3)) as publisher:
            for change in scripted_sequence(5):
                publisher.publish(change)
            assert publisher.status() == EventQueueStatus(
                connected=False, queued=3, published_total=0, dropped_total=2
            )
            await broker.start()
            messages = await recorder.wait_for(at_least(3))
            await publisher.drain()
            status = publisher.status()
        present = await retained_messages(broker, "sprmon/state/#")
    # Events 1 and 2 were dropped: the gap in the sequence numbers shows it.
    assert first_occurrences(seqs(messages)) == [3, 4, 5]
    assert status.dropped_total == 2
    assert status.published_total == 3
    # Retained state is kept apart from the event queue: every subject is current.
    assert len(present) == 3


async def test_odd_names_and_ipv6_prefixes_stay_single_topic_levels(broker: Mosquitto) -> None:
    site, app, link = "branch/01 + #2", "voice%rtp#", "mpls/\x00primary"
    prefix = "2001:db8:ff::/64"
    async with (
        MqttRecorder(broker, "sprmon/events/+/path/+/+") as paths,
        MqttRecorder(broker, "sprmon/events/+/link/+") as links,
        MqttEventPublisher(settings_for(broker)) as publisher,
    ):
        publisher.publish(path_change(site, app, prefix))
        publisher.publish(link_change(site, link))
        path_messages = await paths.wait_for(at_least(1))
        link_messages = await links.wait_for(at_least(1))
    (path_message,) = path_messages
    (link_message,) = link_messages
    _, _, site_level, _, app_level, prefix_level = path_message.topic.value.split("/")
    assert (level_to_name(site_level), level_to_name(app_level)) == (site, app)
    assert level_to_prefix(prefix_level) == prefix
    assert prefix_level == "2001:db8:ff::_64"
    _, _, site_level, _, link_level = link_message.topic.value.split("/")
    assert (level_to_name(site_level), level_to_name(link_level)) == (site, link)
    assert decode(bytes(path_message.payload))["site"] == site


async def test_exit_delivers_what_is_still_queued(broker: Mosquitto) -> None:
    async with MqttRecorder(broker, "sprmon/events/#") as recorder:
        async with MqttEventPublisher(settings_for(broker)) as publisher:
            for change in scripted_sequence(20):
                publisher.publish(change)
            # No drain(): leaving the block is what delivers them.
        assert publisher.status().queued == 0
        messages = await recorder.wait_for(at_least(20))
    assert first_occurrences(seqs(messages)) == list(range(1, 21))
    present = await retained_messages(broker, "sprmon/publisher/#")
    assert decode(present["sprmon/publisher/sprmon-test"])["status"] == "offline"


async def test_exit_gives_up_after_the_flush_timeout_when_no_broker_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="sprmon")
    settings = settings_for(free_tcp_port(), flush_timeout_s=0.3)
    async with asyncio.timeout(30):  # a guard against hanging, not a measurement
        async with MqttEventPublisher(settings) as publisher:
            for change in scripted_sequence(3):
                publisher.publish(change)
    assert publisher.status().queued == 3
    assert not publisher.status().connected
    assert "gave up after 0.3 s with 3 events and 3 retained states not delivered" in caplog.text
    assert "connection refused" in (publisher.last_error or "")


async def test_exit_with_nothing_queued_returns_without_waiting_for_a_broker() -> None:
    settings = settings_for(free_tcp_port(), flush_timeout_s=3600)
    async with asyncio.timeout(30):  # would take an hour if exit waited for the broker
        async with MqttEventPublisher(settings) as publisher:
            await eventually(lambda: publisher.last_error is not None)
    assert publisher.status().queued == 0
