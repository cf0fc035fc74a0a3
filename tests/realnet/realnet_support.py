"""sprmon's view and FRR's view of the FRR network, side by side.

A :class:`View` is one look at the network: what sprmon reported (from a
:class:`~sprmon.core.findings.Report` polled in-process, or from the JSON of
a ``sprmon check`` process) and what FRR itself says in every site's
namespace (``show bgp ipv4 unicast json``, ``show bgp ipv4 unicast summary
json``, the kernel's operstate). :meth:`Observer.wait_for` looks again until
sprmon shows what a test expects *and* agrees with FRR, or fails with both
views printed next to each other.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sprmon.collector.poller import SnmpPoller, snmp_sites
from sprmon.core.evaluate import evaluate
from sprmon.core.findings import Report
from sprmon.core.prefixes import Prefix
from sprmon.intentfile import LoadedIntent
from sprmon.realpeers.frr import APP_PREFIXES, LEGACY, LINKS, FrrWan

Key = tuple[str, str]
Source = Literal["api", "cli"]
#: Well above any check of two sites: only a hung process reaches it.
CLI_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class PathRow:
    """sprmon's finding for one (site, prefix)."""

    state: str
    via: tuple[str, ...]
    redundant: bool | None
    marking_ok: bool | None
    severity: str
    explanation: str


@dataclass(frozen=True)
class LinkRow:
    """sprmon's finding for one (site, link)."""

    severity: str
    oper_up: bool | None
    bgp_established: bool | None
    in_bps: float | None
    out_bps: float | None
    utilization_in: float | None
    utilization_out: float | None


@dataclass(frozen=True)
class SprmonView:
    source: Source
    paths: dict[Key, PathRow]
    links: dict[Key, LinkRow]
    exit_code: int

    @classmethod
    def from_report(cls, report: Report) -> SprmonView:
        return cls(
            source="api",
            paths={
                (f.site, str(f.prefix)): PathRow(
                    state=f.state.value,
                    via=f.actual_links,
                    redundant=f.redundant,
                    marking_ok=f.marking_ok,
                    severity=f.severity.name.lower(),
                    explanation=f.explanation,
                )
                for f in report.paths
            },
            links={
                (f.site, f.link): LinkRow(
                    severity=f.severity.name.lower(),
                    oper_up=f.oper_up,
                    bgp_established=f.bgp_established,
                    in_bps=f.in_bps,
                    out_bps=f.out_bps,
                    utilization_in=f.utilization_in,
                    utilization_out=f.utilization_out,
                )
                for f in report.links
            },
            exit_code=report.severity().exit_code,
        )

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> SprmonView:
        """From ``sprmon check --format json`` (docs/json-output.md)."""
        return cls(
            source="cli",
            paths={
                (p["site"], p["prefix"]): PathRow(
                    state=p["state"],
                    via=tuple(p["actual_links"]),
                    redundant=p["redundant"],
                    marking_ok=p["marking_ok"],
                    severity=p["severity"],
                    explanation=p["explanation"],
                )
                for p in document["paths"]
            },
            links={
                (link["site"], link["link"]): LinkRow(
                    severity=link["severity"],
                    oper_up=link["oper_up"],
                    bgp_established=link["bgp_established"],
                    in_bps=link["in_bps"],
                    out_bps=link["out_bps"],
                    utilization_in=link["utilization_in"],
                    utilization_out=link["utilization_out"],
                )
                for link in document["links"]
            },
            exit_code=int(document["exit_code"]),
        )


@dataclass(frozen=True)
class FrrPath:
    peer: str
    link: str | None
    med: int | None
    best: bool


@dataclass(frozen=True)
class FrrSite:
    """What FRR and the kernel in one site's namespace say."""

    routes: dict[str, tuple[FrrPath, ...]]
    #: link -> FRR's session state for the link's neighbour
    sessions: dict[str, str]
    #: link -> the kernel's operstate of the site's interface
    operstate: dict[str, str]

    def best_links(self, prefix: str) -> tuple[str, ...]:
        return tuple(sorted(p.link or "?" for p in self.routes.get(prefix, ()) if p.best))


