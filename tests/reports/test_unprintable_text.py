"""Control characters in names and error texts never reach the terminal raw, in any renderer.

Every string a renderer takes from a report carries ESC (a colour sequence),
BEL, CR, NUL, DEL, a C1 CSI, U+2028, a right-to-left override, a BOM, a
language tag past the BMP and a lone surrogate (what JSON's ``"\\ud800"``
decodes to). The text renderers print each as its escape; JUnit XML stays
well formed; JSON keeps the exact strings and escapes them as ``\\uXXXX``.
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET

import pytest

from sprmon.cli.common import CliError, CliUsageError, PrintableFormatter
from sprmon.core.diff import diff_reports
from sprmon.core.findings import (
    CandidatePath,
    LinkFinding,
    PathFinding,
    PathState,
    Report,
    Severity,
)
from sprmon.core.monitor import StateChange, Subject
from sprmon.core.prefixes import Prefix
from sprmon.daemon.logs import JsonFormatter, change_event, change_text
from sprmon.printable import json_printable, printable
from sprmon.reports.diff_view import diff_to_dict, render_diff_json, render_diff_table
from sprmon.reports.json_report import render_json, report_to_dict
from sprmon.reports.junit import render_junit
from sprmon.reports.table import render_table

#: One of each kind of character that must not reach a terminal or an XML document raw.
HOSTILE = (
    "\x1b[2J\x1b]0;owned\x07|\r|\x00|\x7f|\x9b31m|\u2028|\u202egnirts|\ufeff|\U000e0001|\ud800"
)
#: How the text renderers print it.
ESCAPED = (
    "\\x1b[2J\\x1b]0;owned\\x07|\\r|\\x00|\\x7f|\\x9b31m|\\u2028|\\u202egnirts|\\ufeff"
    "|\\U000e0001|\\ud800"
)
#: ANSI colours as rich writes them (the only escape sequences a coloured table may hold).
_RICH_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _hostile(field: str) -> str:
    return f"{field}{HOSTILE}"


def _assert_safe(text: str) -> None:
    """Printable but for line ends, and encodable: what a terminal or a file can take."""
    unsafe = sorted({c for c in text if not (c.isprintable() or c == "\n")})
    assert unsafe == []
    text.encode("utf-8")


def _report(evaluated_at: float = 1_764_590_400.0, *, state: PathState) -> Report:
    candidate = CandidatePath(
        link=_hostile("cand-link"),
        peer=_hostile("peer"),
        next_hop=_hostile("hop"),
        med=200,
        local_pref=None,
        as_path=(65000,),
        best=True,
    )
    severity = Severity.CRITICAL if state is PathState.DRIFT else Severity.UNKNOWN
    path = PathFinding(
        site=_hostile("site"),
        app=_hostile("app"),
        prefix=Prefix(_hostile("prefix")),
        state=state,
        severity=severity,
        expected_link=_hostile("expected"),
        actual_links=(_hostile("actual"),),
        redundant=False,
        marking_ok=False,
        explanation=_hostile("explanation"),
        candidates=(candidate,),
    )
    warned = path._replace(
        app=_hostile("warned-app"), state=PathState.COMPLIANT, severity=Severity.WARNING
    )
    link = LinkFinding(
        site=_hostile("site"),
        link=_hostile("link"),
        severity=Severity.UNKNOWN,
        oper_up=None,
        bgp_established=None,
        established_since=None,
        capacity_bps=10_000_000,
        in_bps=None,
        out_bps=None,
        utilization_in=None,
        utilization_out=None,
        error_rate=None,
        discard_rate=None,
        notes=(_hostile("note"),),
    )
    return Report(evaluated_at=evaluated_at, paths=(path, warned), links=(link,))


@pytest.fixture(params=[PathState.DRIFT, PathState.UNKNOWN], ids=["drift", "unknown"])
def report(request: pytest.FixtureRequest) -> Report:
    return _report(state=request.param)


def test_printable_escapes_what_is_not_printable_and_keeps_every_script() -> None:
    assert printable(HOSTILE) == ESCAPED
    assert printable("\t\n") == "\\t\\n"
    assert printable("Zürich — 東京 ñ") == "Zürich — 東京 ñ"
    # Its result is printable: escaping twice changes nothing.
    assert printable(printable(HOSTILE)) == ESCAPED


def test_json_printable_decodes_to_the_same_strings() -> None:
    document = json.dumps({"x": HOSTILE, "y": ["é\u2029"]}, indent=2, ensure_ascii=False)
    escaped = json_printable(document)
    _assert_safe(escaped)
    assert json.loads(escaped) == {"x": HOSTILE, "y": ["é\u2029"]}
    assert "\\udb40\\udc01" in escaped  # U+E0001 as JSON's surrogate pair


@pytest.mark.parametrize("color", [False, True], ids=["plain", "colour"])
def test_table_prints_every_field_escaped(report: Report, color: bool) -> None:
    text = render_table(report, width=400, color=color)
    _assert_safe(_RICH_SGR.sub("", text))
    plain = _RICH_SGR.sub("", text)
    # The findings below the tables print whole what the tables' cells may shorten.
    fields = ["site", "app", "prefix", "explanation", "link", "note", "warned-app"]
    if report.paths[0].state is PathState.DRIFT:
        fields += ["cand-link", "peer", "hop"]  # the candidates of a drift are listed
    for field in fields:
        assert field + ESCAPED in plain, field
    assert "actual" + ESCAPED[:30] in plain  # only in the paths table's via column


def test_junit_is_well_formed_xml_with_every_field_escaped(report: Report) -> None:
    text = render_junit(report)
    _assert_safe(text)
    root = ET.fromstring(text)
    cases = list(root.iter("testcase"))
    assert {c.get("classname") for c in cases} == {"site" + ESCAPED}
    names = {c.get("name") for c in cases}
    assert f"app{ESCAPED} prefix{ESCAPED}" in names
    assert f"link link{ESCAPED}" in names
    outcomes = [e for c in cases for e in c if e.tag in ("failure", "error")]
    assert outcomes[0].get("message") == "explanation" + ESCAPED
    assert f"peer{ESCAPED}" in (outcomes[0].text or "")
    assert "note" + ESCAPED in (outcomes[-1].get("message") or "")
    (warned,) = (c for c in cases if (c.get("name") or "").startswith("warned-app"))
    assert warned.findtext("system-out") == "warning: explanation" + ESCAPED


def test_json_keeps_the_exact_strings_and_prints_safely(report: Report) -> None:
    text = render_json(report)
    _assert_safe(text)
    assert json.loads(text) == report_to_dict(report)
    assert json.loads(text)["paths"][0]["explanation"] == "explanation" + HOSTILE


def test_diff_table_and_json_escape_every_key_and_description() -> None:
    before = _report(state=PathState.UNKNOWN)
    after = _report(before.evaluated_at + 60, state=PathState.DRIFT)
    result = diff_reports(before, after)
    assert result.changes

    table = render_diff_table(result, before, after, width=400)
    _assert_safe(table)
    assert f"site{ESCAPED} app{ESCAPED} prefix{ESCAPED}" in table

    document = render_diff_json(result, before, after)
    _assert_safe(document)
    assert json.loads(document) == diff_to_dict(result, before, after)


def _change() -> StateChange:
    return StateChange(
        at=1_764_590_403.5,
        site=_hostile("site"),
        subject=Subject.PATH,
        old_state="compliant",
        new_state="drift",
        explanation=_hostile("explanation"),
        app=_hostile("app"),
        prefix=Prefix(_hostile("prefix")),
        expected_link="mpls",
        actual_links=(_hostile("actual"),),
    )


def _record(message: str, event: object = None) -> logging.LogRecord:
    record = logging.LogRecord("sprmon.test", logging.INFO, __file__, 1, "%s", (message,), None)
    if event is not None:
        record.event = event
    return record


def test_daemon_log_lines_are_escaped_as_text_and_as_json() -> None:
    change = _change()
    line = change_text(change)
    _assert_safe(line)
    assert line.startswith(f"site{ESCAPED} path app{ESCAPED} prefix{ESCAPED}: ")

    # Any message through the text formatter, not only state changes.
    text = PrintableFormatter("%(levelname)s: %(message)s").format(_record(HOSTILE))
    assert text == "INFO: " + ESCAPED

    document = JsonFormatter().format(_record(HOSTILE, change_event(change)))
    _assert_safe(document)
    assert "\n" not in document
    decoded = json.loads(document)
    assert decoded["message"] == HOSTILE
    assert decoded["event"]["explanation"] == "explanation" + HOSTILE


def test_text_formatter_keeps_a_tracebacks_lines() -> None:
    try:
        raise ValueError(HOSTILE)
    except ValueError:
        import sys  # noqa: PLC0415

        record = logging.LogRecord(
            "sprmon", logging.DEBUG, __file__, 1, "internal error", (), sys.exc_info()
        )
    text = PrintableFormatter("%(message)s").format(record)
    assert text.startswith("internal error\nTraceback (most recent call last):\n")


@pytest.mark.parametrize("error", [CliError, CliUsageError])
def test_a_cli_error_quoting_an_agent_is_one_safe_line(
    error: type[CliError | CliUsageError], capsys: pytest.CaptureFixture[str]
) -> None:
    error(f"agent said {HOSTILE}\nsecond line").show()
    err = capsys.readouterr().err
    _assert_safe(err)
    assert err.count("\n") == 1
    assert f"agent said {ESCAPED}\\nsecond line" in err
