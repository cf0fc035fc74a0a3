"""``sprmon demo``: the newcomer's first command (``make demo``), against the real lab.

The demo runs the lab and the daemon (``sprmon run``) together; what it prints
about the daemon (the /metrics address, metric lines read from it, the
daemon's log lines, the MQTT topics) is checked against a real process, a
real HTTP client and a real broker.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
import urllib.request
from pathlib import Path

import pytest

from sprmon.cli.demo_daemon import default_port_or_free
from tests.cli.cli_support import Run
from tests.peers.mosquitto import MqttRecorder, run_mosquitto

pytestmark = pytest.mark.peer

#: Well above a whole demo: only a hung process reaches it.
PROCESS_TIMEOUT_S = 120.0
#: The demo ends by itself "within about a minute"; the rest is a loaded machine.
DEMO_ENDS_WITHIN_S = 90.0
LEGACY_DRIFT = 'sprmon_paths{app="legacy",site="site-002",state="drift"}'
LEGACY_FAILOVER = 'sprmon_paths{app="legacy",site="site-004",state="failover"}'
MPLS_UP = 'sprmon_link_up{link="mpls",site="site-004"}'


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
    return {**env, "NO_COLOR": "1", "SPRMON_LAB_STATE_DIR": str(tmp_path / "state")}


def _intent_path(stdout: str) -> Path:
    found = re.search(r"^The intent file that says so: (.+)$", stdout, re.MULTILINE)
    assert found is not None, stdout
    return Path(found.group(1))


def _metrics_url(stdout: str) -> str:
    found = re.search(r"^  metrics  (http://127\.0\.0\.1:\d+/metrics) ", stdout, re.MULTILINE)
    assert found is not None, stdout
    return found.group(1)


def _section(stdout: str, heading: str) -> str:
    """The text under ``heading`` (underlined with ``=``) up to the next heading, with a
    newline before its first line and after its last, so that a whole line can be looked for."""
    lines = stdout.splitlines()
    start = lines.index(heading) + 2
    end = next(
        (i - 1 for i in range(start, len(lines)) if re.fullmatch(r"=+", lines[i])), len(lines)
    )
    return "\n" + "\n".join(lines[start:end]) + "\n"


def test_demo_shows_a_drift_and_a_failover_and_exits_0(run: Run, tmp_path: Path) -> None:
    result = run(
        "demo",
        "--interval",
        "0",
        "--listen",
        "127.0.0.1:0",
        env={"SPRMON_LAB_STATE_DIR": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    out = result.stdout
    assert "site-002 legacy 10.0.21.0/24: drift, critical" in out
    assert "site-004 legacy 10.0.21.0/24: failover, warning" in out
    assert "site-004 link mpls: critical" in out
    assert "compliant -> drift" in out
    assert "  $ sprmon lab --write-intent lab.yaml" in out
    assert "  $ sprmon lab inject site-003 med-drift" in out
    assert "  $ sprmon check --intent lab.yaml" in out
    # The daemon's metrics moved with the faults and back with the repair.
    assert f"\n  {LEGACY_DRIFT} 1.0\n" in _section(out, "4. The daemon notices")
    assert f"\n  {LEGACY_DRIFT} 0.0\n" in _section(out, "6. Repaired")
    # The lab and its temporary folder are gone, and it was never registered
    # where `sprmon lab inject` would find it.
    assert not _intent_path(out).parent.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
async def test_make_demo_runs_the_default_demo_in_a_real_process(tmp_path: Path) -> None:
    code, stdout, err = await _sprmon(tmp_path, "demo", timeout_s=DEMO_ENDS_WITHIN_S)
    assert code == 0, err
    assert err == ""
    assert "drift" in stdout
    assert "failover" in stdout
    # The default polls twice, so the healthy report shows utilisation.
    assert re.search(r"site-001 +mpls +ok +up +up +\d+\.\d%", stdout), stdout
    assert stdout.rstrip().endswith("The demo lab is stopped.")
    _assert_the_daemons_story(stdout)


def _assert_the_daemons_story(stdout: str) -> None:
    """The daemon's address, its metrics before and after the faults, its log, the repair."""
    watching = _section(stdout, "2. The daemon watches")
    url = _metrics_url(watching)
    assert re.search(r"^\$ sprmon run --intent \S+ --listen 127\.0\.0\.1:\d+ ", watching, re.M)
    assert 'PromQL   sprmon_paths{state="drift"} > 0' in watching
    assert "MQTT     none (sprmon demo --mqtt HOST:PORT" in watching
    assert f"What {url} says now" in watching
    for line in (f"{LEGACY_DRIFT} 0.0", f"{LEGACY_FAILOVER} 0.0", f"{MPLS_UP} 1.0"):
        assert f"\n  {line}\n" in watching, watching

    noticed = _section(stdout, "4. The daemon notices")
    for line in (f"{LEGACY_DRIFT} 1.0", f"{LEGACY_FAILOVER} 1.0", f"{MPLS_UP} 0.0"):
        assert f"\n  {line}\n" in noticed, noticed
    # The daemon's own log lines, one per state change.
    assert "  site-002 path legacy 10.0.21.0/24: compliant -> drift: via inet (MED 200)" in noticed
    assert "  site-004 path legacy 10.0.21.0/24: compliant -> failover:" in noticed
    assert "  site-004 link mpls: up -> down:" in noticed
    assert 'sprmon_paths{state="drift"} > 0 now returns site-002)' in noticed

    # `sprmon check` saw the same, and the repair brought every metric back.
    assert "site-002 legacy 10.0.21.0/24: drift, critical" in stdout
    repaired = _section(stdout, "6. Repaired")
    assert "  site-002 path legacy 10.0.21.0/24: drift -> compliant" in repaired
    assert f"\n  {LEGACY_DRIFT} 0.0\n" in repaired
    where = _section(stdout, "Where next")
    assert "rules/" in where
    assert "grafana/" in where
    assert stdout.rstrip().endswith("The demo lab is stopped.")


