"""What one intent file holds: the policy, the inventory, and where events go."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sprmon.core.intent import Intent
from sprmon.inventory import Inventory, MqttTarget

__all__ = ["LoadedIntent", "Provenance", "SourceFile"]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file an intent was compiled from: its absolute path and the SHA-256 of the
    bytes that were compiled (what :mod:`sprmon.intentfile.cache` compares)."""

    path: str
    sha256: bytes

    @classmethod
    def read_as(cls, path: str, content: bytes) -> SourceFile:
        """The record of ``content``, read from ``path``."""
        return cls(path, hashlib.sha256(content).digest())


@dataclass(frozen=True, slots=True)
class Provenance:
    """What a load depended on besides sprmon's code: the files it read (the intent
    file first) and the secret files the secret-file policy let it name (the policy
    follows links and reads ``SPRMON_SECRETS_DIR``, which may change)."""

    sources: tuple[SourceFile, ...] = ()
    secret_files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LoadedIntent:
    """An intent file, split: the policy the core judges, and how the adapters reach things.

    ``intent`` is what must be true (:class:`~sprmon.core.intent.Intent`);
    ``inventory`` how to reach each site's router (the collectors' settings);
    ``mqtt`` the broker ``sprmon run`` publishes to (None: no MQTT);
    ``provenance`` what it was read from (not part of what it means: two loads
    of equal content are equal).
    """

    intent: Intent
    inventory: Inventory = field(default_factory=Inventory)
    mqtt: MqttTarget | None = None
    provenance: Provenance = field(default_factory=Provenance, compare=False)
