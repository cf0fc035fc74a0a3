"""Read a file named by a user, whatever the name turns out to be.

Every file sprmon reads because someone named it (an intent file, its sites
CSV, a secret file, a snapshot) goes through :func:`read_bounded`. A name can
point at a named pipe (a read waits for a writer that never comes, and in the
event loop that stops every site's poll), at ``/dev/zero`` (a read never ends
and fills the memory) or at a file far larger than the format could need. So:

- the file is opened with ``O_NONBLOCK`` (opening a FIFO does not wait for a
  writer) and ``O_NOCTTY``, and refused unless ``fstat`` on the open file says
  it is a regular file (checked on the descriptor, so a swap of the name
  between a check and the open changes nothing);
- at most ``limit + 1`` bytes are read: one more than the limit says that the
  file is too large, even when its size is misreported (files under /proc say 0).

Errors are :class:`FileReadError`, whose message leaves out the file's name:
each caller words it for its own users (``FILE:LINE`` for an intent file, the
secret's role for a secret).
"""

from __future__ import annotations

import enum
import os
import stat
from pathlib import Path

#: Bytes read per system call: large enough for few calls, small enough that
#: a file at the limit costs little more than the limit.
_CHUNK = 1 << 20


class FileProblem(enum.Enum):
    MISSING = "missing"
    FOLDER = "folder"
    #: A FIFO, a device or a socket.
    NOT_REGULAR = "not regular"
    PERMISSION = "permission"
    TOO_LARGE = "too large"
    #: Any other operating system error (the message is its strerror).
    OTHER = "other"


class FileReadError(Exception):
    """A file cannot be used; ``str()`` says why, without the file's name."""

    def __init__(self, problem: FileProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


def format_size(size: int) -> str:
    """``4194304`` -> ``4 MiB``: limits as a person reads them."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"


_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> FileReadError | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return FileReadError(FileProblem.FOLDER, "is a folder, not a file")
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return FileReadError(FileProblem.NOT_REGULAR, f"is {kind}, not a regular file")


def _os_error(exc: OSError) -> FileReadError:
    if isinstance(exc, FileNotFoundError):
        return FileReadError(FileProblem.MISSING, exc.strerror or "No such file or directory")
    if isinstance(exc, PermissionError):
        return FileReadError(FileProblem.PERMISSION, exc.strerror or "Permission denied")
    if isinstance(exc, IsADirectoryError):
        return FileReadError(FileProblem.FOLDER, "is a folder, not a file")
    return FileReadError(FileProblem.OTHER, exc.strerror or str(exc))


def read_bounded(path: str | os.PathLike[str], *, limit: int) -> bytes:
    """The content of the regular file at ``path``, at most ``limit`` bytes.

    Raises :class:`FileReadError` for anything else: a missing file, a
    folder, a FIFO, a device, a socket, a file larger than ``limit``. Never
    blocks on a FIFO and never reads more than ``limit + 1`` bytes. Symbolic
    links are followed (secret mounts are made of them): the checks apply to
    the file at the end.
    """
    try:
        # Refuse by name first, so that a device is not even opened (opening
        # one can have effects); the check on the descriptor below is the one
        # that holds, whatever happens to the name in between.
        refused = _not_regular(Path(path).stat().st_mode)
        if refused is not None:
            raise refused
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise _os_error(exc) from exc
    try:
        info = os.fstat(fd)
        refused = _not_regular(info.st_mode)
        if refused is not None:
            raise refused
        if info.st_size > limit:
            raise _too_large(limit, info.st_size)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise _too_large(limit, None)
        return b"".join(chunks)
    except OSError as exc:
        raise _os_error(exc) from exc
    finally:
        os.close(fd)


def _too_large(limit: int, size: int | None) -> FileReadError:
    shown = ""
    if size is not None:
        # Bytes when rounding would print the size as the limit itself.
        text = format_size(size)
        shown = f" ({size:,} bytes)" if text == format_size(limit) else f" ({text})"
    return FileReadError(FileProblem.TOO_LARGE, f"is larger than {format_size(limit)}{shown}")
