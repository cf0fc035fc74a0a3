"""The service layer: which sites are polled, which prefixes are asked for, how it is judged."""

from __future__ import annotations

from pathlib import Path

import pytest

from sprmon.core.evaluate import UnknownSiteError
from sprmon.core.findings import PathState
from sprmon.intentfile import load_intent
from sprmon.inventory import Inventory, RouterAccess, SnmpTarget
from sprmon.service import (
    NoPollableSiteError,
    collect,
    intent_prefixes,
    judge,
    pollable_sites,
    select_sites,
)
from sprmon.snapshot import load_snapshot
from tests.factories import DC_V4, DC_V6, LEGACY_V4, LEGACY_V6, NOW, intent, observation, snapshot

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "examples" / "scenario"


def test_every_site_in_intent_order_or_only_the_named_ones() -> None:
    three = intent(3)
    assert [s.name for s in select_sites(three)] == ["branch-01", "branch-02", "branch-03"]
    assert [s.name for s in select_sites(three, ["branch-03", "branch-01"])] == [
        "branch-01",
        "branch-03",
    ]


def test_only_sites_with_an_snmp_target_are_polled() -> None:
    sites = list(intent(2).sites)
    with_snmp = sites[0]
    inventory = Inventory({with_snmp.name: RouterAccess(snmp=SnmpTarget(host="127.0.0.1"))})
    polled, skipped = pollable_sites([with_snmp, sites[1]], inventory)
    assert polled == [with_snmp]
    assert skipped == [sites[1]]


def test_every_application_prefix_is_asked_for_once_in_intent_order() -> None:
    assert intent_prefixes(intent(1)) == (DC_V4, DC_V6, LEGACY_V4, LEGACY_V6)


async def test_no_site_with_a_target_is_an_error_that_says_what_to_do() -> None:
    with pytest.raises(NoPollableSiteError) as info:
        await collect(intent(1), Inventory(), intent(1).sites, interval_s=0)
    assert "pass --snapshot FILE" in str(info.value)


def test_a_saved_snapshot_is_judged_as_of_its_own_time() -> None:
    scenario = load_intent(SCENARIO / "intent.yaml")
    saved = load_snapshot(SCENARIO / "snapshots" / "mixed.json")
    report = judge(scenario, saved)
    assert report.evaluated_at == saved.effective_time()
    assert PathState.DRIFT in {f.state for f in report.paths}


def test_now_makes_old_observations_stale() -> None:
    report = judge(intent(1), snapshot(observation(1)), now=NOW + 3600)
    assert {f.state for f in report.paths} == {PathState.UNKNOWN}


def test_only_the_named_sites_are_judged_and_unknown_names_are_refused() -> None:
    two = intent(2)
    report = judge(two, snapshot(observation(1), observation(2)), ["branch-02"])
    assert {f.site for f in report.paths} == {"branch-02"}
    with pytest.raises(UnknownSiteError):
        judge(two, snapshot(observation(1)), ["branch-09"])
