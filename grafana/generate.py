"""Generate sprmon's Grafana dashboards (grafana/dashboards/*.json) from code.

    python grafana/generate.py           # write the JSON files
    python grafana/generate.py --check   # exit 1 if a committed file is out of date

Built with grafana-foundation-sdk (the ``dev`` extra pins the build for Grafana
10.1's schema, which Grafana 10 and newer load and migrate). The JSON is
committed so that Grafana provisioning, an import by hand and a review all see
the same thing; tests/grafana/ fails when it differs from what this file
generates.

Every query goes to the datasource chosen in the ``datasource`` variable. The
fleet panels read the recording rules of rules/sprmon-recording.rules.yml, so
load the rules first. The scrape job is assumed to be called ``sprmon``, as in
the rules.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grafana_foundation_sdk.builders import stat, statetimeline, table, timeseries
from grafana_foundation_sdk.builders.common import (
    StackingConfig,
    TableSortByFieldState,
    VizLegendOptions,
)
from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DashboardLink,
    DatasourceVariable,
    QueryVariable,
    Row,
    ThresholdsConfig,
)
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    BigValueGraphMode,
    LegendDisplayMode,
    LegendPlacement,
    StackingMode,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DashboardLinkType,
    DataSourceRef,
    DataTransformerConfig,
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMapping,
    ValueMappingResult,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

OUT = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
JOB = 'job="sprmon"'
SITE = 'site="$site"'
TAGS = ["sprmon"]
BY_SITE = "site_state:sprmon_paths:sum"

#: Link colours used throughout: green is as intended, red needs someone.
STATE_COLOURS = {
    "compliant": "green",
    "failover": "yellow",
    "drift": "red",
    "no_route": "dark-red",
    "unknown": "purple",
}


@dataclass(frozen=True, slots=True)
class Query:
    """One PromQL query of a panel; ``instant`` for tables and single values."""

    expr: str
    legend: str = ""
    instant: bool = False


def _query(query: Query, ref: str, *, as_table: bool) -> Dataquery:
    target = Dataquery().expr(query.expr).ref_id(ref)
    if query.legend:
        target = target.legend_format(query.legend)
    target = target.instant() if query.instant else target.range()
    if as_table:
        target = target.format(PromQueryFormat.TABLE)
    return target


def _refs(queries: Sequence[Query], *, as_table: bool = False) -> list[Dataquery]:
    return [_query(q, chr(ord("A") + i), as_table=as_table) for i, q in enumerate(queries)]


def _thresholds(*steps: tuple[float | None, str]) -> ThresholdsConfig:
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=colour) for value, colour in steps])
    )


def _value_map(names: dict[str, tuple[str, str]]) -> list[ValueMapping]:
    options = {
        value: ValueMappingResult(text=text, color=colour, index=i)
        for i, (value, (text, colour)) in enumerate(names.items())
    }
    return [ValueMap(options)]


UP_DOWN = _value_map({"0": ("down", "red"), "1": ("up", "green")})
SESSION = _value_map({"0": ("not established", "red"), "1": ("established", "green")})
UTILISATION = _thresholds((None, "green"), (0.8, "yellow"), (0.95, "red"))


def _legend() -> VizLegendOptions:
    return (
        VizLegendOptions()
        .show_legend(True)
        .display_mode(LegendDisplayMode.TABLE)
        .placement(LegendPlacement.BOTTOM)
        .calcs(["lastNotNull", "max"])
    )


def _timeseries(
    title: str,
    description: str,
    queries: Sequence[Query],
    *,
    unit: str = "short",
    span: int = 12,
    height: int = 8,
    stacked: bool = False,
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .targets(list(_refs(queries)))
        .unit(unit)
        .span(span)
        .height(height)
        .legend(_legend())
        .fill_opacity(10)
    )
    if stacked:
        panel = panel.stacking(StackingConfig().mode(StackingMode.NORMAL)).fill_opacity(60)
    return panel


def _stat(
    title: str,
    description: str,
    queries: Sequence[Query],
    *,
    unit: str = "short",
    span: int = 4,
    height: int = 4,
    thresholds: ThresholdsConfig | None = None,
    no_value: str | None = None,
) -> stat.Panel:
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .targets(list(_refs(queries)))
        .unit(unit)
        .span(span)
        .height(height)
        .graph_mode(BigValueGraphMode.AREA)
        .color_mode(BigValueColorMode.BACKGROUND)
    )
    if thresholds is not None:
        panel = panel.thresholds(thresholds)
    if no_value is not None:
        panel = panel.no_value(no_value)
    return panel


def _table(
    title: str,
    description: str,
    queries: Sequence[Query],
    *,
    columns: dict[str, str],
    hide: Sequence[str] = ("Time", "job", "instance", "__name__"),
    sort_by: str | None = None,
    descending: bool = True,
    span: int = 12,
    height: int = 8,
    no_value: str | None = None,
) -> table.Panel:
    """A table of instant queries merged on their labels; ``columns`` renames
    fields (``Value #A`` is query A's value) and gives their order."""
    organize = DataTransformerConfig(
        id_val="organize",
        options={
            "excludeByName": dict.fromkeys(hide, True),
            "indexByName": {name: i for i, name in enumerate(columns)},
            "renameByName": columns,
        },
    )
    panel = (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .targets(list(_refs(queries, as_table=True)))
        .span(span)
        .height(height)
        .show_header(True)
        .transformations([DataTransformerConfig(id_val="merge", options={}), organize])
    )
    if sort_by is not None:
        panel = panel.sort_by([TableSortByFieldState().display_name(sort_by).desc(descending)])
    if no_value is not None:
        panel = panel.no_value(no_value)
    return panel


def _timeline(
    title: str,
    description: str,
    queries: Sequence[Query],
    mappings: list[ValueMapping],
    *,
    height: int = 6,
) -> statetimeline.Panel:
    return (
        statetimeline.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .targets(list(_refs(queries)))
        .mappings(list(mappings))
        .span(12)
        .height(height)
        .merge_values(True)
    )


def _dashboard(uid: str, title: str, description: str) -> Dashboard:
    links = [
        DashboardLink("sprmon dashboards")
        .type(DashboardLinkType.DASHBOARDS)
        .tags(TAGS)
        .as_dropdown(True)
        .include_vars(False)
        .keep_time(True)
    ]
    return (
        Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(TAGS)
        .editable()
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .time("now-6h", "now")
        .refresh("1m")
        .timezone("browser")
        .links(list(links))
        .with_variable(DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
    )


def fleet_overview() -> Dashboard:
    states = ", ".join(STATE_COLOURS)
    return (
        _dashboard(
            "sprmon-fleet",
            "sprmon fleet",
            "Is every application leaving every site over the intended link? Counts from the "
            "recording rules in rules/sprmon-recording.rules.yml.",
        )
        .with_row(Row("Compliance"))
        .with_panel(
            _stat(
                "Compliant paths",
                "Share of (site, prefix) paths in the compliant state. Unknown paths (sites "
                "sprmon cannot see) count against it, never for it.",
                [Query("fleet:sprmon_paths_compliant:ratio", instant=True)],
                unit="percentunit",
                thresholds=_thresholds((None, "red"), (0.95, "yellow"), (1.0, "green")),
                no_value="no data: is sprmon scraped?",
            )
        )
        .with_panel(
            _stat(
                "Paths sprmon cannot judge",
                "Share of paths in the unknown state: their site's router does not answer, "
                "or its data is stale.",
                [Query("fleet:sprmon_paths_unknown:ratio", instant=True)],
                unit="percentunit",
                thresholds=_thresholds((None, "green"), (0.000001, "purple")),
            )
        )
        .with_panel(
            _stat(
                "sprmon processes down",
                "Scrape targets of the sprmon job that Prometheus cannot scrape: their sites "
                "are not watched at all.",
                [Query(f"count(up{{{JOB}}} == 0) or vector(0)", instant=True)],
                thresholds=_thresholds((None, "green"), (1, "red")),
            )
        )
        .with_panel(
            _stat(
                "Routers not answering",
                "Site routers whose newest poll failed (sprmon_target_up == 0).",
                [Query("count(sprmon_target_up == 0) or vector(0)", instant=True)],
                thresholds=_thresholds((None, "green"), (1, "orange")),
            )
        )
        .with_panel(
            _stat(
                "Paths per state",
                f"Application prefixes over all sites in each state ({states}).",
                [Query("state:sprmon_paths:sum", "{{state}}", instant=True)],
                span=8,
                thresholds=_thresholds((None, "blue")),
            )
        )
        .with_panel(
            _timeseries(
                "Compliant share over time",
                "Fleet-wide and per application. A dip is a drift, a failover, an outage or "
                "a site sprmon cannot see.",
                [
                    Query("fleet:sprmon_paths_compliant:ratio", "fleet"),
                    Query("app:sprmon_paths_compliant:ratio", "{{app}}"),
                ],
                unit="percentunit",
            )
        )
        .with_panel(
            _timeseries(
                "Paths per state over time",
                "Stacked: the height is the number of monitored paths.",
                [Query("state:sprmon_paths:sum", "{{state}}")],
                stacked=True,
            )
        )
        .with_row(Row("Sites needing attention"))
        .with_panel(
            _table(
                "Sites, drift or no route first",
                "Every site with its paths per state, those with drift or no route at the "
                "top. Open the site dashboard for details.",
                [
                    Query(
                        f'sum by (site) ({BY_SITE}{{state=~"drift|no_route"}})',
                        instant=True,
                    ),
                    *(
                        Query(
                            f'sum by (site) (site_state:sprmon_paths:sum{{state="{s}"}})',
                            instant=True,
                        )
                        for s in STATE_COLOURS
                    ),
                ],
                columns={
                    "site": "site",
                    "Value #A": "drift + no route",
                    **{f"Value #{chr(ord('B') + i)}": s for i, s in enumerate(STATE_COLOURS)},
                },
                sort_by="drift + no route",
                height=10,
            )
        )
        .with_panel(
            _table(
                "Busiest links",
                "The 20 link directions with the highest utilisation over the last 5 "
                "minutes, as a share of the capacity in the intent (warning 80 %, "
                "critical 95 %).",
                [
                    Query(
                        "topk(20, avg_over_time(sprmon_link_utilization_ratio[5m]))",
                        instant=True,
                    )
                ],
                columns={
                    "site": "site",
                    "link": "link",
                    "direction": "direction",
                    "Value": "utilisation",
                },
                sort_by="utilisation",
                height=10,
            )
            .unit("percentunit")
            .thresholds(UTILISATION)
        )
        .with_panel(
            _table(
                "Links down",
                "Links whose interface is down or whose BGP session is not established.",
                [
                    Query("sprmon_link_up == 0", instant=True),
                    Query("sprmon_bgp_session_up == 0", instant=True),
                ],
                columns={
                    "site": "site",
                    "link": "link",
                    "Value #A": "interface up",
                    "Value #B": "session established",
                },
                no_value="every observed link is up",
            ).mappings(list(UP_DOWN))
        )
        .with_panel(
            _table(
                "Routers sprmon cannot poll",
                "Collector targets whose newest poll failed, with the time since their last "
                "good poll.",
                [
                    Query("sprmon_target_up == 0", instant=True),
                    Query(
                        "(time() - sprmon_last_success_timestamp_seconds)"
                        " and on (job, instance, site, protocol) sprmon_target_up == 0",
                        instant=True,
                    ),
                ],
                columns={
                    "site": "site",
                    "protocol": "protocol",
                    "Value #A": "up",
                    "Value #B": "since last good poll",
                },
                no_value="every router answers",
            ).override_by_name("since last good poll", [DynamicConfigValue("unit", "s")])
        )
    )


def site_detail() -> Dashboard:
    site_variable = (
        QueryVariable("site")
        .label("site")
        .datasource(DATASOURCE)
        .query("label_values(sprmon_paths, site)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
    )
    link_in_out = "{{link}} {{direction}}"
    return (
        _dashboard(
            "sprmon-site",
            "sprmon site",
            "One site: where each application prefix leaves, the links' load against their "
            "capacity, BGP sessions, errors, and whether sprmon can poll the router.",
        )
        .with_variable(site_variable)
        .with_row(Row("Paths"))
        .with_panel(
            _table(
                "Application prefixes (per-prefix metrics)",
                "Each prefix with its state, the link the intent expects (the first usable "
                "one of the application's list) and the link(s) it actually uses. Needs "
                "`sprmon run --per-prefix-metrics`; without it, the counts beside are all "
                "there is (and `sprmon check --site` names the prefixes).",
                [
                    Query(
                        f"(sprmon_path_state{{{SITE}}} == 1)"
                        " * on (job, instance, site, app, prefix)"
                        " group_left (expected_link, actual_link) sprmon_path_info",
                        instant=True,
                    )
                ],
                columns={
                    "app": "application",
                    "prefix": "prefix",
                    "state": "state",
                    "expected_link": "expected link",
                    "actual_link": "actual link",
                },
                hide=("Time", "job", "instance", "__name__", "site", "Value"),
                sort_by="state",
                descending=False,
                span=14,
                no_value="no per-prefix metrics: run sprmon with --per-prefix-metrics",
            ).mappings(_value_map({s: (s, colour) for s, colour in STATE_COLOURS.items()}))
        )
        .with_panel(
            _table(
                "Prefixes per application and state",
                "Always exported: how many prefixes of each application are in each state, "
                "without a backup path, and with a wrong marking.",
                [
                    Query(f'sprmon_paths{{{SITE},state="compliant"}}', instant=True),
                    Query(f'sprmon_paths{{{SITE},state="failover"}}', instant=True),
                    Query(f'sprmon_paths{{{SITE},state="drift"}}', instant=True),
                    Query(f'sprmon_paths{{{SITE},state="no_route"}}', instant=True),
                    Query(f'sprmon_paths{{{SITE},state="unknown"}}', instant=True),
                    Query(f"sprmon_paths_not_redundant{{{SITE}}}", instant=True),
                    Query(f"sprmon_paths_marking_wrong{{{SITE}}}", instant=True),
                ],
                columns={
                    "app": "application",
                    **{f"Value #{chr(ord('A') + i)}": s for i, s in enumerate(STATE_COLOURS)},
                    "Value #F": "no backup",
                    "Value #G": "wrong marking",
                },
                hide=("Time", "job", "instance", "__name__", "site", "state"),
                span=10,
            )
        )
        .with_panel(
            _timeseries(
                "Path states over time",
                "Prefixes of the site per state.",
                [Query(f"sum by (state) (sprmon_paths{{{SITE}}})", "{{state}}")],
                stacked=True,
                span=24,
                height=6,
            )
        )
        .with_row(Row("Links"))
        .with_panel(
            _timeseries(
                "Traffic against capacity",
                "Bits per second per link and direction (in: towards the site), from the "
                "octet totals, with each link's capacity from the intent.",
                [
                    Query(
                        f"rate(sprmon_link_octets_total{{{SITE}}}[$__rate_interval]) * 8",
                        link_in_out,
                    ),
                    Query(
                        f"sprmon_link_capacity_bytes_per_second{{{SITE}}} * 8",
                        "{{link}} capacity",
                    ),
                ],
                unit="bps",
            ).override_by_regexp(
                ".* capacity",
                [
                    DynamicConfigValue("custom.lineStyle", {"fill": "dash", "dash": [10, 10]}),
                    DynamicConfigValue("custom.fillOpacity", 0),
                ],
            )
        )
        .with_panel(
            _timeseries(
                "Utilisation per direction",
                "Share of the capacity used between sprmon's last two polls, per link and "
                "direction (the figure sprmon check judges: warning 80 %, critical 95 %).",
                [Query(f"sprmon_link_utilization_ratio{{{SITE}}}", link_in_out)],
                unit="percentunit",
            ).thresholds(UTILISATION)
        )
        .with_panel(
            _timeline(
                "BGP sessions",
                "Each link's BGP session over time.",
                [Query(f"sprmon_bgp_session_up{{{SITE}}}", "{{link}}")],
                SESSION,
            )
        )
        .with_panel(
            _timeline(
                "Interfaces",
                "Each link's interface (ifOperStatus) over time.",
                [Query(f"sprmon_link_up{{{SITE}}}", "{{link}}")],
                UP_DOWN,
            )
        )
        .with_panel(
            _timeseries(
                "Session flaps (per hour)",
                "Times each session came up again, over the last hour.",
                [Query(f"increase(sprmon_bgp_session_flaps_total{{{SITE}}}[1h])", "{{link}}")],
                span=8,
            )
        )
        .with_panel(
            _timeseries(
                "Errors per second",
                "Packets with errors per link and direction.",
                [
                    Query(
                        f"rate(sprmon_link_errors_total{{{SITE}}}[$__rate_interval])",
                        link_in_out,
                    )
                ],
                unit="pps",
                span=8,
            )
        )
        .with_panel(
            _timeseries(
                "Discards per second",
                "Packets discarded per link and direction, mostly full queues.",
                [
                    Query(
                        f"rate(sprmon_link_discards_total{{{SITE}}}[$__rate_interval])",
                        link_in_out,
                    )
                ],
                unit="pps",
                span=8,
            )
        )
        .with_row(Row("Polling"))
        .with_panel(
            _timeline(
                "Router answers sprmon",
                "Whether the newest poll of the site's router succeeded and is fresh.",
                [Query(f"sprmon_target_up{{{SITE}}}", "{{protocol}}")],
                UP_DOWN,
            )
        )
        .with_panel(
            _timeseries(
                "Failed polls by reason",
                "timeout, unreachable, auth, malformed or other.",
                [
                    Query(
                        f"increase(sprmon_poll_errors_total{{{SITE}}}[$__rate_interval])",
                        "{{protocol}} {{reason}}",
                    )
                ],
                height=6,
            )
        )
    )


def sprmon_itself() -> Dashboard:
    up = f"up{{{JOB}}}"
    bucket_rate = "rate(sprmon_poll_duration_seconds_bucket[$__rate_interval])"
    return (
        _dashboard(
            "sprmon-self",
            "sprmon itself",
            "Is sprmon healthy: processes and shards, polls and their errors, evaluation age, "
            "MQTT delivery, the cost of scraping it.",
        )
        .with_row(Row("Processes and shards"))
        .with_panel(
            _stat(
                "sprmon processes up",
                "Scrape targets of the sprmon job that answer.",
                [Query(f"sum({up})", instant=True)],
                span=6,
                thresholds=_thresholds((None, "red"), (1, "green")),
                no_value="no sprmon target",
            )
        )
        .with_panel(
            _stat(
                "Sites watched",
                "Sites with at least one path judged, over every process.",
                [Query("count(count by (site) (sprmon_paths))", instant=True)],
                span=6,
                thresholds=_thresholds((None, "blue")),
            )
        )
        .with_panel(
            _stat(
                "Routers answering",
                "Collector targets whose newest poll succeeded, per protocol.",
                [Query("sum by (protocol) (sprmon_target_up)", "{{protocol}}", instant=True)],
                span=6,
                thresholds=_thresholds((None, "blue")),
            )
        )
        .with_panel(
            _stat(
                "Routers not answering",
                "Collector targets whose newest poll failed or is stale.",
                [Query("count(sprmon_target_up == 0) or vector(0)", instant=True)],
                span=6,
                thresholds=_thresholds((None, "green"), (1, "orange")),
            )
        )
        .with_panel(
            _table(
                "Processes and shard coverage",
                "One row per sprmon process: version, its shard (index of count; the "
                "processes of one count must cover every index once), the sites it watches "
                "and the age of its newest evaluation.",
                [
                    Query(up, instant=True),
                    Query("sprmon_shard_info", instant=True),
                    Query(
                        "count by (job, instance) (count by (job, instance, site) (sprmon_paths))",
                        instant=True,
                    ),
                    Query("time() - sprmon_evaluation_timestamp_seconds", instant=True),
                    Query("sprmon_build_info", instant=True),
                ],
                columns={
                    "instance": "instance",
                    "version": "version",
                    "index": "shard",
                    "count": "of",
                    "Value #A": "up",
                    "Value #C": "sites",
                    "Value #D": "evaluation age",
                },
                hide=("Time", "job", "__name__", "Value #B", "Value #E"),
                span=24,
                height=6,
            ).override_by_name("evaluation age", [DynamicConfigValue("unit", "s")])
        )
        .with_row(Row("Polls"))
        .with_panel(
            _timeseries(
                "Poll duration",
                "Median, 90th and 99th percentile of one poll of one router, failed polls "
                "included.",
                [
                    Query(
                        f"histogram_quantile({q}, sum by (le, protocol) ({bucket_rate}))",
                        f"{{{{protocol}}}} p{round(q * 100)}",
                    )
                    for q in (0.5, 0.9, 0.99)
                ],
                unit="s",
            )
        )
        .with_panel(
            _timeseries(
                "Polls per second",
                "Polls finished per second, per protocol.",
                [
                    Query(
                        "sum by (protocol) "
                        "(rate(sprmon_poll_duration_seconds_count[$__rate_interval]))",
                        "{{protocol}}",
                    )
                ],
                unit="reqps",
            )
        )
        .with_panel(
            _timeseries(
                "Poll errors by reason",
                "Failed polls per second over every site, per reason.",
                [
                    Query(
                        "sum by (reason) (rate(sprmon_poll_errors_total[$__rate_interval]))",
                        "{{reason}}",
                    )
                ],
                unit="reqps",
            )
        )
        .with_panel(
            _table(
                "Sites with the most failed polls (1 h)",
                "Where the errors come from.",
                [
                    Query(
                        "topk(20, sum by (site, reason) (increase(sprmon_poll_errors_total[1h])))",
                        instant=True,
                    )
                ],
                columns={"site": "site", "reason": "reason", "Value": "failed polls"},
                sort_by="failed polls",
            )
        )
        .with_panel(
            _timeseries(
                "Evaluation age",
                "Seconds since each process's newest evaluation (SprmonEvaluationStale at "
                "15 minutes).",
                [Query("time() - sprmon_evaluation_timestamp_seconds", "{{instance}}")],
                unit="s",
            )
        )
        .with_panel(
            _timeseries(
                "Scrape of sprmon",
                "How long Prometheus takes to scrape each process and how many samples it "
                "gets (docs/metrics.md: about 45 series per site).",
                [
                    Query(f"scrape_duration_seconds{{{JOB}}}", "{{instance}} duration"),
                    Query(f"scrape_samples_scraped{{{JOB}}}", "{{instance}} samples"),
                ],
            ).override_by_regexp(".* duration", [DynamicConfigValue("unit", "s")])
        )
        .with_row(Row("MQTT events"))
        .with_panel(
            _timeline(
                "Broker connection",
                "Whether each process is connected to its MQTT broker.",
                [Query("sprmon_mqtt_connected", "{{instance}}")],
                _value_map({"0": ("disconnected", "red"), "1": ("connected", "green")}),
                height=8,
            )
        )
        .with_panel(
            _timeseries(
                "Event queue",
                "Events waiting for the broker (bounded), published and dropped per second.",
                [
                    Query("sprmon_mqtt_events_queued", "{{instance}} queued"),
                    Query(
                        "rate(sprmon_mqtt_events_published_total[$__rate_interval])",
                        "{{instance}} published/s",
                    ),
                    Query(
                        "rate(sprmon_mqtt_events_dropped_total[$__rate_interval])",
                        "{{instance}} dropped/s",
                    ),
                ],
            )
        )
    )


DASHBOARDS = {
    "sprmon-fleet.json": fleet_overview,
    "sprmon-site.json": site_detail,
    "sprmon-self.json": sprmon_itself,
}


def render(build: Dashboard) -> str:
    """The dashboard as committed: sorted keys, 2-space indent, unique panel ids."""
    model = build.build()
    for number, panel in enumerate(model.panels or [], start=1):
        panel.id_val = number
    return JSONEncoder(sort_keys=True, indent=2).encode(model) + "\n"


def rendered() -> dict[str, str]:
    return {name: render(build()) for name, build in DASHBOARDS.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for name, text in rendered().items():
        path = OUT / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            OUT.mkdir(exist_ok=True)
            path.write_text(text)
    if stale:
        print(f"out of date: {', '.join(stale)}; run: python grafana/generate.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
