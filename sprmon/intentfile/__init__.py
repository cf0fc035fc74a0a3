"""The intent file: YAML (plus an optional CSV of sites) to :class:`sprmon.core.intent.Intent`.

The format is described in docs/intent-file.md. :func:`load_config` either
returns a fully expanded, validated file, split into the policy
(:class:`~sprmon.core.intent.Intent`), the inventory
(:class:`~sprmon.inventory.Inventory`) and the MQTT broker, or raises
:class:`IntentFileError` whose ``problems`` list everything wrong, each as
``FILE:LINE: field: message``. :func:`load_intent` returns the policy alone.
"""

from sprmon.intentfile.loaded import LoadedIntent
from sprmon.intentfile.loader import load_config, load_intent
from sprmon.intentfile.problems import IntentFileError, Problem

__all__ = ["IntentFileError", "LoadedIntent", "Problem", "load_config", "load_intent"]
