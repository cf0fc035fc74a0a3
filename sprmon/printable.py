"""Text from the network made safe to print: every renderer and log line goes through here.

Site names, interface names and error texts come from intent files, snapshots
and SNMP agents. Printed raw, an ESC starts a terminal escape sequence (a
report that rewrites itself, a title bar changed), a CR overwrites the start
of its line, a U+202E reverses what follows (a ``drift`` read backwards),
and a NUL or an ESC makes JUnit XML that no parser accepts. A lone surrogate
(JSON's ``"\\ud800"``) cannot even be encoded to UTF-8.

The rule is Python's own for ``repr``: a character that :meth:`str.isprintable`
refuses (Unicode's "Other" and "Separator" categories, but the ASCII space) is
written as its escape, ``\\x1b``, ``\\n``, ``\\u2028``, ``\\U000e0001``; every
other character is kept, so names in any script print as themselves. The
result is printable, so escaping twice changes nothing. A backslash is kept as
it is: the aim is a safe terminal and well-formed XML, not a reversible
encoding (the JSON output keeps the exact text).
"""

from __future__ import annotations

import re

__all__ = ["json_printable", "printable"]

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
#: What may need escaping: runs of anything but printable ASCII (a fast scan in C;
#: a run, not a character, so that a name in another script is one check).
_NOT_ASCII_PRINTABLE = re.compile(r"[^ -~]+")
#: In a JSON document the only structural characters outside that range are
#: newlines (indentation), and json.dumps already escapes the C0 controls in strings.
_JSON_CANDIDATE = re.compile(r"[^\n -~]+")


def _escape(char: str) -> str:
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _text_escape(match: re.Match[str]) -> str:
    run = match.group()
    if run.isprintable():
        return run
    return "".join(char if char.isprintable() else _escape(char) for char in run)


def printable(text: str) -> str:
    """``text`` with every character that is not printable written as its escape."""
    if text.isprintable():
        return text
    return _NOT_ASCII_PRINTABLE.sub(_text_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    run = match.group()
    if run.isprintable():
        return run
    return "".join(_json_char(char) for char in run)


def _json_char(char: str) -> str:
    if char.isprintable():
        return char
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    # JSON spells a character past the BMP as its UTF-16 surrogate pair.
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_printable(document: str) -> str:
    """A ``json.dumps(..., ensure_ascii=False)`` text with its unprintable characters escaped.

    ``json.dumps`` escapes the C0 controls but writes DEL, the C1 controls,
    U+2028, bidirectional controls and lone surrogates as they are. Escaped
    as ``\\uXXXX`` they decode to the same strings: the document means the
    same, and prints and encodes safely.
    """
    # The common cases at C speed: plain ASCII (json.dumps escaped every other
    # control), or names in other scripts but nothing to escape.
    if (document.isascii() and "\x7f" not in document) or document.replace("\n", "").isprintable():
        return document
    return _JSON_CANDIDATE.sub(_json_escape, document)
