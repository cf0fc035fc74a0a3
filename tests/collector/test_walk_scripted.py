"""What a column walk decides, over an in-memory session (no sockets, no agent).

The same walk against real agents: ``test_walk.py`` (a misbehaving agent of
our own) and ``test_snmpd.py`` (Net-SNMP).
"""

from __future__ import annotations

import pytest

from sprmon.collector.errors import (
    SnmpAgentError,
    SnmpNonIncreasingOid,
    SnmpProtocolError,
    SnmpTableTooLarge,
)
from sprmon.collector.walk import walk
from sprmon.smi import Oid, SnmpValue, ValueKind
from sprmon.snmp_oids import SYS_UP_TIME, BgpPathEntry, IfEntry, IfXEntry
from tests.collector.scripted import ScriptedSession, TableSession

SPEED, STATUS, NAME = IfEntry.SPEED, IfEntry.OPER_STATUS, IfXEntry.NAME


def gauge(n: int) -> SnmpValue:
    return SnmpValue(ValueKind.GAUGE32, n)


def integer(n: int) -> SnmpValue:
    return SnmpValue(ValueKind.INTEGER, n)


def interfaces(rows: int) -> dict[Oid, SnmpValue]:
    """ifSpeed and ifOperStatus of ``rows`` interfaces, ifName of each, and
    sysUpTime before them (something outside every walked column)."""
    table: dict[Oid, SnmpValue] = {(*SYS_UP_TIME, 0): SnmpValue(ValueKind.TIMETICKS, 1)}
    for n in range(1, rows + 1):
        table[(*SPEED, n)] = gauge(1000 * n)
        table[(*STATUS, n)] = integer(1)
        table[(*NAME, n)] = SnmpValue(ValueKind.OCTET_STRING, f"eth{n}".encode())
    return table


async def test_columns_walked_side_by_side_come_back_by_row_index() -> None:
    session = TableSession(interfaces(3))

    rows = await walk(session, [SPEED, STATUS], max_rows=100, max_repetitions=25)

    assert rows == {
        SPEED: {(1,): gauge(1000), (2,): gauge(2000), (3,): gauge(3000)},
        STATUS: {(1,): integer(1), (2,): integer(1), (3,): integer(1)},
    }


async def test_a_column_ends_at_the_first_oid_outside_it() -> None:
    # ifSpeed's next object after its last row is ifOperStatus.1: not a fourth speed.
    session = TableSession(interfaces(3))

    rows = await walk(session, [SPEED], max_rows=100, max_repetitions=2)

    assert set(rows[SPEED]) == {(1,), (2,), (3,)}
    assert [request.oids for request in session.requests] == [(SPEED,), ((*SPEED, 2),)]


async def test_the_end_of_the_mib_view_ends_the_last_column() -> None:
    session = TableSession(interfaces(2))

    rows = await walk(session, [NAME], max_rows=100, max_repetitions=25)

    assert set(rows[NAME]) == {(1,), (2,)}
    assert len(session.requests) == 1


async def test_a_column_that_ended_is_not_asked_for_again() -> None:
    table = interfaces(2)
    table.update({(*STATUS, n): integer(2) for n in range(3, 8)})
    session = TableSession(table)

    rows = await walk(session, [SPEED, STATUS], max_rows=100, max_repetitions=3)

    assert len(rows[SPEED]) == 2
    assert len(rows[STATUS]) == 7
    assert [len(request.oids) for request in session.requests] == [2, 1, 1]


@pytest.mark.parametrize(
    "kind", [ValueKind.NO_SUCH_OBJECT, ValueKind.NO_SUCH_INSTANCE, ValueKind.END_OF_MIB_VIEW]
)
async def test_an_exception_value_ends_its_column_and_is_no_row(kind: ValueKind) -> None:
    first = [((*SPEED, 1), gauge(10)), ((*STATUS, 1), integer(1)), ((*SPEED, 2), SnmpValue(kind))]
    second = [
        ((*STATUS, 2), integer(1)),
        ((*STATUS, 3), integer(1)),
        ((*IfEntry.IN_OCTETS, 1), integer(0)),
    ]
    session = ScriptedSession([first, second])

    rows = await walk(session, [SPEED, STATUS], max_rows=100, max_repetitions=25)

    assert rows == {
        SPEED: {(1,): gauge(10)},
        STATUS: {(1,): integer(1), (2,): integer(1), (3,): integer(1)},
    }


