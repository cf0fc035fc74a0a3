"""What one intent file holds: the policy, the inventory, and where events go."""

from __future__ import annotations

from dataclasses import dataclass, field

from sprmon.core.intent import Intent
from sprmon.inventory import Inventory, MqttTarget

__all__ = ["LoadedIntent"]


@dataclass(frozen=True, slots=True)
class LoadedIntent:
    """An intent file, split: the policy the core judges, and how the adapters reach things.

    ``intent`` is what must be true (:class:`~sprmon.core.intent.Intent`);
    ``inventory`` how to reach each site's router (the collectors' settings);
    ``mqtt`` the broker ``sprmon run`` publishes to (None: no MQTT).
    """

    intent: Intent
    inventory: Inventory = field(default_factory=Inventory)
    mqtt: MqttTarget | None = None
