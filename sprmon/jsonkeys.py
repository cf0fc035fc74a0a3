"""Find a key that one JSON object gives twice.

JSON parsers (pydantic's, the standard library's) keep the last of two equal
keys without a word: ``{"med": 100, "med": 300}`` reads as MED 300. A file
edited by hand, or by a script that appends, then says one thing and is read
as another. Strict readers (sprmon's snapshot loader) refuse such a file.

Parsing a large file a second time to see every key costs about as much as
loading it. A reader that has validated the file can usually prove it free of
duplicates for almost nothing (:func:`strings_at_most`), and only call
:func:`find_duplicate_key` when it cannot.
"""

from __future__ import annotations

import json

#: One step into a JSON document: an object key or an array index.
JsonPath = tuple[int | str, ...]


def strings_at_most(raw: bytes) -> int:
    """At least as many as the strings, keys and values, in the valid JSON ``raw``.

    Every string is two quotes; an escaped quote inside one only adds. A key
    given twice is one string more than the document's objects hold once
    validated: so when a reader counts, in its validated objects, at least this
    many strings (distinct keys and string values), no key can be there twice.
    One C pass over the bytes.
    """
    return raw.count(b'"') // 2


class _Duplicate(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, object]]) -> None:
    if len(pairs) != len(dict(pairs)):
        raise _Duplicate


def find_duplicate_key(raw: bytes | str) -> tuple[JsonPath, str] | None:
    """Where the first repeated key is (its path, the key itself), or ``None``.

    ``raw`` must be valid JSON (check it first). The standard library's parser
    hands each object's pairs over before they become a dict; keeping none of
    them makes this pass cheap (about a third of what pydantic takes to load a
    snapshot). Only a document with a duplicate pays for finding where it is.
    """
    try:
        json.loads(raw, object_pairs_hook=_no_duplicates)
    except _Duplicate:
        return _first_duplicate(json.loads(raw, object_pairs_hook=list), ())
    return None


def _first_duplicate(value: object, where: JsonPath) -> tuple[JsonPath, str] | None:
    """In a document whose objects are lists of (key, value) pairs."""
    if isinstance(value, list) and value and all(isinstance(p, tuple) for p in value):
        seen: set[str] = set()
        for key, _item in value:
            if key in seen:
                return (*where, key), key
            seen.add(key)
        items: list[tuple[int | str, object]] = list(value)
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return None
    for step, item in items:
        found = _first_duplicate(item, (*where, step))
        if found is not None:
            return found
    return None
