"""Which protocols each lab site answers: SNMP, gNMI or both (``sprmon lab --protocols``).

The core routers always answer SNMP only: they are not remote sites and are
not in the intent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sprmon.lab.errors import LabError

SNMP = "snmp"
GNMI = "gnmi"
#: Every site SNMP; every other site (site-001, site-003, ...) gNMI as well.
MIXED = "mixed"
#: What ``--protocols`` accepts (the order of a comma-separated pair does not matter).
CHOICES = (MIXED, SNMP, GNMI, f"{SNMP},{GNMI}")

_BOTH = frozenset({SNMP, GNMI})


@dataclass(frozen=True, slots=True)
class ProtocolPlan:
    """The protocols of every site, from one of :data:`CHOICES`."""

    choice: str

    def of(self, site_index: int) -> frozenset[str]:
        """The protocols site number ``site_index`` (1-based) answers."""
        if self.choice == MIXED:
            # Odd sites, so that a one-site lab still shows gNMI.
            return _BOTH if site_index % 2 == 1 else frozenset({SNMP})
        if self.choice == SNMP:
            return frozenset({SNMP})
        if self.choice == GNMI:
            return frozenset({GNMI})
        return _BOTH

    def every_site(self, sites: int, protocol: str) -> bool:
        """True if all of ``sites`` sites answer ``protocol``."""
        return all(protocol in self.of(i) for i in range(1, sites + 1))


def parse_protocols(text: str) -> ProtocolPlan:
    """``mixed``, ``snmp``, ``gnmi`` or ``snmp,gnmi`` (either order, any case)."""
    words = [w.strip().lower() for w in text.split(",") if w.strip()]
    if words == [MIXED]:
        return ProtocolPlan(MIXED)
    if words and set(words) <= _BOTH and len(words) == len(set(words)):
        if set(words) == _BOTH:
            return ProtocolPlan(f"{SNMP},{GNMI}")
        return ProtocolPlan(words[0])
    raise LabError(
        f"protocols {text!r}: choose {', '.join(CHOICES)} "
        "(mixed: every site SNMP, every other one gNMI as well)"
    )
