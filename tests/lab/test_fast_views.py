"""Rendered views made cheap: skeletons kept across ticks, views kept within one (pure)."""

from __future__ import annotations

from collections.abc import Callable

from sprmon.lab.faults import Fault
from sprmon.lab.mib import MibView, Skeleton, ViewCache, render
from sprmon.lab.model import WanModel
from sprmon.snmp_oids import BgpPathEntry
from tests.lab.helpers import T0


def _rows(view: MibView) -> list[tuple[object, object]]:
    return list(zip(view.oids, view.values, strict=True))


def test_a_kept_skeleton_gives_the_rows_a_fresh_render_gives_through_ticks_and_faults() -> None:
    model = WanModel(sites=4, seed=5, start=T0)
    skeletons: dict[str, Skeleton] = {}
    steps: list[Callable[[], object]] = [
        lambda: model.advance(T0 + 30),
        lambda: model.inject("site-001", Fault.LINK_DOWN, link="mpls", now=T0 + 31),
        lambda: model.inject("site-002", Fault.WITHDRAW, link="inet", now=T0 + 32),
        lambda: model.inject("site-003", Fault.REBOOT, now=T0 + 33),
        lambda: model.clear("site-001", now=T0 + 34),
        lambda: model.advance(T0 + 90),
    ]
    for step in [lambda: None, *steps]:
        step()
        for router in model.router_names:
            assert _rows(render(model, router, skeletons)) == _rows(render(model, router))


def test_a_skeleton_is_kept_while_the_paths_stay_and_rebuilt_when_they_change() -> None:
    model = WanModel(sites=2, seed=5, start=T0)
    skeletons: dict[str, Skeleton] = {}
    first = render(model, "site-001", skeletons)
    model.advance(T0 + 10)
    assert render(model, "site-001", skeletons).oids is first.oids, "only values moved"
    model.inject("site-001", Fault.SESSION_DOWN, link="mpls", now=T0 + 11)
    after = render(model, "site-001", skeletons)
    assert after.oids is not first.oids
    assert len(after.rows(BgpPathEntry.BEST)) < len(first.rows(BgpPathEntry.BEST))


def test_a_cached_view_lasts_until_the_model_moves() -> None:
    model = WanModel(sites=2, seed=3, start=T0)
    built: list[MibView] = []

    def build(view: MibView) -> MibView:
        built.append(view)
        return view

    views = ViewCache(model, build)
    first = views.view("site-001")
    assert views.view("site-001") is first
    assert len(built) == 1
    model.advance(T0 + 30)
    later = views.view("site-001")
    assert later is not first
    assert _rows(later) == _rows(render(model, "site-001"))
    assert later.values != first.values, "counters and uptime moved"
    assert len(built) == 2
