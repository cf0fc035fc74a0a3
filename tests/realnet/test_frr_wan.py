"""sprmon against real routers: FRRouting in network namespaces (docs/real-routers.md).

Two branches (branch-01, branch-02), each an FRR router with an eBGP session
to core-mpls and one to core-inet over veth pairs; the cores set the
scenario's MEDs. sprmon polls each branch's snmpd (BGP4-MIB from bgpd over
AgentX, IF-MIB from the namespace's interfaces) over a management veth, in
process and as the ``sprmon check`` command. Faults are injected at
branch-01 only; every expectation also covers branch-02, which must stay
compliant throughout, so per-site reporting is checked on every step. Every
look at sprmon is compared with what FRR itself says is best in each branch
(``show bgp ipv4 unicast json``) and with its session states; a failure
prints both views side by side.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sprmon.collector.poller import SnmpPoller
from sprmon.core.evaluate import evaluate
from sprmon.core.findings import LinkFinding
from sprmon.core.intent import SiteLink
from sprmon.core.link_evaluation import find_interface
from sprmon.core.observed import SiteObservation
from sprmon.realpeers.frr import (
    HOLD_TIME_S,
    IF_MIB_CACHE_S,
    LEGACY,
    MED_BACKUP,
    MED_INET,
    MED_STEERED,
    FrrWan,
)
from tests.realnet.realnet_support import (
    Expect,
    LinkExpect,
    Observer,
    SprmonView,
    View,
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
#: A default-application prefix: steered over inet, mpls is its backup.
INET_PREFIX = "10.0.30.0/24"

#: One poll of two branches, with room for a loaded CI machine.
POLL_BUDGET_S = 3.0
#: A failure must show within the hold time plus one poll; snmpd's IF-MIB
#: cache can hide a link's new oper status for a few more seconds.
FAILURE_WITHIN_S = HOLD_TIME_S + IF_MIB_CACHE_S + POLL_BUDGET_S
#: A policy change reaches the branch at once (the cores soft-clear their peers).
POLICY_WITHIN_S = 10.0
#: After a repair: the session's connect retry (1 s), OPEN and UPDATEs, the IF-MIB cache.
RESTORE_WITHIN_S = 20.0
#: The state already holds when the command runs; retries cover a poll at the edge of a change.
CLI_WITHIN_S = 20.0

EXIT_OK, EXIT_WARNING, EXIT_CRITICAL = 0, 1, 2

BLAST = Path(__file__).with_name("udp_blast.py")


async def wait_restored(observer: Observer, wan: FrrWan) -> None:
    """Back to the designed state, through the library and through the command."""
    await observer.wait_for(
        steady_paths(wan), steady_links(wan), within_s=RESTORE_WITHIN_S, what="restored state"
    )
    view = await observer.wait_for(
        steady_paths(wan), steady_links(wan), within_s=CLI_WITHIN_S, source="cli"
    )
    assert view.sprmon.exit_code == EXIT_OK, view.side_by_side()


async def test_steady_state_is_compliant_and_redundant_everywhere_as_frr_chose(
    observer: Observer, wan: FrrWan
) -> None:
    view = await observer.wait_for(
        steady_paths(wan), steady_links(wan), within_s=POLICY_WITHIN_S, what="steady state"
    )

    assert view.sprmon.exit_code == EXIT_OK, view.side_by_side()
    for (site, prefix), row in view.sprmon.paths.items():
        link = "mpls" if prefix == LEGACY else "inet"
        assert row.explanation == f"best via {link} as intended", view.side_by_side()
        # FRR picked that path on MED, and the MED is the one the cores set.
        (best,) = [path for path in view.frr[site].routes[prefix] if path.best]
        assert best.med == (MED_STEERED if prefix == LEGACY else MED_INET)


async def test_steady_state_through_the_check_command_exits_ok(
    observer: Observer, wan: FrrWan
) -> None:
    view = await observer.wait_for(
        steady_paths(wan), steady_links(wan), within_s=CLI_WITHIN_S, source="cli"
    )

    assert view.sprmon.exit_code == EXIT_OK, view.side_by_side()
    assert {row.severity for row in view.sprmon.links.values()} == {"ok"}


async def test_mpls_link_down_is_failover_with_link_and_session_down_then_compliant_again(
    observer: Observer, wan: FrrWan
) -> None:
    paths = mpls_unusable_paths(wan, SITE)
    links = steady_links(wan) | {(SITE, "mpls"): LinkExpect(oper_up=False, bgp_established=False)}

    async with wan.link_down(SITE, "mpls"):
        started = time.monotonic()
        view = await observer.wait_for(
            paths, links, within_s=FAILURE_WITHIN_S, what="failover after the mpls link failed"
        )
        seen_after_s = time.monotonic() - started
        command = await observer.wait_for(paths, links, within_s=CLI_WITHIN_S, source="cli")

    assert seen_after_s <= FAILURE_WITHIN_S
    assert "failover to inet" in view.sprmon.paths[(SITE, LEGACY)].explanation
    assert view.frr[SITE].sessions["mpls"] != "Established"
    assert view.sprmon.links[(SITE, "mpls")].severity == "critical"
    # A link down is critical (docs/exit-codes.md), and outranks the failover's warning.
    assert command.sprmon.exit_code == EXIT_CRITICAL, command.side_by_side()
    await wait_restored(observer, wan)


async def test_silent_session_loss_is_failover_within_the_hold_time_while_the_link_is_up(
    observer: Observer, wan: FrrWan
) -> None:
    paths = mpls_unusable_paths(wan, SITE)
    links = steady_links(wan) | {(SITE, "mpls"): LinkExpect(oper_up=True, bgp_established=False)}

    async with wan.session_blackholed(SITE, "mpls"):
        view = await observer.wait_for(
            paths, links, within_s=FAILURE_WITHIN_S, what="failover after the session died"
        )
        command = await observer.wait_for(paths, links, within_s=CLI_WITHIN_S, source="cli")

    assert "mpls BGP session not established" in view.sprmon.paths[(SITE, LEGACY)].explanation
    assert view.frr[SITE].operstate["mpls"] == "UP"
    assert command.sprmon.exit_code == EXIT_CRITICAL, command.side_by_side()
    await wait_restored(observer, wan)


async def test_med_300_on_the_steered_prefix_is_drift_explained_by_the_meds(
    observer: Observer, wan: FrrWan
) -> None:
    paths = steady_paths(wan) | {
        (SITE, LEGACY): Expect("drift", ("inet",), redundant=True, marking_ok=False)
    }

    async with wan.steered_med(SITE, MED_BACKUP):
        view = await observer.wait_for(
            paths, steady_links(wan), within_s=POLICY_WITHIN_S, what="drift after MED 300"
        )
        command = await observer.wait_for(
            paths, steady_links(wan), within_s=CLI_WITHIN_S, source="cli"
        )

    explanation = view.sprmon.paths[(SITE, LEGACY)].explanation
    for part in ("mpls is usable", "via inet (MED 200)", "via mpls (MED 300)", "intended MED 100"):
        assert part in explanation, view.side_by_side()
    assert view.frr[SITE].sessions == {"mpls": "Established", "inet": "Established"}
    assert command.sprmon.exit_code == EXIT_CRITICAL, command.side_by_side()
    assert command.sprmon.paths[(SITE, LEGACY)].explanation == explanation
    await wait_restored(observer, wan)


async def test_core_mpls_withholding_an_inet_prefix_leaves_it_compliant_without_backup(
    observer: Observer, wan: FrrWan
) -> None:
    paths = steady_paths(wan) | {(SITE, INET_PREFIX): Expect("compliant", ("inet",), False)}

    async with wan.withheld("core-mpls", SITE, INET_PREFIX):
        view = await observer.wait_for(
            paths, steady_links(wan), within_s=POLICY_WITHIN_S, what="no backup"
        )
        command = await observer.wait_for(
            paths, steady_links(wan), within_s=CLI_WITHIN_S, source="cli"
        )

    assert "no backup" in view.sprmon.paths[(SITE, INET_PREFIX)].explanation
    assert [path.link for path in view.frr[SITE].routes[INET_PREFIX]] == ["inet"]
    assert command.sprmon.exit_code == EXIT_WARNING, command.side_by_side()
    await wait_restored(observer, wan)


async def test_core_inet_withholding_an_inet_prefix_is_not_compliant_while_inet_is_up(
    observer: Observer, wan: FrrWan
) -> None:
    paths = steady_paths(wan) | {
        (SITE, INET_PREFIX): Expect("drift", ("mpls",), redundant=False, marking_ok=None)
    }

    async with wan.withheld("core-inet", SITE, INET_PREFIX):
        view = await observer.wait_for(
            paths, steady_links(wan), within_s=POLICY_WITHIN_S, what="inet offering no path"
        )
        command = await observer.wait_for(
            paths, steady_links(wan), within_s=CLI_WITHIN_S, source="cli"
        )

    explanation = view.sprmon.paths[(SITE, INET_PREFIX)].explanation
    assert "inet is up with its session established but offers no path" in explanation
    assert view.frr[SITE].sessions["inet"] == "Established"
    assert command.sprmon.exit_code == EXIT_CRITICAL, command.side_by_side()
    await wait_restored(observer, wan)


async def test_med_150_on_the_steered_prefix_is_compliant_with_wrong_marking(
    observer: Observer, wan: FrrWan
) -> None:
    paths = steady_paths(wan) | {(SITE, LEGACY): Expect("compliant", ("mpls",), True, False)}

    async with wan.steered_med(SITE, 150):
        view = await observer.wait_for(
            paths, steady_links(wan), within_s=POLICY_WITHIN_S, what="wrong marking"
        )
        command = await observer.wait_for(
            paths, steady_links(wan), within_s=CLI_WITHIN_S, source="cli"
        )

    assert "MED 150 on mpls, intended 100" in view.sprmon.paths[(SITE, LEGACY)].explanation
    assert command.sprmon.exit_code == EXIT_WARNING, command.side_by_side()
    await wait_restored(observer, wan)


# -- utilisation ------------------------------------------------------------------------

#: Payload bytes sent each way across branch-01's mpls veth, and at what rate.
OUT_BYTES, OUT_RATE = 3_000_000, 8e6
IN_BYTES, IN_RATE = 2_000_000, 6e6
#: Between the two polls: the sending (about 3 s) plus snmpd's cache, with room.
UTILISATION_INTERVAL_S = 10.0
#: Keepalives, TCP acknowledgements and a few ICMP port-unreachables add about 0.2 %.
RATE_TOLERANCE = 0.02
#: What an idle link carries: BGP keepalives and their acknowledgements.
IDLE_BPS = 10_000


async def _kernel_tx_rx(wan: FrrWan, router: str, device: str) -> tuple[int, int]:
    shown = json.loads(await wan.exec(router, "ip", "-s", "-j", "link", "show", "dev", device))
    stats = shown[0]["stats64"]
    return stats["tx"]["bytes"], stats["rx"]["bytes"]


async def _blast(wan: FrrWan, router: str, host: str, size: int, rate: float) -> dict[str, Any]:
    out = await wan.exec(
        router,
        sys.executable,
        str(BLAST),
        host,
        "9",
        "--bytes",
        str(size),
        "--rate",
        str(rate),
    )
    sent: dict[str, Any] = json.loads(out)
    return sent


def _counters_at(observation: SiteObservation, link: SiteLink) -> float:
    iface = find_interface(link, observation.interfaces)
    assert iface is not None and iface.counters_at is not None, "refresh not timed"
    return iface.counters_at


async def test_mpls_utilisation_matches_the_bytes_sent_across_the_veth(
    observer: Observer, wan: FrrWan
) -> None:
    site = wan.site(SITE)
    sites = observer.polled
    first_poll_done = asyncio.Event()

    def on_site_done(name: str, ok: bool, done: int, total: int) -> None:
        if done == len(sites):
            first_poll_done.set()

    async def traffic() -> tuple[dict[str, Any], dict[str, Any], tuple[int, int]]:
        await first_poll_done.wait()
        before = await _kernel_tx_rx(wan, SITE, "mpls")
        async with asyncio.TaskGroup() as group:
            # Branch to core towards the legacy servers (the branch's out), and back (its in).
            out = group.create_task(_blast(wan, SITE, "10.0.21.1", OUT_BYTES, OUT_RATE))
            back = group.create_task(
                _blast(wan, "core-mpls", site.site_address("mpls"), IN_BYTES, IN_RATE)
            )
        after = await _kernel_tx_rx(wan, SITE, "mpls")
        kernel = (after[0] - before[0], after[1] - before[1])
        return out.result(), back.result(), kernel

    async with SnmpPoller(on_site_done=on_site_done) as poller, asyncio.TaskGroup() as group:
        polled = group.create_task(
            poller.poll_twice(sites, observer.prefixes, interval_s=UTILISATION_INTERVAL_S)
        )
        sending = group.create_task(traffic())
    snapshot, (out, back, kernel) = polled.result(), sending.result()
    report = evaluate(observer.intent, snapshot, now=time.time())
    first, second = [o for o in snapshot.observations if o.site == SITE]
    intended = observer.intent.site(SITE)
    mpls_link = None if intended is None else intended.link("mpls")
    assert mpls_link is not None
    # What the counters' difference covers: from one refresh of snmpd's cache to
    # another, as the collector timed them (docs/snmp-collector.md).
    seconds = _counters_at(second, mpls_link) - _counters_at(first, mpls_link)
    links: dict[tuple[str, str], LinkFinding] = {(f.site, f.link): f for f in report.links}
    mpls = links[(SITE, "mpls")]
    view = View(SprmonView.from_report(report), await observer.frr())
    context = (
        f"sent out {out}, in {back}; kernel tx/rx bytes {kernel}; {seconds:.2f} s between "
        f"the counters' refreshes\n{view.side_by_side()}"
    )

    # The whole burst happened between the polls, and ended long enough before
    # the second one for snmpd's cache to have been refreshed.
    assert max(out["seconds"], back["seconds"]) + IF_MIB_CACHE_S < seconds - 1, context
    assert mpls.out_bps == pytest.approx(out["wire_bytes"] * 8 / seconds, rel=RATE_TOLERANCE), (
        context
    )
    assert mpls.in_bps == pytest.approx(back["wire_bytes"] * 8 / seconds, rel=RATE_TOLERANCE), (
        context
    )
    assert mpls.out_bps is not None and mpls.in_bps is not None, context
    assert mpls.utilization_out == pytest.approx(mpls.out_bps / 10e6), context
    assert mpls.utilization_in == pytest.approx(mpls.in_bps / 10e6), context
    assert mpls.severity.name == "OK", context
    assert view.disagreements() == [], context
    # The traffic is counted on that link of that site only.
    for key in ((SITE, "inet"), ("branch-02", "mpls"), ("branch-02", "inet")):
        idle = links[key]
        assert idle.in_bps is not None and idle.out_bps is not None, context
        assert max(idle.in_bps, idle.out_bps) < IDLE_BPS, (key, context)
