"""Publish :class:`~sprmon.core.monitor.StateChange` events to an MQTT broker.

::

    async with MqttEventPublisher(MqttSettings(host="broker.example")) as events:
        events.publish(change)          # never blocks: queued, delivered in the background
        view = replace(view, events=events.status())

:meth:`MqttEventPublisher.publish` only queues (:mod:`.mqtt_outbox`); one
background task owns the connection (aiomqtt, MQTT 3.1.1, clean session, a
new client per connection) and sends one message at a time, each awaited to
its PUBACK, so order holds and an event whose PUBACK never came is the first
one sent on the next connection (delivery is at least once: subscribers drop
repeated sequence numbers). While the broker is away, events wait in the
bounded queue and the task reconnects with exponential backoff and jitter.
Failures never reach the caller: :meth:`~MqttEventPublisher.status` and
:attr:`~MqttEventPublisher.last_error` say what is wrong, and the log says it
once per outage. Topics and payloads: :mod:`.mqtt_topics`, docs/mqtt-events.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import uuid
from types import TracebackType
from typing import Self, TypeVar

import aiomqtt
from aiomqtt.exceptions import MqttConnectError

from sprmon.core.monitor import EventQueueStatus, StateChange
from sprmon.exporters.mqtt_outbox import Outbox, backoff_delays
from sprmon.exporters.mqtt_settings import MqttSettings, MqttSettingsError
from sprmon.exporters.mqtt_topics import Topics, event_payload, publisher_payload, state_payload

__all__ = ["MqttEventPublisher", "MqttPublisherClosedError", "MqttSettings", "MqttSettingsError"]

log = logging.getLogger(__name__)
#: paho-mqtt's own messages (it logs an ERROR line when a broker drops the connection).
wire_log = logging.getLogger(f"{__name__}.wire")

_E = TypeVar("_E", bound=BaseException)

#: CONNACK refusals that mean the credentials are wrong or not allowed (MQTT 3.1.1 codes
#: 4 and 5, which paho reports as MQTT 5 reason codes 134 and 135).
_AUTH_REFUSALS = frozenset({4, 5, 134, 135})


class MqttPublisherClosedError(RuntimeError):
    """:meth:`MqttEventPublisher.publish` was called after the publisher was closed."""


class MqttEventPublisher:
    """Queues state changes and delivers them to the broker; see the module docstring."""

    def __init__(self, settings: MqttSettings, *, rng: random.Random | None = None) -> None:
        self._settings = settings
        self._topics = Topics(settings.topic_prefix)
        self._outbox = Outbox(settings.queue_limit)
        self._rng = rng or random.Random()
        #: Identifies this publisher's sequence: ``(instance, seq)`` is unique.
        self.instance = uuid.uuid4().hex
        self._seq = 0
        self._connected = False
        self._closing = False
        #: Set on exit: ends the current backoff wait once, for one last attempt.
        self._closing_event = asyncio.Event()
        self._last_error: str | None = None
        self._dropped_in_outage = 0
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._tls_context: ssl.SSLContext | None = None
        self._runner: asyncio.Task[None] | None = None

    @property
    def settings(self) -> MqttSettings:
        return self._settings

    @property
    def last_error(self) -> str | None:
        """Why the newest connection attempt failed or broke; None once connected."""
        return self._last_error

    def status(self) -> EventQueueStatus:
        return EventQueueStatus(
            connected=self._connected,
            queued=self._outbox.queued_events,
            published_total=self._outbox.published_total,
            dropped_total=self._outbox.dropped_total,
        )

    def publish(self, change: StateChange) -> None:
        """Queue ``change`` as an event and update its retained state; never blocks.

        Raises :class:`~sprmon.exporters.mqtt_topics.TopicError` for a change that
        lacks its subject's fields (a caller's bug), and
        :class:`MqttPublisherClosedError` once the publisher is closing.
        """
        if self._closing:
            raise MqttPublisherClosedError("the MQTT publisher is closed; publish before exiting")
        event_topic = self._topics.event(change)
        state_topic = self._topics.state(change)
        self._seq += 1
        seq = self._seq
        if not self._outbox.add_event(
            event_topic, event_payload(change, seq=seq, instance=self.instance), seq
        ):
            self._note_drop()
        self._outbox.set_retained(
            state_topic, state_payload(change, seq=seq, instance=self.instance)
        )
        self._drained.clear()
        self._wakeup.set()

    async def drain(self) -> None:
        """Wait until the broker acknowledged every event and retained state queued so far."""
        await self._drained.wait()

    async def __aenter__(self) -> Self:
        if self._runner is not None:
            raise RuntimeError("an MqttEventPublisher can be entered only once")
        if self._settings.tls:
            # Read the CA file now, so a bad one stops the daemon at start-up.
            self._tls_context = await asyncio.to_thread(_tls_context, self._settings)
        self._runner = asyncio.create_task(self._run(), name="mqtt-publisher")
        self._runner.add_done_callback(_log_crash)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Deliver what is queued within ``flush_timeout_s``, then give up and return."""
        runner = self._runner
        if runner is None:
            return
        self._closing = True
        self._closing_event.set()
        self._wakeup.set()
        try:
            await asyncio.wait({runner}, timeout=self._settings.flush_timeout_s)
        finally:
            while not runner.done():
                # A cancelled aiomqtt client still waits up to timeout_s for its
                # DISCONNECT to go out: cancel again rather than wait that long.
                runner.cancel()
                await asyncio.wait({runner}, timeout=1.0)
        self._connected = False
        left, retained = self._outbox.queued_events, self._outbox.pending_retained
        if left or retained:
            log.warning(
                "MQTT: gave up after %.1f s with %d events and %d retained states not "
                "delivered to %s",
                self._settings.flush_timeout_s,
                left,
                retained,
                self._settings.address,
            )
        crash = None if runner.cancelled() else runner.exception()
        if crash is not None:
            raise crash  # a bug, not a broker failure (those never end the task)

    # -- the background task ------------------------------------------------------

    async def _run(self) -> None:
        delays = backoff_delays(
            self._settings.reconnect_min_s, self._settings.reconnect_max_s, self._rng
        )
        while True:
            if self._closing and self._outbox.empty:
                return  # nothing left to deliver
            failure: aiomqtt.MqttError | None = None
            was_connected = False
            try:
                await self._session()
            except* aiomqtt.MqttError as group:
                failure = _first_mqtt_error(group)
            finally:
                was_connected = self._connected
                self._connected = False
                self._outbox.connection_lost()
            if failure is None:
                return  # closing, and everything was delivered
            if was_connected:
                delays = backoff_delays(
                    self._settings.reconnect_min_s, self._settings.reconnect_max_s, self._rng
                )
            self._note_failure(failure, was_connected=was_connected)
            if self._closing and self._outbox.empty:
                return  # nothing left to deliver; the broker published our will
            await self._backoff(next(delays))

    async def _backoff(self, delay: float) -> None:
        if self._closing_event.is_set():
            await asyncio.sleep(delay)
            return
        # Exiting ends this wait early, once: one more try before the flush time is up.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._closing_event.wait()

    async def _session(self) -> None:
        """One connection: deliver until it breaks, or until closing and drained."""
        settings = self._settings
        status_topic = self._topics.publisher(settings.client_id)
        client = aiomqtt.Client(
            settings.host,
            settings.port,
            username=settings.username,
            password=None if settings.password is None else settings.password.reveal(),
            identifier=settings.client_id,
            clean_session=True,
            keepalive=settings.keepalive_s,
            timeout=settings.timeout_s,
            tls_context=self._tls_context,
            tls_insecure=True if settings.insecure_tls else None,
            logger=wire_log,
            will=aiomqtt.Will(
                status_topic,
                publisher_payload(online=False, instance=self.instance),
                qos=1,
                retain=True,
            ),
        )
        async with client:
            self._on_connected()
            async with asyncio.TaskGroup() as group:
                watcher = group.create_task(_until_disconnected(client))
                await client.publish(
                    status_topic,
                    publisher_payload(online=True, instance=self.instance),
                    qos=1,
                    retain=True,
                )
                await self._deliver(client)
                # A clean exit sends no will: say so ourselves.
                await client.publish(
                    status_topic,
                    publisher_payload(online=False, instance=self.instance),
                    qos=1,
                    retain=True,
                )
                watcher.cancel()

    async def _deliver(self, client: aiomqtt.Client) -> None:
        while True:
            item = self._outbox.next()
            if item is None:
                self._drained.set()
                if self._closing:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            await client.publish(item.topic, item.payload, qos=1, retain=item.retain)
            self._outbox.acknowledged(item)

    def _on_connected(self) -> None:
        self._connected = True
        self._last_error = None
        self._outbox.refresh_retained()
        if not self._outbox.empty:
            self._drained.clear()
        log.info(
            "MQTT: connected to %s; %d events queued, %d retained states to (re)send",
            self._settings.address,
            self._outbox.queued_events,
            self._outbox.pending_retained,
        )
        if self._dropped_in_outage:
            log.warning(
                "MQTT: %d events were dropped while the broker was away (queue_limit %d)",
                self._dropped_in_outage,
                self._settings.queue_limit,
            )
            self._dropped_in_outage = 0

    def _note_failure(self, exc: aiomqtt.MqttError, *, was_connected: bool) -> None:
        message, auth = describe_failure(exc, self._settings, was_connected=was_connected)
        if was_connected:
            log.warning(
                "MQTT: %s; events are queued (up to %d) until it is back",
                message,
                self._settings.queue_limit,
            )
        elif message != self._last_error:
            log.log(logging.ERROR if auth else logging.WARNING, "MQTT: %s", message)
        else:
            log.debug("MQTT: still failing: %s", message)
        self._last_error = message

    def _note_drop(self) -> None:
        if self._dropped_in_outage == 0:
            log.warning(
                "MQTT: event queue full (%d events): dropping the oldest until %s is back",
                self._settings.queue_limit,
                self._settings.address,
            )
        self._dropped_in_outage += 1


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("MQTT: the publisher stopped on an unexpected error", exc_info=task.exception())