async def test_an_oid_that_does_not_increase_stops_the_walk_as_a_loop() -> None:
    session = TableSession(interfaces(4), loop_at=(*SPEED, 2))

    with pytest.raises(SnmpNonIncreasingOid) as caught:
        await walk(session, [SPEED], max_rows=100, max_repetitions=25)

    assert caught.value.message == (
        "agent 192.0.2.1:161 returned an OID that does not increase at "
        "1.3.6.1.2.1.2.2.1.5.2 after 1.3.6.1.2.1.2.2.1.5.2 (walk loop)"
    )


async def test_an_oid_before_the_one_asked_for_is_a_loop_too() -> None:
    session = ScriptedSession([[((*SPEED, 2), gauge(1))], [((*SPEED, 1), gauge(1))]])

    with pytest.raises(SnmpNonIncreasingOid, match=r"at 1\.3\.6\.1\.2\.1\.2\.2\.1\.5\.1 after"):
        await walk(session, [SPEED], max_rows=100, max_repetitions=1)


async def test_max_rows_rows_are_read_and_one_more_is_too_many() -> None:
    table = interfaces(5)

    rows = await walk(TableSession(table), [SPEED], max_rows=5, max_repetitions=25)
    with pytest.raises(SnmpTableTooLarge) as caught:
        await walk(TableSession(table), [SPEED], max_rows=4, max_repetitions=25)

    assert len(rows[SPEED]) == 5
    assert caught.value.message == "ifTable larger than the limit of 4 rows"


async def test_truncated_answers_are_continued_where_they_stopped() -> None:
    # The agent returns at most 4 values per answer, cutting rows in half.
    session = TableSession(interfaces(6), truncate_to=4)

    rows = await walk(session, [SPEED, STATUS, NAME], max_rows=100, max_repetitions=25)

    assert {column: len(values) for column, values in rows.items()} == {
        SPEED: 6,
        STATUS: 6,
        NAME: 6,
    }
    assert len(session.requests) > 1


async def test_each_request_asks_for_about_max_varbinds_values() -> None:
    session = TableSession(interfaces(40))

    await walk(session, [SPEED, STATUS, NAME], max_rows=100, max_repetitions=25, max_varbinds=30)

    assert {request.max_repetitions for request in session.requests} == {10}


async def test_one_repetition_is_asked_for_when_the_columns_outnumber_max_varbinds() -> None:
    session = TableSession(interfaces(2))

    await walk(session, [SPEED, STATUS, NAME], max_rows=100, max_repetitions=25, max_varbinds=2)

    assert {request.max_repetitions for request in session.requests} == {1}


async def test_expected_rows_size_the_first_request_to_those_rows_plus_one() -> None:
    session = TableSession(interfaces(6))

    rows = await walk(session, [SPEED, STATUS], max_rows=100, max_repetitions=25, expected_rows=6)

    assert [request.max_repetitions for request in session.requests] == [7]
    assert session.varbinds == 2 * 7
    assert {len(values) for values in rows.values()} == {6}


async def test_too_few_expected_rows_only_make_the_first_request_small() -> None:
    session = TableSession(interfaces(6))

    rows = await walk(session, [SPEED], max_rows=100, max_repetitions=25, expected_rows=1)

    assert [request.max_repetitions for request in session.requests] == [2, 25]
    assert len(rows[SPEED]) == 6


async def test_too_big_halves_the_repetitions_until_the_answer_fits() -> None:
    session = TableSession(interfaces(6), too_big_above=10)

    rows = await walk(session, [SPEED, STATUS], max_rows=100, max_repetitions=25)

    assert [request.max_repetitions for request in session.requests][:4] == [25, 12, 6, 3]
    assert {len(values) for values in rows.values()} == {6}


