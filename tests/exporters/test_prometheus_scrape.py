"""A real Prometheus (Debian package) scrapes MetricsServer while the view changes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import bcrypt
import pytest

from sprmon.core.findings import PathState
from sprmon.core.monitor import MonitorView
from sprmon.exporters.prometheus import build_registry
from sprmon.exporters.web import MetricsServer
from sprmon.exporters.webconfig import ClientAuth, TlsServerConfig, WebConfig
from tests.exporters.prom_support import fixed_view, without_site
from tests.exporters.tls_support import make_pki
from tests.peers.prometheus import prometheus_config, run_prometheus, scrape_job

pytestmark = [pytest.mark.peer, pytest.mark.slow]

DRIFT = 'sprmon_path_state{site="branch-01",app="legacy",prefix="10.0.21.0/24",state="drift"}'


def healed(view: MonitorView) -> MonitorView:
    """The same view with branch-01's legacy IPv4 prefix back on mpls."""
    paths = tuple(
        p._replace(state=PathState.COMPLIANT, actual_links=("mpls",))
        if (p.site, p.app, p.prefix) == ("branch-01", "legacy", "10.0.21.0/24")
        else p
        for p in view.report.paths
    )
    return replace(view, report=replace(view.report, paths=paths))


async def test_prometheus_follows_a_drift_that_heals_and_a_site_that_leaves(
    tmp_path: Path,
) -> None:
    current: list[MonitorView] = [fixed_view()]
    registry = build_registry(lambda: current[0], per_prefix=True)
    async with MetricsServer(registry, port=0) as server:
        config = prometheus_config([scrape_job("sprmon", f"127.0.0.1:{server.port}")])
        async with run_prometheus(tmp_path / "prometheus", config) as prom:
            await prom.wait_for_targets_up()
            await prom.wait_for_value(DRIFT, 1)
            info = await prom.query('sprmon_path_info{site="branch-01",prefix="10.0.21.0/24"}')
            assert [s["metric"]["actual_link"] for s in info] == ["inet"]

            current[0] = healed(current[0])
            await prom.wait_for_value(DRIFT, 0)
            await prom.wait_for_value(
                'sprmon_paths{site="branch-01",app="legacy",state="compliant"}', 1
            )

            current[0] = without_site(current[0], "branch-02")
            # Staleness markers: the site's series end at the next scrape, not 5 min later.
            await prom.wait_for_absent('sprmon_target_up{site="branch-02"}')
            assert await prom.values('sprmon_target_up{site="branch-01"}') == [1.0]


async def test_prometheus_scrapes_over_tls_with_a_client_certificate_and_basic_auth(
    tmp_path: Path,
) -> None:
    pki = make_pki(tmp_path / "pki")
    password = "scrape-me-please"
    web = WebConfig(
        tls=TlsServerConfig(
            pki.server_cert, pki.server_key, ClientAuth.REQUIRE_AND_VERIFY, pki.ca_cert
        ),
        basic_auth_users={"prometheus": bcrypt.hashpw(password.encode(), bcrypt.gensalt(4))},
    )
    view = fixed_view()
    async with MetricsServer(build_registry(lambda: view), port=0, web_config=web) as server:
        job = scrape_job(
            "sprmon",
            f"127.0.0.1:{server.port}",
            scheme="https",
            extra=f"""\
    tls_config:
      ca_file: {pki.ca_cert}
      cert_file: {pki.client_cert}
      key_file: {pki.client_key}
    basic_auth:
      username: prometheus
      password: {password}
""",
        )
        wrong = scrape_job(
            "wrong-password",
            f"127.0.0.1:{server.port}",
            scheme="https",
            extra=f"""\
    tls_config:
      ca_file: {pki.ca_cert}
      cert_file: {pki.client_cert}
      key_file: {pki.client_key}
    basic_auth:
      username: prometheus
      password: not-it
""",
        )
        config = prometheus_config([job, wrong])
        async with run_prometheus(tmp_path / "prometheus", config) as prom:
            await prom.wait_for_value('up{job="sprmon"}', 1)
            await prom.wait_for_value('up{job="wrong-password"}', 0)
            await prom.wait_for_value('sprmon_target_up{job="sprmon",site="branch-02"}', 0)
            targets = {t["labels"]["job"]: t for t in await prom.targets()}
            assert "401" in targets["wrong-password"]["lastError"]
