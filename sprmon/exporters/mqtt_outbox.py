"""What the MQTT publisher still owes the broker: pure bookkeeping, no I/O.

Two stores with different jobs:

- **Events**, a bounded FIFO. Each stays until the broker acknowledged it
  (PUBACK); one lost on the wire goes out again first, so order holds. When
  full, the oldest event not already on the wire is dropped and counted: the
  newest events describe the present and the transitions that led to it, and
  subscribers see where the gap is from the sequence numbers. The retained
  state (below) carries the present regardless, so what is lost is history,
  never the current state.
- **Retained state**, the latest desired payload per state topic (one per path
  and link of the intent, plus pending clears), separate from the event queue
  so it is never dropped. A topic is *dirty* from a change until the broker
  acknowledged its newest payload. Dirty topics go out before queued events:
  one per subject at most (changes coalesce), and they show a new subscriber
  the present at once, even while a backlog of events drains. Every new
  connection also *refreshes* every other topic, since a broker restarted
  without persistence has forgotten them; refreshes go out last, after the
  events, because against a broker that kept them they change nothing, and an
  intent of many thousand paths would otherwise hold the events back.

Order of sending: dirty retained topics, queued events, refreshes.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One MQTT PUBLISH the publisher owes."""

    topic: str
    payload: bytes
    retain: bool
    #: Events: the sequence number. Retained state: the version of the topic's payload,
    #: so an acknowledgement of an older version leaves the newer one dirty.
    token: int


class Outbox:
    """See the module docstring. ``event_limit`` bounds the event queue."""

    def __init__(self, event_limit: int) -> None:
        if event_limit < 1:
            raise ValueError("event_limit must be at least 1")
        self._limit = event_limit
        self._events: deque[Outgoing] = deque()
        #: The head event is on the wire (sent, not yet acknowledged).
        self._head_on_wire = False
        #: topic -> (payload, version); an empty payload is a pending clear.
        self._desired: dict[str, tuple[bytes, int]] = {}
        #: Topics changed since the broker acknowledged their payload, oldest first.
        self._dirty: dict[str, None] = {}
        #: Unchanged topics to send again on this connection (see the module docstring).
        self._refresh: dict[str, None] = {}
        self._version = 0
        self.published_total = 0
        self.dropped_total = 0

    @property
    def queued_events(self) -> int:
        """Events not yet acknowledged, the one on the wire included."""
        return len(self._events)

    @property
    def pending_retained(self) -> int:
        """Retained topics still to send: changed ones and refreshes."""
        return len(self._dirty) + len(self._refresh)

    @property
    def retained_topics(self) -> int:
        """Size of the desired-state map (current subjects plus pending clears)."""
        return len(self._desired)

    @property
    def empty(self) -> bool:
        return not self._events and not self._dirty and not self._refresh

    def add_event(self, topic: str, payload: bytes, seq: int) -> bool:
        """Queue an event; False when the queue was full and an event was dropped."""
        item = Outgoing(topic, payload, retain=False, token=seq)
        if len(self._events) < self._limit:
            self._events.append(item)
            return True
        self.dropped_total += 1
        if not self._head_on_wire:
            self._events.popleft()
        elif len(self._events) > 1:
            # The head is on the wire and may already be at the broker; the next is oldest.
            del self._events[1]
        else:
            return False  # only the event on the wire is queued: the new one is the oldest left
        self._events.append(item)
        return False

    def set_retained(self, topic: str, payload: bytes) -> None:
        """The desired retained payload of ``topic`` from now on (``b""``: clear it)."""
        self._version += 1
        self._desired[topic] = (payload, self._version)
        self._dirty[topic] = None
        self._refresh.pop(topic, None)

    def next(self) -> Outgoing | None:
        """What to send now, or None when nothing is owed.

        The caller sends one at a time and reports back with :meth:`acknowledged` or
        :meth:`connection_lost`.
        """
        for topic in self._dirty:
            return self._retained(topic)
        if self._events:
            self._head_on_wire = True
            return self._events[0]
        for topic in self._refresh:
            return self._retained(topic)
        return None

    def _retained(self, topic: str) -> Outgoing:
        payload, version = self._desired[topic]
        return Outgoing(topic, payload, retain=True, token=version)

    def acknowledged(self, item: Outgoing) -> None:
        """The broker acknowledged ``item`` (PUBACK)."""
        if item.retain:
            payload, version = self._desired.get(item.topic, (b"", -1))
            if version == item.token:
                self._dirty.pop(item.topic, None)
                self._refresh.pop(item.topic, None)
                if payload == b"":
                    # Cleared at the broker: nothing left to restore after a reconnect.
                    del self._desired[item.topic]
            return
        if self._head_on_wire and self._events and self._events[0] is item:
            self._events.popleft()
            self.published_total += 1
        self._head_on_wire = False

    def connection_lost(self) -> None:
        """The connection broke: the event on the wire is owed again, first."""
        self._head_on_wire = False

    def refresh_retained(self) -> None:
        """A new connection: send every desired retained payload again (after the events,
        unless it changed meanwhile)."""
        self._refresh = dict.fromkeys(topic for topic in self._desired if topic not in self._dirty)


def backoff_delays(min_s: float, max_s: float, rng: random.Random) -> Iterator[float]:
    """Reconnect delays: exponential from ``min_s`` to ``max_s``, each drawn uniformly
    from ``[min_s, ceiling]`` so that many publishers losing one broker do not all
    come back at the same instant."""
    ceiling = min_s
    while True:
        yield rng.uniform(min_s, ceiling)
        ceiling = min(max_s, ceiling * 2)
