"""sprmon objects pointing at the peers here: sites whose SNMP target is a local agent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sprmon.collector.poller import SitePollStats, SnmpSite
from sprmon.core.intent import Site
from sprmon.core.observed import SiteObservation
from sprmon.inventory import SecretRef, SnmpTarget

#: Test sites read their community from this variable (set it with monkeypatch).
COMMUNITY_ENV = "SPRMON_TEST_COMMUNITY"
COMMUNITY = "public"

#: The ``poll_one`` fixture: ``await poll_one(site, prefixes, backend=..., **poller options)``.
PollOne = Callable[..., Awaitable[tuple[SiteObservation, SitePollStats]]]


def snmp_site(name: str, host: str, port: int, **target: object) -> SnmpSite:
    """A site and its SNMP target, which reads the community from :data:`COMMUNITY_ENV`."""
    options: dict[str, object] = {
        "community": SecretRef(env=COMMUNITY_ENV),
        "timeout_s": 1.0,
        "retries": 1,
    }
    options.update(target)
    return SnmpSite(Site(name=name, links=()), SnmpTarget(host, port, **options))  # type: ignore[arg-type]
