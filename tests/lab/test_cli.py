"""``sprmon lab``: inject, clear and status against a running lab; the lab as a process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from sprmon.cli.lab_commands import lab as lab_group
from sprmon.intentfile import load_config
from sprmon.lab import Lab, run_lab
from sprmon.lab.intent_file import AUTH_KEY_FILE, COMMUNITY_FILE, PRIV_KEY_FILE
from tests.lab.helpers import FakeClock, query, wait_for_lab

EXIT_UNKNOWN = 3


async def invoke(*args: str) -> Result:
    """Run the CLI in a thread: the lab it talks to answers in this event loop."""
    return await asyncio.to_thread(CliRunner().invoke, lab_group, list(args))


@pytest.mark.peer
async def test_inject_clear_and_status_act_on_the_running_lab(lab: Lab, tmp_path: Path) -> None:
    where = ("--state-dir", str(lab.state_dir))
    injected = await invoke("inject", "site-001", "med-drift", *where)
    assert injected.exit_code == 0, injected.output
    assert injected.output == "site-001: injected med-drift mpls MED 300\n"
    assert lab.model.best_link("site-001", "10.0.21.0/24") == "inet"
    med = "1.3.6.1.2.1.15.6.1.7.10.0.21.0.24.198.51.100.1"
    assert (await query(lab, "snmpget", "site-001", med, workdir=tmp_path)).rows()[med] == (
        "INTEGER",
        "300",
    )

    status = await invoke("status", *where)
    assert status.exit_code == 0, status.output
    line = next(x for x in status.output.splitlines() if x.startswith("site-001"))
    assert "10.0.21.0/24=inet" in line
    assert line.endswith("med-drift mpls MED 300")

    cleared = await invoke("clear", "site-001", *where)
    assert cleared.output == "site-001: cleared med-drift mpls MED 300\n"
    assert lab.model.best_link("site-001", "10.0.21.0/24") == "mpls"
    again = await invoke("clear", "site-001", *where)
    assert again.output == "site-001: had no faults\n"


async def test_inject_takes_a_link_a_prefix_and_a_med(lab: Lab) -> None:
    where = ("--state-dir", str(lab.state_dir), "--name", lab.name)
    withdrawn = await invoke(
        "inject", "site-002", "withdraw", "inet", "--prefix", "10.0.30.0/24", *where
    )
    assert withdrawn.output == "site-002: injected withdraw inet 10.0.30.0/24\n"
    assert lab.model.best_link("site-002", "10.0.30.0/24") == "mpls"
    drift = await invoke("inject", "site-003", "med-drift", "--med", "150", *where)
    assert drift.output == "site-003: injected med-drift mpls MED 150\n"
    rebooted = await invoke("inject", "core-mpls", "reboot", *where)
    assert rebooted.output == "core-mpls: applied reboot\n"
    assert lab.model.uptime_ticks("core-mpls") == 0


async def test_status_json_lists_every_router_with_its_port(lab: Lab) -> None:
    result = await invoke("--state-dir", str(lab.state_dir), "status", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert [r["name"] for r in status["routers"]] == [*lab.site_ports, *lab.core_ports]
    assert {r["name"]: r["port"] for r in status["routers"]} == lab.ports
    assert status["intent"] == str(lab.intent_path)


async def test_a_refused_fault_exits_3_with_the_labs_reason(lab: Lab) -> None:
    result = await invoke("inject", "core-inet", "link-down", "--state-dir", str(lab.state_dir))
    assert result.exit_code == EXIT_UNKNOWN
    assert "sprmon: error: link-down happens on a site's link" in result.output


def test_without_a_running_lab_the_commands_say_so(state_dir: Path) -> None:
    result = CliRunner().invoke(lab_group, ["status", "--state-dir", str(state_dir)])
    assert result.exit_code == EXIT_UNKNOWN
    assert "no lab is running" in result.output
    assert "sprmon lab" in result.output


def test_status_reports_a_state_file_of_a_newer_version_and_leaves_it(state_dir: Path) -> None:
    newer = {"format": 2, "name": "default", "pid": 1 << 22, "socket": "elsewhere"}
    (state_dir / "default.json").write_text(json.dumps(newer), encoding="utf-8")
    result = CliRunner().invoke(lab_group, ["status", "--state-dir", str(state_dir)])
    assert result.exit_code == EXIT_UNKNOWN
    assert "default.json (format 2; this sprmon reads format 1)" in result.output
    assert json.loads((state_dir / "default.json").read_text(encoding="utf-8")) == newer


def test_run_options_with_a_subcommand_are_a_usage_error(state_dir: Path) -> None:
    result = CliRunner().invoke(
        lab_group, ["--sites", "9", "--tick", "2", "status", "--state-dir", str(state_dir)]
    )
    assert result.exit_code == EXIT_UNKNOWN
    assert "--sites, --tick are for running the lab, not for `status`" in result.output


@pytest.mark.parametrize("version", ["2c", "3"])
async def test_the_written_intent_loads_and_matches_the_lab(
    version: str, clock: FakeClock, state_dir: Path, tmp_path: Path
) -> None:
    intent_path = tmp_path / "lab" / "intent.yaml"
    async with run_lab(
        sites=4,
        snmp_version="3" if version == "3" else "2c",
        intent_path=intent_path,
        state_dir=state_dir,
        clock=clock,
    ) as lab:
        loaded = await asyncio.to_thread(load_config, intent_path)
        intent = loaded.intent
        assert [s.name for s in intent.sites] == list(lab.site_ports)
        for site in intent.sites:
            snmp = loaded.inventory.snmp(site.name)
            assert snmp is not None
            assert (snmp.host, snmp.port) == (lab.host, lab.site_ports[site.name])
            assert snmp.version.value == version
            plan = lab.model.site(site.name)
            for link in site.links:
                assert link.neighbors == (plan.link(link.role).core_address,)
                assert link.interface_name == plan.link(link.role).if_name
                assert link.capacity_bps == plan.link(link.role).capacity_bps
        prefixes = {p for app in intent.applications for p in app.prefixes}
        assert prefixes == {"10.0.21.0/24", "10.0.10.0/24", "10.0.30.0/24"}, "IPv4 only"
        legacy = {app.name: app for app in intent.applications}["legacy"]
        assert legacy.links == ("mpls", "inet")
        assert legacy.marking["mpls"].med == 100
        secrets = (
            {COMMUNITY_FILE: lab.community}
            if version == "2c"
            else {
                AUTH_KEY_FILE: lab.credentials.auth_key,  # type: ignore[union-attr]
                PRIV_KEY_FILE: lab.credentials.priv_key,  # type: ignore[union-attr]
            }
        )
        for name, secret in secrets.items():
            path = intent_path.parent / name
            assert path.read_text(encoding="utf-8") == secret
            assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.peer
def test_the_lab_runs_as_a_process_and_takes_faults_from_another(tmp_path: Path) -> None:
    state_dir = tmp_path / "s"
    intent_path = tmp_path / "intent.yaml"
    env = {**os.environ, "SPRMON_LAB_STATE_DIR": str(state_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "sprmon.lab", "--sites", "2", "--write-intent", str(intent_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        record = wait_for_lab(state_dir, process)
        runner = CliRunner(env={"SPRMON_LAB_STATE_DIR": str(state_dir)})
        injected = runner.invoke(lab_group, ["inject", "site-002", "link-down", "inet"])
        assert injected.output == "site-002: injected link-down inet\n"
        community = (tmp_path / COMMUNITY_FILE).read_text(encoding="utf-8")
        oper_status = "1.3.6.1.2.1.2.2.1.8.3"
        got = subprocess.run(
            ["snmpget", "-v2c", "-c", community, "-On", "-Oe", "-t", "2",
             f"127.0.0.1:{record.ports['site-002']}", oper_status],
            capture_output=True, text=True, check=True, env={**os.environ, "MIBS": ""},
        )  # fmt: skip
        assert got.stdout.strip() == f".{oper_status} = INTEGER: 2", "eth2 is down"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "sprmon lab 'default': 2 sites and 2 core routers answer SNMP v2c" in out
    assert "lab 'default' stopped" in err
    assert not (state_dir / "default.json").exists()
    assert not (state_dir / "default.sock").exists()
