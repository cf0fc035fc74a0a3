"""sprmon.boundedfile: a named file is read only if it is a regular file, and
never past its limit, whatever the name points at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sprmon.boundedfile import FileProblem, FileReadError, format_size, read_bounded


def _refusal(path: str | Path, limit: int = 1024) -> FileReadError:
    with pytest.raises(FileReadError) as caught:
        read_bounded(path, limit=limit)
    return caught.value


def test_a_regular_file_up_to_the_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 1024)
    assert read_bounded(path, limit=1024) == b"x" * 1024


def test_a_file_one_byte_past_the_limit_is_refused_with_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 1025)
    error = _refusal(path)
    assert error.problem is FileProblem.TOO_LARGE
    assert str(error) == "is larger than 1 KiB (1,025 bytes)"


def test_a_named_pipe_without_a_writer_is_refused_at_once(tmp_path: Path) -> None:
    # A plain open() of a FIFO waits for a writer: this test would hang.
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    error = _refusal(fifo)
    assert error.problem is FileProblem.NOT_REGULAR
    assert str(error) == "is a named pipe (FIFO), not a regular file"


def test_a_named_pipe_with_a_writer_is_refused_as_well(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    writer = os.open(fifo, os.O_WRONLY)
    try:
        os.write(writer, b"secret")
        assert _refusal(fifo).problem is FileProblem.NOT_REGULAR
    finally:
        os.close(writer)
        os.close(reader)


def test_dev_zero_is_refused_without_reading_it() -> None:
    error = _refusal("/dev/zero")
    assert error.problem is FileProblem.NOT_REGULAR
    assert str(error) == "is a character device, not a regular file"


def test_a_huge_sparse_file_is_refused_by_its_size_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "sparse"
    with path.open("wb") as handle:
        handle.truncate(64 << 30)
    error = _refusal(path, limit=1 << 20)
    assert error.problem is FileProblem.TOO_LARGE
    assert str(error) == "is larger than 1 MiB (64 GiB)"


def test_a_file_that_says_it_is_empty_is_still_read_only_to_the_limit() -> None:
    # Files under /proc report a size of 0 and have content: only the read counts.
    assert Path("/proc/self/maps").stat().st_size == 0
    error = _refusal("/proc/self/maps", limit=16)
    assert error.problem is FileProblem.TOO_LARGE
    assert str(error) == "is larger than 16 bytes"


def test_a_socket_is_refused(tmp_path: Path) -> None:
    import socket  # noqa: PLC0415

    path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        assert str(_refusal(path)) == "is a socket, not a regular file"


def test_a_folder_a_missing_file_and_a_link_to_a_fifo_are_told_apart(tmp_path: Path) -> None:
    assert _refusal(tmp_path).problem is FileProblem.FOLDER
    assert _refusal(tmp_path / "absent").problem is FileProblem.MISSING
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(fifo)
    assert _refusal(link).problem is FileProblem.NOT_REGULAR


def test_a_link_to_a_regular_file_is_followed(tmp_path: Path) -> None:
    # Secret mounts (Kubernetes, Docker) are chains of symbolic links.
    (tmp_path / "..data").mkdir()
    (tmp_path / "..data" / "community").write_bytes(b"c0mmunity")
    (tmp_path / "community").symlink_to(Path("..data") / "community")
    assert read_bounded(tmp_path / "community", limit=64) == b"c0mmunity"


@pytest.mark.parametrize(
    ("size", "text"),
    [(512, "512 bytes"), (64 * 1024, "64 KiB"), (2 << 20, "2 MiB"), (512 << 20, "512 MiB")],
)
def test_sizes_print_in_binary_units(size: int, text: str) -> None:
    assert format_size(size) == text
