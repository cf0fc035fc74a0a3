"""The plain table layout: rich's exact text without rich, or None to leave it to rich."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sprmon.core.findings import (
    CandidatePath,
    LinkFinding,
    PathFinding,
    PathState,
    Report,
    Severity,
)
from sprmon.core.prefixes import Prefix
from sprmon.reports.plain_table import render_plain_table
from sprmon.reports.table import render_table

EXAMPLES = ("mixed.json", "compliant.json", "before.json", "after.json")


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("width", [79, 80, 132])
def test_every_example_report_is_laid_out_without_rich_exactly_as_rich_does(
    scenario_report: Callable[[str], Report], name: str, width: int
) -> None:
    report = scenario_report(name)
    assert render_plain_table(report, width=width) == render_table(report, width=width)


def _finding(site: str, explanation: str = "fine", **overrides: object) -> PathFinding:
    fields: dict[str, object] = {
        "site": site,
        "app": "legacy",
        "prefix": Prefix("10.0.21.0/24"),
        "state": PathState.DRIFT,
        "severity": Severity.CRITICAL,
        "expected_link": "mpls",
        "actual_links": ("inet",),
        "redundant": True,
        "marking_ok": False,
        "explanation": explanation,
        "candidates": (
            CandidatePath("inet", "203.0.113.1", None, 200, None, (65000,), best=True),
            CandidatePath("mpls", "198.51.100.9", None, 300, None, (65000,), best=False),
        ),
    }
    fields.update(overrides)
    return PathFinding(**fields)  # type: ignore[arg-type]


def _report(*paths: PathFinding) -> Report:
    return Report(evaluated_at=1_795_000_000.0, paths=paths, links=())


@pytest.mark.parametrize(
    ("why", "report"),
    [
        ("a table wider than the line", _report(_finding("branch-" + "x" * 40))),
        ("a name rich measures in cells", _report(_finding("filiale-zürich"))),
        ("a wide character", _report(_finding("支店-01"))),
        ("a word longer than a line", _report(_finding("b1", "route " + "x" * 90))),
        ("a blank explanation", _report(_finding("b1", "   "))),
        (
            "a candidate column empty in every row",
            _report(
                _finding(
                    "b1",
                    candidates=(CandidatePath("mpls", "192.0.2.1", None, None, None, (), False),),
                )
            ),
        ),
    ],
)
def test_what_only_rich_lays_out_faithfully_is_left_to_rich(why: str, report: Report) -> None:
    assert render_plain_table(report) is None, why


def test_a_long_explanation_wraps_between_words_as_rich_wraps_it() -> None:
    words = " ".join(f"word{i}" for i in range(40))
    report = _report(_finding("b1", f"via inet  beat   mpls: {words}, and more."))
    plain = render_plain_table(report)
    assert plain is not None
    assert plain == render_table(report)
    assert max(len(line) for line in plain.splitlines()) <= 80


# Text as the network may send it: short ASCII names and sentences of words;
# the same with now and then a blank, an empty name or a long word; anything.
_NAME = st.text(alphabet="abcxyz-_./:019", min_size=1, max_size=10)
_ASCII = st.one_of(*[_NAME] * 12, st.just(""), st.just(" "), st.text("ab ", max_size=90))
_ANY = st.one_of(_NAME, st.text(max_size=12))
_RATIO = st.one_of(st.none(), st.floats(0, 2))
_RATE = st.one_of(st.none(), st.floats(0, 1e6))
_NUMBER = st.integers(0, 2**32 - 1)


def _reports(text: st.SearchStrategy[str]) -> st.SearchStrategy[Report]:
    sentence = st.lists(text, min_size=1, max_size=25).map(" ".join)
    candidate = st.builds(
        CandidatePath,
        link=st.one_of(st.none(), text),
        peer=text,
        next_hop=st.one_of(st.none(), text),
        med=st.one_of(_NUMBER, st.none()),
        local_pref=st.one_of(st.none(), _NUMBER),
        as_path=st.lists(_NUMBER, max_size=4).map(tuple),
        best=st.booleans(),
    )
    site = st.one_of(st.sampled_from(["b1", "b1", "branch-02"]), text)
    path = st.builds(
        PathFinding,
        site=site,
        app=text,
        prefix=text.map(Prefix),
        state=st.sampled_from(PathState),
        severity=st.sampled_from(Severity),
        expected_link=st.one_of(st.none(), text),
        actual_links=st.lists(text, max_size=2).map(tuple),
        redundant=st.one_of(st.none(), st.booleans()),
        marking_ok=st.one_of(st.none(), st.booleans()),
        explanation=sentence,
        candidates=st.lists(candidate, max_size=3).map(tuple),
    )
    link = st.builds(
        LinkFinding,
        site=site,
        link=text,
        severity=st.sampled_from(Severity),
        oper_up=st.one_of(st.none(), st.booleans()),
        bgp_established=st.one_of(st.none(), st.booleans()),
        established_since=st.none(),
        capacity_bps=st.integers(1, 10**11),
        in_bps=_RATE,
        out_bps=_RATE,
        utilization_in=_RATIO,
        utilization_out=_RATIO,
        error_rate=_RATE,
        discard_rate=_RATE,
        notes=st.lists(sentence, max_size=2).map(tuple),
    )
    return st.builds(
        Report,
        evaluated_at=st.floats(0, 4e9),
        paths=st.lists(path, max_size=6).map(tuple),
        links=st.lists(link, max_size=4).map(tuple),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    report=st.one_of(_reports(_NAME), _reports(_ASCII), _reports(_ANY)),
    width=st.one_of(st.integers(75, 140), st.integers(20, 140)),
)
def test_the_plain_layout_is_rich_s_text_or_leaves_it_to_rich(report: Report, width: int) -> None:
    plain = render_plain_table(report, width=width)
    event("plain layout" if plain is not None else "left to rich")
    if plain is not None:
        assert plain == render_table(report, width=width)
