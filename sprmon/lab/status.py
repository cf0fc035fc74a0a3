"""What ``sprmon lab status`` shows for each router, read from the model."""

from __future__ import annotations

from dataclasses import dataclass

from sprmon.lab.model import WanModel
from sprmon.lab.plan import DC_PREFIXES


@dataclass(frozen=True, slots=True)
class RouterSummary:
    """What ``sprmon lab status`` shows for one router."""

    name: str
    kind: str  # "site" or "core"
    asn: int
    faults: tuple[str, ...]
    #: Site: link role -> session state; core: number of sessions per state.
    sessions: dict[str, str]
    #: Site only: IPv4 and IPv6 data-centre prefix -> link of the best path (None: no route).
    best_links: dict[str, str | None]


def summarize(model: WanModel, router: str) -> RouterSummary:
    """``router``'s summary as of the model's time; :class:`FaultError` for no such router."""
    described = tuple(f.describe() for f in model.faults(router))
    asn = model.asn(router)
    peers = model.peers(router)
    if model.is_core(router):
        counts: dict[str, int] = {}
        for info in peers:
            counts[info.peer.state.value] = counts.get(info.peer.state.value, 0) + 1
        return RouterSummary(
            name=router,
            kind="core",
            asn=asn,
            faults=described,
            sessions={k: str(v) for k, v in sorted(counts.items())},
            best_links={},
        )
    # A site has one session per link, to that link's core address.
    states = {info.peer.address: info.peer.state.value for info in peers}
    return RouterSummary(
        name=router,
        kind="site",
        asn=asn,
        faults=described,
        sessions={link.role: states[link.core_address] for link in model.site(router).links},
        best_links={p: model.best_link(router, p) for p in DC_PREFIXES},
    )
