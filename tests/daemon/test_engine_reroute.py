"""A reload that moves a site between SNMP and gNMI: what the collector it left keeps of it.

Real lab agents (SNMP and gNMI on 127.0.0.1), the engine with both collectors as
``sprmon run`` gives it; each reload hands it an intent in which only the moved
site's inventory entry changed, so every other site's target is the same object.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from prometheus_client.exposition import generate_latest

from sprmon.collector.gnmi.stream import StreamOptions
from sprmon.core.monitor import Protocol, TargetHealth
from sprmon.daemon.engine import Monitor
from sprmon.daemon.gnmi import GnmiCollector
from sprmon.daemon.snmp import SnmpCollector
from sprmon.exporters.prometheus import build_registry
from sprmon.intentfile import LoadedIntent
from sprmon.inventory import DataPart, RouterAccess
from tests.collector.gnmi_messages import neighbor, notification
from tests.collector.gnmi_support import SYNC, ScriptedTarget, gnmi_lab, update
from tests.daemon.daemon_support import Recorder

pytestmark = pytest.mark.peer

SITE, OTHER = "site-001", "site-002"
FAST = "monitor: {bgp_interval: 1s, counter_interval: 1s}\n"
QUICK = StreamOptions(min_backoff_s=0.1, max_backoff_s=0.3, settle_s=0.01)
#: Generous bounds for a loaded two-core machine: polls are a second apart.
WAIT_S = 15.0


@dataclasses.dataclass
class Engine:
    monitor: Monitor
    snmp: SnmpCollector
    gnmi: GnmiCollector
    recorder: Recorder

    def targets(self, site: str) -> dict[Protocol, TargetHealth]:
        view = self.recorder.view
        return {} if view is None else {t.protocol: t for t in view.targets if t.site == site}

    def read_over(self, site: str, protocol: Protocol) -> bool:
        """Whether ``site`` is read over ``protocol`` only, and its newest read succeeded."""
        targets = self.targets(site)
        return set(targets) == {protocol} and targets[protocol].up

    async def until(self, what: str, predicate: Callable[[], bool]) -> None:
        await self.recorder.until(what, predicate, WAIT_S)


@asynccontextmanager
async def engine(config: LoadedIntent) -> AsyncIterator[Engine]:
    recorder = Recorder()
    async with (
        SnmpCollector() as snmp,
        GnmiCollector(options=QUICK) as gnmi,
        Monitor(
            config,
            [snmp, gnmi],
            on_view=recorder.on_view,
            on_changes=recorder.on_changes,
            publish_every_s=0.05,
            min_push_interval_s=0.01,
        ) as monitor,
    ):
        yield Engine(monitor, snmp, gnmi, recorder)


def with_access(config: LoadedIntent, accesses: Mapping[str, RouterAccess]) -> LoadedIntent:
    """``config`` with each site of ``accesses`` reached through its access; every
    other site's access is the same object."""
    inventory = config.inventory
    for site, access in accesses.items():
        inventory = inventory.replace(site, access)
    return dataclasses.replace(config, inventory=inventory)


def snmp_only(config: LoadedIntent, site: str) -> RouterAccess:
    return RouterAccess(snmp=config.inventory.snmp(site))


async def test_a_site_moved_to_gnmi_closes_its_snmp_session_and_moved_back_opens_a_new_one(
    tmp_path: Path,
) -> None:
    async with gnmi_lab(tmp_path, protocols="snmp,gnmi", extra=FAST) as (_lab, config):
        both = config.inventory.access(SITE)
        polled = with_access(
            config, {SITE: snmp_only(config, SITE), OTHER: snmp_only(config, OTHER)}
        )
        streamed = with_access(polled, {SITE: both})
        async with engine(polled) as e:
            await e.until(
                "both sites polled over SNMP",
                lambda: (
                    all(e.read_over(s, Protocol.SNMP) for s in (SITE, OTHER))
                    and {SITE, OTHER} <= set(e.snmp.sessions)
                ),
            )
            old, kept = e.snmp.sessions[SITE], e.snmp.sessions[OTHER]

            e.monitor.reload(streamed)
            await e.until("the SNMP session of the moved site closed", lambda: old.closed)
            assert SITE not in e.snmp.sessions
            await e.until(
                "the moved site read over gNMI",
                lambda: e.read_over(SITE, Protocol.GNMI) and SITE in e.gnmi.streams,
            )
            closed_at = time.time()
            await e.until(
                "the other site polled again",
                lambda: (
                    (t := e.targets(OTHER).get(Protocol.SNMP)) is not None
                    and t.last_success_at is not None
                    and t.last_success_at > closed_at
                ),
            )
            assert e.snmp.sessions[OTHER] is kept and not kept.closed
            assert SITE not in e.snmp.sessions, "a site read over gNMI opens no SNMP session"

            e.monitor.reload(polled)
            await e.until(
                "the moved site polled over SNMP again",
                lambda: e.read_over(SITE, Protocol.SNMP) and SITE in e.snmp.sessions,
            )
            new = e.snmp.sessions[SITE]
            assert new is not old and not new.closed
            assert SITE not in e.gnmi.streams
            assert e.snmp.sessions[OTHER] is kept and not kept.closed


