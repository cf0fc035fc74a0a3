"""Resolve a :class:`~sprmon.inventory.SecretRef` into a :class:`Secret`.

A secret's value only leaves a :class:`Secret` through :meth:`Secret.reveal`,
called by the adapter that puts it on the wire. ``repr``, ``str`` and
formatting print ``<secret>``, so a secret that ends up in a log line, an
exception, a dataclass repr or a metric label shows nothing. Error messages
name where the secret should be (the variable or the file), never its value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from sprmon.boundedfile import FileProblem, FileReadError, read_bounded
from sprmon.inventory import SecretRef

#: A community, a key or a password is at most a few hundred bytes; a file
#: far larger is the wrong file, and reading all of it would cost memory.
SECRET_FILE_LIMIT = 64 * 1024
#: Folders (separated by ``os.pathsep``) where an intent may name secret files,
#: besides its own folder (docs/intent-file.md, "Secret files").
SECRETS_DIR_ENV = "SPRMON_SECRETS_DIR"


class SecretError(Exception):
    """A secret could not be read; the message says where it was looked for."""


class Secret:
    """A value that prints as ``<secret>``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return "<secret>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return self._value == other._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> NoReturn:
        # Pickling would write the value wherever the pickle goes.
        raise TypeError("a Secret cannot be pickled")


def resolve_secret(ref: SecretRef, *, environ: Mapping[str, str] | None = None) -> Secret:
    """Read the secret ``ref`` points at.

    From a file, one trailing line break is removed (editors add one); other
    whitespace is kept, since it may be part of the secret. An empty secret is
    an error: it is always a mistake, and an empty community or key would
    fail later with a far less helpful message.
    """
    if ref.env is not None:
        env = os.environ if environ is None else environ
        value = env.get(ref.env)
        if value is None:
            raise SecretError(f"environment variable {ref.env} is not set")
        if value == "":
            raise SecretError(f"environment variable {ref.env} is empty")
        return Secret(value)
    if ref.file is None:
        raise SecretError("a secret reference names neither env nor file")
    text = read_secret_file(ref.file)
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if text == "":
        raise SecretError(f"secret file {ref.file} is empty")
    return Secret(text)


def read_secret_file(file: str) -> str:
    """The text of a secret file: a regular file of at most :data:`SECRET_FILE_LIMIT`.

    A FIFO, a device or an oversized file is a :class:`SecretError` at once:
    the read never waits for a writer and never reads past the limit.
    """
    try:
        data = read_bounded(file, limit=SECRET_FILE_LIMIT)
    except FileReadError as exc:
        raise SecretError(f"secret file {file} {_unreadable(exc)}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SecretError(f"secret file {file} is not UTF-8 text") from exc


def _unreadable(exc: FileReadError) -> str:
    if exc.problem is FileProblem.MISSING:
        return "does not exist"
    if exc.problem is FileProblem.PERMISSION:
        return "is not readable by this user"
    if exc.problem is FileProblem.FOLDER:
        return "is a directory"
    if exc.problem is FileProblem.TOO_LARGE:
        return f"{exc.message}: a secret is far shorter, is it the right file?"
    if exc.problem is FileProblem.NOT_REGULAR:
        return exc.message
    return f"cannot be read: {exc.message}"


def secret_file_problem(
    file: str, intent_dir: Path, *, environ: Mapping[str, str] | None = None
) -> str | None:
    """Why an intent file in ``intent_dir`` may not name ``file`` as a secret, or ``None``.

    The file, once symbolic links are followed, must be in the intent file's
    folder (or below it) or in a folder named by ``SPRMON_SECRETS_DIR``.
    Otherwise whoever writes an intent could have sprmon send any file it can
    read (``/etc/shadow``, a private key) as a community to any address.
    Only paths are compared: the file need not exist yet.
    """
    env = os.environ if environ is None else environ
    extra = [Path(p) for p in env.get(SECRETS_DIR_ENV, "").split(os.pathsep) if p.strip()]
    real = Path(os.path.realpath(file))
    for root in (intent_dir, *extra):
        if real.is_relative_to(os.path.realpath(root)):
            return None
    # Name the file as written and, when links or ".." lead elsewhere, where it is.
    link = f" (that is, {real})" if str(real) != file else ""
    where = f"the intent file's folder ({intent_dir})"
    if extra:
        where += f" or a folder in {SECRETS_DIR_ENV} ({env[SECRETS_DIR_ENV]})"
    return (
        f"secret file {file}{link} is outside {where}: keep secret files next to the intent, "
        f"or name their folder in the environment variable {SECRETS_DIR_ENV}"
    )
