"""One lab's files per folder: the lock a running lab holds on its intent's folder.

The secret files have fixed names next to the intent (:mod:`sprmon.lab.intent_file`),
so two labs writing into one folder would silently replace each other's intent
and community, and a check of the first lab would then poll it with the
second's. A lab claims the folder before it writes anything there.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from sprmon.lab.errors import LabError

#: Held (flock) by the lab whose files the folder holds; it names that lab.
LOCK_FILE = ".sprmon-lab.lock"


@contextlib.contextmanager
def claim_intent_folder(intent: Path, *, lab_name: str) -> Iterator[None]:
    """Own the folder of ``intent`` (and of its secret files) while the block runs.

    Raises :class:`LabError` naming the lab that owns it already. The claim is
    an advisory lock held by this process, so it ends with the process too: a
    lab that was killed leaves no claim behind, only a file the next lab reuses.
    """
    folder = intent.parent
    path = folder / LOCK_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = _lock(path)
    except OSError as exc:
        raise LabError(
            f"cannot write the lab's intent to {intent}: {exc.strerror or exc}; "
            "choose another --write-intent path"
        ) from exc
    if fd is None:
        raise LabError(
            f"{folder} already holds the intent and secret files of {_owner(path)}, "
            f"which is running: this lab would overwrite them; choose another folder "
            "with --write-intent, or stop that lab"
        )
    try:
        owner = {"name": lab_name, "pid": os.getpid(), "intent": str(intent)}
        os.ftruncate(fd, 0)
        os.write(fd, (json.dumps(owner) + "\n").encode())
        yield
    finally:
        # Removed while still locked: a lab that opened it meanwhile sees it
        # gone once it holds the lock, and opens the new one (see _lock).
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)


def _lock(path: Path) -> int | None:
    """An open descriptor of ``path`` with its exclusive lock, or None if another holds it."""
    while True:
        # Never through a link: another user's link in a shared folder would
        # have this lab truncate the file it points at.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        try:
            opened, present = os.fstat(fd), path.stat()
        except FileNotFoundError:
            os.close(fd)
            continue
        if (opened.st_dev, opened.st_ino) == (present.st_dev, present.st_ino):
            return fd
        os.close(fd)


def _owner(path: Path) -> str:
    """``lab 'x' (pid N)`` as its lock file says, or ``another lab`` if it says nothing yet."""
    try:
        owner = json.loads(path.read_text(encoding="utf-8"))
        return f"lab {str(owner['name'])!r} (pid {int(owner['pid'])})"
    except (OSError, ValueError, TypeError, KeyError):
        return "another lab"
