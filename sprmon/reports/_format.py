"""Wording and number formats shared by the renderers.

What these functions return is printable (:func:`sprmon.printable.printable`):
the text renderers use it as it is.
"""

from __future__ import annotations

from sprmon.core.findings import CandidatePath, LinkFinding, Severity
from sprmon.printable import printable

#: rich styles per severity: what an operator must care about stands out.
SEVERITY_STYLE = {
    Severity.OK: "green",
    Severity.WARNING: "yellow",
    Severity.CRITICAL: "red",
    Severity.UNKNOWN: "magenta",
}


#: Severities in the order reports list them: by exit code, as operators know them.
SEVERITIES = tuple(sorted(Severity, key=lambda s: s.exit_code))


def severity_name(severity: Severity) -> str:
    """``ok``, ``warning``, ``critical`` or ``unknown``."""
    return severity.value


def yes_no(value: bool | None) -> str:
    return "?" if value is None else ("yes" if value else "no")


def percent(ratio: float | None) -> str:
    return "?" if ratio is None else f"{ratio * 100:.1f}%"


def bit_rate(bps: float | None) -> str:
    """``9.0 Mbit/s``: three significant digits are what a dashboard shows too."""
    if bps is None:
        return "?"
    for unit, scale in (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if abs(bps) >= scale:
            return f"{bps / scale:.3g} {unit}"
    return f"{bps:.3g} bit/s"


def per_second(rate: float | None) -> str:
    return "?" if rate is None else f"{rate:.3g}/s"


#: What candidate_cells returns, in order.
CANDIDATE_COLUMNS = ("best", "link", "peer", "attributes")


def candidate_cells(candidate: CandidatePath) -> tuple[str, str, str, str]:
    """One candidate path as an operator reads a ``show bgp`` line (printable)."""
    attributes = []
    if candidate.next_hop is not None and candidate.next_hop != candidate.peer:
        attributes.append(f"next hop {candidate.next_hop}")
    if candidate.med is not None:
        attributes.append(f"MED {candidate.med}")
    if candidate.local_pref is not None:
        attributes.append(f"local-pref {candidate.local_pref}")
    if candidate.as_path:
        attributes.append("AS path " + " ".join(str(asn) for asn in candidate.as_path))
    return (
        "best" if candidate.best else "",
        printable(candidate.link or "?"),
        printable(candidate.peer),
        printable(", ".join(attributes)),
    )


def link_problems(finding: LinkFinding) -> list[str]:
    """What is notable about a link, in the order an operator checks it (printable)."""
    problems: list[str] = []
    if finding.oper_up is False:
        problems.append("interface down")
    elif finding.oper_up is None:
        problems.append("interface state unknown")
    if finding.bgp_established is False:
        problems.append("BGP session not established")
    elif finding.bgp_established is None:
        problems.append("BGP session state unknown")
    capacity = bit_rate(finding.capacity_bps)
    # A link that is down carries nothing: its rates would only be noise.
    for direction, bps, ratio in (
        ("in", finding.in_bps, finding.utilization_in),
        ("out", finding.out_bps, finding.utilization_out),
    ):
        if finding.oper_up is not False and bps is not None and ratio is not None:
            problems.append(f"{direction} {bit_rate(bps)} ({percent(ratio)} of {capacity})")
    if finding.error_rate:
        problems.append(f"errors {per_second(finding.error_rate)}")
    if finding.discard_rate:
        problems.append(f"discards {per_second(finding.discard_rate)}")
    problems.extend(printable(note) for note in finding.notes)
    return problems
