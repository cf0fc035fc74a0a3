"""The publisher's bookkeeping: bounded events, coalesced retained state, backoff (no broker)."""

from __future__ import annotations

import itertools
import random

import pytest

from sprmon.exporters.mqtt_outbox import Outbox, Outgoing, backoff_delays


def add(outbox: Outbox, *seqs: int) -> list[bool]:
    return [outbox.add_event(f"ev/{seq}", b"%d" % seq, seq) for seq in seqs]


def drain(outbox: Outbox) -> list[Outgoing]:
    """Send everything, each acknowledged at once."""
    sent = []
    while (item := outbox.next()) is not None:
        sent.append(item)
        outbox.acknowledged(item)
    return sent


def test_events_go_out_in_order_and_count_as_published_once_acknowledged() -> None:
    outbox = Outbox(10)
    add(outbox, 1, 2, 3)
    assert [item.token for item in drain(outbox)] == [1, 2, 3]
    assert (outbox.queued_events, outbox.published_total, outbox.dropped_total) == (0, 3, 0)
    assert outbox.empty


def test_a_full_queue_drops_the_oldest_event_and_counts_it() -> None:
    outbox = Outbox(3)
    assert add(outbox, 1, 2, 3, 4, 5) == [True, True, True, False, False]
    assert [item.token for item in drain(outbox)] == [3, 4, 5]
    assert outbox.dropped_total == 2


def test_the_event_on_the_wire_is_never_dropped_and_is_sent_again_first() -> None:
    outbox = Outbox(3)
    add(outbox, 1, 2, 3)
    on_wire = outbox.next()
    assert on_wire is not None
    assert on_wire.token == 1
    add(outbox, 4)  # full: 2 is the oldest not on the wire
    outbox.connection_lost()
    assert [item.token for item in drain(outbox)] == [1, 3, 4]
    assert (outbox.published_total, outbox.dropped_total) == (3, 1)


def test_with_room_for_one_event_on_the_wire_a_new_event_is_the_one_dropped() -> None:
    outbox = Outbox(1)
    add(outbox, 1)
    assert outbox.next() is not None
    assert add(outbox, 2) == [False]
    outbox.connection_lost()
    assert [item.token for item in drain(outbox)] == [1]
    assert outbox.dropped_total == 1


def test_retained_state_goes_first_and_keeps_only_the_newest_payload_per_topic() -> None:
    outbox = Outbox(10)
    add(outbox, 1)
    outbox.set_retained("st/a", b"one")
    add(outbox, 2)
    outbox.set_retained("st/a", b"two")
    outbox.set_retained("st/b", b"bee")
    sent = [(item.topic, item.payload, item.retain) for item in drain(outbox)]
    assert sent == [
        ("st/a", b"two", True),
        ("st/b", b"bee", True),
        ("ev/1", b"1", False),
        ("ev/2", b"2", False),
    ]


def test_a_retained_payload_changed_while_on_the_wire_stays_owed() -> None:
    outbox = Outbox(10)
    outbox.set_retained("st/a", b"old")
    on_wire = outbox.next()
    assert on_wire is not None
    outbox.set_retained("st/a", b"new")
    outbox.acknowledged(on_wire)
    assert [(item.topic, item.payload) for item in drain(outbox)] == [("st/a", b"new")]


def test_every_connection_sends_the_retained_state_again_but_not_cleared_topics() -> None:
    outbox = Outbox(10)
    outbox.set_retained("st/a", b"a")
    outbox.set_retained("st/b", b"b")
    outbox.set_retained("st/gone", b"g")
    drain(outbox)
    outbox.set_retained("st/gone", b"")
    assert [(item.topic, item.payload) for item in drain(outbox)] == [("st/gone", b"")]
    assert outbox.retained_topics == 2
    outbox.refresh_retained()
    assert outbox.pending_retained == 2
    assert [item.topic for item in drain(outbox)] == ["st/a", "st/b"]
    assert outbox.empty


def test_after_a_reconnect_changed_state_goes_first_and_refreshes_last() -> None:
    outbox = Outbox(10)
    outbox.set_retained("st/a", b"a1")
    outbox.set_retained("st/b", b"b1")
    drain(outbox)
    add(outbox, 1, 2)  # queued while the broker was away
    outbox.set_retained("st/b", b"b2")
    outbox.refresh_retained()
    sent = [(item.topic, item.payload) for item in drain(outbox)]
    assert sent == [("st/b", b"b2"), ("ev/1", b"1"), ("ev/2", b"2"), ("st/a", b"a1")]


def test_a_refresh_lost_with_the_connection_is_still_owed() -> None:
    outbox = Outbox(10)
    outbox.set_retained("st/a", b"a")
    drain(outbox)
    outbox.refresh_retained()
    assert outbox.next() is not None
    outbox.connection_lost()
    outbox.refresh_retained()
    assert [item.topic for item in drain(outbox)] == ["st/a"]


def test_dropped_events_never_take_retained_state_with_them() -> None:
    outbox = Outbox(1)
    for seq in range(1, 6):
        outbox.add_event("ev", b"", seq)
        outbox.set_retained(f"st/{seq % 2}", b"%d" % seq)
    sent = drain(outbox)
    assert [(item.topic, item.payload) for item in sent if item.retain] == [
        ("st/1", b"5"),
        ("st/0", b"4"),
    ]
    assert [item.token for item in sent if not item.retain] == [5]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backoff_grows_from_min_to_max_with_jitter_inside_the_bounds(seed: int) -> None:
    delays = list(itertools.islice(backoff_delays(0.5, 60.0, random.Random(seed)), 40))
    assert delays[0] == 0.5
    ceilings = [min(60.0, 0.5 * 2**attempt) for attempt in range(40)]
    assert all(0.5 <= delay <= ceiling for delay, ceiling in zip(delays, ceilings, strict=True))
    assert max(delays[-10:]) > 30.0  # reached the top range
    assert len(set(delays[-10:])) == 10  # jittered, not in lock step