async def test_too_big_for_a_single_repetition_is_raised() -> None:
    session = TableSession(interfaces(2), too_big_above=1)

    with pytest.raises(SnmpAgentError, match="answered tooBig"):
        await walk(session, [SPEED, STATUS], max_rows=100, max_repetitions=25)


async def test_other_agent_errors_are_raised_at_once() -> None:
    gen_err = SnmpAgentError("agent 192.0.2.1:161 answered genErr", status=5)
    session = ScriptedSession([gen_err])

    with pytest.raises(SnmpAgentError, match="genErr"):
        await walk(session, [SPEED], max_rows=100, max_repetitions=25)
    assert len(session.requests) == 1


async def test_an_answer_without_variable_bindings_is_a_protocol_error() -> None:
    with pytest.raises(SnmpProtocolError, match="answered a GETBULK with no variable bindings"):
        await walk(ScriptedSession([[]]), [SPEED], max_rows=100, max_repetitions=25)


async def test_a_subtree_asked_for_twice_is_walked_once() -> None:
    session = TableSession(interfaces(2))

    rows = await walk(session, [SPEED, SPEED], max_rows=100, max_repetitions=25)

    assert rows == {SPEED: {(1,): gauge(1000), (2,): gauge(2000)}}
    assert session.requests[0].oids == (SPEED,)


async def test_targeted_subtrees_keep_each_prefixes_rows_apart() -> None:
    # Targeted mode walks column.prefix.length subtrees: 10.0.21.0/24's rows run
    # straight into 10.0.22.0/24's, which belong to the other subtree.
    med = BgpPathEntry.MED
    first, second = (10, 0, 21, 0, 24), (10, 0, 22, 0, 24)
    peers = [(198, 51, 100, 1), (203, 0, 113, 1)]
    table = {
        (*med, *prefix, *peer): integer(100 + n)
        for prefix in (first, second)
        for n, peer in enumerate(peers)
    }
    session = TableSession(table)

    rows = await walk(session, [(*med, *first), (*med, *second)], max_rows=100, max_repetitions=3)

    assert rows == {
        (*med, *first): {peers[0]: integer(100), peers[1]: integer(101)},
        (*med, *second): {peers[0]: integer(100), peers[1]: integer(101)},
    }


async def test_no_subtrees_need_no_request() -> None:
    session = TableSession(interfaces(1))

    assert await walk(session, [], max_rows=100, max_repetitions=25) == {}
    assert session.requests == []


async def test_leading_oids_ride_as_non_repeaters_of_the_first_request_only() -> None:
    session = TableSession(interfaces(5))
    seen: list[tuple[int, list[tuple[Oid, SnmpValue]]]] = []

    rows = await walk(
        session,
        [SPEED, STATUS],
        max_rows=100,
        max_repetitions=2,
        leading=[SYS_UP_TIME],
        on_leading=lambda answers: seen.append((len(session.requests), answers)),
    )

    plain = TableSession(interfaces(5))
    assert rows == await walk(plain, [SPEED, STATUS], max_rows=100, max_repetitions=2)
    # Answered (sysUpTime.0) as soon as the first response came, before the second request.
    assert seen == [(1, [((*SYS_UP_TIME, 0), SnmpValue(ValueKind.TIMETICKS, 1))])]
    assert [(r.oids[0], r.non_repeaters) for r in session.requests[:2]] == [
        (SYS_UP_TIME, 1),
        ((*SPEED, 2), 0),
    ]


async def test_leading_oids_count_against_the_variable_bindings_per_response() -> None:
    session = TableSession(interfaces(40))

    await walk(
        session, [SPEED, STATUS], max_rows=100, max_repetitions=25, max_varbinds=10, leading=[NAME]
    )

    # (10 - 1 leading) // 2 columns = 4 repetitions; then 10 // 2 = 5.
    assert [r.max_repetitions for r in session.requests[:2]] == [4, 5]
