"""``load_config``: read an intent file, check everything, split it into policy and inventory.

``load_intent`` is the same for callers that only judge (the policy alone).
"""

from __future__ import annotations

from pathlib import Path

from sprmon.core.intent import Intent
from sprmon.intentfile.compiler import compile_intent
from sprmon.intentfile.loaded import LoadedIntent
from sprmon.intentfile.problems import IntentFileError, Problem, Problems
from sprmon.intentfile.yamlsource import parse_yaml


def load_intent(path: Path) -> Intent:
    """The policy of the intent file at ``path``; see :func:`load_config`."""
    return load_config(path).intent


def load_config(path: Path) -> LoadedIntent:
    """Load and validate the intent file at ``path`` (and the CSV file it names).

    Returns the policy, the inventory (how to reach each router) and the MQTT
    broker, all from the one file. Raises :class:`IntentFileError` listing
    every problem found, for any input that is not a valid intent: a missing or
    unreadable file, invalid YAML or CSV, or content that breaks the rules of
    docs/intent-file.md.
    """
    file = str(path)
    text = _read_text(path, file)
    problems = Problems()
    document = parse_yaml(text, file, problems)
    loaded = None
    if document is not None:
        loaded = compile_intent(
            document, file=file, base_dir=path.parent.absolute(), problems=problems
        )
    if problems or loaded is None:
        raise IntentFileError(problems.sorted(file))
    return loaded


def _read_text(path: Path, file: str) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise IntentFileError([Problem(file, None, "", "file not found")]) from exc
    except IsADirectoryError as exc:
        raise IntentFileError([Problem(file, None, "", "is a folder, not a file")]) from exc
    except PermissionError as exc:
        raise IntentFileError(
            [Problem(file, None, "", "permission denied: cannot read the file")]
        ) from exc
    except OSError as exc:
        raise IntentFileError(
            [Problem(file, None, "", f"cannot read the file: {exc.strerror or exc}")]
        ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise IntentFileError(
            [Problem(file, line, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x})")]
        ) from exc
