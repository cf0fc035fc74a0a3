"""The faults the lab can inject: what each one takes, and what a router's faults mean.

Pure functions of a router's list of :class:`ActiveFault`; the model applies
them (:meth:`sprmon.lab.model.WanModel.inject`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sprmon.core.prefixes import Prefix, canonical_prefix
from sprmon.lab.errors import FaultError
from sprmon.lab.plan import APPLICATIONS, DC_PREFIXES, LINK_ROLES, MPLS, STEERED_PREFIXES, core_med

#: ``counter-wrap`` puts the octet counters this many seconds of traffic below
#: the wrap, so they wrap on one of the next ticks.
WRAP_AFTER_S = 5.0
#: MED that ``med-drift`` sets on the steered prefixes unless told otherwise:
#: the scenario's mistake (the backup MED).
DRIFT_MED = 300


class Fault(StrEnum):
    LINK_DOWN = "link-down"
    SESSION_DOWN = "session-down"
    MED_DRIFT = "med-drift"
    WITHDRAW = "withdraw"
    COUNTER_WRAP = "counter-wrap"
    REBOOT = "reboot"
    MUTE = "mute"
    GARBAGE = "garbage"


#: Faults that happen once (an event) rather than hold until cleared.
ONE_SHOT_FAULTS = frozenset({Fault.COUNTER_WRAP, Fault.REBOOT})
#: Faults that take a LINK argument.
LINK_FAULTS = frozenset({Fault.LINK_DOWN, Fault.SESSION_DOWN, Fault.MED_DRIFT, Fault.WITHDRAW})
#: What may happen to a core router (its per-site faults are injected at the site).
CORE_FAULTS = frozenset({Fault.COUNTER_WRAP, Fault.REBOOT, Fault.MUTE, Fault.GARBAGE})


@dataclass(frozen=True, slots=True)
class ActiveFault:
    """A fault as injected: what, on which link, for which prefix, with which MED."""

    fault: Fault
    link: str | None = None
    prefix: Prefix | None = None
    med: int | None = None

    def describe(self) -> str:
        words = [str(self.fault)]
        if self.link is not None:
            words.append(self.link)
        if self.prefix is not None:
            words.append(self.prefix)
        if self.med is not None:
            words.append(f"MED {self.med}")
        return " ".join(words)


def check_fault(
    fault: Fault | str,
    *,
    on_core: bool,
    link: str | None,
    prefix: str | None,
    med: int | None,
) -> ActiveFault:
    """The fault as it will be recorded, defaults filled in.

    Raises :class:`FaultError` if it does not apply (to a core router when
    ``on_core``): an unknown fault, link or prefix, or an argument it does not take.
    """
    try:
        kind = Fault(fault)
    except ValueError:
        raise FaultError(
            f"unknown fault {fault!r}; faults are: {', '.join(f.value for f in Fault)}"
        ) from None
    if on_core and kind not in CORE_FAULTS:
        raise FaultError(
            f"{kind} happens on a site's link, not on a core router: inject it at the site "
            f"(a core takes {', '.join(sorted(CORE_FAULTS))})"
        )
    if kind not in LINK_FAULTS:
        if link is not None:
            raise FaultError(f"{kind} takes no link")
        link_role = None
    else:
        link_role = link or MPLS
        if link_role not in LINK_ROLES:
            raise FaultError(f"unknown link {link_role!r}; links are {', '.join(LINK_ROLES)}")
    if prefix is not None and kind is not Fault.WITHDRAW:
        raise FaultError(f"{kind} takes no prefix (only withdraw does)")
    if med is not None and kind is not Fault.MED_DRIFT:
        raise FaultError(f"{kind} takes no MED (only med-drift does)")
    fault_prefix: Prefix | None = None
    if kind is Fault.WITHDRAW:
        assert link_role is not None
        fault_prefix = _withdrawn_prefix(link_role, prefix)
    fault_med: int | None = None
    if kind is Fault.MED_DRIFT:
        fault_med = DRIFT_MED if med is None else med
        if not 0 <= fault_med <= 2**32 - 1:
            raise FaultError(f"med-drift: MED {fault_med} is outside 0..4294967295")
    return ActiveFault(kind, link=link_role, prefix=fault_prefix, med=fault_med)


def _withdrawn_prefix(link_role: str, prefix: str | None) -> Prefix:
    if prefix is None:
        # The first prefix of the application that does not prefer the link:
        # the link carries that prefix's backup path.
        return next(app.prefixes[0] for app in APPLICATIONS if app.links[0] != link_role)
    try:
        fault_prefix = canonical_prefix(prefix)
    except ValueError as exc:
        raise FaultError(f"withdraw: {prefix!r} is not a prefix: {exc}") from exc
    if fault_prefix not in DC_PREFIXES:
        raise FaultError(
            f"withdraw: the cores do not advertise {fault_prefix}; "
            f"they advertise {', '.join(DC_PREFIXES)}"
        )
    return fault_prefix


def with_fault(faults: Sequence[ActiveFault], record: ActiveFault) -> list[ActiveFault]:
    """A router's lasting faults once ``record`` (not a one-shot fault) is injected."""
    if record in faults:
        return list(faults)
    if record.fault is Fault.MED_DRIFT:
        # A new MED replaces the drift already set on that link.
        faults = [f for f in faults if (f.fault, f.link) != (Fault.MED_DRIFT, record.link)]
    return [*faults, record]


def link_up(faults: Sequence[ActiveFault], role: str) -> bool:
    return not any(f.fault is Fault.LINK_DOWN and f.link == role for f in faults)


def session_wanted(faults: Sequence[ActiveFault], role: str) -> bool:
    return link_up(faults, role) and not any(
        f.fault is Fault.SESSION_DOWN and f.link == role for f in faults
    )


def advertised(faults: Sequence[ActiveFault], role: str) -> dict[Prefix, int]:
    """What the core on ``role`` sends to a site with ``faults``: prefix -> MED."""
    withdrawn = {f.prefix for f in faults if f.fault is Fault.WITHDRAW and f.link == role}
    drift = next((f.med for f in faults if f.fault is Fault.MED_DRIFT and f.link == role), None)
    result: dict[Prefix, int] = {}
    for prefix in DC_PREFIXES:
        if prefix in withdrawn:
            continue
        if drift is not None and prefix in STEERED_PREFIXES:
            result[prefix] = drift
        else:
            result[prefix] = core_med(role, prefix)
    return result
