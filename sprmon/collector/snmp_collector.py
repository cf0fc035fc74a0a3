"""Poll one site router over SNMP into one :class:`SiteObservation`.

A poll runs in stages, each filling part of the observation as it completes:

1. one GETNEXT for ``sysUpTime``, ``ifNumber``, the first BGP4-MIB object and
   the first ``ifName``: the agent is alive, which MIBs it serves, and how many
   interface rows to ask for;
2. interfaces: ifTable + ifXTable columns (64-bit counters), or ifTable alone
   with 32-bit counters when the agent has no ifXTable; only the rows of the
   interfaces the site's links name when they name any
   (:mod:`sprmon.collector.link_interfaces`), else the whole table;
3. BGP peers: bgpPeerTable;
4. BGP paths: bgp4PathAttrTable, walked whole, or in targeted mode only the
   rows of the intent's prefixes (or of their longest covering prefix,
   :mod:`sprmon.collector.targeted`). Targeted mode is used when the intent
   asks for it (``targeted_bgp``), when it costs less than a walk could
   (decided before anything is read, :func:`~sprmon.collector.targeted.choose_targeted`)
   and, by itself, for a router whose walked table turns out larger than
   ``CollectOptions.targeted_above_rows`` (a full Internet table): that walk is
   abandoned, and the site's later polls go targeted from the start.

A site polled before (``hints`` with its interface walk) sends stage 1's four
OIDs as non-repeaters of the interface walk's first GETBULK, one request
instead of two; when the probe's answer shows the agent changed (ifXTable
gone or new), the interfaces are walked again with the right columns; when
that first response is refused (a malformed interface value), the probe is
sent alone, so the poll loses only its interfaces, as it would unfolded.

A stage that fails leaves its part ``None`` and adds its reason to
``error``; the other stages still run, unless the agent stopped answering
(timeout, unreachable, refused credentials), which ends the poll. The
observation is therefore always consistent: what is there was read whole.

Only the columns sprmon uses are walked; bgp4PathAttrTable's peer, prefix and
length, and bgpPeerTable's remote address, are read from the row index.

Each walk's first GETBULK asks for the rows expected plus one (ifNumber, or
the row counts of the site's previous poll in ``hints``): repetitions past a
column's end only fetch the next column's rows twice, and on a small router
that overshoot was more than half of every response.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sprmon.collector.errors import (
    SnmpAuthError,
    SnmpBudgetExceeded,
    SnmpError,
    SnmpNotSupported,
    SnmpProtocolError,
    SnmpTableTooLarge,
    SnmpTimeout,
    SnmpUnreachable,
)
from sprmon.collector.link_interfaces import link_interfaces, read_link_interfaces
from sprmon.collector.mibs import (
    IF_COLUMNS_32,
    IF_COLUMNS_HC,
    PATH_COLUMNS,
    PEER_COLUMNS,
    decode_interfaces,
    decode_paths,
    decode_peers,
    decode_uptime,
)
from sprmon.collector.targeted import choose_targeted, read_targeted, targeted_candidates
from sprmon.collector.walk import BulkSession, walk
from sprmon.core.intent import SiteLink
from sprmon.core.observed import BgpPath, BgpPeer, Interface, SiteObservation
from sprmon.core.prefixes import Prefix
from sprmon.inventory import SnmpTarget
from sprmon.smi import EXCEPTION_KINDS, Oid, SnmpValue, ValueKind, VarBind, format_oid
from sprmon.snmp_oids import BGP, IF_NUMBER, SYS_UP_TIME, IfXEntry

__all__ = ["CollectOptions", "CollectorSession", "SiteCollector", "targeted_candidates"]

log = logging.getLogger(__name__)

#: Errors after which the agent will not answer the next stage either (or, for
#: the budget, must not be asked to).
_FATAL = (SnmpTimeout, SnmpUnreachable, SnmpAuthError, SnmpBudgetExceeded)

#: Row-count keys of :attr:`SiteCollector.row_counts` / ``hints``.
INTERFACES, PEERS, PATHS = "interfaces", "peers", "paths"
#: A ``hints``/``row_counts`` key: the site's BGP table was too large to walk.
TARGETED = "targeted"
#: A ``hints``/``row_counts`` key: 1 when the interfaces were walked in ifXTable
#: (64-bit counters), 0 in ifTable alone; the next poll folds the probe into that walk.
IF_HC = "if_hc"
_PROBE: tuple[Oid, ...] = (SYS_UP_TIME, IF_NUMBER, BGP, IfXEntry.NAME)
#: Peers expected when nothing better is known: most sites have two to four.
_DEFAULT_PEERS = 4
_SYS_UP_TIME_0: Oid = (*SYS_UP_TIME, 0)
_IF_NUMBER_0: Oid = (*IF_NUMBER, 0)


class CollectorSession(BulkSession, Protocol):
    """What a site's poll needs of a session (an open
    :class:`~sprmon.collector.session.SnmpSession`, or a scripted one in tests)."""

    @property
    def target(self) -> SnmpTarget: ...

    async def get_next(self, oids: Sequence[Oid]) -> list[VarBind]: ...

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]: ...


@dataclass(frozen=True, slots=True)
class CollectOptions:
    #: A walk of more rows than this in any column stops with an error.
    max_rows: int = 100_000
    #: About how many variable bindings one response may carry (pysnmp agents
    #: refuse more than 64; routers' packet buffers are often not much larger).
    max_varbinds: int = 64
    #: OIDs per GETNEXT when probing for targeted BGP prefixes.
    probe_batch: int = 32
    #: A BGP table walk that passes this many rows is abandoned for targeted
    #: requests: a poll then costs O(intent prefixes) instead of O(table).
    targeted_above_rows: int = 10_000
    #: Choose targeted mode before the first walk when it costs no more than a
    #: walk could (:func:`~sprmon.collector.targeted.choose_targeted`); False:
    #: walk first, and go targeted only past ``targeted_above_rows``.
    auto_targeted: bool = True
    #: After a poll, how long to re-read the link interfaces' octet counters
    #: waiting for the agent to refresh them, so that rates are timed by the
    #: refresh instead of the poll (:mod:`sprmon.collector.counter_timing`); 0: never.
    #: At least the agents' refresh period (Net-SNMP: 3 s).
    counter_watch_s: float = 4.0
    #: Seconds between two reads while watching: the timing error of each end
    #: of a rate is at most half of it (about 1 % of the interval is plenty).
    counter_watch_every_s: float = 0.05
    #: Once one link's refresh is seen, how much longer to watch the others
    #: (an agent refreshing interfaces at different moments), instead of up to
    #: ``counter_watch_s`` for a link that carries nothing.
    counter_watch_grace_s: float = 1.0
    #: Every site's byte budget for one poll is at least this many octets
    #: (the budget is otherwise sized from the intent: :mod:`sprmon.collector.budget`).
    min_site_budget: int = 0

    def __post_init__(self) -> None:
        if self.counter_watch_s < 0 or self.counter_watch_every_s <= 0:
            raise ValueError(
                "counter_watch_s must be 0 (off) or positive and counter_watch_every_s "
                f"positive, not {self.counter_watch_s} and {self.counter_watch_every_s}"
            )
        if self.counter_watch_grace_s < 0:
            raise ValueError(
                f"counter_watch_grace_s cannot be negative, not {self.counter_watch_grace_s}"
            )
        if self.min_site_budget < 0:
            raise ValueError(f"min_site_budget cannot be negative, not {self.min_site_budget}")


class SiteCollector:
    """Collects one site through an open session; readable at any moment.

    :meth:`run` never raises :class:`SnmpError`: failures are recorded. If the
    caller cancels :meth:`run` (a deadline), :meth:`observation` still returns
    what the finished stages read.
    """

    def __init__(
        self,
        session: CollectorSession,
        *,
        site: str,
        prefixes: Sequence[Prefix] = (),
        links: Sequence[SiteLink] = (),
        options: CollectOptions | None = None,
        clock: Callable[[], float] = time.time,
        hints: Mapping[str, int] | None = None,
    ) -> None:
        self.session = session
        self.site = site
        self.prefixes = tuple(prefixes)
        #: The site's links: only their interfaces' rows are read, when they name any.
        self.links = tuple(links)
        #: Read by GET, row by row, rather than walking the whole interface table.
        self._link_rows = any(link_interfaces(self.links))
        self.options = options or CollectOptions()
        self.hints = dict(hints or {})
        #: Rows read per table (``interfaces``, ``peers``, ``paths``): the next
        #: poll's ``hints``.
        self.row_counts: dict[str, int] = {}
        self._clock = clock
        self._started = clock()
        self._collected_at: float | None = None
        self.uptime_ticks: int | None = None
        self.interfaces: tuple[Interface, ...] | None = None
        self.peers: tuple[BgpPeer, ...] | None = None
        self.paths: tuple[BgpPath, ...] | None = None
        self.errors: list[str] = []
        #: False once the agent stopped answering (timeout, unreachable, refused).
        self.answering = True
        #: The exceptions behind ``errors``, for callers that classify failures.
        self.failures: list[SnmpError] = []

    def observation(self, *, extra_error: str | None = None) -> SiteObservation:
        errors = [*self.errors, *([extra_error] if extra_error else [])]
        return SiteObservation(
            site=self.site,
            collected_at=self._collected_at if self._collected_at is not None else self._started,
            uptime_ticks=self.uptime_ticks,
            paths=self.paths,
            peers=self.peers,
            interfaces=self.interfaces,
            error="; ".join(errors) if errors else None,
        )

    async def run(self, *, paths: bool = True) -> None:
        """Collect; ``paths=False`` leaves the BGP table out (``paths`` stays None)."""
        try:
            has_bgp, has_ifx, interfaces_done = await self._start()
        except _ProbeAnswered as answered:
            # The probe rode on the interface walk, which failed after it.
            has_bgp, has_ifx = answered.has_bgp, answered.has_ifx
            if not self._record(answered.error, "interfaces not collected"):
                return
            interfaces_done = True
        except SnmpError as exc:
            self.errors.append(exc.message)
            self.answering = not isinstance(exc, _FATAL)
            self.failures.append(exc)
            return
        stages: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        if not interfaces_done:
            stages.append(("interfaces not collected", lambda: self._interfaces(has_ifx)))
        if has_bgp:
            stages.append(("BGP peers not collected", self._peers))
            if paths:
                stages.append(("BGP paths not collected", self._paths))
        else:
            self.errors.append(
                f"agent {self.session.address} serves no BGP4-MIB ({format_oid(BGP)}): "
                "BGP paths and peers unknown"
            )
        for what, stage in stages:
            try:
                await stage()
            except SnmpError as exc:
                if not self._record(exc, what):
                    return

    async def _start(self) -> tuple[bool, bool, bool]:
        """The probe, folded into the interface walk when an earlier poll says which
        columns to walk: (BGP served, ifXTable served, interfaces read)."""
        folded = self.hints.get(IF_HC)
        # Only a walk of the interface table can carry the probe: the rows of the
        # interfaces the links name are read with GET, which cannot.
        if folded is not None and not self._link_rows:
            try:
                return await self._probe_with_interfaces(bool(folded))
            except _FATAL:
                raise
            except SnmpError as exc:
                # The first response itself was refused (say, a malformed value among
                # the interface rows): the probe alone, so that only the interfaces
                # are lost, as without folding.
                log.debug("site %s: folded probe failed (%s); probing alone", self.site, exc)
        has_bgp, has_ifx = self._read_probe(await self.session.get_next(_PROBE))
        return has_bgp, has_ifx, False

    def _record(self, exc: SnmpError, what: str) -> bool:
        """Record a stage's failure; False when the agent stopped answering (the poll ends)."""
        self.failures.append(exc)
        if isinstance(exc, _FATAL):
            self.errors.append(exc.message)
            self.answering = False
            return False
        self.errors.append(f"{what}: {exc.message}")
        return True

    def _read_probe(self, varbinds: Sequence[VarBind]) -> tuple[bool, bool]:
        """What the probe's answer says: (BGP4-MIB served, ifXTable served); keeps
        the uptime and, without a better hint, ifNumber."""
        asked = _PROBE
        if len(varbinds) != len(asked):
            raise SnmpProtocolError(
                f"agent {self.session.address} answered {len(varbinds)} variable bindings "
                f"to a GETNEXT of {len(asked)}",
                target=self.session.address,
            )
        found = [
            _inside(oid, value, start) for start, (oid, value) in zip(asked, varbinds, strict=True)
        ]
        uptime_oid, uptime_value = varbinds[0]
        if found[0] and uptime_oid == _SYS_UP_TIME_0:
            try:
                self.uptime_ticks = decode_uptime(uptime_value)
            except SnmpError as exc:
                self.errors.append(f"uptime not collected: {exc.message}")
                self.failures.append(exc)
        number_oid, number = varbinds[1]
        if (
            INTERFACES not in self.hints
            and number_oid == _IF_NUMBER_0
            and number.kind is ValueKind.INTEGER
            and isinstance(number.value, int)
        ):
            self.hints[INTERFACES] = number.value
        return found[2], found[3]

    async def _probe_with_interfaces(self, hc: bool) -> tuple[bool, bool, bool]:
        """The probe as non-repeaters of the interface walk (of the columns the
        last poll used): (BGP served, ifXTable served, interfaces read)."""
        probed: list[tuple[bool, bool]] = []

        def answered(varbinds: list[VarBind]) -> None:
            has_bgp, has_ifx = self._read_probe(varbinds)
            probed.append((has_bgp, has_ifx))
            if has_ifx != hc:
                raise _ColumnsChanged

        try:
            await self._interfaces(hc, leading=_PROBE, on_leading=answered)
        except _ColumnsChanged:
            return (*probed[0], False)
        except SnmpError as exc:
            if probed:
                raise _ProbeAnswered(*probed[0], exc) from exc
            raise
        return (*probed[0], True)

    async def _interfaces(
        self,
        hc: bool,
        *,
        leading: Sequence[Oid] = (),
        on_leading: Callable[[list[VarBind]], None] | None = None,
    ) -> None:
        if not leading and self._link_rows:
            self.interfaces, learnt = await read_link_interfaces(
                self.session,
                self.links,
                hc=hc,
                hints=self.hints,
                max_rows=self.options.max_rows,
                max_repetitions=self.session.target.max_repetitions,
                max_varbinds=self.options.max_varbinds,
            )
            self._collected_at = self._clock()
            self.row_counts.update(learnt)
            return
        columns = IF_COLUMNS_HC if hc else IF_COLUMNS_32
        rows = await walk(
            self.session,
            columns,
            max_rows=self.options.max_rows,
            max_repetitions=self.session.target.max_repetitions,
            max_varbinds=self.options.max_varbinds,
            expected_rows=self.hints.get(INTERFACES),
            leading=leading,
            on_leading=on_leading,
        )
        self._collected_at = self._clock()
        interfaces = decode_interfaces(rows, hc=hc)
        self.row_counts[INTERFACES] = len(interfaces)
        self.row_counts[IF_HC] = int(hc)
        if not interfaces:
            raise SnmpNotSupported(
                f"agent {self.session.address} serves no ifTable rows",
                target=self.session.address,
            )
        self.interfaces = interfaces

    async def _peers(self) -> None:
        self.hints.setdefault(PEERS, _DEFAULT_PEERS)
        rows = await self._walk(PEER_COLUMNS, self.session.target.max_repetitions, PEERS)
        self.peers = decode_peers(rows)
        self.row_counts[PEERS] = len(self.peers)

    async def _paths(self) -> None:
        if self._targeted():
            self.paths = await self._targeted_paths()
            # What made the choice still holds at the next poll.
            for key in (TARGETED, PATHS):
                if key in self.hints:
                    self.row_counts[key] = self.hints[key]
            return
        if not self.hints.get(TARGETED):
            limit = min(self.options.max_rows, self.options.targeted_above_rows)
            try:
                rows = await self._walk(
                    PATH_COLUMNS, self.session.target.max_repetitions, PATHS, max_rows=limit
                )
            except SnmpTableTooLarge:
                if limit >= self.options.max_rows:
                    raise
                log.info(
                    "site %s: bgp4PathAttrTable has more than %d rows; "
                    "reading only the intent's prefixes from now on",
                    self.site,
                    limit,
                )
            else:
                self.paths = decode_paths(rows)
                self.row_counts[PATHS] = len(self.paths)
                return
        self.paths = await self._targeted_paths()
        self.row_counts[TARGETED] = 1

    async def _walk(
        self,
        columns: Sequence[Oid],
        repetitions: int,
        table: str | None = None,
        *,
        max_rows: int | None = None,
    ) -> dict[Oid, dict[Oid, SnmpValue]]:
        return await walk(
            self.session,
            columns,
            max_rows=self.options.max_rows if max_rows is None else max_rows,
            max_repetitions=repetitions,
            max_varbinds=self.options.max_varbinds,
            expected_rows=self.hints.get(table) if table is not None else None,
        )

    def _targeted(self) -> bool:
        if self.session.target.targeted_bgp or self.hints.get(TARGETED):
            return True
        return self.options.auto_targeted and choose_targeted(
            self.prefixes,
            self.peers,
            walked_rows=self.hints.get(PATHS),
            limit_rows=min(self.options.max_rows, self.options.targeted_above_rows),
        )

    async def _targeted_paths(self) -> tuple[BgpPath, ...]:
        return await read_targeted(
            self.session,
            self.prefixes,
            self.peers,
            max_rows=self.options.max_rows,
            max_varbinds=self.options.max_varbinds,
            max_repetitions=self.session.target.max_repetitions,
            probe_batch=self.options.probe_batch,
        )


class _ColumnsChanged(Exception):
    """The folded probe shows the agent's interface table is not the one walked."""


class _ProbeAnswered(Exception):
    """The folded probe was answered, then the interface walk failed with ``error``."""

    def __init__(self, has_bgp: bool, has_ifx: bool, error: SnmpError) -> None:
        super().__init__(error.message)
        self.has_bgp = has_bgp
        self.has_ifx = has_ifx
        self.error = error


def _inside(oid: Oid, value: SnmpValue, subtree: Oid) -> bool:
    return (
        value.kind not in EXCEPTION_KINDS
        and len(oid) > len(subtree)
        and oid[: len(subtree)] == subtree
    )
