"""Collect, snapshot, evaluate: the one place that decides how sites are polled and judged.

``sprmon check``, ``sprmon demo``, ``sprmon run`` and the tests all come
through here, so that "which sites are polled, which prefixes are asked for,
once or twice" has one answer:

- every site of the intent, or only the named ones, that the inventory gives
  a target sprmon speaks (SNMP, gNMI); the others are reported ``unknown`` by
  the evaluation, never dropped;
- over which protocol: a site whose inventory entry has only an ``snmp``
  target over SNMP, one with only a ``gnmi`` target over gNMI (Subscribe
  ONCE), one with both as its ``gnmi.use`` says, the two observations merged
  into one (:mod:`sprmon.collector.gnmi.plan`);
- every application prefix of the intent (what targeted sites ask for
  instead of walking their BGP table);
- twice ``interval_s`` apart (start to start), so that rates are known, or
  once when the interval is 0;
- all within ``deadline_s`` (:data:`DEFAULT_DEADLINE_S`, inside a monitoring
  plugin's usual 60 s timeout): a site not done by then is ``unknown`` with
  the reason, and the others are reported.

The functions raise :class:`ServiceError` subclasses with a message a user
can act on; the command-line layer turns them into its own one-line errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sprmon import __version__
from sprmon.core.evaluate import evaluate
from sprmon.core.findings import Report
from sprmon.core.intent import Intent, Site
from sprmon.core.observed import SiteObservation, Snapshot
from sprmon.core.prefixes import Prefix
from sprmon.inventory import Inventory, RouterAccess

if TYPE_CHECKING:
    from sprmon.collector.gnmi.plan import SitePlan
    from sprmon.collector.poller import OnSiteDone

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_DEADLINE_S",
    "DEFAULT_INTERVAL_S",
    "LiveResult",
    "NoPollableSiteError",
    "ServiceError",
    "collect",
    "intent_prefixes",
    "judge",
    "live_report",
    "pollable_sites",
    "select_sites",
]

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 5.0
DEFAULT_CONCURRENCY = 64
#: A whole check ends within this: monitoring plugins are usually killed at 60 s.
DEFAULT_DEADLINE_S = 50.0


class ServiceError(Exception):
    """A request the service cannot carry out, said so that the user can fix it."""


class NoPollableSiteError(ServiceError):
    """None of the selected sites has a target sprmon speaks."""


@dataclass(frozen=True, slots=True)
class LiveResult:
    """What one live check collected, and its evaluation."""

    snapshot: Snapshot
    report: Report


def select_sites(intent: Intent, names: Collection[str] = ()) -> list[Site]:
    """Every site of ``intent`` (no ``names``), or the named ones, in intent order.

    Names the intent lacks are ignored here: :func:`judge` reports them (the
    CLI checks them first, with a hint).
    """
    if not names:
        return list(intent.sites)
    wanted = set(names)
    return [site for site in intent.sites if site.name in wanted]


def pollable_sites(sites: Sequence[Site], inventory: Inventory) -> tuple[list[Site], list[Site]]:
    """``(polled, skipped)``: the sites the inventory gives an SNMP or a gNMI target, and
    the others."""
    polled = [site for site in sites if _reachable(inventory.access(site.name))]
    skipped = [site for site in sites if not _reachable(inventory.access(site.name))]
    return polled, skipped


def _reachable(access: RouterAccess) -> bool:
    return access.snmp is not None or access.gnmi is not None


def intent_prefixes(intent: Intent) -> tuple[Prefix, ...]:
    """Every application prefix of the intent, once, in intent order."""
    return tuple(dict.fromkeys(p for app in intent.applications for p in app.prefixes))


async def collect(
    intent: Intent,
    inventory: Inventory,
    sites: Sequence[Site],
    *,
    interval_s: float = DEFAULT_INTERVAL_S,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_site_done: OnSiteDone | None = None,
    deadline_s: float | None = DEFAULT_DEADLINE_S,
    min_site_budget: int = 0,
) -> Snapshot:
    """Read ``sites``, each through its ``inventory`` entry: twice ``interval_s`` apart
    (start to start), once if 0.

    Over SNMP, gNMI or both (see the module docstring); both protocols run at
    the same time, each with its own concurrency bound. A site that cannot be
    read comes back with ``SiteObservation.error`` set, never as an exception.
    SNMP sites are all read within ``deadline_s`` (None: no deadline but each
    site's own), and each site's agent may send at least ``min_site_budget``
    octets per poll (:mod:`sprmon.collector.budget`).
    Raises :class:`NoPollableSiteError` when no site has a target.
    """
    polled, skipped = pollable_sites(sites, inventory)
    if not polled:
        raise NoPollableSiteError(
            "none of the selected sites has an snmp or a gnmi target to read; "
            "pass --snapshot FILE to judge saved state"
        )
    if skipped:
        names = [site.name for site in skipped]
        log.warning(
            "%d site(s) without an snmp or gnmi target are not read and report unknown: %s",
            len(names),
            ", ".join(names[:5]) + (", ..." if len(names) > 5 else ""),
        )
    # Imported here: pysnmp takes about 0.4 s to import and grpc about as long, which
    # `validate` and `check --snapshot` should not pay.
    from sprmon.collector.gnmi.plan import site_plan  # noqa: PLC0415

    plans = {site.name: site_plan(inventory.access(site.name)) for site in polled}
    snmp_sites = [site for site in polled if plans[site.name].snmp]
    gnmi_sites = [site for site in polled if plans[site.name].gnmi]
    rounds = 1 if interval_s == 0 else 2
    progress = _Progress(plans, len(polled) * rounds, on_site_done)
    prefixes = intent_prefixes(intent)
    started = time.monotonic()
    snmp_rounds: list[list[SiteObservation]] = []
    gnmi_rounds: list[list[SiteObservation]] = []
    import asyncio  # noqa: PLC0415 - a snapshot check and --help must not pay for it

    async with asyncio.TaskGroup() as group:
        if snmp_sites:
            job = _Rounds(
                snmp_sites,
                inventory,
                prefixes,
                interval_s,
                concurrency,
                progress,
                deadline_s,
                min_site_budget,
            )
            group.create_task(_snmp_rounds(job, snmp_rounds))
        if gnmi_sites:
            job = _Rounds(gnmi_sites, inventory, prefixes, interval_s, concurrency, progress)
            group.create_task(_gnmi_rounds(job, gnmi_rounds))
    snapshot = _combine(polled, plans, rounds, snmp_rounds, gnmi_rounds)
    if log.isEnabledFor(logging.INFO):
        failed = {o.site for o in snapshot.observations if o.error is not None}
        log.info(
            "read %d site(s) %s in %.1f s (%d over SNMP, %d over gNMI), %d failed",
            len(polled),
            "once" if interval_s == 0 else "twice",
            time.monotonic() - started,
            len(snmp_sites),
            len(gnmi_sites),
            len(failed),
        )
    return snapshot


class _Progress:
    """Calls ``on_site_done`` once per site and round, when every protocol it uses finished."""

    def __init__(self, plans: Mapping[str, SitePlan], total: int, hook: OnSiteDone | None):
        self._waiting = {
            name: sum(1 for parts in (plan.snmp, plan.gnmi) if parts)
            for name, plan in plans.items()
        }
        self._pending: dict[tuple[str, int], tuple[int, bool]] = {}
        self._total = total
        self._done = 0
        self._hook = hook

    def finished(self, site: str, round_: int, ok: bool) -> None:
        left, all_ok = self._pending.get((site, round_), (self._waiting[site], True))
        left, all_ok = left - 1, all_ok and ok
        if left:
            self._pending[(site, round_)] = (left, all_ok)
            return
        self._pending.pop((site, round_), None)
        self._done += 1
        if self._hook is not None:
            self._hook(site, all_ok, self._done, self._total)


@dataclass(frozen=True, slots=True)
class _Rounds:
    """One protocol's share of a collection: its sites, read once or twice."""

    sites: Sequence[Site]
    #: Where each site's targets are: each protocol takes its own.
    inventory: Inventory
    prefixes: Sequence[Prefix]
    interval_s: float
    concurrency: int
    progress: _Progress
    #: SNMP only: the whole collection's deadline, and each site's least byte budget.
    deadline_s: float | None = None
    min_site_budget: int = 0


async def _snmp_rounds(job: _Rounds, out: list[list[SiteObservation]]) -> None:
    prefixes, interval_s, progress = job.prefixes, job.interval_s, job.progress
    from sprmon.collector.poller import SnmpPoller, snmp_sites  # noqa: PLC0415
    from sprmon.collector.snmp_collector import CollectOptions  # noqa: PLC0415

    sites = snmp_sites(job.sites, job.inventory)

    count = len(sites)

    def done(site: str, ok: bool, finished: int, _total: int) -> None:
        # Every site of the first poll finishes before the second poll starts.
        progress.finished(site, 0 if finished <= count else 1, ok)

    async with SnmpPoller(
        max_concurrency=job.concurrency,
        on_site_done=done,
        options=CollectOptions(min_site_budget=job.min_site_budget),
    ) as poller:
        if interval_s == 0:
            snapshot = await poller.poll(sites, prefixes, deadline_s=job.deadline_s)
        else:
            snapshot = await poller.poll_twice(
                sites, prefixes, interval_s=interval_s, deadline_s=job.deadline_s
            )
    observations = list(snapshot.observations)
    out.extend(observations[i : i + count] for i in range(0, len(observations), count))


async def _gnmi_rounds(job: _Rounds, out: list[list[SiteObservation]]) -> None:
    prefixes, interval_s, progress = job.prefixes, job.interval_s, job.progress
    import asyncio  # noqa: PLC0415 - a snapshot check and --help must not pay for it

    from sprmon.collector.gnmi.poller import GnmiPoller, gnmi_sites  # noqa: PLC0415

    sites = gnmi_sites(job.sites, job.inventory)

    current = 0

    def done(site: str, ok: bool) -> None:
        progress.finished(site, current, ok)

    started = time.monotonic()
    async with GnmiPoller(max_concurrency=job.concurrency, on_site_done=done) as poller:
        out.append(await poller.poll(sites, prefixes))
        if interval_s > 0:
            await asyncio.sleep(max(0.0, interval_s - (time.monotonic() - started)))
            current = 1
            out.append(await poller.poll(sites, prefixes))


def _combine(
    polled: Sequence[Site],
    plans: Mapping[str, SitePlan],
    rounds: int,
    snmp_rounds: Sequence[Sequence[SiteObservation]],
    gnmi_rounds: Sequence[Sequence[SiteObservation]],
) -> Snapshot:
    """One snapshot: each round's observation of each site, merged where both protocols read."""
    from sprmon.collector.gnmi.plan import merge  # noqa: PLC0415

    observations: list[SiteObservation] = []
    for index in range(rounds):
        snmp = {o.site: o for o in (snmp_rounds[index] if index < len(snmp_rounds) else ())}
        gnmi = {o.site: o for o in (gnmi_rounds[index] if index < len(gnmi_rounds) else ())}
        for site in polled:
            plan = plans[site.name]
            if plan.merged:
                snmp_obs, gnmi_obs = snmp.get(site.name), gnmi.get(site.name)
                at = max(o.collected_at for o in (snmp_obs, gnmi_obs) if o is not None)
                observations.append(merge(site.name, plan, gnmi_obs, snmp_obs, at=at))
            else:
                found = (gnmi if plan.gnmi else snmp).get(site.name)
                if found is not None:
                    observations.append(found)
    protocols = "+".join(
        name for name, used in (("snmp", snmp_rounds), ("gnmi", gnmi_rounds)) if used
    )
    return Snapshot(
        observations=tuple(observations),
        taken_at=max((o.collected_at for o in observations), default=None),
        source=f"sprmon {__version__} {protocols}",
    )


def judge(
    intent: Intent, snapshot: Snapshot, sites: Collection[str] = (), *, now: float | None = None
) -> Report:
    """Evaluate as of ``now``, by default the snapshot's own time (a saved one never goes stale).

    Raises :class:`~sprmon.core.evaluate.UnknownSiteError` if ``sites`` names a
    site the intent lacks.
    """
    when = snapshot.effective_time() if now is None else now
    return evaluate(intent, snapshot, when, sites=sites or None)


async def live_report(
    intent: Intent,
    inventory: Inventory,
    sites: Collection[str] = (),
    *,
    interval_s: float = DEFAULT_INTERVAL_S,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_site_done: OnSiteDone | None = None,
    clock: Callable[[], float] = time.time,
) -> LiveResult:
    """Poll the selected sites and judge what was read as of the clock's time afterwards.

    A live poll is judged as of now, like any monitoring check; a saved
    snapshot is judged with :func:`judge` as of its own time.
    """
    snapshot = await collect(
        intent,
        inventory,
        select_sites(intent, sites),
        interval_s=interval_s,
        concurrency=concurrency,
        on_site_done=on_site_done,
    )
    return LiveResult(snapshot, judge(intent, snapshot, sites, now=clock()))
