"""What the daemon keeps per site, and how a poll result becomes a judgement.

:class:`Policy` is one intent as the daemon uses it (this shard's sites,
the prefixes to ask for, each application's links, and the inventory that
says how the collectors reach each site), built once per load.
:class:`SiteState` holds one site's history, link usability, link totals,
target health and newest evaluation; every decision in it is a call into the
pure core (:mod:`sprmon.core.history`, :mod:`~sprmon.core.convergence`,
:mod:`~sprmon.core.totals`, :mod:`~sprmon.core.transitions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from sprmon.core.convergence import LinkUsability, apply_convergence_grace, track_usability
from sprmon.core.evaluate import evaluate
from sprmon.core.findings import Report
from sprmon.core.history import SiteHistory, judged_observations, record
from sprmon.core.intent import Intent, Site
from sprmon.core.monitor import LinkTotals, Protocol, StateChange, TargetHealth
from sprmon.core.observed import SiteObservation, Snapshot
from sprmon.core.prefixes import Prefix
from sprmon.core.settings import MonitorSettings
from sprmon.core.totals import LinkCounters, advance_totals
from sprmon.core.transitions import state_changes
from sprmon.daemon.collector import FailureReason, PollResult
from sprmon.daemon.health import TargetTracker
from sprmon.daemon.shard import Shard
from sprmon.intentfile.loaded import LoadedIntent
from sprmon.inventory import Inventory, RouterAccess
from sprmon.service import intent_prefixes

__all__ = ["Policy", "SiteState"]

#: A stale check runs this long after the moment data turns stale, so that the
#: evaluation (which compares with ">") sees it stale.
_STALE_MARGIN_S = 0.01


@dataclass(frozen=True, slots=True)
class Policy:
    """One loaded intent as the daemon uses it."""

    intent: Intent
    #: The sites this process owns (its shard), in intent order.
    sites: tuple[Site, ...]
    prefixes: tuple[Prefix, ...]
    app_links: Mapping[str, tuple[str, ...]]
    #: How to reach each site: handed to the collectors, never judged.
    inventory: Inventory

    @classmethod
    def of(cls, loaded: LoadedIntent, shard: Shard) -> Policy:
        intent = loaded.intent
        return cls(
            intent=intent,
            sites=tuple(site for site in intent.sites if shard.owns(site.name)),
            prefixes=intent_prefixes(intent),
            app_links={app.name: app.links for app in intent.applications},
            inventory=loaded.inventory,
        )

    def access(self, site: Site) -> RouterAccess:
        return self.inventory.access(site.name)

    @property
    def settings(self) -> MonitorSettings:
        return self.intent.monitor

    @property
    def stale_after_s(self) -> float:
        return self.intent.thresholds.stale_after_s

    def site_intent(self, site: Site) -> Intent:
        """The intent reduced to one site: evaluating it costs that site only."""
        return replace(self.intent, sites=(site,))


class SiteState:
    """One site as the daemon knows it."""

    def __init__(self, site: Site, protocol: Protocol | None) -> None:
        self.site = site
        self.history = SiteHistory()
        self.usability: dict[str, LinkUsability] = {}
        self.counters: dict[str, LinkCounters] = {}
        #: The newest evaluation; None before the first one.
        self.report: Report | None = None
        #: None when no collector speaks any of the site's targets.
        self.target = None if protocol is None else TargetTracker(site.name, protocol)
        #: Wall-clock time at which the site's data turns stale next; None: nothing to expire.
        self.stale_check_at: float | None = None
        #: Monotonic start of the newest poll that read the BGP table whole.
        self.bgp_read_started: float | None = None

    @property
    def name(self) -> str:
        return self.site.name

    @property
    def protocol(self) -> Protocol | None:
        """The protocol its collector speaks; None when no collector speaks its targets."""
        return None if self.target is None else self.target.protocol

    def bgp_table_due(self, started: float, policy: Policy) -> bool:
        """Whether the poll starting at ``started`` (monotonic) should read the BGP table too.

        Due a jitter's worth early: with equal intervals, a poll that comes a
        little early must not skip the table until the poll after.
        """
        if self.bgp_read_started is None:
            return True
        settings = policy.settings
        elapsed = started - self.bgp_read_started
        return elapsed >= settings.bgp_interval_s * (1 - settings.jitter)

    def absorb(self, result: PollResult, *, started: float) -> None:
        """Take a poll's result into the history, the link totals and the target's health.

        ``started`` is when the poll started (monotonic), for :meth:`bgp_table_due`.
        """
        observation = result.observation
        if observation.paths is not None and observation.error is None:
            self.bgp_read_started = started
        self.history = record(self.history, observation)
        for link in self.site.links:
            self.counters[link.role] = advance_totals(
                self.counters.get(link.role), self.name, link, observation
            )
        if self.target is not None:
            if result.failure is None and observation.error is None:
                self.target.succeeded(observation.collected_at)
            else:
                self.target.failed(
                    result.failure or FailureReason.OTHER, observation.error or "poll failed"
                )

    def absorb_unpollable(self, reason: str, at: float) -> None:
        """No collector can poll the site: it is judged unknown with ``reason``."""
        self.history = record(
            self.history, SiteObservation(site=self.name, collected_at=at, error=reason)
        )

    def judge(self, policy: Policy, now: float) -> list[StateChange]:
        """Evaluate the site as of ``now``; return what changed since its last evaluation."""
        observations = judged_observations(self.history, now, policy.stale_after_s)
        report = evaluate(policy.site_intent(self.site), Snapshot(observations), now)
        if observations:
            seen_at = observations[-1].collected_at
            for finding in report.links:
                tracked = track_usability(self.usability.get(finding.link), finding, seen_at)
                if tracked is not None:
                    self.usability[finding.link] = tracked
        usability = {(self.name, link): known for link, known in self.usability.items()}
        report = apply_convergence_grace(
            report, policy.app_links, usability, policy.settings.convergence_grace_s
        )
        changes = state_changes(self.report, report, now)
        self.report = report
        self.stale_check_at = self._next_expiry(now, policy.stale_after_s)
        return changes

    def leave(self, now: float) -> list[StateChange]:
        """The site left the intent: every subject it had leaves with it."""
        changes = state_changes(self.report, None, now)
        self.report = None
        return changes

    def relink(self, site: Site) -> None:
        """The intent changed the site's definition; keep what still means the same."""
        roles = {link.role for link in site.links}
        self.usability = {k: v for k, v in self.usability.items() if k in roles}
        self.counters = {k: v for k, v in self.counters.items() if k in roles}
        self.site = site

    def health(self, now: float, stale_after_s: float) -> TargetHealth | None:
        return None if self.target is None else self.target.health(now, stale_after_s)

    def link_totals(self) -> list[LinkTotals]:
        """In the site's link order; links never observed are left out."""
        return [
            self.counters[link.role].totals
            for link in self.site.links
            if link.role in self.counters
        ]

    def _next_expiry(self, now: float, stale_after_s: float) -> float | None:
        """When the newest good data (or the carried-forward BGP table) turns stale next."""
        times = [
            obs.collected_at + stale_after_s + _STALE_MARGIN_S
            for obs in (self.history.good, self.history.bgp)
            if obs is not None
        ]
        future = [t for t in times if t > now]
        return min(future) if future else None
