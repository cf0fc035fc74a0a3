"""Sites from a CSV file: one row per site, columns are dotted paths into a site.

``name,group,address,snmp.port,links.mpls.neighbors`` builds, for each row,
the same mapping a site in the YAML file would be. The header is checked once
against the site schema, so a misspelt column is one problem, not one per row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from sprmon.boundedfile import FileProblem, FileReadError, format_size, read_bounded
from sprmon.intentfile.loaded import SourceFile
from sprmon.intentfile.problems import FieldPath, Problems, Scope, quote
from sprmon.intentfile.schema import (
    LIST_FIELDS,
    SiteSpec,
    is_mapping_type,
    keys_at,
    type_at,
    unknown_key_message,
)

#: The most sites one CSV file may hold: ten times the 10,000-site example
#: (examples/large), which loads in about 1.4 s of CPU (bench/README.md);
#: 100,000 rows took 13 s and 280 MB. Past this the file is refused as soon
#: as the row is read, before any row is checked.
MAX_CSV_ROWS = 100_000
#: 330 bytes a row at the row limit; the example's rows take 63.
MAX_CSV_BYTES = 32 * 1024 * 1024


class SitesCsvUnreadable(Exception):
    """The sites CSV file cannot be read at all; ``str()`` says why, without its name."""


@dataclass(frozen=True, slots=True)
class CsvRow:
    #: 1-based line where the row starts.
    line: int
    #: The row as a nested site mapping (cells that were empty are absent).
    data: dict[str, object]


def read_sites_csv(
    path: Path,
    display: str,
    link_names: Collection[str] | None,
    problems: Problems,
    *,
    sources: list[SourceFile] | None = None,
) -> list[CsvRow] | None:
    """Read the rows; ``None`` (and problems) if the file cannot be used at all.

    ``link_names`` (``None`` when the intent's links are themselves broken)
    lets a column such as ``links.mlps.capacity`` be reported once, here.
    What was read is recorded in ``sources``, if given.
    Raises :class:`SitesCsvUnreadable` when the file cannot be read: missing,
    a folder, a FIFO or device, or larger than :data:`MAX_CSV_BYTES`.
    """
    try:
        content = read_bounded(path, limit=MAX_CSV_BYTES)
    except FileReadError as exc:
        raise SitesCsvUnreadable(_unreadable(exc)) from exc
    if sources is not None:
        sources.append(SourceFile.read_as(str(path), content))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add_file(display, None, f"not UTF-8 text ({exc.reason})")
        return None
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        for cells in reader:
            if len(records) > MAX_CSV_ROWS:
                problems.add_file(
                    display,
                    start,
                    f"more than {MAX_CSV_ROWS:,} rows: sprmon reads at most {MAX_CSV_ROWS:,} "
                    "sites from one CSV file",
                )
                return None
            records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.add_file(display, start, f"CSV syntax error: {exc}")
        return None
    if not records:
        problems.add_file(display, None, "the file is empty: expected a header row (name,...)")
        return None
    columns = _columns(records[0][1], display, link_names, problems)
    if columns is None:
        return None
    rows: list[CsvRow] = []
    for line, cells in records[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            problems.add_file(
                display, line, f"row has {len(cells)} cells but the header has {len(columns)}"
            )
            continue
        data: dict[str, object] = {}
        for column, cell in zip(columns, cells, strict=True):
            value = cell.strip()
            if column is None or not value:
                continue
            item: object = value
            if column[-1] in LIST_FIELDS:
                item = [part.strip() for part in value.split(";") if part.strip()]
            _put(data, column, item)
        rows.append(CsvRow(line=line, data=data))
    return rows


def _unreadable(exc: FileReadError) -> str:
    if exc.problem is FileProblem.MISSING:
        return "file not found"
    if exc.problem is FileProblem.FOLDER:
        return "it is a folder"
    if exc.problem is FileProblem.TOO_LARGE:
        return (
            f"the file {exc.message}: {MAX_CSV_ROWS:,} sites, the most one CSV file may "
            f"hold, take far less ({format_size(MAX_CSV_BYTES)} is 330 bytes a site)"
        )
    if exc.problem is FileProblem.NOT_REGULAR:
        return f"it {exc.message}"
    return exc.message


def _columns(
    header: list[str], display: str, link_names: Collection[str] | None, problems: Problems
) -> list[FieldPath | None] | None:
    """Each column's path, ``None`` for a bad column (reported, then ignored)."""
    scope = Scope(file=display, lines={}, fallback_line=1)
    if "name" not in (cell.strip() for cell in header):
        # Then this is not a sites file at all (a secret file, a log): its
        # first line is no header, and must not be quoted column by column.
        problems.add(scope, (), "no 'name' column: every site needs a name")
        return None
    columns: list[FieldPath | None] = []
    seen: set[str] = set()
    for cell in header:
        name = cell.strip()
        message = _column_problem(name, link_names)
        if message is None and name in seen:
            message = "column given twice"
        seen.add(name)
        if message is None:
            columns.append(tuple(name.split(".")))
        else:
            problems.add(scope, (name,) if name else (), message)
            columns.append(None)
    return columns


def _column_problem(name: str, link_names: Collection[str] | None) -> str | None:
    if not name:
        return "empty column name in the header"
    path = tuple(name.split("."))
    if not all(path):
        return "a column is a dotted path such as links.mpls.capacity"
    if path[0] == "labels":
        return None if len(path) == 2 else "a label column is labels.NAME"
    role = path[1] if path[0] == "links" and len(path) > 1 else None
    if role is not None and link_names is not None and role not in link_names:
        return f"unknown link '{role}' (defined links: {', '.join(sorted(link_names))})"
    for depth in range(len(path)):
        if type_at(SiteSpec, path[: depth + 1]) is None:
            return unknown_key_message(path[depth], sorted(keys_at(SiteSpec, path[:depth])))
    if is_mapping_type(type_at(SiteSpec, path)):
        fields = sorted(keys_at(SiteSpec, path))
        example = f"{name}.{fields[0]}" if fields else f"{name}.NAME"
        return (
            f"{quote(name)} is a section, not a value: give its fields as columns, e.g. {example}"
        )
    return None


def _put(data: dict[str, object], path: FieldPath, value: object) -> None:
    current = data
    for step in path[:-1]:
        child = current.setdefault(str(step), {})
        # The header check guarantees no column is both a value and a section.
        assert isinstance(child, dict)
        current = child
    current[str(path[-1])] = value