async def frr_site(wan: FrrWan, site: str) -> FrrSite:
    plan = wan.site(site)
    routes = await wan.bgp_routes(site)
    sessions = await wan.bgp_sessions(site)
    return FrrSite(
        routes={
            prefix: tuple(
                FrrPath(
                    peer=str(path.get("peerId")),
                    link=wan.link_of_peer(site, str(path.get("peerId"))),
                    med=path.get("metric"),
                    best=bool(path.get("bestpath") or path.get("multipath")),
                )
                for path in paths
            )
            for prefix, paths in routes.items()
        },
        sessions={link: sessions.get(plan.core_address(link), "absent") for link in LINKS},
        operstate={link: await wan.kernel_operstate(site, link) for link in LINKS},
    )


@dataclass(frozen=True)
class Expect:
    """What sprmon must report for one (site, prefix)."""

    state: str
    via: tuple[str, ...]
    redundant: bool | None = True
    marking_ok: bool | None = True


@dataclass(frozen=True)
class LinkExpect:
    oper_up: bool | None
    bgp_established: bool | None


def steady_paths(wan: FrrWan) -> dict[Key, Expect]:
    """The designed result: legacy over mpls, the rest over inet, all with a backup."""
    return {
        (site, prefix): Expect("compliant", ("mpls",) if prefix == LEGACY else ("inet",))
        for site in wan.site_names
        for prefix in APP_PREFIXES
    }


def mpls_unusable_paths(wan: FrrWan, site: str) -> dict[Key, Expect]:
    """``site``'s paths while its mpls link or session is down: legacy fails over, no backups."""
    return steady_paths(wan) | {
        (site, LEGACY): Expect("failover", ("inet",), redundant=False, marking_ok=None),
        **{
            (site, prefix): Expect("compliant", ("inet",), redundant=False)
            for prefix in APP_PREFIXES
            if prefix != LEGACY
        },
    }


def steady_links(wan: FrrWan) -> dict[Key, LinkExpect]:
    return {(site, link): LinkExpect(True, True) for site in wan.site_names for link in LINKS}


def _flag(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "?"}[value]


@dataclass(frozen=True)
class View:
    sprmon: SprmonView
    frr: dict[str, FrrSite]

    def mismatches(self, paths: Mapping[Key, Expect], links: Mapping[Key, LinkExpect]) -> list[str]:
        """How sprmon's findings differ from the expectation; [] if they do not."""
        problems = []
        for key, want in paths.items():
            row = self.sprmon.paths.get(key)
            got = None if row is None else Expect(row.state, row.via, row.redundant, row.marking_ok)
            if got != want:
                problems.append(f"{key}: sprmon says {got}, expected {want}")
        for key, want_link in links.items():
            link = self.sprmon.links.get(key)
            got_link = None if link is None else LinkExpect(link.oper_up, link.bgp_established)
            if got_link != want_link:
                problems.append(f"{key}: sprmon says {got_link}, expected {want_link}")
        return problems

    def disagreements(self) -> list[str]:
        """Where sprmon's report and FRR's own view differ; [] if they agree."""
        problems = []
        for (site, prefix), row in self.sprmon.paths.items():
            frr = self.frr[site].best_links(prefix)
            if tuple(sorted(row.via)) != frr:
                problems.append(f"{site} {prefix}: sprmon via {row.via}, FRR best via {frr}")
        for (site, link), link_row in self.sprmon.links.items():
            established = self.frr[site].sessions[link] == "Established"
            if link_row.bgp_established is not established:
                problems.append(
                    f"{site} {link}: sprmon session established={link_row.bgp_established}, "
                    f"FRR says {self.frr[site].sessions[link]}"
                )
        return problems

    def side_by_side(self) -> str:
        """Both views as one table, for a failure message."""
        lines = [
            f"{'site':<10} {'prefix':<13} | {'FRR paths (* best)':<54} | "
            f"sprmon ({self.sprmon.source}, exit {self.sprmon.exit_code})",
        ]
        for (site, prefix), row in self.sprmon.paths.items():
            frr = "; ".join(
                f"{'*' if p.best else ' '}{p.link or '?'} {p.peer} MED {p.med}"
                for p in self.frr[site].routes.get(prefix, ())
            )
            lines.append(
                f"{site:<10} {prefix:<13} | {frr or '(no route)':<54} | {row.state} via "
                f"{','.join(row.via) or '-'}, redundant {_flag(row.redundant)}, marking "
                f"{_flag(row.marking_ok)}: {row.explanation}"
            )
        lines.append(f"{'site':<10} {'link':<13} | {'FRR session, kernel operstate':<54} | sprmon")
        for (site, link), link_row in self.sprmon.links.items():
            frr = f"{self.frr[site].sessions[link]}, {self.frr[site].operstate[link]}"
            lines.append(
                f"{site:<10} {link:<13} | {frr:<54} | {link_row.severity}: oper "
                f"{_flag(link_row.oper_up)}, bgp {_flag(link_row.bgp_established)}, "
                f"in {link_row.in_bps} bps, out {link_row.out_bps} bps"
            )
        return "\n".join(lines)


