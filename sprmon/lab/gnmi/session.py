"""One Subscribe RPC of a lab router: ONCE, POLL, or STREAM with ON_CHANGE and SAMPLE.

A :class:`Session` turns the router's current leaves into SubscribeResponses.
It keeps no queue of messages: per subscription it remembers what it sent
last, and when the router changes (:meth:`Session.wake`) or a sample is due,
it sends the difference between that and the router's state *at that moment*.
A subscriber that reads slowly holds up the generator (gRPC's flow control),
and the changes that happen meanwhile are coalesced into the next message:
the latest value of each changed leaf and a DELETE for what disappeared, never
a backlog. Memory per session is one copy of the leaves it subscribed to.
Missed samples are skipped, not queued.

``updates_only`` sends no initial dump (``sync_response`` at once); STREAM
subscriptions in mode TARGET_DEFINED are ON_CHANGE (counters change once per
tick, so they are pushed once per tick).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import grpc
from pygnmi.spec.v080 import gnmi_pb2

from sprmon.lab.gnmi.codec import (
    check_encoding,
    delete_notification,
    notifications,
    request_pattern,
)
from sprmon.lab.gnmi.paths import (
    Containers,
    Path,
    PathError,
    Pattern,
    Snapshot,
    State,
    deletions,
    select_containers,
)
from sprmon.lab.gnmi.tree import nanoseconds

#: SAMPLE with sample_interval 0 ("target's choice").
DEFAULT_SAMPLE_S = 10.0
#: The shortest sample or heartbeat interval served; shorter ones are refused.
MIN_INTERVAL_S = 0.1

STREAM = gnmi_pb2.SubscriptionList.STREAM
ONCE = gnmi_pb2.SubscriptionList.ONCE
POLL = gnmi_pb2.SubscriptionList.POLL
_MODE_NAMES = {STREAM: "STREAM", ONCE: "ONCE", POLL: "POLL"}


class RequestError(Exception):
    """A request the lab refuses: the status code and a message for the client."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class TargetRestarted(Exception):
    """The router rebooted: its streams end (UNAVAILABLE), as a real one's would."""


class Target(Protocol):
    """What a session needs from its router (see :class:`~.server.RouterTarget`)."""

    def current(self) -> Snapshot: ...

    def muted(self) -> bool: ...

    def garbage(self) -> bool: ...


@dataclass(slots=True)
class Entry:
    """One Subscription of the list, and what was last sent for it."""

    pattern: Pattern
    on_change: bool
    sample_s: float
    suppress_redundant: bool
    heartbeat_s: float | None
    #: What was sent last, by container (the snapshot's own dictionaries where
    #: a whole container is subscribed: unchanged ones are skipped by identity).
    last: Containers = field(default_factory=dict)
    #: Container path -> whether it matched ``pattern`` (see select_containers).
    seen: dict[Path, int] = field(default_factory=dict)
    next_sample: float = 0.0
    next_heartbeat: float = 0.0


@dataclass(frozen=True, slots=True)
class SubscriptionSpec:
    mode: int
    patterns: tuple[Pattern, ...]
    encoding: int
    updates_only: bool
    target: str
    #: Per pattern: (on_change, sample seconds, suppress_redundant, heartbeat seconds).
    options: tuple[tuple[bool, float, bool, float | None], ...]

    @property
    def mode_name(self) -> str:
        return _MODE_NAMES.get(self.mode, str(self.mode))


def _interval(nanoseconds_given: int, what: str) -> float:
    seconds = nanoseconds_given / 1e9
    if seconds < MIN_INTERVAL_S:
        raise RequestError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"{what} {nanoseconds_given} ns is below the lab's minimum of "
            f"{int(MIN_INTERVAL_S * 1e9)} ns",
        )
    return seconds


