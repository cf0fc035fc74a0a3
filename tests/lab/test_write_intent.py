"""A folder holds one running lab's intent and secret files: a second lab there is refused.

Two labs given the same ``--write-intent`` path (or two paths in one folder:
the secret files have fixed names) silently overwrote each other's intent and
community, and a check of the first lab then polled it with the second's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from sprmon.cli.main import main
from sprmon.lab import run_lab
from sprmon.lab.errors import LabError
from sprmon.lab.intent_file import COMMUNITY_FILE
from sprmon.lab.intent_folder import LOCK_FILE, claim_intent_folder
from tests.lab.helpers import FakeClock


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}


@pytest.mark.parametrize("second", ["intent.yaml", "other.yaml"], ids=["same path", "same folder"])
async def test_a_second_lab_on_a_running_labs_folder_is_refused_and_changes_nothing(
    clock: FakeClock, tmp_path: Path, second: str
) -> None:
    folder = tmp_path / "lab"
    async with run_lab(
        sites=1, name="first", clock=clock, control=False, intent_path=folder / "intent.yaml"
    ) as first:
        written = _files(folder)
        with pytest.raises(
            LabError,
            match=rf"{folder} already holds the intent and secret files of lab 'first' "
            rf"\(pid {os.getpid()}\), which is running: .*choose another folder with "
            r"--write-intent, or stop that lab",
        ):
            async with run_lab(
                sites=2, name="second", clock=clock, control=False, intent_path=folder / second
            ):
                pass  # pragma: no cover - refused
        assert _files(folder) == written
        assert written[COMMUNITY_FILE] == first.community


async def test_a_stopped_labs_folder_is_free_again_and_left_clean(
    clock: FakeClock, tmp_path: Path
) -> None:
    intent = tmp_path / "lab" / "intent.yaml"
    async with run_lab(sites=1, clock=clock, control=False, intent_path=intent):
        assert (intent.parent / LOCK_FILE).exists()
    async with run_lab(sites=1, clock=clock, control=False, intent_path=intent) as again:
        assert (intent.parent / COMMUNITY_FILE).read_text(encoding="utf-8") == again.community
    assert sorted(p.name for p in intent.parent.iterdir()) == ["intent.yaml", COMMUNITY_FILE]


async def test_the_lock_file_of_a_killed_lab_does_not_hold_its_folder(
    clock: FakeClock, tmp_path: Path
) -> None:
    # A killed lab leaves its file, but not its lock (the process held it).
    folder = tmp_path / "lab"
    folder.mkdir()
    (folder / LOCK_FILE).write_text(json.dumps({"name": "gone", "pid": 1}), encoding="utf-8")
    async with run_lab(sites=1, clock=clock, control=False, intent_path=folder / "intent.yaml"):
        owner = json.loads((folder / LOCK_FILE).read_text(encoding="utf-8"))
        assert owner["pid"] == os.getpid()


def test_a_lock_file_that_is_a_link_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me", encoding="utf-8")
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / LOCK_FILE).symlink_to(victim)
    with (
        pytest.raises(LabError, match="cannot write the lab's intent"),
        claim_intent_folder(folder / "intent.yaml", lab_name="x"),
    ):
        pass  # pragma: no cover - refused
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_the_command_says_so_in_one_line_and_exits_3(tmp_path: Path, state_dir: Path) -> None:
    intent = tmp_path / "lab.yaml"
    with claim_intent_folder(intent, lab_name="first"):
        result = CliRunner().invoke(
            main,
            ["lab", "--sites", "1", "--write-intent", str(intent), "--state-dir", str(state_dir)],
        )
    assert result.exit_code == 3
    starting, line = result.stderr.splitlines()
    assert starting == "starting 1 sites and 2 core routers ..."
    assert line.startswith(
        f"sprmon: error: {tmp_path} already holds the intent and secret files of lab 'first' "
        f"(pid {os.getpid()}), which is running"
    )
    assert not intent.exists()
