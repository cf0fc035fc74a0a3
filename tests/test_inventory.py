"""The inventory: how to reach each site's router, apart from the policy."""

from __future__ import annotations

import pytest

from sprmon.inventory import GnmiTarget, Inventory, RouterAccess, SnmpTarget

SNMP = SnmpTarget(host="127.0.0.1", port=16101)
GNMI = GnmiTarget(host="127.0.0.1", port=57401)


def test_a_site_is_reached_through_its_targets_and_a_site_it_lacks_through_none() -> None:
    inventory = Inventory({"a": RouterAccess(snmp=SNMP), "b": RouterAccess(gnmi=GNMI)})
    assert (inventory.snmp("a"), inventory.gnmi("a")) == (SNMP, None)
    assert (inventory.snmp("b"), inventory.gnmi("b")) == (None, GNMI)
    assert inventory.access("gone") == RouterAccess()
    assert (inventory.snmp("gone"), inventory.gnmi("gone")) == (None, None)
    assert list(inventory) == ["a", "b"]


def test_the_inventory_cannot_be_changed_after_it_is_built() -> None:
    source = {"a": RouterAccess(snmp=SNMP)}
    inventory = Inventory(source)
    source["b"] = RouterAccess(gnmi=GNMI)
    assert "b" not in inventory
    with pytest.raises(TypeError):
        inventory["b"] = RouterAccess()  # type: ignore[index]
    changed = inventory.replace("a", RouterAccess(gnmi=GNMI))
    assert (inventory.snmp("a"), changed.snmp("a"), changed.gnmi("a")) == (SNMP, None, GNMI)


def test_two_inventories_with_the_same_access_are_equal() -> None:
    assert Inventory({"a": RouterAccess(snmp=SNMP)}) == Inventory([("a", RouterAccess(snmp=SNMP))])
    assert Inventory({"a": RouterAccess(snmp=SNMP)}) != Inventory({"a": RouterAccess(gnmi=GNMI)})
