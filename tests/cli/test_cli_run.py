"""``sprmon run``'s start-up: every setting that cannot work is one line and exit 3."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sprmon.cli.common import CliUsageError
from sprmon.cli.run import parse_listen
from tests.cli.cli_support import INTENT, Run


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:10472", ("127.0.0.1", 10472)),
        ("0.0.0.0:0", ("0.0.0.0", 0)),
        ("[::1]:9999", ("::1", 9999)),
        ("metrics.example.net:80", ("metrics.example.net", 80)),
    ],
)
def test_listen_addresses(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["10472", "127.0.0.1", "::1:80", "host:70000", "[::1]"])
def test_bad_listen_addresses_are_usage_errors(text: str) -> None:
    with pytest.raises(CliUsageError, match="expected HOST:PORT"):
        parse_listen(text)


def _one_line(result_stderr: str) -> str:
    (line,) = result_stderr.splitlines()
    return line


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["--shard", "2/2"], "sprmon: usage error: --shard shard 2/2: the index must be 0 to"),
        (["--listen", "nowhere"], "sprmon: usage error: --listen nowhere: expected HOST:PORT"),
    ],
)
def test_bad_options_are_one_line_exit_3(run: Run, args: list[str], start: str) -> None:
    result = run("run", "-i", INTENT, *args)
    assert result.exit_code == 3
    assert _one_line(result.stderr).startswith(start)


def test_an_invalid_intent_stops_the_start(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "intent.yaml"
    bad.write_text("version: 1\nmonitor: {bgp_interval: 0}\n", encoding="utf-8")
    result = run("run", "-i", bad, "--listen", "127.0.0.1:0")
    assert result.exit_code == 3
    assert _one_line(result.stderr).startswith("sprmon: error: invalid intent (")


def test_an_invalid_web_config_stops_the_start(run: Run, tmp_path: Path) -> None:
    web = tmp_path / "web.yml"
    web.write_text("basic_auth_users: [x]\n", encoding="utf-8")
    result = run("run", "-i", INTENT, "--web-config", web)
    assert result.exit_code == 3
    assert _one_line(result.stderr).startswith(f"sprmon: error: invalid web config: {web}:1: ")


def test_a_metrics_port_in_use_stops_the_start(run: Run) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("run", "-i", INTENT, "--listen", f"127.0.0.1:{port}")
    assert result.exit_code == 3
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("sprmon: error:")]
    assert line.startswith(
        f"sprmon: error: cannot start the metrics server: cannot listen on 127.0.0.1:{port}: "
    )
    assert "address already in use" in line


def test_an_mqtt_secret_that_cannot_be_read_stops_the_start(run: Run, tmp_path: Path) -> None:
    intent = tmp_path / "intent.yaml"
    intent.write_text(
        INTENT.read_text(encoding="utf-8")
        + "mqtt: {host: 127.0.0.1, username: u, password: {env: SPRMON_TEST_NO_SUCH_VAR}}\n",
        encoding="utf-8",
    )
    result = run("run", "-i", intent, "--listen", "127.0.0.1:0")
    assert result.exit_code == 3
    line = [x for x in result.stderr.splitlines() if x.startswith("sprmon: error:")]
    assert len(line) == 1
    assert line[0].startswith("sprmon: error: mqtt: ")
    assert "SPRMON_TEST_NO_SUCH_VAR" in line[0]