class Observer:
    """Looks at the network through sprmon (in-process or as a process) and through FRR."""

    def __init__(self, wan: FrrWan, loaded: LoadedIntent, intent_path: Path) -> None:
        self.wan = wan
        self.intent = loaded.intent
        #: Every site with its SNMP target, as the poller takes them.
        self.polled = snmp_sites(loaded.intent.sites, loaded.inventory)
        self.intent_path = intent_path
        self.prefixes = [Prefix(p) for p in APP_PREFIXES]

    async def frr(self) -> dict[str, FrrSite]:
        return {site: await frr_site(self.wan, site) for site in self.wan.site_names}

    async def look(self, source: Source = "api") -> View:
        if source == "api":
            async with SnmpPoller() as poller:
                snapshot = await poller.poll(self.polled, self.prefixes)
            report = evaluate(self.intent, snapshot, now=time.time())
            sprmon = SprmonView.from_report(report)
        else:
            sprmon = SprmonView.from_json(await self.check_json())
        return View(sprmon, await self.frr())

    async def check_json(self, *extra: str) -> dict[str, Any]:
        """``python -m sprmon check --intent X --format json --interval 0``, exit code checked."""
        env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sprmon",
            "check",
            "--intent",
            str(self.intent_path),
            "--format",
            "json",
            "--interval",
            "0",
            *extra,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**env, "NO_COLOR": "1"},
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), CLI_TIMEOUT_S)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        try:
            document: dict[str, Any] = json.loads(out)
        except json.JSONDecodeError as exc:
            raise AssertionError(
                f"sprmon check exited {process.returncode} without JSON; stderr:\n{err.decode()}"
            ) from exc
        # The process's exit code is the report's: a monitoring system sees only the former.
        assert process.returncode == document["exit_code"], (process.returncode, err.decode())
        return document

    async def wait_for(
        self,
        paths: Mapping[Key, Expect],
        links: Mapping[Key, LinkExpect],
        *,
        within_s: float,
        source: Source = "api",
        what: str = "",
    ) -> View:
        """Look until sprmon reports ``paths`` and ``links`` and agrees with FRR.

        Fails after ``within_s`` with the last look of both sides, side by side.
        """
        started = time.monotonic()
        while True:
            view = await self.look(source)
            problems = view.mismatches(paths, links) + view.disagreements()
            if not problems:
                return view
            elapsed = time.monotonic() - started
            if elapsed > within_s:
                raise AssertionError(
                    f"{what or 'expected state'} not reported by sprmon ({source}) within "
                    f"{within_s:.0f} s:\n  " + "\n  ".join(problems) + "\n" + view.side_by_side()
                )
            await asyncio.sleep(0.3)
