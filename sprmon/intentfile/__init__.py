"""The intent file: YAML (plus an optional CSV of sites) to :class:`sprmon.core.intent.Intent`.

The format is described in docs/intent-file.md. :func:`load_config` either
returns a fully expanded, validated file, split into the policy
(:class:`~sprmon.core.intent.Intent`), the inventory
(:class:`~sprmon.inventory.Inventory`) and the MQTT broker, or raises
:class:`IntentFileError` whose ``problems`` list everything wrong, each as
``FILE:LINE: field: message``. :func:`load_intent` returns the policy alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sprmon.intentfile.loaded import LoadedIntent
from sprmon.intentfile.problems import IntentFileError, Problem

if TYPE_CHECKING:
    from sprmon.intentfile.loader import load_config, load_intent

__all__ = ["IntentFileError", "LoadedIntent", "Problem", "load_config", "load_intent"]


def __getattr__(name: str) -> object:
    # The loader brings pydantic and ruamel.yaml, most of a one-off check's start-up:
    # importing this package for its types (or the cache) must not load them.
    if name in ("load_config", "load_intent"):
        from sprmon.intentfile import loader  # noqa: PLC0415

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
