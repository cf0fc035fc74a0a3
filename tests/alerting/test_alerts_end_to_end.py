"""Alerts end to end: the lab -> ``sprmon run`` -> Prometheus with rules/ -> Alertmanager
with the shipped example configuration -> a webhook served by the test.

The lab's faults are injected as ``sprmon lab inject`` does (``med-drift`` at one
site, ``link-down mpls`` at another, then ``clear``); ``sprmon run`` polls every
second with per-prefix metrics (tests/alerting/lab_daemon.py). Prometheus
scrapes and evaluates every second, and the rules' ``for:`` and
``keep_firing_for:`` are divided by 60 (minutes become seconds: the alerts fire
in the order and with the gaps they have in production); Alertmanager's
timings are shortened and its webhooks point at the test's receiver; its
routes and inhibit rules are the example's, unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.alerting.lab_daemon import lab_and_daemon
from tests.alerting.rules_support import ALERTMANAGER_EXAMPLE, scaled_rule_files
from tests.peers.alertmanager import WebhookReceiver, alertmanager_config_for, run_alertmanager
from tests.peers.prometheus import prometheus_config, run_prometheus, scrape_job

pytestmark = [pytest.mark.peer, pytest.mark.slow]

DRIFT_SITE = "site-002"
DOWN_SITE = "site-004"


async def test_drift_and_link_down_notify_failover_is_inhibited_and_both_resolve(
    tmp_path: Path,
) -> None:
    async with lab_and_daemon(tmp_path / "lab") as (lab, target), WebhookReceiver() as webhook:
        am_config = alertmanager_config_for(ALERTMANAGER_EXAMPLE.read_text(), webhook.url)
        async with run_alertmanager(tmp_path / "alertmanager", am_config) as am:
            rules = scaled_rule_files()
            config = prometheus_config(
                [scrape_job("sprmon", target)],
                rule_files=sorted(rules),
                alertmanagers=[am.address],
            )
            async with run_prometheus(tmp_path / "prometheus", config, rule_files=rules) as prom:
                await prom.wait_for_targets_up()
                await prom.wait_for_value(
                    f'sum(sprmon_paths{{site="{DOWN_SITE}",state="compliant"}})', 3
                )

                # A MED drift: the drift alert reaches the pager with its site and app.
                lab.inject(DRIFT_SITE, "med-drift")
                note, drift = await webhook.wait_for_alert(
                    "SprmonPathDrift", labels={"site": DRIFT_SITE}, timeout_s=60
                )
                assert note.receiver == "sprmon-pager"
                assert drift["labels"] | {"instance": "-"} == {
                    "alertname": "SprmonPathDrift",
                    "severity": "critical",
                    "job": "sprmon",
                    "instance": "-",
                    "site": DRIFT_SITE,
                    "app": "legacy",
                    "state": "drift",
                }
                assert (
                    "10.0.21.0/24: expected mpls, actual inet"
                    in drift["annotations"]["description"]
                )
                assert drift["annotations"]["runbook_url"] == "docs/runbook.md#sprmonpathdrift"

                # The MPLS link down at another site: the link alert arrives ...
                lab.inject(DOWN_SITE, "link-down", "mpls")
                note, down = await webhook.wait_for_alert(
                    "SprmonLinkDown", labels={"site": DOWN_SITE, "link": "mpls"}, timeout_s=60
                )
                assert note.receiver == "sprmon-pager"
                assert down["labels"]["severity"] == "critical"
                # ... and that site's failover and no-backup alerts fire in Prometheus,
                # reach Alertmanager and are muted by it.
                for name in ("SprmonPathFailover", "SprmonPathNotRedundant"):
                    await prom.wait_for_alert(name, labels={"site": DOWN_SITE}, timeout_s=60)
                    muted = await am.wait_for_alert(
                        name, labels={"site": DOWN_SITE}, inhibited=True, timeout_s=30
                    )
                    assert muted["status"]["state"] == "suppressed"
                # So is the drift's wrong marking, muted by the drift.
                await am.wait_for_alert(
                    "SprmonPathMarkingWrong", labels={"site": DRIFT_SITE}, inhibited=True
                )

                lab.clear(DRIFT_SITE)
                lab.clear(DOWN_SITE)
                await webhook.wait_for_alert(
                    "SprmonPathDrift", status="resolved", labels={"site": DRIFT_SITE}, timeout_s=60
                )
                await webhook.wait_for_alert(
                    "SprmonLinkDown", status="resolved", labels={"site": DOWN_SITE}, timeout_s=60
                )
                await prom.wait_until("ALERTS", lambda alerts: not alerts, timeout_s=60)

            for name in ("SprmonPathFailover", "SprmonPathNotRedundant", "SprmonPathMarkingWrong"):
                assert not webhook.alerts(name), f"{name} was notified despite the inhibition"
            notified = {a["labels"]["alertname"] for n in webhook.notifications for a in n.alerts}
            assert notified == {"SprmonPathDrift", "SprmonLinkDown"}