@pytest.mark.slow
async def test_the_demo_with_a_broker_publishes_the_changes_on_the_topics_it_prints(
    tmp_path: Path,
) -> None:
    async with (
        run_mosquitto(tmp_path / "broker") as broker,
        MqttRecorder(broker, "sprmon/events/#") as events,
    ):
        address = f"{broker.host}:{broker.port}"
        code, stdout, err = await _sprmon(
            tmp_path, "demo", "--interval", "0", "--listen", "127.0.0.1:0", "--mqtt", address
        )
        assert code == 0, err
        received = await events.wait_for(
            lambda messages: any(
                json.loads(bytes(m.payload))["new_state"] == "compliant"
                and str(m.topic) == "sprmon/events/site-002/path/legacy/10.0.21.0_24"
                for m in messages
            ),
            timeout_s=10,
        )

    watching = _section(stdout, "2. The daemon watches")
    assert f"MQTT     broker {address}, client id sprmon-demo" in watching
    assert "sprmon/events/<site>/path/<app>/<prefix>" in watching
    assert "\n  sprmon_mqtt_connected 1.0\n" in watching
    printed = re.findall(
        r"^  (sprmon/events/\S+)$", _section(stdout, "4. The daemon notices"), re.M
    )
    assert sorted(printed) == [
        "sprmon/events/site-002/path/legacy/10.0.21.0_24",
        "sprmon/events/site-004/link/mpls",
        "sprmon/events/site-004/path/legacy/10.0.21.0_24",
    ]
    # Every topic the demo printed carried its change, in the order of the story.
    drift_topic = "sprmon/events/site-002/path/legacy/10.0.21.0_24"
    states = [
        json.loads(bytes(m.payload))["new_state"] for m in received if str(m.topic) == drift_topic
    ]
    assert states[-2:] == ["drift", "compliant"]
    for topic in printed:
        assert any(str(m.topic) == topic for m in received), topic


