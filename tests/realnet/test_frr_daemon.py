"""Step 7 of the real-router test: ``sprmon run`` on the FRR network, seen through Prometheus.

The daemon runs as the real command (``python -m sprmon run --per-prefix-metrics``)
in the root namespace, polling each branch's snmpd over its management veth as
``sprmon check`` does in the other steps; a real Prometheus scrapes it every
second. Every look compares what Prometheus returns for every site and prefix
(``sprmon_path_state``, the link of ``sprmon_path_info``, redundancy and
marking) and every link (``sprmon_link_up``, ``sprmon_bgp_session_up``) with
the expectation *and* with what FRR itself says in each branch (``show bgp
ipv4 unicast json``: the best path's link; the session states) — in the steady
state, during a MED drift, and during an mpls outage and the failover back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from sprmon.realpeers.frr import HOLD_TIME_S, IF_MIB_CACHE_S, LEGACY, MED_BACKUP, FrrWan
from sprmon.realpeers.process import free_tcp_port
from tests.peers.prometheus import (
    Prometheus,
    Sample,
    prometheus_config,
    run_prometheus,
    scrape_job,
)
from tests.realnet.realnet_support import (
    Expect,
    FrrSite,
    Key,
    LinkExpect,
    Observer,
    frr_site,
    mpls_unusable_paths,
    steady_links,
    steady_paths,
)

pytestmark = [
    pytest.mark.root,
    pytest.mark.slow,
    pytest.mark.peer,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.usefixtures("steady"),
]

SITE = "branch-01"
#: The daemon polls every branch every second (BGP table included); Prometheus
#: scrapes every second.
INTERVAL_S = 1.0
#: Longer than FRR takes to move the legacy prefix back once the mpls session
#: is up again (well under a second), as the real default (90 s) is longer
#: than a real router's.
GRACE_S = 8.0
#: Python start-up, the first poll of both branches, the first scrape.
START_S = 30.0
#: What the daemon's path adds to a change on top of the in-process steps'
#: deadlines: a poll interval, the view's once-a-second publishing, a scrape.
PIPELINE_S = INTERVAL_S + 1.0 + 1.0
POLICY_WITHIN_S = 10.0 + PIPELINE_S
FAILURE_WITHIN_S = HOLD_TIME_S + IF_MIB_CACHE_S + 3.0 + PIPELINE_S
RESTORE_WITHIN_S = 20.0 + PIPELINE_S
#: Only a hung daemon reaches it.
STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class PromPath:
    """What Prometheus returns for one (site, prefix)."""

    state: str | None
    via: tuple[str, ...] | None
    redundant: bool | None
    marking_ok: bool | None

    def as_expect(self) -> Expect | None:
        if self.state is None or self.via is None:
            return None
        return Expect(self.state, self.via, self.redundant, self.marking_ok)


@dataclass(frozen=True)
class PromView:
    """One look at Prometheus and at FRR, taken together."""

    paths: dict[Key, PromPath]
    links: dict[Key, LinkExpect]
    frr: dict[str, FrrSite]

    def problems(self, paths: Mapping[Key, Expect], links: Mapping[Key, LinkExpect]) -> list[str]:
        """How Prometheus differs from the expectation or from FRR; [] if it does not."""
        found = []
        for key in sorted(set(self.paths) - set(paths)):
            found.append(f"{key}: in Prometheus but not in the intent")
        for (site, prefix), want in paths.items():
            got = self.paths.get((site, prefix))
            shown = None if got is None else got.as_expect()
            if shown != want:
                found.append(f"{(site, prefix)}: Prometheus shows {shown}, expected {want}")
            frr_best = tuple(sorted(self.frr[site].best_links(prefix)))
            if got is not None and got.via is not None and tuple(sorted(got.via)) != frr_best:
                found.append(f"{site} {prefix}: Prometheus via {got.via}, FRR best via {frr_best}")
        for (site, link), want_link in links.items():
            got_link = self.links.get((site, link))
            if got_link != want_link:
                found.append(f"{(site, link)}: Prometheus shows {got_link}, expected {want_link}")
            established = self.frr[site].sessions[link] == "Established"
            if got_link is not None and got_link.bgp_established is not established:
                found.append(
                    f"{site} {link}: Prometheus session up={got_link.bgp_established}, "
                    f"FRR says {self.frr[site].sessions[link]}"
                )
        return found

    def side_by_side(self) -> str:
        lines = [f"{'site':<10} {'prefix':<13} | {'FRR best':<10} | Prometheus"]
        for (site, prefix), path in sorted(self.paths.items()):
            best = ",".join(self.frr[site].best_links(prefix)) or "-"
            lines.append(f"{site:<10} {prefix:<13} | {best:<10} | {path}")
        for (site, link), shown in sorted(self.links.items()):
            frr = f"{self.frr[site].sessions[link]}, {self.frr[site].operstate[link]}"
            lines.append(f"{site:<10} {link:<13} | {frr:<10} | {shown}")
        return "\n".join(lines)


def _flag(samples: list[Sample], key: Key) -> bool | None:
    """A 0/1 gauge of (site, prefix) or (site, link) as a bool; None when absent."""
    for sample in samples:
        labels = sample["metric"]
        if (labels.get("site"), labels.get("prefix", labels.get("link"))) == key:
            return float(sample["value"][1]) == 1.0
    return None


@dataclass
class Watch:
    """The running daemon and the Prometheus that scrapes it."""

    wan: FrrWan
    prom: Prometheus
    daemon_log: Path

    async def look(self) -> PromView:
        states = await self.prom.query("sprmon_path_state == 1")
        info = await self.prom.query("sprmon_path_info")
        redundant = await self.prom.query("sprmon_path_redundant")
        marking = await self.prom.query("sprmon_path_marking_ok")
        link_up = await self.prom.query("sprmon_link_up")
        session_up = await self.prom.query("sprmon_bgp_session_up")
        keys = {(s["metric"]["site"], s["metric"]["prefix"]) for s in states + info}
        state_of = {
            (s["metric"]["site"], s["metric"]["prefix"]): s["metric"]["state"] for s in states
        }
        via_of = {
            (s["metric"]["site"], s["metric"]["prefix"]): tuple(
                link for link in s["metric"].get("actual_link", "").split(",") if link
            )
            for s in info
        }
        paths = {
            key: PromPath(
                state=state_of.get(key),
                via=via_of.get(key),
                redundant=_flag(redundant, key),
                marking_ok=_flag(marking, key),
            )
            for key in keys
        }
        link_keys = {(s["metric"]["site"], s["metric"]["link"]) for s in link_up + session_up}
        links = {key: LinkExpect(_flag(link_up, key), _flag(session_up, key)) for key in link_keys}
        frr = {site: await frr_site(self.wan, site) for site in self.wan.site_names}
        return PromView(paths, links, frr)

    async def wait_for(
        self,
        paths: Mapping[Key, Expect],
        links: Mapping[Key, LinkExpect],
        *,
        within_s: float,
        what: str,
    ) -> PromView:
        """Look until Prometheus shows ``paths`` and ``links`` and agrees with FRR."""
        started = time.monotonic()
        while True:
            view = await self.look()
            problems = view.problems(paths, links)
            if not problems:
                return view
            if time.monotonic() - started > within_s:
                log = _tail(self.daemon_log)
                raise AssertionError(
                    f"{what}: not shown by Prometheus within {within_s:.0f} s:\n  "
                    + "\n  ".join(problems)
                    + "\n"
                    + view.side_by_side()
                    + f"\ndaemon log (end):\n{log}"
                )
            await asyncio.sleep(0.5)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def _daemon_intent(observer: Observer) -> Path:
    """The network's intent with a monitor section for a test that takes seconds."""
    text = observer.intent_path.read_text()
    text += (
        f"monitor: {{bgp_interval: {INTERVAL_S:g}s, counter_interval: {INTERVAL_S:g}s, "
        f"convergence_grace: {GRACE_S:g}s}}\n"
    )
    # The community file is referenced relative to the intent: keep them together.
    path = observer.intent_path.with_name("daemon.yaml")
    path.write_text(text)
    return path


