"""Collect, snapshot, evaluate: the one place that decides how sites are polled and judged.

``sprmon check``, ``sprmon demo``, ``sprmon run`` and the tests all come
through here, so that "which sites are polled, which prefixes are asked for,
once or twice" has one answer:

- every site of the intent, or only the named ones, that the inventory gives
  a target the collector speaks (SNMP today); the others are reported
  ``unknown`` by the evaluation, never dropped;
- every application prefix of the intent (what targeted sites ask for
  instead of walking their BGP table);
- twice ``interval_s`` apart (start to start), so that rates are known, or
  once when the interval is 0.

The functions raise :class:`ServiceError` subclasses with a message a user
can act on; the command-line layer turns them into its own one-line errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sprmon.core.evaluate import evaluate
from sprmon.core.findings import Report
from sprmon.core.intent import Intent, Site
from sprmon.core.observed import Snapshot
from sprmon.core.prefixes import Prefix
from sprmon.inventory import Inventory

if TYPE_CHECKING:
    from sprmon.collector.poller import OnSiteDone

__all__ = [
    "DEFAULT_CONCURRENCY",
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


class ServiceError(Exception):
    """A request the service cannot carry out, said so that the user can fix it."""


class NoPollableSiteError(ServiceError):
    """None of the selected sites has a target the collector speaks."""


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
    """``(polled, skipped)``: the sites the inventory gives an SNMP target, and the others."""
    polled = [site for site in sites if inventory.snmp(site.name) is not None]
    skipped = [site for site in sites if inventory.snmp(site.name) is None]
    return polled, skipped


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
) -> Snapshot:
    """Poll ``sites`` over SNMP, each at its ``inventory`` target: twice ``interval_s``
    apart (start to start), once if 0.

    A site that cannot be polled comes back with ``SiteObservation.error``
    set, never as an exception. Raises :class:`NoPollableSiteError` when no
    site has an SNMP target.
    """
    polled, skipped = pollable_sites(sites, inventory)
    if not polled:
        raise NoPollableSiteError(
            "none of the selected sites has an snmp target: live collection speaks SNMP "
            "only (gNMI is planned); pass --snapshot FILE to judge saved state"
        )
    if skipped:
        names = [site.name for site in skipped]
        log.warning(
            "%d site(s) without an snmp target are not polled and report unknown: %s",
            len(names),
            ", ".join(names[:5]) + (", ..." if len(names) > 5 else ""),
        )
    # Imported here: pysnmp takes about 0.4 s to import, which `validate` and
    # `check --snapshot` should not pay.
    from sprmon.collector.poller import SnmpPoller, snmp_sites  # noqa: PLC0415

    prefixes = intent_prefixes(intent)
    targets = snmp_sites(polled, inventory)
    started = time.monotonic()
    async with SnmpPoller(max_concurrency=concurrency, on_site_done=on_site_done) as poller:
        if interval_s == 0:
            snapshot = await poller.poll(targets, prefixes)
        else:
            snapshot = await poller.poll_twice(targets, prefixes, interval_s=interval_s)
    if log.isEnabledFor(logging.INFO):
        failed = {o.site for o in snapshot.observations if o.error is not None}
        log.info(
            "polled %d site(s) %s in %.1f s, %d failed",
            len(polled),
            "once" if interval_s == 0 else "twice",
            time.monotonic() - started,
            len(failed),
        )
    return snapshot


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
