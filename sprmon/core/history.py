"""What the daemon remembers of one site between polls, and what it judges from it.

The daemon polls the interfaces and BGP peers every counter interval and the
BGP table only every BGP interval (see
:class:`~sprmon.core.settings.MonitorSettings`), and a poll may fail. A
:class:`SiteHistory` keeps just enough to judge the site at any moment:

- the newest good poll (no error) and the good poll with interface counters
  before it, for rates;
- the newest poll that read the BGP table, whose paths a poll that did not
  read it carries forward, while they are fresh;
- the newest poll if it failed after the last good one.

:func:`judged_observations` picks the observations the evaluation sees. A
failed poll does not hide the last good state at once (one lost UDP
exchange must not flap every path to ``unknown``), but only while that good
state is fresh: once it is older than the intent's stale time, the site is
judged from the failure, so it is ``unknown`` with the poll error as the
reason, never its last good state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sprmon.core.observed import SiteObservation

__all__ = ["SiteHistory", "judged_observations", "record"]


@dataclass(frozen=True, slots=True)
class SiteHistory:
    #: The newest poll without error.
    good: SiteObservation | None = None
    #: The good poll with interfaces before the newest one with interfaces.
    prior_counters: SiteObservation | None = None
    #: The newest good poll with interfaces.
    counters: SiteObservation | None = None
    #: The newest good poll that read the BGP table.
    bgp: SiteObservation | None = None
    #: The newest poll, when it failed after :attr:`good`.
    failed: SiteObservation | None = None

    @property
    def newest(self) -> SiteObservation | None:
        """The newest poll, good or failed."""
        return self.failed if self.failed is not None else self.good


def record(history: SiteHistory, observation: SiteObservation) -> SiteHistory:
    """``history`` after ``observation``, the site's newest poll."""
    if observation.error is not None:
        return replace(history, failed=observation)
    counters, prior = history.counters, history.prior_counters
    if observation.interfaces is not None:
        counters, prior = observation, history.counters
    return SiteHistory(
        good=observation,
        prior_counters=prior,
        counters=counters,
        bgp=observation if observation.paths is not None else history.bgp,
        failed=None,
    )


def judged_observations(
    history: SiteHistory, now: float, stale_after_s: float
) -> tuple[SiteObservation, ...]:
    """The observations to evaluate the site with as of ``now``, oldest first.

    The newest good poll while it is fresh (with the newest BGP table carried
    forward when the poll did not read one, if that table is fresh too), with
    the previous counters for rates; else the newest poll, whatever it is, for
    the evaluation to report why the site is unknown.
    """
    good = history.good
    if good is None or now - good.collected_at > stale_after_s:
        newest = history.newest
        return () if newest is None else (newest,)
    current = good
    if good.paths is None:
        bgp = history.bgp
        if bgp is not None and now - bgp.collected_at <= stale_after_s:
            current = replace(good, paths=bgp.paths)
        elif bgp is not None:
            age = now - bgp.collected_at
            current = replace(
                good,
                error=f"newest BGP table is {age:.0f} s old (stale after {stale_after_s:g} s)",
            )
        else:
            current = replace(good, error="BGP table not read yet")
    prior = history.prior_counters
    if prior is not None and good is history.counters:
        return (prior, current)
    return (current,)
