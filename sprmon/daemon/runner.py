"""``sprmon run`` as a function: collectors, engine, exporters and signals, until SIGTERM.

::

    await run_daemon(RunOptions(intent_path=path), load_config(path))

SIGHUP reloads the intent (:mod:`sprmon.daemon.reload`); SIGTERM and SIGINT
stop the daemon cleanly: site polls are cancelled, every exporter is closed
(its own bound applies, e.g. the MQTT queue's flush timeout), and the
function returns, so that the process exits 0.

Everything with a lifetime is entered on one :class:`AsyncExitStack`, so a
failure to start any piece (a port in use) closes the pieces started before
it and surfaces as :class:`DaemonStartError` with a message to act on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sprmon.core.monitor import MonitorView, StateChange
from sprmon.daemon.engine import ChangesHook, EventsStatus, Monitor, ViewHook
from sprmon.daemon.gnmi import GnmiCollector
from sprmon.daemon.logs import log_changes
from sprmon.daemon.reload import IntentReloader
from sprmon.daemon.shard import Shard
from sprmon.daemon.snmp import SnmpCollector
from sprmon.intentfile.loaded import LoadedIntent

__all__ = ["DaemonStartError", "Exporter", "RunOptions", "run_daemon"]

log = logging.getLogger(__name__)


class DaemonStartError(Exception):
    """A piece of the daemon could not start (the message says which and why)."""


@dataclass(frozen=True, slots=True)
class Exporter:
    """An exporter as the runner wires it: an async context manager and its hooks.

    ``context`` is entered before the first poll and left after the last;
    ``on_view`` / ``on_changes`` are the engine's hooks; ``events_status``
    feeds :attr:`MonitorView.events`; ``on_intent`` hears every intent file put
    in force (the first and each reload).
    """

    name: str
    context: contextlib.AbstractAsyncContextManager[object]
    on_view: ViewHook | None = None
    on_changes: ChangesHook | None = None
    events_status: EventsStatus | None = None
    on_intent: Callable[[LoadedIntent], None] | None = None
    #: What entering ``context`` raises for settings the user must fix (a port in use).
    start_errors: tuple[type[Exception], ...] = (OSError, ValueError)
    #: A line for the log once it runs (e.g. the URL it serves).
    started: Callable[[], str] | None = None


#: Builds the exporters once the engine exists: they read its current view.
ExporterFactory = Callable[[LoadedIntent, Callable[[], MonitorView | None]], Sequence[Exporter]]


@dataclass(frozen=True, slots=True)
class RunOptions:
    intent_path: Path
    shard: Shard = field(default_factory=Shard)
    #: Builds the exporters (Prometheus, MQTT); none: only the log.
    exporters: ExporterFactory | None = None
    publish_every_s: float | None = None


async def run_daemon(
    options: RunOptions,
    loaded: LoadedIntent,
    *,
    started: Callable[[Monitor], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run until SIGTERM/SIGINT (or until ``stop`` is set); see the module docstring.

    ``started`` is called once every piece runs (tests and the demo wait for it).
    """
    loop = asyncio.get_running_loop()
    stopping = stop or asyncio.Event()
    views: list[ViewHook] = []
    changes_hooks: list[ChangesHook] = [log_changes]
    intent_hooks: list[Callable[[LoadedIntent], None]] = []
    statuses: list[EventsStatus] = []

    def on_view(view: MonitorView) -> None:
        for hook in views:
            hook(view)

    def on_changes(changes: Sequence[StateChange]) -> None:
        for hook in changes_hooks:
            hook(changes)

    async with contextlib.AsyncExitStack() as stack:
        snmp = await stack.enter_async_context(SnmpCollector())
        gnmi = await stack.enter_async_context(GnmiCollector())
        monitor = Monitor(
            loaded,
            [snmp, gnmi],
            shard=options.shard,
            on_view=on_view,
            on_changes=on_changes,
            events_status=lambda: statuses[0]() if statuses else None,
            publish_every_s=options.publish_every_s,
        )
        exporters = options.exporters(loaded, monitor.view) if options.exporters else ()
        for exporter in exporters:
            try:
                await stack.enter_async_context(exporter.context)
            except exporter.start_errors as exc:
                # A port in use, an unreadable CA file: settings the user must fix.
                raise DaemonStartError(f"cannot start the {exporter.name}: {exc}") from exc
            if exporter.started is not None:
                log.info("%s", exporter.started())
            if exporter.on_view is not None:
                views.append(exporter.on_view)
            if exporter.on_changes is not None:
                changes_hooks.append(exporter.on_changes)
            if exporter.events_status is not None:
                statuses.append(exporter.events_status)
            if exporter.on_intent is not None:
                intent_hooks.append(exporter.on_intent)
                exporter.on_intent(loaded)
        await stack.enter_async_context(monitor)

        def apply(new: LoadedIntent) -> None:
            monitor.reload(new)
            for hook in intent_hooks:
                hook(new)

        reloader = IntentReloader(options.intent_path, apply)
        stack.push_async_callback(reloader.aclose)
        for sig, handler in (
            (signal.SIGHUP, reloader.request),
            (signal.SIGTERM, stopping.set),
            (signal.SIGINT, stopping.set),
        ):
            loop.add_signal_handler(sig, handler)
            stack.callback(loop.remove_signal_handler, sig)
        if started is not None:
            started(monitor)
        await stopping.wait()
        log.info("stopping: cancelling polls and closing the exporters")
    log.info("stopped")
