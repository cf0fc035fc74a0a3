"""A gNMI target's CA file is read like every file an intent names: a FIFO or a
device is refused at once, naming the file, before anything is sent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sprmon.collector.gnmi.client import GnmiChannel, GnmiConfigError
from sprmon.inventory import GnmiTarget


async def _open_error(ca_file: str) -> str:
    target = GnmiTarget(host="127.0.0.1", port=1, tls=True, ca_file=ca_file)
    with pytest.raises(GnmiConfigError) as caught:
        async with GnmiChannel("branch-01", target):
            pass
    return str(caught.value)


async def test_a_named_pipe_as_a_ca_file_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    assert await _open_error(str(fifo)) == (
        f"gNMI CA file of branch-01 cannot be read: is a named pipe (FIFO), not a regular file "
        f"({fifo})"
    )


async def test_dev_zero_as_a_ca_file_is_refused_without_reading_it() -> None:
    assert await _open_error("/dev/zero") == (
        "gNMI CA file of branch-01 cannot be read: is a character device, not a regular file "
        "(/dev/zero)"
    )


async def test_a_missing_ca_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "absent.pem"
    assert await _open_error(str(missing)) == (
        f"gNMI CA file of branch-01 cannot be read: No such file or directory ({missing})"
    )
