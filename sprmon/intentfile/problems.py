"""What is wrong with an intent file, said so that a person can fix it.

Every problem names a file, a line and a field path, in the shape compilers use
(``FILE:LINE: field.path: message``) so that editors and CI logs link to it.
The loader collects all problems before it gives up: fixing an intent file one
error per run is slow when it describes thousands of sites.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sprmon.printable import printable

#: One step into a document: a mapping key or a list index.
PathItem = str | int
#: Where a value sits in a document, e.g. ``("applications", "legacy", "links", 1)``.
FieldPath = tuple[PathItem, ...]


#: The most characters of a value a message quotes. A value can be anything
#: the file holds, a whole secret or a whole document when the wrong file is
#: given as an intent: a message names it, it does not copy it.
QUOTE_MAX = 32


def excerpt(text: str, limit: int = QUOTE_MAX) -> str:
    """``text`` as a message shows it: at most ``limit`` characters, each printable.

    Control and other unprintable characters are escaped (``\\x1b``, by
    :func:`sprmon.printable.printable`), so that a message cannot rewrite a
    terminal; a longer text is cut and says how long it was.
    """
    shown = printable(text if len(text) <= limit else text[: limit - 3])
    if len(text) > limit:
        return f"{shown}... ({len(text):,} characters)"
    return shown


def quote(text: str) -> str:
    """``text`` quoted in a message: ``'branch-01'``, or an escaped, shortened excerpt."""
    return f"'{excerpt(text)}'"


def render_path(path: FieldPath) -> str:
    """``("applications", "legacy", "links", 1)`` -> ``applications.legacy.links[1]``."""
    text = ""
    for item in path:
        if isinstance(item, int):
            text += f"[{item}]"
        else:
            # Keys come from the file: a key is named, never copied whole.
            key = excerpt(item)
            text += f".{key}" if text else key
    return text


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an intent file (or the CSV file it names).

    ``line`` is 1-based, or ``None`` when the problem concerns the whole file
    (it cannot be read). ``field`` is a dotted path such as
    ``applications.legacy.links[1]``; empty when the problem has no field.
    """

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"


class IntentFileError(Exception):
    """The intent file cannot be used; ``problems`` lists everything found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        source = self.problems[0].file if self.problems else "intent file"
        lines = [f"{count} problem{'s' if count != 1 else ''} in {source}:"]
        lines.extend(f"  {problem}" for problem in self.problems)
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class Scope:
    """Turns a path relative to one part of a document into a file, line and field.

    ``lines`` maps absolute paths (from the document root) to 1-based lines;
    ``base`` is where this scope's data sits. A path that is not in ``lines``
    (a missing key, a value inside a CSV row) takes the line of its nearest
    ancestor that is, else ``fallback_line``. ``label`` replaces ``base`` in
    field names, so that a site reads ``sites[branch-01]`` rather than
    ``sites[0]``.
    """

    file: str
    lines: Mapping[FieldPath, int]
    base: FieldPath = ()
    label: str = ""
    fallback_line: int | None = None

    def line(self, rel: FieldPath = ()) -> int | None:
        path = self.base + rel
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return self.fallback_line

    def field(self, rel: FieldPath = ()) -> str:
        rest = render_path(rel)
        if not self.label:
            return rest
        if not rest:
            return self.label
        return self.label + rest if rest.startswith("[") else f"{self.label}.{rest}"

    def child(self, rel: FieldPath, label: str | None = None) -> Scope:
        """The scope of a value inside this one; by default labelled with its path."""
        return Scope(
            file=self.file,
            lines=self.lines,
            base=self.base + rel,
            label=self.field(rel) if label is None else label,
            fallback_line=self.fallback_line,
        )


@dataclass(slots=True)
class Problems:
    """Collects problems while the loader carries on looking for more."""

    items: list[Problem] = field(default_factory=list)

    def add(self, scope: Scope, rel: FieldPath, message: str) -> None:
        self.items.append(Problem(scope.file, scope.line(rel), scope.field(rel), message))

    def add_file(self, file: str, line: int | None, message: str) -> None:
        self.items.append(Problem(file, line, "", message))

    def __len__(self) -> int:
        return len(self.items)

    def sorted(self, first_file: str) -> tuple[Problem, ...]:
        """Deduplicated, the intent file's own problems first, then by line."""
        unique = dict.fromkeys(self.items)
        return tuple(
            sorted(
                unique,
                key=lambda p: (p.file != first_file, p.file, p.line or 0),
            )
        )
