"""``load_config``: read an intent file, check everything, split it into policy and inventory.

``load_intent`` is the same for callers that only judge (the policy alone).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sprmon.boundedfile import FileProblem, FileReadError, read_bounded
from sprmon.core.intent import Intent
from sprmon.intentfile.compiler import compile_intent
from sprmon.intentfile.loaded import LoadedIntent, SourceFile
from sprmon.intentfile.problems import IntentFileError, Problem, Problems
from sprmon.intentfile.yamlsource import MAX_VALUES, parse_yaml

#: An intent file holds a fleet's policy; its sites, past a few thousand, go
#: in a sites_csv file. The 10,000-site example's YAML takes 2 KB; the most
#: values a YAML document may hold (MAX_VALUES) fit in well under this.
MAX_INTENT_BYTES = 2 * 1024 * 1024


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
    data = _read(path, file)
    text = _decode(data, file)
    problems = Problems()
    document = parse_yaml(text, file, problems)
    loaded = None
    if document is not None:
        loaded = compile_intent(
            document, file=file, base_dir=path.parent.absolute(), problems=problems
        )
    if problems or loaded is None:
        raise IntentFileError(problems.sorted(file))
    intent_file = SourceFile.read_as(str(path.absolute()), data)
    sources = (intent_file, *loaded.provenance.sources)
    return replace(loaded, provenance=replace(loaded.provenance, sources=sources))


def _read(path: Path, file: str) -> bytes:
    try:
        return read_bounded(path, limit=MAX_INTENT_BYTES)
    except FileReadError as exc:
        raise IntentFileError([Problem(file, None, "", _unreadable(exc))]) from exc


def _decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise IntentFileError(
            [Problem(file, line, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x})")]
        ) from exc


def _unreadable(exc: FileReadError) -> str:
    if exc.problem is FileProblem.MISSING:
        return "file not found"
    if exc.problem is FileProblem.FOLDER:
        return "is a folder, not a file"
    if exc.problem is FileProblem.PERMISSION:
        return "permission denied: cannot read the file"
    if exc.problem is FileProblem.TOO_LARGE:
        return (
            f"the file {exc.message}: an intent file holds at most {MAX_VALUES:,} values "
            "and needs far less; put a large fleet's sites in a sites_csv file"
        )
    if exc.problem is FileProblem.NOT_REGULAR:
        return f"the file {exc.message}"
    return f"cannot read the file: {exc.message}"
