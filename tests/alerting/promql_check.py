"""Run every expression of rules/ and grafana/ against a real Prometheus, and say what is wrong.

:func:`query_problems` returns one line per expression that Prometheus refuses
(a parse or evaluation error) or answers with nothing where data is expected;
:func:`rule_problems` one per rule whose evaluation failed inside Prometheus
(e.g. a many-to-many match that only real series reveal) and per alert whose
annotation templates did not expand. Empty lists mean every query is valid
PromQL that returns data against what Prometheus scrapes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable

from tests.alerting.rules_support import Rule, rules
from tests.grafana.dashboards_support import PanelQuery, panel_queries
from tests.peers.prometheus import Prometheus, PrometheusError

#: Alerts whose expression is empty whenever sprmon is scraped at all, with the
#: query that must have data instead (the series whose absence they detect).
EMPTY_WHILE_SCRAPED = {"SprmonAbsent": 'up{job="sprmon"}'}


async def _answer(prom: Prometheus, expr: str) -> tuple[int, str | None]:
    """(number of samples, error) for one instant query."""
    try:
        return len(await prom.query(expr)), None
    except PrometheusError as exc:
        return 0, str(exc)


async def query_problems(
    prom: Prometheus, sites: Iterable[str], *, may_be_empty: Collection[str] = ()
) -> list[str]:
    """Problems of every rule and panel query; ``may_be_empty`` names the alerts
    and panel titles that may rightly return nothing (their situation was not
    created): for those, only an error is a problem."""
    problems = [
        problem
        for rule in rules()
        if (problem := await _rule_problem(prom, rule, rule.name in may_be_empty))
    ]
    # A site-detail query needs data at one site at least: each site shows a
    # different situation (errors at one, a flapping session at another).
    by_query: dict[PanelQuery, list[str]] = defaultdict(list)
    for query in panel_queries():
        for site in sites if "$site" in query.expr else ["-"]:
            count, error = await _answer(prom, query.resolved(site))
            if error is not None:
                by_query[query].insert(0, f"{query}: {error}\n    {query.resolved(site)}")
                break
            if count or query.panel in may_be_empty:
                by_query[query] = []
                break
            by_query[query].append(f"{query}: no data\n    {query.resolved(site)}")
    problems += [lines[0] for lines in by_query.values() if lines]
    return problems


async def _rule_problem(prom: Prometheus, rule: Rule, may_be_empty: bool) -> str | None:
    expr = EMPTY_WHILE_SCRAPED.get(rule.name, rule.expr)
    count, error = await _answer(prom, expr)
    if error is not None:
        return f"{rule.file} {rule.name}: {error}\n    {expr}"
    if not count and not may_be_empty:
        return f"{rule.file} {rule.name}: no data\n    {expr}"
    return None


async def rule_problems(prom: Prometheus) -> list[str]:
    problems = []
    evaluated = 0
    for group in await prom.rules():
        for rule in group["rules"]:
            if rule.get("lastEvaluation", "").startswith("0001"):
                continue
            evaluated += 1
            if rule["health"] != "ok":
                problems.append(f"{group['name']} {rule['name']}: {rule.get('lastError')}")
    if evaluated < sum(1 for _ in rules()):
        problems.append(f"only {evaluated} rules evaluated so far")
    for alert in await prom.alerts():
        for key, text in alert["annotations"].items():
            if "error" in text and "expanding" in text:
                problems.append(f"{alert['labels']['alertname']} {key}: {text}")
    return problems