def parse_subscription_list(request: Any) -> SubscriptionSpec:
    """Check a SubscriptionList; :class:`RequestError` says what is wrong with it."""
    if request.mode not in _MODE_NAMES:
        raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, f"unknown mode {request.mode}")
    if request.use_aliases:
        raise RequestError(grpc.StatusCode.UNIMPLEMENTED, "the lab does not serve aliases")
    if not request.subscription:
        raise RequestError(grpc.StatusCode.INVALID_ARGUMENT, "the subscription list is empty")
    try:
        check_encoding(request.encoding)
        patterns = tuple(request_pattern(request.prefix, s.path) for s in request.subscription)
    except PathError as exc:
        code = (
            grpc.StatusCode.UNIMPLEMENTED
            if str(exc).startswith("encoding")
            else grpc.StatusCode.INVALID_ARGUMENT
        )
        raise RequestError(code, str(exc)) from exc
    options = []
    for sub in request.subscription:
        sampled = request.mode == STREAM and sub.mode == gnmi_pb2.SAMPLE
        sample_s = (
            _interval(sub.sample_interval, "sample_interval")
            if sampled and sub.sample_interval
            else DEFAULT_SAMPLE_S
        )
        heartbeat = (
            _interval(sub.heartbeat_interval, "heartbeat_interval")
            if request.mode == STREAM and sub.heartbeat_interval
            else None
        )
        options.append((not sampled, sample_s, sub.suppress_redundant, heartbeat))
    return SubscriptionSpec(
        mode=request.mode,
        patterns=patterns,
        encoding=request.encoding,
        updates_only=request.updates_only,
        target=request.prefix.target,
        options=tuple(options),
    )


def _sync() -> Any:
    return gnmi_pb2.SubscribeResponse(sync_response=True)


