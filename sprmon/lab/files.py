"""Writing the lab's small files (state, intent, secrets)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_atomically(path: Path, text: str, mode: int) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    A reader never sees half a file, and the file is created with ``mode``
    (less the umask) from the start, so a secret is never readable by others,
    not even for a moment.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
