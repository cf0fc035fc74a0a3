"""An agent that stops in the middle of a session: every backend and version says so alike.

A closed port was reported as unreachable at once only for a session's first
request over SNMPv3 (pysnmp's engine socket never hears the ICMP port
unreachable; a probe did, once): an agent that stopped after answering it
gave "no answer ... or wrong SNMPv3 privacy key" where SNMPv2c said "ICMP port
unreachable", after every try's timeout.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from sprmon.collector.client import SnmpClient
from sprmon.collector.errors import SnmpUnreachable
from sprmon.intentfile import load_config
from sprmon.lab import run_lab
from sprmon.snmp_oids import SYS_UP_TIME

pytestmark = pytest.mark.peer


@pytest.mark.parametrize(
    ("version", "backend"), [("2c", "native"), ("2c", "pysnmp"), ("3", "native")]
)
async def test_an_agent_that_stops_between_two_requests_is_unreachable_at_once(
    tmp_path: Path, version: str, backend: str
) -> None:
    intent_path = tmp_path / "lab" / "intent.yaml"
    async with contextlib.AsyncExitStack() as lab:
        await lab.enter_async_context(
            run_lab(
                sites=1,
                control=False,
                protocols="snmp",
                snmp_version="3" if version == "3" else "2c",
                intent_path=intent_path,
            )
        )
        config = load_config(intent_path)
        target = config.inventory.snmp(config.intent.sites[0].name)
        assert target is not None
        async with (
            SnmpClient(v2c_backend="pysnmp" if backend == "pysnmp" else "native") as client,
            client.session(target) as session,
        ):
            assert len(await session.get_next([SYS_UP_TIME])) == 1
            await lab.aclose()  # the agent stops: its port is closed
            # Unreachable, not a timeout after every try (SnmpTimeout).
            with pytest.raises(SnmpUnreachable) as raised:
                await session.get_next([SYS_UP_TIME])

    assert raised.value.message == (
        f"{session.address} answered ICMP port unreachable: no SNMP agent listens on that port"
    )
