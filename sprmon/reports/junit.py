"""The report as JUnit XML, for CI systems and test dashboards.

One ``<testcase classname="SITE" name="APP PREFIX">`` per path finding: a
``<failure>`` for failover, drift and no route (``type`` is the state,
``message`` the explanation), an ``<error>`` for unknown, and a pass for a
compliant path (with its warning, if any, in ``<system-out>``). Links that are
not OK add one ``<testcase classname="SITE" name="link LINK">`` each: a
``<failure>`` for warning and critical, an ``<error>`` for unknown.

Every name and text from the network goes through
:func:`~sprmon.printable.printable`: XML 1.0 has no way to write most control
characters (an ESC or a NUL, even as ``&#27;``), so without it one odd byte
from an agent would make the whole document unreadable to the CI system.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sprmon.core.findings import LinkFinding, PathFinding, PathState, Report, Severity
from sprmon.isotime import format_time
from sprmon.printable import printable
from sprmon.reports._format import candidate_cells, link_problems, severity_name

__all__ = ["SUITE_NAME", "render_junit"]

SUITE_NAME = "sprmon.check"

_FAILED_STATES = (PathState.FAILOVER, PathState.DRIFT, PathState.NO_ROUTE)


def _path_case(finding: PathFinding) -> tuple[ET.Element, str | None]:
    case = ET.Element(
        "testcase",
        classname=printable(finding.site),
        name=printable(f"{finding.app} {finding.prefix}"),
        time="0",
    )
    explanation = printable(finding.explanation)
    if finding.state in _FAILED_STATES:
        outcome = "failure"
    elif finding.state is PathState.UNKNOWN:
        outcome = "error"
    else:
        if finding.severity is not Severity.OK:
            ET.SubElement(
                case, "system-out"
            ).text = f"{severity_name(finding.severity)}: {explanation}"
        return case, None
    element = ET.SubElement(case, outcome, type=finding.state.value, message=explanation)
    lines = [explanation]
    if finding.candidates:
        lines.append("candidate paths:")
        lines += [
            "  " + "  ".join(c or "    " for c in candidate_cells(path))
            for path in finding.candidates
        ]
    element.text = "\n".join(lines)
    return case, outcome


def _link_case(finding: LinkFinding) -> tuple[ET.Element, str]:
    case = ET.Element(
        "testcase",
        classname=printable(finding.site),
        name=printable(f"link {finding.link}"),
        time="0",
    )
    outcome = "error" if finding.severity is Severity.UNKNOWN else "failure"
    message = "; ".join(link_problems(finding))
    ET.SubElement(
        case, outcome, type=severity_name(finding.severity), message=message
    ).text = message
    return case, outcome


def render_junit(report: Report) -> str:
    """The XML document, with declaration and a final newline."""
    cases: list[ET.Element] = []
    outcomes: list[str | None] = []
    for path in report.paths:
        case, outcome = _path_case(path)
        cases.append(case)
        outcomes.append(outcome)
    for link in report.links:
        if link.severity is not Severity.OK:
            case, link_outcome = _link_case(link)
            cases.append(case)
            outcomes.append(link_outcome)

    counts = {
        "tests": str(len(cases)),
        "failures": str(outcomes.count("failure")),
        "errors": str(outcomes.count("error")),
        "skipped": "0",
        "time": "0",
    }
    root = ET.Element("testsuites", {"name": "sprmon", **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {"name": SUITE_NAME, "timestamp": format_time(report.evaluated_at), **counts},
    )
    suite.extend(cases)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
