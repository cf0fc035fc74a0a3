"""Column walks against a real (misbehaving) agent: how many rows a GETBULK asks for,
and agents that refuse big answers. The walk's decisions one by one: test_walk_scripted.py."""

from __future__ import annotations

import pytest

from sprmon.collector.client import SnmpClient
from sprmon.collector.errors import SnmpAgentError
from sprmon.collector.mibs import IF_COLUMNS_HC
from sprmon.collector.walk import walk
from sprmon.smi import Oid, SnmpValue
from tests.peers.bad_agent import Fault, router_objects, run_bad_agent
from tests.peers.sites import snmp_site

pytestmark = pytest.mark.peer

ROWS = 6


async def _walk(
    fault: Fault = Fault.NONE,
    *,
    expected_rows: int | None = None,
    max_varbinds: int = 64,
    agent_limit: int = 1000,
) -> tuple[dict[Oid, dict[Oid, SnmpValue]], int, int]:
    """Walk the interface columns of a bad agent that answers at most
    ``agent_limit`` values; return the rows, requests and varbinds received."""
    objects = router_objects(interfaces=ROWS)
    async with (
        run_bad_agent(objects, fault=fault, max_varbinds=agent_limit) as agent,
        SnmpClient() as client,
    ):
        target = snmp_site("r1", agent.host, agent.port).target
        assert target is not None
        async with client.session(target) as session:
            rows = await walk(
                session,
                IF_COLUMNS_HC,
                max_rows=1000,
                max_repetitions=25,
                max_varbinds=max_varbinds,
                expected_rows=expected_rows,
            )
        return rows, session.stats.requests, session.stats.varbinds


@pytest.mark.parametrize("expected_rows", [None, 0, 2, ROWS, 40])
async def test_every_row_is_read_whatever_the_expected_row_count(
    community: str, expected_rows: int | None
) -> None:
    rows, _, _ = await _walk(expected_rows=expected_rows, max_varbinds=1000)

    assert {len(column) for column in rows.values()} == {ROWS}


async def test_the_right_expected_count_reads_the_table_in_one_request_with_one_extra_row(
    community: str,
) -> None:
    _, requests, varbinds = await _walk(expected_rows=ROWS, max_varbinds=1000)

    assert requests == 1
    assert varbinds == len(IF_COLUMNS_HC) * (ROWS + 1)


async def test_too_big_answers_halve_the_repetitions_until_they_fit(community: str) -> None:
    # The agent takes at most 20 values a response: 11 columns fit once per request.
    rows, requests, _ = await _walk(Fault.TOO_BIG, agent_limit=20)

    assert {len(column) for column in rows.values()} == {ROWS}
    assert requests > ROWS


async def test_too_big_for_even_one_repetition_is_an_error(community: str) -> None:
    async with (
        run_bad_agent(
            router_objects(interfaces=ROWS), fault=Fault.TOO_BIG, max_varbinds=5
        ) as agent,
        SnmpClient() as client,
    ):
        target = snmp_site("r1", agent.host, agent.port).target
        assert target is not None
        async with client.session(target) as session:
            with pytest.raises(SnmpAgentError, match=f"agent {agent.address} answered tooBig"):
                await walk(session, IF_COLUMNS_HC, max_rows=1000, max_repetitions=25)