class Session:
    """The responses of one Subscribe RPC; woken by the router's changes.

    ``clock`` is the event loop's monotonic time (sample and heartbeat timers).
    """

    def __init__(self, spec: SubscriptionSpec, target: Target, clock: Callable[[], float]) -> None:
        self.spec = spec
        self._target = target
        self._clock = clock
        self._event = asyncio.Event()
        self._polls = 0
        self._done = False
        self._restarted = False
        self._error: RequestError | None = None
        self.entries = [
            Entry(pattern, on_change, sample_s, suppress, heartbeat)
            for pattern, (on_change, sample_s, suppress, heartbeat) in zip(
                spec.patterns, spec.options, strict=True
            )
        ]

    # -- what the server and the request reader tell the session ---------------------

    def wake(self) -> None:
        """The router's state changed (a fault, a tick)."""
        self._event.set()

    def poll(self) -> None:
        if self.spec.mode != POLL:
            self.fail(
                RequestError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"a Poll request on a {self.spec.mode_name} subscription",
                )
            )
            return
        # Each Poll gets its own dump and sync_response (clients pair them); a
        # count, not a queue: what the dump holds is the state when it is sent.
        self._polls += 1
        self._event.set()

    def client_done(self) -> None:
        """The client closed its side of the stream (half-close).

        That ends a POLL subscription (no more polls can come) but not a
        STREAM one, which lasts until the client cancels the RPC: clients
        (pygnmi's ``subscribe``, for one) close their side right after the
        SubscriptionList. gNMI's reference implementation does the same.
        """
        if self.spec.mode == POLL:
            self._done = True
            self._event.set()

    def restart(self) -> None:
        self._restarted = True
        self._event.set()

    def fail(self, error: RequestError) -> None:
        self._error = error
        self._event.set()

    # -- the responses ------------------------------------------------------------------

    async def responses(self) -> AsyncIterator[Any]:
        if not await self._answering():
            return
        snapshot = self._target.current()
        now = self._clock()
        for entry in self.entries:
            entry.last = select_containers(snapshot, entry.pattern, entry.seen)
            entry.next_sample = now + entry.sample_s
            entry.next_heartbeat = now + (entry.heartbeat_s or 0)
            if not self.spec.updates_only:
                for response in self._updates(_flat(entry.last), snapshot):
                    yield response
        yield _sync()
        if self.spec.mode == ONCE:
            return
        while True:
            if not await self._next_event():
                return
            if self.spec.mode == POLL:
                while self._polls:
                    self._polls -= 1
                    for response in self._dump():
                        yield response
                    yield _sync()
                continue
            for response in self._stream_step():
                yield response

    async def _answering(self) -> bool:
        """Wait while the router is muted; False if the session ended meanwhile."""
        self._check()
        while self._target.muted():
            await self._event.wait()
            self._event.clear()
            self._check()
            if self._done:
                return False
        return not self._done

    def _check(self) -> None:
        if self._restarted:
            raise TargetRestarted
        if self._error is not None:
            raise self._error

    async def _next_event(self) -> bool:
        due = [e.next_sample for e in self.entries if not e.on_change]
        due += [e.next_heartbeat for e in self.entries if e.heartbeat_s]
        timeout = max(0.0, min(due) - self._clock()) if due else None
        if not self._event.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), timeout)
        self._event.clear()
        return await self._answering()

    def _dump(self) -> list[Any]:
        snapshot = self._target.current()
        result = []
        for entry in self.entries:
            entry.last = select_containers(snapshot, entry.pattern, entry.seen)
            result += self._updates(_flat(entry.last), snapshot)
        return result

    def _stream_step(self) -> list[Any]:
        snapshot = self._target.current()
        now = self._clock()
        result = []
        for entry in self.entries:
            heartbeat = entry.heartbeat_s is not None and now >= entry.next_heartbeat
            if heartbeat:
                assert entry.heartbeat_s is not None
                entry.next_heartbeat = now + entry.heartbeat_s
            sample = not entry.on_change and now >= entry.next_sample
            if sample:
                # A sample that is late is taken once, not once per missed interval.
                entry.next_sample = max(entry.next_sample + entry.sample_s, now)
            if not (entry.on_change or sample or heartbeat):
                continue
            current = select_containers(snapshot, entry.pattern, entry.seen)
            every = heartbeat or (sample and not entry.suppress_redundant)
            changed, removed = _difference(entry.last, current, every)
            entry.last = current
            result += self._updates(changed, snapshot)
            if removed:
                present = [(*path, elem) for path, leaves in current.items() for elem in leaves]
                result.append(
                    gnmi_pb2.SubscribeResponse(
                        update=delete_notification(
                            deletions(removed, present, len(entry.pattern)),
                            timestamp=nanoseconds(snapshot.at),
                            target=self.spec.target,
                        )
                    )
                )
        return result

    def _updates(self, leaves: State, snapshot: Snapshot) -> list[Any]:
        if not leaves:
            return []
        return [
            gnmi_pb2.SubscribeResponse(update=n)
            for n in notifications(
                leaves,
                timestamp=nanoseconds(snapshot.at),
                encoding=self.spec.encoding,
                target=self.spec.target,
                garbage=self._target.garbage(),
            )
        ]


def _flat(containers: Containers) -> State:
    return {
        (*path, elem): value
        for path, leaves in containers.items()
        for elem, value in leaves.items()
    }


def _difference(last: Containers, current: Containers, every: bool) -> tuple[State, list[Path]]:
    """The leaves to send (changed or new; all of them if ``every``) and the leaves gone."""
    changed: State = {}
    removed: list[Path] = []
    for path, leaves in current.items():
        before = last.get(path)
        if before is leaves and not every:
            continue  # the same container object: nothing in it changed
        for elem, value in leaves.items():
            if every or before is None or before.get(elem) != value:
                changed[(*path, elem)] = value
        if before is not None:
            removed += [(*path, elem) for elem in before if elem not in leaves]
    for path, before in last.items():
        if path not in current:
            removed += [(*path, elem) for elem in before]
    return changed, removed
