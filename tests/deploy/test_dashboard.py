"""deploy/grafana: the dashboard's queries parse and use only what the services export."""

from __future__ import annotations

from pathlib import Path

import yaml
from deploy_support import (
    DEPLOY,
    dashboard,
    dashboard_panels,
    dashboard_queries,
    load_yaml,
    promtool,
    unknown_names,
)

REQUIRED_PANELS = {
    "Throughput by outcome",
    "Duplicate ratio",
    "Rejections by reason",
    "Extraction seconds",
    "End-to-end seconds",
    "Consumer lag per partition",
    "Lag in seconds of work",
    "In-flight messages",
    "Store errors",
    "Worker restarts",
}


def test_required_panels_are_there() -> None:
    titles = {panel["title"] for panel in dashboard_panels()}
    assert titles >= REQUIRED_PANELS


def test_latency_panels_show_the_quantiles() -> None:
    by_title = {panel["title"]: panel for panel in dashboard_panels()}
    for title, quantiles in (
        ("Extraction seconds", ["0.5", "0.95", "0.99"]),
        ("End-to-end seconds", ["0.5", "0.99"]),
    ):
        exprs = [target["expr"] for target in by_title[title]["targets"]]
        assert [e.removeprefix("histogram_quantile(").split(",")[0] for e in exprs] == quantiles


def test_service_and_instance_variables_and_a_row_per_replica() -> None:
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    assert {"datasource", "service", "instance"} <= set(variables)
    assert "$service" in variables["instance"]["definition"]
    repeated = [p for p in dashboard()["panels"] if p["type"] == "row" and p.get("repeat")]
    assert [row["repeat"] for row in repeated] == ["instance"]


def test_every_query_uses_exported_metrics_and_labels() -> None:
    problems = {where: unknown_names(expr) for where, expr in dashboard_queries()}
    assert {where: found for where, found in problems.items() if found} == {}


def test_every_query_parses(tmp_path: Path) -> None:
    # promtool parses each query as a recording rule: a syntax check with no server.
    rules = [
        {"record": f"dashboard:query_{i}", "expr": expr}
        for i, (_, expr) in enumerate(dashboard_queries())
    ]
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    assert f"SUCCESS: {len(rules)} rules found" in promtool("check", "rules", path)


def test_the_duplicate_panels_say_diverted_near_duplicates_count_there_too() -> None:
    """outcome="duplicate" is what went to articles.duplicates: near duplicates too, with
    NEWSFLOW_DIVERT_NEAR_DUPLICATES. The ratio's legend said "exact duplicates"."""
    counting = [
        panel
        for panel in dashboard_panels()
        if any('outcome="duplicate"' in target["expr"] for target in panel.get("targets", []))
    ]
    assert counting
    for panel in counting:
        legends = [target.get("legendFormat", "") for target in panel["targets"]]
        assert not [legend for legend in legends if legend.startswith("exact duplicates")]
        assert "NEWSFLOW_DIVERT_NEAR_DUPLICATES" in panel.get("description", ""), panel["title"]


def test_panels_fit_the_grid_without_overlapping() -> None:
    taken: set[tuple[int, int]] = set()
    for panel in dashboard()["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells


def test_every_panel_uses_the_datasource_variable() -> None:
    for panel in dashboard_panels():
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}"
            assert all(t["datasource"]["uid"] == "${datasource}" for t in panel["targets"])


def test_provisioning_points_at_the_dashboard_and_prometheus() -> None:
    provisioning = DEPLOY / "grafana" / "provisioning"
    (source,) = load_yaml(provisioning / "datasources" / "prometheus.yml")["datasources"]
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    assert source["type"] == "prometheus"
    assert variables["datasource"]["current"]["value"] == source["uid"]
    (provider,) = load_yaml(provisioning / "dashboards" / "newsflow.yml")["providers"]
    assert provider["type"] == "file"