async def _until_disconnected(client: aiomqtt.Client) -> None:
    """Raise :class:`aiomqtt.MqttError` as soon as the connection breaks.

    A QoS 1 publish in aiomqtt waits for its PUBACK until its timeout even when the
    connection is already gone; the message iterator (nothing is subscribed, so it
    yields nothing) ends the moment the client notices the disconnection, and the
    task group then stops the delivery at once.
    """
    async for _ in client.messages:
        pass


def _first_mqtt_error(group: BaseExceptionGroup[aiomqtt.MqttError]) -> aiomqtt.MqttError:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first_mqtt_error(exc)
        return exc
    raise AssertionError("an empty exception group")  # pragma: no cover


def _tls_context(settings: MqttSettings) -> ssl.SSLContext:
    if settings.insecure_tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    cafile = None if settings.ca_file is None else str(settings.ca_file)
    try:
        return ssl.create_default_context(cafile=cafile)
    except (ssl.SSLError, OSError) as exc:
        raise MqttSettingsError(
            [f"ca_file: {settings.ca_file} is not a readable PEM CA certificate ({exc})"]
        ) from exc


def describe_failure(
    exc: aiomqtt.MqttError, settings: MqttSettings, *, was_connected: bool = False
) -> tuple[str, bool]:
    """A message a user can act on for a failed or broken connection, and whether the
    broker refused the credentials. Built from the address and the error kind only:
    never the password."""
    address = settings.address
    if isinstance(exc, MqttConnectError):
        code = getattr(exc.rc, "value", exc.rc)
        if code in _AUTH_REFUSALS:
            who = "anonymous clients" if settings.username is None else repr(settings.username)
            return (
                f"the broker at {address} refused the connection for {who} ({exc}); "
                "check the MQTT username and password and the broker's access rules",
                True,
            )
        return f"the broker at {address} refused the connection ({exc})", False
    chain = _causes(exc)
    verify = _find(chain, ssl.SSLCertVerificationError)
    if verify is not None:
        return (
            f"TLS: the certificate of the broker at {address} was not accepted "
            f"({verify.verify_message}); set ca_file to the CA that signed it",
            False,
        )
    tls = _find(chain, ssl.SSLError)
    if tls is not None:
        return (
            f"TLS with the broker at {address} failed ({tls.reason or tls}); "
            "is that port a TLS listener, and does tls match it?",
            False,
        )
    if _find(chain, ConnectionRefusedError) is not None:
        return f"cannot connect to the broker at {address}: connection refused", False
    if str(exc) == "Operation timed out":
        message = f"the broker at {address} did not answer within {settings.timeout_s:g} s"
        if not settings.tls and not was_connected:
            # A TLS listener drops a plain CONNECT without a word.
            message += "; is it a TLS listener (set tls: true)?"
        return message, False
    os_error = _find(chain, OSError)
    detail = str(chain[-1]) if os_error is None else (os_error.strerror or str(os_error))
    if was_connected:
        return f"lost the connection to the broker at {address} ({detail})", False
    return f"cannot connect to the broker at {address}: {detail}", False


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what led to it. aiomqtt raises its errors ``from None``; the
    library's original error is still the context, and is what says what happened."""
    chain = [exc]
    while (nxt := chain[-1].__cause__ or chain[-1].__context__) is not None:
        if nxt in chain:
            break
        chain.append(nxt)
    return chain


def _find(chain: list[BaseException], kind: type[_E]) -> _E | None:
    return next((link for link in chain if isinstance(link, kind)), None)
