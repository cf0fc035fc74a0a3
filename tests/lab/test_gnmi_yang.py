"""What the lab's gNMI targets send, judged by the OpenConfig YANG models.

pygnmi reads the targets; the pyangbind classes of ``ocbindings`` (generated
from the OpenConfig models) load every JSON_IETF value and must serialise it
back the same (see ``gnmi_helpers.validate``). A wrong name, key, type or
encoding fails here.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from sprmon.lab import Lab, run_lab
from sprmon.lab.gnmi.tree import render
from sprmon.lab.plan import INET, MPLS, plan_site
from tests.lab.gnmi_helpers import BGP, bindings, connect, parse_path, validate, wrap
from tests.lab.helpers import FakeClock

pytestmark = [pytest.mark.peer, pytest.mark.slow]

FROZEN = 3600.0
MPLS_PEER = plan_site(1).link(MPLS).core_address
RIB = f"{BGP}/rib"


@pytest.fixture(scope="module", autouse=True)
def openconfig_models() -> None:
    """Import the bindings once per module (several seconds), outside any test's event loop."""
    bindings()


@pytest.fixture
async def lab(clock: FakeClock, tmp_path: Path) -> AsyncIterator[Lab]:
    async with run_lab(
        sites=2, seed=9, clock=clock, tick=FROZEN, control=False, protocols="snmp,gnmi"
    ) as running:
        # Every kind of state a collector meets: a drift, a withdrawn prefix,
        # a link down, counters that jumped.
        running.inject("site-001", "med-drift", MPLS)
        running.inject("site-001", "withdraw", INET, prefix="2001:db8:10::/48")
        running.inject("site-002", "link-down", MPLS)
        running.inject("site-002", "counter-wrap")
        clock.advance(2)
        running.tick()
        yield running


async def get(lab: Lab, site: str, paths: list[str]) -> list[tuple[str | None, Any]]:
    """(path, value) of every update of a JSON_IETF Get, through pygnmi."""

    def read() -> Any:
        gnmi = connect(lab, site)
        try:
            return gnmi.get(path=paths, encoding="json_ietf")
        finally:
            gnmi.close()

    response = await asyncio.to_thread(read)
    return [(u["path"], u["val"]) for n in response["notification"] for u in n["update"]]


async def test_a_get_of_everything_is_valid_openconfig(lab: Lab) -> None:
    ((where, document),) = await get(lab, "site-001", ["/"])
    assert where is None
    validate(document)
    routes = document["openconfig-network-instance:network-instances"]["network-instance"][0]
    assert routes["protocols"]["protocol"][0]["bgp"]["rib"]["afi-safis"]["afi-safi"]


#: Paths a collector asks for, each answered with a subtree somewhere in the models.
REQUESTS = [
    "/system/state",
    "/interfaces/interface[name=eth1]",
    "/interfaces/interface/state/counters",
    "/interfaces/interface[name=eth2]/ethernet/state/port-speed",
    f"/{BGP}/global/state",
    f"/{BGP}/neighbors/neighbor[neighbor-address={MPLS_PEER}]/state",
    f"/{RIB}/attr-sets",
    f"/{RIB}/communities/community",
    f"/{RIB}/afi-safis/afi-safi[afi-safi-name=IPV4_UNICAST]/ipv4-unicast/loc-rib/routes",
    f"/{RIB}/afi-safis/afi-safi[afi-safi-name=IPV6_UNICAST]/ipv6-unicast/loc-rib/routes/"
    f"route[prefix=2001:db8:21::/48][origin={MPLS_PEER}][path-id=0]/state",
    f"/{RIB}/afi-safis/afi-safi[afi-safi-name=IPV6_UNICAST]/ipv6-unicast/neighbors",
]


async def test_each_get_response_is_valid_openconfig_where_it_belongs(lab: Lab) -> None:
    updates = await get(lab, "site-001", REQUESTS)
    assert len(updates) >= len(REQUESTS)
    # One document holding every answer at its place: one load into the models
    # (a network instance's bindings take seconds to build).
    document: dict[str, Any] = {}
    for where, value in updates:
        merge(document, wrap(parse_path(where), value))
    validate(document)


async def test_every_leaf_a_subscription_sends_is_valid_openconfig(lab: Lab) -> None:
    def read() -> list[dict[str, Any]]:
        gnmi = connect(lab, "site-002")
        try:
            subscriber = gnmi.subscribe_once(
                {"subscription": [{"path": "/"}], "encoding": "json_ietf"}
            )
            return list(subscriber)
        finally:
            gnmi.close()

    messages = await asyncio.to_thread(read)
    assert messages[-1] == {"sync_response": True}
    document: dict[str, Any] = {}
    leaves = 0
    for message in messages[:-1]:
        prefix = parse_path(message["update"].get("prefix"))
        for update in message["update"]["update"]:
            merge(document, wrap([*prefix, *parse_path(update["path"])], update["val"]))
            leaves += 1
    validate(document)
    assert leaves == len(render(lab.model, "site-002")), "every leaf of the router"


def merge(into: dict[str, Any], document: dict[str, Any]) -> None:
    """Add ``document`` (from :func:`wrap`) into ``into``; list entries meet by their keys."""
    for member, value in document.items():
        if isinstance(value, dict):
            merge(into.setdefault(member, {}), value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            entries = into.setdefault(member, [])
            for entry in value:
                keys = {k: _key(v) for k, v in entry.items() if not isinstance(v, dict | list)}
                same = next(
                    (e for e in entries if all(_key(e.get(k)) == v for k, v in keys.items())),
                    None,
                )
                if same is None:
                    entries.append(entry)
                else:
                    merge(same, {k: v for k, v in entry.items() if k not in keys})
        else:
            into[member] = value


_IDENTITY = re.compile(r"[a-z][a-z0-9-]*:([A-Z][A-Z0-9_]*)")


def _key(value: Any) -> str:
    """A key as a path gives it: identities without their module (BGP, IPV4_UNICAST)."""
    text = str(value)
    match = _IDENTITY.fullmatch(text)
    return match.group(1) if match else text
