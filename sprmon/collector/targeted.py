"""Targeted reading of bgp4PathAttrTable: only the rows a verdict needs, and when to use it.

A verdict on an intent prefix needs the paths of the longest prefix in the
table that covers it: the prefix itself when it is there, else the longest
covering prefix (longest-prefix match). Targeted reading asks for exactly that:

1. one GETBULK per group of intent prefixes reads every path column from just
   below ``prefix.length`` (the table's index is prefix(4).length.peer(4)),
   as many rows as the site has established peers (without ADD-PATH a prefix
   has at most one path per peer), and a prefix's rows end at the highest
   known peer, so no extra repetition is spent to see where they end;
2. only for the intent prefixes that are not in the table: one GETNEXT per
   covering prefix (batched) finds which exist, and only the longest of them
   is read, as in step 1.

FRRouting answers noSuchInstance to any plain GET in this table, so rows are
found with GETNEXT and read with GETBULK. Before, every covering prefix was
probed whether or not the prefix itself was there, every covering prefix found
was read, and each column read one row past the prefix: the three intent
prefixes of a lab site cost 88 variable bindings in 3 requests, now 36 in one
(6 columns x 2 peers x 3 prefixes).

Which mode to use is decided before anything is read (:func:`choose_targeted`):
a fresh process knows nothing of a router's table, and walking 10,000 rows to
find out that it is large wasted the first poll of every ``sprmon check``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from sprmon.collector.errors import SnmpNonIncreasingOid, SnmpProtocolError
from sprmon.collector.mibs import PATH_COLUMNS, decode_paths, path_index_prefix
from sprmon.collector.walk import BulkSession, walk
from sprmon.core.observed import BgpPath, BgpPeer, PeerState
from sprmon.core.prefixes import Prefix, covering_prefixes, prefix_version
from sprmon.smi import EXCEPTION_KINDS, Oid, SnmpValue, VarBind, format_oid
from sprmon.snmp_oids import BgpPathEntry

#: Peers assumed when bgpPeerTable could not be read: most sites have two.
_PEERS_UNKNOWN = 2


class ProbeSession(BulkSession, Protocol):
    """What targeted reading needs of a session: GETNEXT besides GETBULK."""

    async def get_next(self, oids: Sequence[Oid]) -> list[VarBind]: ...


def targeted_candidates(prefixes: Iterable[Prefix]) -> tuple[Prefix, ...]:
    """The IPv4 intent prefixes and every prefix covering one, each once, in
    table order (BGP4-MIB knows no IPv6)."""
    candidates: set[Prefix] = set()
    for prefix in prefixes:
        if prefix_version(prefix) == 4:
            candidates.update(covering_prefixes(prefix))
    return tuple(sorted(candidates, key=path_index_prefix))


def ipv4_prefixes(prefixes: Iterable[Prefix]) -> tuple[Prefix, ...]:
    """The IPv4 prefixes, each once, in table order."""
    return tuple(sorted({p for p in prefixes if prefix_version(p) == 4}, key=path_index_prefix))


def rows_per_prefix(peers: Sequence[BgpPeer] | None) -> int:
    """How many rows one intent prefix is expected to have: one per established peer."""
    if peers is None:
        return _PEERS_UNKNOWN
    return max(1, sum(1 for peer in peers if peer.state is PeerState.ESTABLISHED))


def choose_targeted(
    prefixes: Sequence[Prefix],
    peers: Sequence[BgpPeer] | None,
    *,
    walked_rows: int | None,
    limit_rows: int,
) -> bool:
    """Whether reading only the intent's rows costs less than walking the table.

    Targeted reading costs about one row per established peer per intent
    prefix (O(intent)); a walk costs every row of the table (O(table)). A
    table that holds the intent's prefixes has at least those rows, so the
    walk can only win when the intent names prefixes the router does not
    have, or names more prefixes than the table holds. ``walked_rows`` is the
    table's size from an earlier walk of this router, if any. Without it, the
    targeted read is chosen when it costs no more than ``limit_rows``, the rows
    a walk may read before it gives up on a large table anyway: its cost is
    then bounded by what the walk would have risked.
    """
    wanted = ipv4_prefixes(prefixes)
    if not wanted:
        return False
    rows = len(wanted) * rows_per_prefix(peers)
    if walked_rows is not None:
        return rows <= walked_rows
    return rows <= limit_rows


async def read_targeted(
    session: ProbeSession,
    prefixes: Sequence[Prefix],
    peers: Sequence[BgpPeer] | None,
    *,
    max_rows: int,
    max_varbinds: int,
    max_repetitions: int,
    probe_batch: int,
) -> tuple[BgpPath, ...]:
    """The paths of each IPv4 intent prefix, or of its longest covering prefix
    when it is not in the table (see the module docstring)."""
    wanted = ipv4_prefixes(prefixes)
    if not wanted:
        return ()
    per_prefix = rows_per_prefix(peers)
    # The highest peer address ends every prefix's rows; the local route
    # (peer 0.0.0.0) sorts first and costs at most one more request.
    last_row = (
        max(tuple(int(part) for part in peer.address.split(".")) for peer in peers)
        if peers
        else None
    )
    reader = _Reader(
        session,
        per_prefix=per_prefix,
        last_row=last_row,
        max_rows=max_rows,
        max_varbinds=max_varbinds,
        max_repetitions=len(peers) if peers else max_repetitions,
    )
    merged = await reader.read(wanted)
    absent = [prefix for prefix in wanted if not _present(merged, prefix)]
    if absent:
        covering = await _longest_covering(session, absent, probe_batch)
        more = [prefix for prefix in covering if prefix not in wanted]
        if more:
            for column, rows in (await reader.read(more)).items():
                merged[column].update(rows)
    return decode_paths(merged)


def _present(merged: Mapping[Oid, Mapping[Oid, SnmpValue]], prefix: Prefix) -> bool:
    index = path_index_prefix(prefix)
    depth = len(index)
    return any(suffix[:depth] == index for rows in merged.values() for suffix in rows)


class _Reader:
    """Reads whole prefixes' rows, every path column side by side."""

    def __init__(
        self,
        session: BulkSession,
        *,
        per_prefix: int,
        last_row: Oid | None,
        max_rows: int,
        max_varbinds: int,
        max_repetitions: int,
    ) -> None:
        self._session = session
        self._per_prefix = per_prefix
        self._last_row = last_row
        self._max_rows = max_rows
        self._max_varbinds = max_varbinds
        self._max_repetitions = max_repetitions

    async def read(self, prefixes: Sequence[Prefix]) -> dict[Oid, dict[Oid, SnmpValue]]:
        """``{column: {prefix index + peer: value}}`` for every row of ``prefixes``."""
        merged: dict[Oid, dict[Oid, SnmpValue]] = {column: {} for column in PATH_COLUMNS}
        # As many prefixes per request as fit whole: a prefix split over two
        # requests would cost a request more for its end.
        per_request = max(1, self._max_varbinds // (len(PATH_COLUMNS) * self._per_prefix))
        for start in range(0, len(prefixes), per_request):
            group = prefixes[start : start + per_request]
            subtrees = [
                (*column, *path_index_prefix(prefix)) for prefix in group for column in PATH_COLUMNS
            ]
            rows = await walk(
                self._session,
                subtrees,
                max_rows=self._max_rows,
                # The first request asks for one row per established peer; a prefix
                # with more (a peer down in graceful restart, a local route,
                # ADD-PATH) is followed a peer count at a time.
                max_repetitions=max(self._per_prefix, self._max_repetitions),
                max_varbinds=self._max_varbinds,
                expected_rows=self._per_prefix,
                last_row=self._last_row,
            )
            for prefix in group:
                index = path_index_prefix(prefix)
                for column in PATH_COLUMNS:
                    for suffix, value in rows[(*column, *index)].items():
                        merged[column][(*index, *suffix)] = value
        return merged


async def _longest_covering(
    session: ProbeSession, absent: Sequence[Prefix], batch: int
) -> tuple[Prefix, ...]:
    """For each prefix of ``absent``, the longest strictly covering prefix in the
    table (none if there is none), each once, in table order."""
    covering = {prefix: covering_prefixes(prefix)[1:] for prefix in absent}
    candidates = sorted({c for cover in covering.values() for c in cover}, key=path_index_prefix)
    found: set[Prefix] = set()
    size = max(1, batch)
    for start in range(0, len(candidates), size):
        chunk = candidates[start : start + size]
        # One column is enough to tell whether a prefix has rows.
        asked = [(*BgpPathEntry.BEST, *path_index_prefix(prefix)) for prefix in chunk]
        varbinds = await session.get_next(asked)
        if len(varbinds) != len(asked):
            raise SnmpProtocolError(
                f"agent {session.address} answered {len(varbinds)} variable "
                f"bindings to a GETNEXT of {len(asked)}",
                target=session.address,
            )
        for prefix, below, (oid, value) in zip(chunk, asked, varbinds, strict=True):
            if value.kind in EXCEPTION_KINDS:
                continue
            if oid <= below:
                raise SnmpNonIncreasingOid(
                    f"agent {session.address} returned an OID that does not increase "
                    f"at {format_oid(oid)} after {format_oid(below)} (walk loop)",
                    target=session.address,
                )
            if len(oid) > len(below) and oid[: len(below)] == below:
                found.add(prefix)
    longest: set[Prefix] = set()
    for cover in covering.values():
        best = next((c for c in cover if c in found), None)
        if best is not None:
            longest.add(best)
    return tuple(sorted(longest, key=path_index_prefix))
