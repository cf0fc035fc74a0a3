"""Finding a running lab and talking to it over its control socket."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

import pytest

from sprmon.lab import (
    ControlError,
    Lab,
    LabError,
    NoLabRunningError,
    SeveralLabsRunningError,
    run_lab,
)
from sprmon.lab.control import (
    STATE_FORMAT,
    LabRecord,
    find_lab,
    prepare_state_dir,
    request,
    running_labs,
    scan_state_dir,
    socket_path,
    validate_name,
    write_record,
)
from tests.lab.helpers import FakeClock


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def record(name: str, pid: int, state_dir: Path) -> LabRecord:
    return LabRecord(
        name=name,
        pid=pid,
        socket=str(state_dir / f"{name}.sock"),
        host="127.0.0.1",
        snmp_version="2c",
        sites=1,
        seed=1,
        ports={"site-001": 40001},
    )


def test_no_running_lab_is_an_error_that_says_where_it_looked(state_dir: Path) -> None:
    with pytest.raises(NoLabRunningError, match=f"no lab is running.*{state_dir}"):
        find_lab(state_dir)


def test_a_state_file_left_by_a_dead_lab_is_removed(state_dir: Path) -> None:
    stale = record("old", dead_pid(), state_dir)
    write_record(state_dir, stale)
    Path(stale.socket).touch()
    assert running_labs(state_dir) == []
    assert listing(state_dir) == []


def record_fields(name: str, pid: int, state_dir: Path) -> dict[str, object]:
    """A state file's content as this version writes it (format included)."""
    fields: dict[str, object] = json.loads(record(name, pid, state_dir).to_json())
    return fields


def test_a_state_file_records_its_format(state_dir: Path) -> None:
    path = write_record(state_dir, record("mine", os.getpid(), state_dir))
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == STATE_FORMAT == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b'{"format": 1, "name": "x"}', "no 'pid' in it"),
        (b'{"name": "x", "pid": "a lot"}', "a value of the wrong type"),
    ],
)
def test_a_state_file_that_does_not_parse_is_left_alone_and_reported(
    state_dir: Path, content: bytes, reason: str
) -> None:
    (state_dir / "broken.json").write_bytes(content)
    (state_dir / "broken.sock").touch()
    scan = scan_state_dir(state_dir)
    assert scan.labs == ()
    assert [(f.path.name, reason in f.reason) for f in scan.not_understood] == [
        ("broken.json", True)
    ]
    assert listing(state_dir) == ["broken.json", "broken.sock"]


def test_a_newer_state_file_whose_pid_is_dead_is_left_alone(state_dir: Path) -> None:
    newer = {**record_fields("new", dead_pid(), state_dir), "format": 2, "tls": True}
    (state_dir / "new.json").write_text(json.dumps(newer), encoding="utf-8")
    (state_dir / "new.sock").touch()
    assert running_labs(state_dir) == []
    assert listing(state_dir) == ["new.json", "new.sock"]
    with pytest.raises(
        NoLabRunningError,
        match=r"no lab is running \(no state file this sprmon reads in .*\).*"
        r"not understood and left alone.*new\.json \(format 2; this sprmon reads format 1\)",
    ):
        find_lab(state_dir)
    with pytest.raises(NoLabRunningError, match=r"state file of lab 'new' is not understood"):
        find_lab(state_dir, "new")
    assert listing(state_dir) == ["new.json", "new.sock"]


def test_a_state_file_without_a_format_is_read_as_format_1(state_dir: Path) -> None:
    # What sprmon wrote before state files recorded their format.
    for name, pid in (("alive", os.getpid()), ("gone", dead_pid())):
        fields = record_fields(name, pid, state_dir)
        del fields["format"]
        (state_dir / f"{name}.json").write_text(json.dumps(fields), encoding="utf-8")
    assert [r.name for r in running_labs(state_dir)] == ["alive"]
    assert listing(state_dir) == ["alive.json"], "the dead lab's file is of this format: removed"


def test_a_live_lab_is_found_beside_a_file_not_understood(state_dir: Path) -> None:
    live = record("mine", os.getpid(), state_dir)
    write_record(state_dir, live)
    (state_dir / "broken.json").write_text("{not json", encoding="utf-8")
    assert find_lab(state_dir) == live
    with pytest.raises(NoLabRunningError, match=r"no lab named 'other'.*broken\.json \(not JSON\)"):
        find_lab(state_dir, "other")


def test_a_live_state_file_is_found_by_name(state_dir: Path) -> None:
    live = record("mine", os.getpid(), state_dir)
    write_record(state_dir, live)
    assert find_lab(state_dir) == live
    assert find_lab(state_dir, "mine") == live
    with pytest.raises(NoLabRunningError, match=r"no lab named 'other'.*running: mine"):
        find_lab(state_dir, "other")


async def test_several_running_labs_need_a_name(clock: FakeClock, state_dir: Path) -> None:
    async with (
        run_lab(sites=1, name="a", state_dir=state_dir, clock=clock),
        run_lab(sites=1, name="b", state_dir=state_dir, clock=clock) as b,
    ):
        with pytest.raises(SeveralLabsRunningError, match=r"2 labs are running \(a, b\).*--name"):
            find_lab(state_dir)
        found = find_lab(state_dir, "b")
        assert found.ports == b.ports


