"""The daemon's engine with the gNMI collector: sites judged as their streams change.

Real lab targets throughout; the engine gets both collectors, as ``sprmon run``
gives it. The schedule is slow on purpose (30 s between polls) where the point
is that a stream's change is judged at once, not at the next poll.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sprmon.collector.gnmi.stream import StreamOptions
from sprmon.core.monitor import Protocol
from sprmon.daemon.engine import Monitor
from sprmon.daemon.gnmi import GnmiCollector
from sprmon.daemon.snmp import SnmpCollector
from sprmon.intentfile import LoadedIntent
from tests.collector.gnmi_support import Outage, gnmi_lab
from tests.daemon.daemon_support import Recorder

LEGACY, LEGACY_V6 = "10.0.21.0/24", "2001:db8:21::/48"
QUICK = StreamOptions(min_backoff_s=0.1, max_backoff_s=0.3, settle_s=0.01)
#: Far longer than any of these tests wait for a judgement: only a push can be that quick.
SLOW_POLLS = "monitor: {bgp_interval: 30s, counter_interval: 30s}\n"
#: Generous bounds for a loaded two-core machine; a push arrives in milliseconds.
PUSH_S = 8.0


@asynccontextmanager
async def watching(config: LoadedIntent, recorder: Recorder) -> AsyncIterator[Monitor]:
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
        yield monitor


def judged(recorder: Recorder, sites: list[str], prefix: str = LEGACY) -> bool:
    return all(recorder.state(site, prefix) is not None for site in sites)


async def test_a_drift_over_gnmi_is_judged_when_it_happens_not_at_the_next_poll(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    async with gnmi_lab(tmp_path, extra=SLOW_POLLS) as (lab, config), watching(config, recorder):
        await recorder.until(
            "first judgement", lambda: recorder.all_compliant(["site-001"]), PUSH_S
        )
        lab.inject("site-001", "med-drift")
        await recorder.until("drift", lambda: recorder.state("site-001") == "drift", PUSH_S)
        lab.clear("site-001")
        await recorder.until(
            "compliant again", lambda: recorder.state("site-001") == "compliant", PUSH_S
        )
    finding = recorder.path_changes("site-001")
    assert [c.new_state for c in finding] == ["compliant", "drift", "compliant"]
    assert "MED 300" in finding[1].explanation


async def test_ipv6_prefixes_of_the_intent_are_judged_over_gnmi(tmp_path: Path) -> None:
    recorder = Recorder()
    async with gnmi_lab(tmp_path, extra=SLOW_POLLS) as (lab, config):
        assert LEGACY_V6 in {p for app in config.intent.applications for p in app.prefixes}
        async with watching(config, recorder):
            await recorder.until(
                "IPv6 judged", lambda: recorder.state("site-002", LEGACY_V6) == "compliant", PUSH_S
            )
            lab.inject("site-002", "med-drift")
            await recorder.until(
                "IPv6 drift", lambda: recorder.state("site-002", LEGACY_V6) == "drift", PUSH_S
            )
    finding = recorder.path("site-002", LEGACY_V6)
    assert finding is not None and "MED 300" in finding.explanation


async def test_a_route_withdrawn_over_both_links_is_no_route_and_comes_back_when_announced(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    async with gnmi_lab(tmp_path, extra=SLOW_POLLS) as (lab, config), watching(config, recorder):
        await recorder.until("judged", lambda: recorder.all_compliant(["site-001"]), PUSH_S)
        lab.inject("site-001", "withdraw", "mpls", prefix=LEGACY)
        lab.inject("site-001", "withdraw", "inet", prefix=LEGACY)
        await recorder.until("no route", lambda: recorder.state("site-001") == "no_route", PUSH_S)
        lab.clear("site-001")
        await recorder.until("back", lambda: recorder.state("site-001") == "compliant", PUSH_S)


async def test_a_target_that_stays_down_turns_unknown_at_the_stale_time_never_stale_but_green(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    async with gnmi_lab(tmp_path) as (_lab, before):
        target = before.inventory.gnmi("site-001")
        assert target is not None
        async with Outage(target.port) as outage:
            assert before.intent.source is not None
            text = await asyncio.to_thread(Path(before.intent.source).read_text, "utf-8")
            text = re.sub(rf"(gnmi: {{port: ){target.port}\}}", rf"\g<1>{outage.port}}}", text)
            text += "monitor: {bgp_interval: 1s, counter_interval: 1s}\n"
            text += "thresholds: {stale_after: 3s}\n"
            path = tmp_path / "outage.yaml"
            path.write_text(text, encoding="utf-8")
            from sprmon.intentfile import load_config  # noqa: PLC0415

            config = load_config(path)
            async with watching(config, recorder) as monitor:
                await recorder.until("judged", lambda: recorder.all_compliant(["site-001"]), PUSH_S)
                await outage.down()
                await recorder.until(
                    "target down",
                    lambda: (
                        recorder.view is not None
                        and any(t.site == "site-001" and not t.up for t in recorder.view.targets)
                    ),
                    PUSH_S,
                )
                await recorder.until(
                    "unknown", lambda: recorder.state("site-001") == "unknown", PUSH_S
                )
                unknown = recorder.path("site-001")
                await outage.up()
                await recorder.until(
                    "compliant again", lambda: recorder.state("site-001") == "compliant", PUSH_S
                )
                view = monitor.build_view()
    # Judged from the failure once the last good data went stale: the reason is shown.
    assert unknown is not None and "UNAVAILABLE" in unknown.explanation
    (health,) = [t for t in view.targets if t.site == "site-001"]
    assert health.protocol is Protocol.GNMI and health.up
    assert (
        dict(health.errors_total).get("unreachable", 0)
        + dict(health.errors_total).get("malformed", 0)
        >= 1
    )


async def test_a_site_reading_bgp_over_gnmi_and_interfaces_over_snmp_is_judged_from_both(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    extra = "monitor: {bgp_interval: 1s, counter_interval: 1s}\n"
    async with gnmi_lab(tmp_path, protocols="snmp,gnmi", tick=0.1, extra=extra) as (lab, _):
        assert lab.intent_path is not None
        text = lab.intent_path.read_text(encoding="utf-8").replace(
            "  gnmi: {credentials: lab,", "  gnmi: {use: [bgp], credentials: lab,"
        )
        lab.intent_path.write_text(text, encoding="utf-8")
        from sprmon.intentfile import load_config  # noqa: PLC0415

        config = load_config(lab.intent_path)
        async with watching(config, recorder):
            await recorder.until(
                "rates from two SNMP polls",
                lambda: (
                    (link := recorder.link("site-001", "mpls")) is not None
                    and link.in_bps is not None
                ),
                PUSH_S,
            )
            await recorder.until(
                "IPv6 judged", lambda: recorder.state("site-001", LEGACY_V6) == "compliant", PUSH_S
            )
            lab.inject("site-001", "link-down", "mpls")
            # The session's end comes over gNMI at once, the interface's over SNMP at
            # the next poll: the link is down as soon as either says so.
            await recorder.until(
                "failover", lambda: recorder.state("site-001") == "failover", PUSH_S
            )
            await recorder.until(
                "interface down from SNMP",
                lambda: (
                    (link := recorder.link("site-001", "mpls")) is not None
                    and link.oper_up is False
                ),
                PUSH_S,
            )
            view = recorder.view
    assert view is not None
    protocols = {t.protocol for t in view.targets if t.site == "site-001"}
    assert protocols == {Protocol.GNMI, Protocol.SNMP}
    mpls = recorder.link("site-001", "mpls")
    assert mpls is not None and mpls.bgp_established is False


async def test_rates_over_a_stream_are_rates_between_counter_samples_whatever_changes_between(
    tmp_path: Path,
) -> None:
    recorder = Recorder()
    extra = "monitor: {bgp_interval: 1s, counter_interval: 1s}\n"

    def redundant() -> bool | None:
        finding = recorder.path("site-001")
        return None if finding is None else finding.redundant

    async with (
        gnmi_lab(tmp_path, tick=0.1, extra=extra) as (lab, config),
        watching(config, recorder),
    ):
        await recorder.until(
            "a rate",
            lambda: (
                (link := recorder.link("site-001", "inet")) is not None and link.in_bps is not None
            ),
            PUSH_S,
        )
        # The backup path withdrawn and announced again, several times: changes
        # between counter samples that move no traffic. They are pushed with the
        # last sample's counters and must neither shrink nor inflate the rate.
        rates = []
        for _ in range(4):
            lab.inject("site-001", "withdraw", "inet", prefix=LEGACY)
            await recorder.until("no backup", lambda: redundant() is False, PUSH_S)
            lab.clear("site-001")
            await recorder.until("backup again", lambda: redundant() is True, PUSH_S)
            link = recorder.link("site-001", "inet")
            assert link is not None and link.in_bps is not None
            rates.append(link.in_bps)
        eth2 = next(i for i in lab.model.interfaces("site-001") if i.name == "eth2")
        expected = lab.model.rates("site-001")[eth2.index].in_bps
    assert all(0.8 * expected <= rate <= 1.2 * expected for rate in rates), (rates, expected)
