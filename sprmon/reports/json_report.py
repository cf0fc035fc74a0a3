"""The ``sprmon.check/v1`` JSON document (every field: docs/json-output.md).

Key order is fixed (dicts are built in documentation order and never sorted)
so that two runs over the same data give byte-identical output. Times are ISO
8601 UTC strings; utilisations are fractions (0.9 is 90 %); rates are rounded
to the millibit so that float noise does not show up as a change. Strings are
exactly what was observed; the characters that are not printable (a control
character, a lone surrogate) are written as ``\\uXXXX`` escapes, so that the
document is safe on a terminal and encodes to UTF-8 whatever an agent sent.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sprmon.core.findings import (
    CandidatePath,
    LinkFinding,
    PathFinding,
    PathState,
    Report,
)
from sprmon.isotime import format_time
from sprmon.printable import json_printable
from sprmon.reports._format import SEVERITIES, severity_name

__all__ = [
    "SCHEMA",
    "candidate_to_dict",
    "link_to_dict",
    "path_to_dict",
    "render_json",
    "report_to_dict",
]

SCHEMA = "sprmon.check/v1"


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def candidate_to_dict(candidate: CandidatePath) -> dict[str, Any]:
    return {
        "link": candidate.link,
        "peer": candidate.peer,
        "next_hop": candidate.next_hop,
        "med": candidate.med,
        "local_pref": candidate.local_pref,
        "as_path": list(candidate.as_path),
        "best": candidate.best,
    }


def path_to_dict(finding: PathFinding) -> dict[str, Any]:
    return {
        "site": finding.site,
        "app": finding.app,
        "prefix": finding.prefix,
        "state": finding.state.value,
        "severity": severity_name(finding.severity),
        "expected_link": finding.expected_link,
        "actual_links": list(finding.actual_links),
        "redundant": finding.redundant,
        "marking_ok": finding.marking_ok,
        "explanation": finding.explanation,
        "matched_prefix": finding.matched_prefix,
        "candidates": [candidate_to_dict(c) for c in finding.candidates],
    }


def link_to_dict(finding: LinkFinding) -> dict[str, Any]:
    since = finding.established_since
    return {
        "site": finding.site,
        "link": finding.link,
        "severity": severity_name(finding.severity),
        "oper_up": finding.oper_up,
        "bgp_established": finding.bgp_established,
        "established_since": None if since is None else format_time(since),
        "capacity_bps": finding.capacity_bps,
        "in_bps": _round(finding.in_bps, 3),
        "out_bps": _round(finding.out_bps, 3),
        "utilization_in": _round(finding.utilization_in, 6),
        "utilization_out": _round(finding.utilization_out, 6),
        "error_rate": _round(finding.error_rate, 6),
        "discard_rate": _round(finding.discard_rate, 6),
        "notes": list(finding.notes),
    }


def summary_to_dict(report: Report) -> dict[str, Any]:
    states = report.state_counts()
    link_severities = Counter(f.severity for f in report.links)
    summary: dict[str, Any] = {state.value: states[state.value] for state in PathState}
    summary.update(
        {
            "paths": len(report.paths),
            "links": len(report.links),
            "sites": len({f.site for f in report.paths} | {f.site for f in report.links}),
            "not_redundant": sum(1 for f in report.paths if f.redundant is False),
            "marking_wrong": sum(1 for f in report.paths if f.marking_ok is False),
            "links_by_severity": {severity_name(s): link_severities.get(s, 0) for s in SEVERITIES},
        }
    )
    return summary


def report_to_dict(report: Report) -> dict[str, Any]:
    severity = report.severity()
    return {
        "schema": SCHEMA,
        "evaluated_at": format_time(report.evaluated_at),
        "severity": severity_name(severity),
        "exit_code": severity.exit_code,
        "summary": summary_to_dict(report),
        "paths": [path_to_dict(f) for f in report.paths],
        "links": [link_to_dict(f) for f in report.links],
    }


def render_json(report: Report) -> str:
    """The document, indented, with a final newline."""
    return json_printable(json.dumps(report_to_dict(report), indent=2, ensure_ascii=False)) + "\n"