async def _sprmon(
    tmp_path: Path, *args: str | Path, timeout_s: float = PROCESS_TIMEOUT_S
) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sprmon",
        *(str(a) for a in args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(tmp_path),
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout_s)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _scrape(url: str) -> str:
    def fetch() -> str:
        with urllib.request.urlopen(url, timeout=10) as response:
            body: bytes = response.read()
            return body.decode()

    return await asyncio.to_thread(fetch)


@pytest.mark.slow
async def test_keep_running_leaves_the_lab_up_for_other_terminals_until_ctrl_c(
    tmp_path: Path,
) -> None:
    demo = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sprmon",
        "demo",
        "--keep-running",
        "--interval",
        "0",
        "--listen",
        "127.0.0.1:0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(tmp_path),
    )
    try:
        assert demo.stdout is not None
        lines: list[str] = []
        async with asyncio.timeout(PROCESS_TIMEOUT_S):
            while not lines or "sprmon lab --name demo clear" not in lines[-1]:
                line = await demo.stdout.readline()
                assert line, "".join(lines)
                lines.append(line.decode())
        shown = "".join(lines)
        intent = _intent_path(shown)
        url = _metrics_url(shown)
        assert f"  $ sprmon check --intent {intent}\n" in shown
        assert "  $ sprmon lab --name demo inject site-003 med-drift\n" in shown
        # The scrape target for a Prometheus is the /metrics address printed above.
        target = url.removeprefix("http://").removesuffix("/metrics")
        assert f'static_configs: [{{targets: ["{target}"]}}]' in shown

        # What the demo tells the user to type, from another process.
        code, out, err = await _sprmon(
            tmp_path, "lab", "--name", "demo", "inject", "site-003", "med-drift"
        )
        assert code == 0, err
        assert out.startswith("site-003: injected med-drift")
        code, out, _ = await _sprmon(
            tmp_path, "check", "--intent", intent, "--interval", "0", "--format", "json"
        )
        assert code == 2
        states = {(p["site"], p["prefix"]): p["state"] for p in json.loads(out)["paths"]}
        assert states.pop(("site-003", "10.0.21.0/24")) == "drift"
        # The demo's own faults were cleared before it handed the lab over.
        assert set(states.values()) == {"compliant"}
        # The daemon still watches: the drift reaches /metrics.
        drift = 'sprmon_paths{app="legacy",site="site-003",state="drift"} 1.0'
        for _ in range(60):
            if drift in (await _scrape(url)).splitlines():
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError(f"{drift} not on {url} within 30 s")

        demo.send_signal(signal.SIGINT)
        rest, demo_err = await asyncio.wait_for(demo.communicate(), PROCESS_TIMEOUT_S)
    finally:
        if demo.returncode is None:
            demo.kill()
            await demo.wait()
    assert demo.returncode == 0, demo_err.decode()
    assert rest.decode().rstrip().endswith("The demo lab is stopped.")
    assert not intent.parent.exists()
    assert list((tmp_path / "state").glob("demo.*")) == []


def test_the_default_metrics_port_gives_way_to_a_free_one_when_something_listens_there() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert default_port_or_free("127.0.0.1", port) == 0
    # Closed again: the port is the demo's.
    assert default_port_or_free("127.0.0.1", port) == port


def test_a_metrics_port_in_use_given_with_listen_stops_the_demo_with_one_line(
    run: Run, tmp_path: Path
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(
            "demo",
            "--interval",
            "0",
            "--listen",
            f"127.0.0.1:{port}",
            env={"SPRMON_LAB_STATE_DIR": str(tmp_path)},
        )
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith(
        f"sprmon: error: cannot start the metrics server: cannot listen on 127.0.0.1:{port}"
    )
    assert result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_mqtt_takes_host_and_port(run: Run) -> None:
    result = run("demo", "--mqtt", "broker.example")
    assert result.exit_code == 3
    assert "--mqtt broker.example: expected the HOST:PORT of an MQTT broker" in result.stderr