@contextlib.asynccontextmanager
async def sprmon_run(intent: Path, port: int, log_path: Path) -> AsyncIterator[None]:
    """``python -m sprmon run`` until the block ends; it must stop on SIGTERM with exit 0."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sprmon",
            "run",
            "--intent",
            str(intent),
            "--listen",
            f"127.0.0.1:{port}",
            "--per-prefix-metrics",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
            env={**env, "NO_COLOR": "1"},
        )
    try:
        await _until_healthy(port, process, log_path)
        yield
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
        assert code == 0, _tail(log_path)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _until_healthy(port: int, process: asyncio.subprocess.Process, log_path: Path) -> None:
    """Until ``/healthz`` answers 200: the first poll of every branch is in the view."""

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                return bool(reply.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    deadline = time.monotonic() + START_S
    while not await asyncio.to_thread(healthy):
        if process.returncode is not None or time.monotonic() > deadline:
            raise AssertionError(
                f"sprmon run not healthy within {START_S:.0f} s (exit {process.returncode}):\n"
                + _tail(log_path)
            )
        await asyncio.sleep(0.2)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def watch(
    wan: FrrWan, observer: Observer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Watch]:
    """The daemon on the network, scraped by Prometheus every second (for the whole module)."""
    folder = tmp_path_factory.mktemp("frr-daemon")
    intent = _daemon_intent(observer)
    port = free_tcp_port()
    config = prometheus_config([scrape_job("sprmon", f"127.0.0.1:{port}")], interval="1s")
    async with (
        sprmon_run(intent, port, folder / "sprmon-run.log"),
        run_prometheus(folder / "prometheus", config) as prom,
    ):
        await prom.wait_for_targets_up(timeout_s=START_S)
        yield Watch(wan, prom, folder / "sprmon-run.log")


async def test_prometheus_shows_the_steady_state_frr_chose_for_every_site_and_prefix(
    watch: Watch, wan: FrrWan
) -> None:
    view = await watch.wait_for(
        steady_paths(wan), steady_links(wan), within_s=START_S, what="steady state"
    )

    assert len(view.paths) == len(steady_paths(wan))
    assert await watch.prom.values('sum(sprmon_paths{state="compliant"})') == [len(view.paths)]
    assert await watch.prom.values("sum(sprmon_target_up)") == [len(wan.site_names)]


async def test_prometheus_shows_a_med_drift_where_frr_chose_inet_and_its_end(
    watch: Watch, wan: FrrWan
) -> None:
    drift = steady_paths(wan) | {
        (SITE, LEGACY): Expect("drift", ("inet",), redundant=True, marking_ok=False)
    }
    await watch.wait_for(steady_paths(wan), steady_links(wan), within_s=START_S, what="steady")

    async with wan.steered_med(SITE, MED_BACKUP):
        view = await watch.wait_for(
            drift, steady_links(wan), within_s=POLICY_WITHIN_S, what="drift after MED 300"
        )
        counts = await watch.prom.query('sprmon_paths{state="drift"} > 0')

    assert [path.link for path in view.frr[SITE].routes[LEGACY] if path.best] == ["inet"]
    assert [(s["metric"]["site"], s["metric"]["app"]) for s in counts] == [(SITE, "legacy")]
    await watch.wait_for(
        steady_paths(wan), steady_links(wan), within_s=RESTORE_WITHIN_S, what="drift cleared"
    )


async def test_prometheus_shows_the_mpls_failover_and_no_drift_while_bgp_moves_back(
    watch: Watch, wan: FrrWan
) -> None:
    await watch.wait_for(steady_paths(wan), steady_links(wan), within_s=START_S, what="steady")
    # Prometheus showed no drift at this instant: every drift it stored (the
    # previous test's) is older.
    started = time.time()
    down = steady_links(wan) | {(SITE, "mpls"): LinkExpect(oper_up=False, bgp_established=False)}

    async with wan.link_down(SITE, "mpls"):
        view = await watch.wait_for(
            mpls_unusable_paths(wan, SITE),
            down,
            within_s=FAILURE_WITHIN_S,
            what="failover after the mpls link failed",
        )
    await watch.wait_for(
        steady_paths(wan), steady_links(wan), within_s=RESTORE_WITHIN_S, what="back on mpls"
    )

    assert view.frr[SITE].sessions["mpls"] != "Established"
    assert view.frr[SITE].operstate["mpls"] != "UP"
    # Over every scrape since the fault: failover, then compliant, never drift at
    # the site, also while the session came back and BGP moved the prefix back.
    now = time.time()
    window = f"[{int(now - started)}s]"
    ever = await watch.prom.query(
        f'max_over_time(sprmon_path_state{{site="{SITE}",state="drift"}}{window})', at=now
    )
    assert len(ever) == len(steady_paths(wan)) // len(wan.site_names), ever
    assert [s for s in ever if float(s["value"][1]) != 0.0] == []
    failover = await watch.prom.query(
        f'max_over_time(sprmon_path_state{{site="{SITE}",prefix="{LEGACY}",state="failover"}}'
        f"{window})",
        at=now,
    )
    assert [float(sample["value"][1]) for sample in failover] == [1.0]