async def test_a_second_lab_with_the_same_name_is_refused(
    clock: FakeClock, state_dir: Path
) -> None:
    async with run_lab(sites=1, name="twin", state_dir=state_dir, clock=clock):
        with pytest.raises(LabError, match="a lab named 'twin' already runs"):
            async with run_lab(sites=1, name="twin", state_dir=state_dir, clock=clock):
                pass


async def test_a_lab_does_not_take_the_name_of_a_state_file_it_does_not_understand(
    clock: FakeClock, state_dir: Path
) -> None:
    newer = {**record_fields("twin", dead_pid(), state_dir), "format": 2}
    (state_dir / "twin.json").write_text(json.dumps(newer), encoding="utf-8")
    (state_dir / "twin.sock").touch()
    with pytest.raises(LabError, match=r"lab named 'twin'.*not understood.*another --name"):
        async with run_lab(sites=1, name="twin", state_dir=state_dir, clock=clock):
            pass
    assert json.loads((state_dir / "twin.json").read_text(encoding="utf-8")) == newer
    assert listing(state_dir) == ["twin.json", "twin.sock"]


async def test_a_stopped_lab_leaves_no_state_file_or_socket(
    clock: FakeClock, state_dir: Path
) -> None:
    async with run_lab(sites=1, name="brief", state_dir=state_dir, clock=clock):
        assert listing(state_dir) == ["brief.json", "brief.sock"]
    assert listing(state_dir) == []


async def test_requests_over_the_socket_change_the_running_lab(lab: Lab) -> None:
    found = await asyncio.to_thread(find_lab, lab.state_dir or Path(), lab.name)
    reply = await asyncio.to_thread(
        request, found, {"op": "inject", "router": "site-002", "fault": "session-down"}
    )
    assert reply == {
        "router": "site-002",
        "fault": "session-down mpls",
        "fault_kind": "session-down",
    }
    assert lab.model.best_link("site-002", "10.0.21.0/24") == "inet"
    status = await asyncio.to_thread(request, found, {"op": "status"})
    site = next(r for r in status["routers"] if r["name"] == "site-002")
    assert site["faults"] == ["session-down mpls"]
    assert site["port"] == lab.site_ports["site-002"]


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (b"not json\n", "not JSON"),
        (b"[1, 2]\n", "not a JSON object"),
        (b'{"op": "explode", "router": "site-001"}\n', "unknown operation 'explode'"),
        (b'{"op": "clear"}\n', "'clear' needs a router name"),
        (b'{"op": "inject", "router": "site-001", "fault": "med-drift", "med": "x"}\n', "integer"),
        (b'{"op": "inject", "router": "site-001", "fault": "melt"}\n', "unknown fault 'melt'"),
    ],
)
async def test_a_bad_request_gets_an_error_reply_and_the_lab_keeps_running(
    lab: Lab, line: bytes, error: str
) -> None:
    assert lab.state_dir is not None
    reader, writer = await asyncio.open_unix_connection(str(socket_path(lab.state_dir, lab.name)))
    writer.write(line)
    await writer.drain()
    reply = json.loads(await reader.readline())
    writer.close()
    await writer.wait_closed()
    assert reply["ok"] is False
    assert error in reply["error"]
    assert lab.model.faults("site-001") == ()
    status = await asyncio.to_thread(request, find_lab(lab.state_dir, lab.name), {"op": "status"})
    assert status["name"] == lab.name


def test_a_lab_that_does_not_answer_is_reported_with_its_state_file(state_dir: Path) -> None:
    live = record("ghost", os.getpid(), state_dir)  # a live pid, but nobody listens
    with pytest.raises(ControlError, match=r"cannot reach lab 'ghost'.*ghost\.json"):
        request(live, {"op": "status"})


def test_a_socket_path_too_long_for_unix_sockets_is_refused(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 100)
    with pytest.raises(ControlError, match=r"longer than 107 bytes.*shorter --state-dir"):
        socket_path(deep, "default")


def test_the_state_directory_is_private(tmp_path: Path) -> None:
    directory = prepare_state_dir(tmp_path / "state")
    assert directory.stat().st_mode & 0o777 == 0o700


@pytest.mark.root
def test_a_state_directory_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir(mode=0o700)
    os.chown(foreign, 65534, 65534)
    with pytest.raises(ControlError, match="belongs to another user"):
        prepare_state_dir(foreign)


@pytest.mark.parametrize("name", ["../escape", ".hidden", "a/b", "", "sp ace"])
def test_a_lab_name_that_is_not_a_plain_file_name_is_refused(name: str) -> None:
    with pytest.raises(LabError, match="lab name"):
        validate_name(name)


@pytest.mark.parametrize("name", ["default", "lab-2", "ci_run.7"])
def test_plain_lab_names_are_accepted(name: str) -> None:
    assert validate_name(name) == name
