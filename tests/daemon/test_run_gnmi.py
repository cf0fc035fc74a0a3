"""``sprmon run`` as a process on a mixed lab: gNMI sites streamed, SNMP sites polled."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.collector.gnmi_support import gnmi_lab
from tests.daemon.process_support import START_S, change, message, start

pytestmark = pytest.mark.peer

#: Polls 10 s apart (the SNMP site's first poll falls anywhere in its first interval).
MONITOR = "monitor: {bgp_interval: 10s, counter_interval: 10s}\n"


async def test_sprmon_run_streams_the_gnmi_sites_and_polls_the_others(tmp_path: Path) -> None:
    async with gnmi_lab(tmp_path, sites=2, protocols="mixed", extra=MONITOR) as (lab, config):
        assert [config.inventory.gnmi(s.name) is not None for s in config.intent.sites] == [
            True,
            False,
        ]
        assert lab.intent_path is not None
        daemon = await start(
            tmp_path, "-vv", "run", "--intent", lab.intent_path, "--log-format", "json"
        )
        try:
            await daemon.until("started", message("watching 2 site(s)"), START_S)
            for site in ("site-001", "site-002"):
                await daemon.until(f"{site} judged", change(site, "compliant", None), 30.0)
            lab.inject("site-001", "med-drift")
            # A gNMI site is never polled: only its stream's push can bring the drift.
            await daemon.until("drift", change("site-001", "drift", "compliant"), 8.0)
            code = await daemon.stop()
        finally:
            if daemon.process.returncode is None:
                daemon.process.kill()
                await daemon.wait()
    assert code == 0
    assert not [r for r in daemon.records if r["level"] == "error"]
