"""``load_intent``: read an intent file, check everything, build the core intent."""

from __future__ import annotations

from pathlib import Path

from sprmon.core.intent import Intent
from sprmon.intentfile.compiler import compile_intent
from sprmon.intentfile.problems import IntentFileError, Problem, Problems
from sprmon.intentfile.yamlsource import parse_yaml


def load_intent(path: Path) -> Intent:
    """Load and validate the intent file at ``path`` (and the CSV file it names).

    Raises :class:`IntentFileError` listing every problem found, for any
    input that is not a valid intent: a missing or unreadable file, invalid
    YAML or CSV, or content that breaks the rules of docs/intent-file.md.
    """
    file = str(path)
    text = _read_text(path, file)
    problems = Problems()
    document = parse_yaml(text, file, problems)
    intent = None
    if document is not None:
        intent = compile_intent(
            document, file=file, base_dir=path.parent.absolute(), problems=problems
        )
    if problems or intent is None:
        raise IntentFileError(problems.sorted(file))
    return intent


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
