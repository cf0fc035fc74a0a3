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

from sprmon.inventory import SecretRef


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
    path = Path(ref.file)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SecretError(f"secret file {ref.file} does not exist") from exc
    except PermissionError as exc:
        raise SecretError(f"secret file {ref.file} is not readable by this user") from exc
    except IsADirectoryError as exc:
        raise SecretError(f"secret file {ref.file} is a directory") from exc
    except UnicodeDecodeError as exc:
        raise SecretError(f"secret file {ref.file} is not UTF-8 text") from exc
    except OSError as exc:
        raise SecretError(f"secret file {ref.file} cannot be read: {exc.strerror}") from exc
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if text == "":
        raise SecretError(f"secret file {ref.file} is empty")
    return Secret(text)
