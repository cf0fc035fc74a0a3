"""The intent file: YAML (plus an optional CSV of sites) to :class:`sprmon.core.intent.Intent`.

The format is described in docs/intent-file.md. :func:`load_intent` either
returns a fully expanded, validated intent or raises :class:`IntentFileError`
whose ``problems`` list everything wrong, each as ``FILE:LINE: field: message``.
"""

from sprmon.intentfile.loader import load_intent
from sprmon.intentfile.problems import IntentFileError, Problem

__all__ = ["IntentFileError", "Problem", "load_intent"]
