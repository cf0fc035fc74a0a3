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

from sprmon.collector.gnmi.plan import SitePlan, merge
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
from sprmon.daemon.collector import FailureReason, PollResult, PushResult
from sprmon.daemon.health import TargetTracker
from sprmon.daemon.shard import Shard
from sprmon.intentfile.loaded import LoadedIntent
from sprmon.inventory import DataPart, Inventory, RouterAccess
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
    """One site as the daemon knows it.

    A polled site (SNMP) takes each poll with :meth:`absorb`. A site read over
    gNMI, alone or together with SNMP (``plan``), takes each part's news with
    :meth:`absorb_part`: a stream pushes changes between counter samples, and a
    site read over both protocols is judged from the merge of their newest data.
    """

    def __init__(self, site: Site, protocol: Protocol | None, *, plan: SitePlan | None = None):
        self.site = site
        #: What the site reads over which protocol, when gNMI takes part (None: polled only).
        self.plan = plan
        #: The newest usable observation of each protocol, and why the newest attempt failed.
        self.parts: dict[Protocol, SiteObservation] = {}
        self.part_errors: dict[Protocol, str] = {}
        self.history = SiteHistory()
        self.usability: dict[str, LinkUsability] = {}
        self.counters: dict[str, LinkCounters] = {}
        #: The newest evaluation; None before the first one.
        self.report: Report | None = None
        #: Each protocol's target; the first is the one a polled site is polled with.
        self.targets: dict[Protocol, TargetTracker] = {}
        for name in [protocol, *(_protocols(plan) if plan is not None else ())]:
            if name is not None and name not in self.targets:
                self.targets[name] = TargetTracker(site.name, name)
        #: Wall-clock time at which the site's data turns stale next; None: nothing to expire.
        self.stale_check_at: float | None = None
        #: Monotonic start of the newest poll that read the BGP table whole.
        self.bgp_read_started: float | None = None

    @property
    def name(self) -> str:
        return self.site.name

    @property
    def target(self) -> TargetTracker | None:
        """The target of the site's first protocol; None when no collector speaks any."""
        return next(iter(self.targets.values()), None)

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

    def absorb_part(
        self,
        protocol: Protocol,
        result: PollResult | PushResult,
        *,
        sampled: bool,
        started: float | None,
        now: float,
        policy: Policy,
    ) -> None:
        """Take one protocol's news of a site read over gNMI (and perhaps SNMP too).

        ``sampled``: the observation's counters are a new sample. ``started``: when
        a poll that read the BGP table started (monotonic), for :meth:`bgp_table_due`.
        """
        observation = result.observation
        good = result.failure is None and observation.error is None
        tracker = self.targets.get(protocol)
        if tracker is not None:
            if isinstance(result, PushResult):
                tracker.bad_input(result.bad_input)
            if good:
                tracker.succeeded(observation.collected_at)
            else:
                tracker.failed(
                    result.failure or FailureReason.OTHER, observation.error or "read failed"
                )
        if good:
            self.parts[protocol] = observation
            self.part_errors.pop(protocol, None)
            if started is not None and observation.paths is not None:
                self.bgp_read_started = started
        else:
            self.part_errors[protocol] = observation.error or "read failed"
        plan = self.plan
        if plan is None or not plan.merged:
            self._record(observation, sampled=sampled, policy=policy)
            return
        stale = policy.stale_after_s
        usable: dict[str, SiteObservation] = {}
        missing: dict[str, str] = {}
        for name in (Protocol.GNMI, Protocol.SNMP):
            part = self.parts.get(name)
            if part is not None and now - part.collected_at <= stale:
                usable[name.value] = part
            elif name in self.part_errors:
                missing[name.value] = self.part_errors[name]
            elif part is not None:
                missing[name.value] = f"newest data is {now - part.collected_at:.0f} s old"
        merged = merge(
            self.name, plan, usable.get("gnmi"), usable.get("snmp"), at=now, missing=missing
        )
        reads_interfaces = plan.reader(DataPart.INTERFACES) == protocol.value
        self._record(
            merged,
            sampled=sampled and reads_interfaces,
            policy=policy,
            part_missing=len(usable) < 2,
        )

    def _record(
        self,
        observation: SiteObservation,
        *,
        sampled: bool,
        policy: Policy,
        part_missing: bool = False,
    ) -> None:
        """Into the history: a new counter sample, or the same sample with newer state.

        A stream's change between two counter samples carries the counters (and
        the time) of the last sample: it replaces the newest observation instead
        of becoming a sample of its own, so that rates stay those between two
        samples. So does a sample that comes less than half an interval after the
        last one (the rest of a sample the stream delivered in pieces).
        """
        history = self.history
        if observation.error is not None:
            if part_missing:
                # One protocol's data is gone for good (stale or never read): the site is
                # judged from what is left at once, not from the last merge while it ages.
                self.history = replace(history, good=None, bgp=None, failed=observation)
            else:
                self.history = record(history, observation)
        else:
            last = history.counters
            min_gap = policy.settings.counter_interval_s / 2
            if (
                observation.interfaces is None
                or last is None
                or (sampled and observation.collected_at - last.collected_at >= min_gap)
            ):
                self.history = record(history, observation)
            else:
                self.history = replace(
                    history,
                    good=observation,
                    counters=observation,
                    bgp=observation if observation.paths is not None else history.bgp,
                    failed=None,
                )
        for link in self.site.links:
            self.counters[link.role] = advance_totals(
                self.counters.get(link.role), self.name, link, observation
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

    def health(self, now: float, stale_after_s: float) -> list[TargetHealth]:
        """Each protocol's target (none when no collector speaks any)."""
        return [tracker.health(now, stale_after_s) for tracker in self.targets.values()]

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


def _protocols(plan: SitePlan) -> list[Protocol]:
    return [
        name for name, parts in ((Protocol.GNMI, plan.gnmi), (Protocol.SNMP, plan.snmp)) if parts
    ]