async def test_a_site_keeps_its_snmp_session_while_snmp_reads_a_part_and_not_once_gnmi_reads_all(
    tmp_path: Path,
) -> None:
    async with gnmi_lab(tmp_path, protocols="snmp,gnmi", extra=FAST) as (_lab, config):
        both = config.inventory.access(SITE)
        assert both.gnmi is not None
        over_gnmi = dataclasses.replace(both.gnmi, use=(DataPart.BGP,))
        bgp_over_gnmi = dataclasses.replace(both, gnmi=over_gnmi)
        async with engine(with_access(config, {SITE: bgp_over_gnmi})) as e:

            def read_over_both() -> bool:
                targets = e.targets(SITE)
                return set(targets) == {Protocol.GNMI, Protocol.SNMP} and all(
                    t.up for t in targets.values()
                )

            await e.until(
                "BGP over gNMI, interfaces over SNMP",
                lambda: read_over_both() and SITE in e.snmp.sessions,
            )
            session = e.snmp.sessions[SITE]

            # Another gNMI target opens another stream; SNMP still reads the interfaces.
            slower = dataclasses.replace(
                both, gnmi=dataclasses.replace(over_gnmi, timeout_s=over_gnmi.timeout_s + 1)
            )
            e.monitor.reload(with_access(config, {SITE: slower}))
            reloaded_at = time.time()
            await e.until(
                "SNMP polled the site again",
                lambda: (
                    read_over_both()
                    and (t := e.targets(SITE)[Protocol.SNMP]).last_success_at is not None
                    and t.last_success_at > reloaded_at
                ),
            )
            assert e.snmp.sessions[SITE] is session and not session.closed

            # gnmi.use now covers what SNMP read: SNMP reads nothing of the site.
            e.monitor.reload(with_access(config, {SITE: both}))
            await e.until("its SNMP session closed", lambda: session.closed)
            await e.until("read over gNMI only", lambda: e.read_over(SITE, Protocol.GNMI))
            assert SITE not in e.snmp.sessions


async def unknown_paths_then_silence() -> AsyncIterator[object]:
    """A target that answers with a neighbour and a path sprmon does not read, then waits."""
    yield update(neighbor("198.51.100.1"))
    yield update(notification((("components", {}),), {"component/state/temperature": 40}))
    yield SYNC
    await asyncio.Event().wait()


def bad_input_lines(e: Engine, site: str) -> list[str]:
    text = generate_latest(build_registry(lambda: e.recorder.view)).decode("utf-8")
    return [
        line
        for line in text.splitlines()
        if line.startswith("sprmon_bad_input_total{") and f'site="{site}"' in line
    ]


async def test_a_site_moved_from_gnmi_to_snmp_leaves_no_gnmi_stream_nor_bad_input_series(
    tmp_path: Path,
) -> None:
    async with (
        gnmi_lab(tmp_path, protocols="snmp,gnmi", extra=FAST) as (_lab, config),
        ScriptedTarget(unknown_paths_then_silence) as target,
    ):
        both = config.inventory.access(SITE)
        assert both.gnmi is not None
        scripted = dataclasses.replace(both, gnmi=dataclasses.replace(both.gnmi, port=target.port))
        async with engine(with_access(config, {SITE: scripted})) as e:
            await e.until(
                "bad input counted and exported",
                lambda: any("unknown_path" in line for line in bad_input_lines(e, SITE)),
            )
            assert e.gnmi.bad_input.for_site(SITE)

            e.monitor.reload(with_access(config, {SITE: snmp_only(config, SITE)}))
            await e.until(
                "the site polled over SNMP",
                lambda: e.read_over(SITE, Protocol.SNMP) and SITE not in e.gnmi.streams,
            )
            await e.until("its bad input forgotten", lambda: not e.gnmi.bad_input.for_site(SITE))
            assert bad_input_lines(e, SITE) == []
