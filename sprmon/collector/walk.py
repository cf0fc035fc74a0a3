"""Walks of several subtrees (usually table columns) side by side with GETBULK.

Pure over a small session interface (:class:`BulkSession`): no sockets, no
clock, nothing but requests and the decisions taken on their answers, so it is
unit-tested with a scripted in-memory session (``tests/collector/test_walk.py``)
as well as against real agents. What it decides:

- how many rows each request asks for: at most ``max_repetitions``, about
  ``max_varbinds`` values per response (agents truncate or refuse bigger
  ones), and on the first request the rows expected plus one;
- where a subtree ends: at the first OID outside it, at an exception value
  (endOfMibView, noSuchObject, noSuchInstance), or at the last row that can
  exist when the caller knows it (``last_row``);
- when to give up: an OID that does not increase (the walk would loop
  forever), more than ``max_rows`` rows (a runaway table), an empty answer;
- tooBig: ask for half the repetitions, down to one.

A walk's first request can carry other OIDs as GETBULK non-repeaters
(``leading``: one GETNEXT each, answered first): the site collector's probe
rides on its interface walk instead of costing a request of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from sprmon.collector.errors import (
    TOO_BIG,
    SnmpAgentError,
    SnmpNonIncreasingOid,
    SnmpProtocolError,
    SnmpTableTooLarge,
)
from sprmon.smi import EXCEPTION_KINDS, Oid, SnmpValue, VarBind, format_oid
from sprmon.snmp_oids import table_name


class BulkSession(Protocol):
    """What a walk needs of a session: GETBULK, and the agent's name for messages."""

    @property
    def address(self) -> str: ...

    async def get_bulk(
        self, oids: Sequence[Oid], *, max_repetitions: int, non_repeaters: int = 0
    ) -> list[VarBind]: ...


async def walk(
    session: BulkSession,
    subtrees: Sequence[Oid],
    *,
    max_rows: int,
    max_repetitions: int,
    max_varbinds: int = 64,
    expected_rows: int | None = None,
    last_row: Oid | None = None,
    leading: Sequence[Oid] = (),
    on_leading: Callable[[list[VarBind]], None] | None = None,
) -> dict[Oid, dict[Oid, SnmpValue]]:
    """Walk several subtrees (usually table columns) side by side with GETBULK.

    Returns ``{subtree: {suffix after the subtree: value}}``. Each request asks
    for the next rows of every subtree still open, at most ``max_repetitions``
    rows and about ``max_varbinds`` values per response (agents truncate or
    refuse bigger ones). A subtree ends at the first OID outside it or at an
    exception value; an OID that does not increase raises
    :class:`SnmpNonIncreasingOid`, more than ``max_rows`` rows
    :class:`SnmpTableTooLarge`.

    ``expected_rows`` (from ifNumber, or the previous poll) sizes the first
    request to those rows plus one that shows the end: every repetition past
    a column's end returns the next column's rows again, which the agent
    encodes and we decode for nothing.

    ``last_row``: no subtree can hold a row after this suffix (e.g. a
    bgp4PathAttrTable prefix's rows end at its highest known peer), so a
    subtree that reaches it is complete without one more row to show its end,
    and the first request asks for ``expected_rows`` exactly.

    ``leading``: OIDs sent as non-repeaters of the first request (a GETNEXT of
    each); ``on_leading`` gets their answers as soon as it arrives, before any
    further request (it may raise to end the walk).
    """
    result: dict[Oid, dict[Oid, SnmpValue]] = {subtree: {} for subtree in subtrees}
    # (subtree, last OID seen in it)
    open_: list[tuple[Oid, Oid]] = [(subtree, subtree) for subtree in dict.fromkeys(subtrees)]
    repetitions = max(1, max_repetitions)
    # The row past the expected ones shows the end, unless the last row itself does.
    past = 0 if last_row is not None else 1
    first = expected_rows + past if expected_rows is not None and expected_rows >= 0 else None
    before = list(leading)
    while open_:
        count = len(open_)
        asked = max(1, min(repetitions, (max_varbinds - len(before)) // count))
        if first is not None:
            asked, first = min(asked, first), None
        try:
            varbinds = await session.get_bulk(
                [*before, *(last for _, last in open_)],
                max_repetitions=asked,
                non_repeaters=len(before),
            )
        except SnmpAgentError as exc:
            if exc.status == TOO_BIG and asked > 1:
                repetitions = asked // 2
                continue
            raise
        if before:
            answers, varbinds = _split_leading(session, varbinds, len(before))
            before = []
            if on_leading is not None:
                on_leading(answers)
        if not varbinds:
            raise SnmpProtocolError(
                f"agent {session.address} answered a GETBULK with no variable bindings",
                target=session.address,
            )
        last = [previous for _, previous in open_]
        ended = [False] * count
        for position, (oid, value) in enumerate(varbinds):
            slot = position % count
            if ended[slot]:
                continue
            subtree = open_[slot][0]
            if value.kind in EXCEPTION_KINDS:
                ended[slot] = True
                continue
            if oid <= last[slot]:
                raise SnmpNonIncreasingOid(
                    f"agent {session.address} returned an OID that does not increase at "
                    f"{format_oid(oid)} after {format_oid(last[slot])} (walk loop)",
                    target=session.address,
                )
            depth = len(subtree)
            if len(oid) <= depth or oid[:depth] != subtree:
                ended[slot] = True
                continue
            rows = result[subtree]
            suffix = oid[depth:]
            rows[suffix] = value
            if len(rows) > max_rows:
                raise SnmpTableTooLarge(
                    f"{table_name(subtree)} larger than the limit of {max_rows} rows",
                    target=session.address,
                )
            last[slot] = oid
            if last_row is not None and suffix >= last_row:
                ended[slot] = True
        open_ = [(open_[slot][0], last[slot]) for slot in range(count) if not ended[slot]]
    return result


def _split_leading(
    session: BulkSession, varbinds: list[VarBind], count: int
) -> tuple[list[VarBind], list[VarBind]]:
    """The answers to ``count`` non-repeaters (they come first), and the repetitions."""
    if len(varbinds) < count:
        raise SnmpProtocolError(
            f"agent {session.address} answered {len(varbinds)} variable bindings "
            f"to a GETBULK of {count} non-repeaters",
            target=session.address,
        )
    return varbinds[:count], varbinds[count:]
